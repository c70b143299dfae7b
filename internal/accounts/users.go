package accounts

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	"hubbub"
)

// The operations an administrator runs from the command line (`hubbub user …`). Each takes
// the store and returns an error a person can read: a *hubbub.Error with a code for their
// mistakes, a wrapped error for the store's failures.

// CheckRole reports whether role is a server-wide role ("" reads as member) and returns it
// spelled as stored.
func CheckRole(role string) (string, error) {
	switch role {
	case "", hubbub.RoleMember:
		return hubbub.RoleMember, nil
	case hubbub.RoleAdmin, hubbub.RoleModerator:
		return role, nil
	}
	return "", hubbub.Errorf(hubbub.ECodeBadField, "unknown role %q: admin, moderator or member", role)
}

// AddUser creates an account named name with role and password (checked by CheckPassword).
// A name another user holds (look-alikes included) is ECodeNameTaken.
func AddUser(ctx context.Context, users hubbub.UserStore, h *Hasher, name, role, password string) (hubbub.User, error) {
	if err := hubbub.ValidateName(name); err != nil {
		return hubbub.User{}, err
	}
	role, err := CheckRole(role)
	if err != nil {
		return hubbub.User{}, err
	}
	if err := CheckPassword(password); err != nil {
		return hubbub.User{}, err
	}
	hash, err := h.Hash(ctx, password)
	if err != nil {
		return hubbub.User{}, err
	}
	u, err := users.CreateUser(ctx, hubbub.User{Name: name, Kind: hubbub.UserAccount, Role: role}, hash)
	if err != nil {
		return hubbub.User{}, fmt.Errorf("add user %q: %w", name, err)
	}
	return u, nil
}

// FindUser returns the user holding name, or ECodeNotFound.
func FindUser(ctx context.Context, users hubbub.UserStore, name string) (hubbub.User, error) {
	u, found, err := users.UserByName(ctx, name)
	if err != nil {
		return hubbub.User{}, err
	}
	if !found {
		return hubbub.User{}, hubbub.Errorf(hubbub.ECodeNotFound, "no user is named %q", name)
	}
	return u, nil
}

// SetPassword sets the password of the user holding name (a guest becomes an account) and
// ends every session of theirs, so a stolen password stops working everywhere at once.
func SetPassword(ctx context.Context, users hubbub.UserStore, h *Hasher, name, password string) (hubbub.User, error) {
	if err := CheckPassword(password); err != nil {
		return hubbub.User{}, err
	}
	u, err := FindUser(ctx, users, name)
	if err != nil {
		return hubbub.User{}, err
	}
	return setPassword(ctx, users, h, u.ID, password)
}

func setPassword(ctx context.Context, users hubbub.UserStore, h *Hasher, id, password string) (hubbub.User, error) {
	hash, err := h.Hash(ctx, password)
	if err != nil {
		return hubbub.User{}, err
	}
	u, err := users.UpdateUser(ctx, id, hubbub.UserChange{PasswordHash: &hash})
	if err != nil {
		return hubbub.User{}, fmt.Errorf("set password: %w", err)
	}
	if _, err := users.DeleteSessions(ctx, id); err != nil {
		return hubbub.User{}, fmt.Errorf("set password: end the old sessions: %w", err)
	}
	return u, nil
}

// SetDisabled disables (or enables again) the user holding name. Disabling ends their
// sessions (the store does), so they are signed out everywhere; connections already open
// end when their node sees the change (internal/session, accountchange.go).
func SetDisabled(ctx context.Context, users hubbub.UserStore, name string, disabled bool) (hubbub.User, error) {
	u, err := FindUser(ctx, users, name)
	if err != nil {
		return hubbub.User{}, err
	}
	return users.UpdateUser(ctx, u.ID, hubbub.UserChange{Disabled: &disabled})
}

// SetRole sets the server-wide role of the user holding name.
func SetRole(ctx context.Context, users hubbub.UserStore, name, role string) (hubbub.User, error) {
	role, err := CheckRole(role)
	if err != nil {
		return hubbub.User{}, err
	}
	u, err := FindUser(ctx, users, name)
	if err != nil {
		return hubbub.User{}, err
	}
	return users.UpdateUser(ctx, u.ID, hubbub.UserChange{Role: &role})
}

// Rename gives the user holding name (or, for a user kept apart on a held key, that exact
// name) the name newName: refused with ECodeNameTaken when another user holds newName's key,
// and free to take another spelling of its own. Their id, history, roles and sanctions stay;
// their messages keep the name they were sent under. A running server gives the user's open
// connections the new name once it sees the change (session.Service.RecheckUsers).
func Rename(ctx context.Context, users hubbub.UserStore, name, newName string) (hubbub.User, error) {
	if err := hubbub.ValidateName(newName); err != nil {
		return hubbub.User{}, err
	}
	u, err := FindUser(ctx, users, name)
	if err != nil {
		return hubbub.User{}, err
	}
	return users.UpdateUser(ctx, u.ID, hubbub.UserChange{Name: &newName})
}

// DefaultInviteTTL is how long an invite link works unless told otherwise.
const DefaultInviteTTL = 72 * time.Hour

// MaxInviteTTL bounds how long an invite link may work: a link is a password for whoever
// finds it, in a chat log or an old mail.
const MaxInviteTTL = 90 * 24 * time.Hour

// NewInvite stores an invite that creates one account with role, working for ttl, made by
// the user with id by ("" for the operator at the command line). It returns the code to put
// in the link (InviteURL); the store keeps only its hash.
func NewInvite(ctx context.Context, users hubbub.UserStore, by, role string, ttl time.Duration) (code string, inv hubbub.Invite, err error) {
	role, err = CheckRole(role)
	if err != nil {
		return "", inv, err
	}
	if ttl <= 0 || ttl > MaxInviteTTL {
		return "", inv, hubbub.Errorf(hubbub.ECodeBadDuration, "an invite must expire after more than 0 and at most %v, not %v", MaxInviteTTL, ttl)
	}
	code = newSecret()
	inv = hubbub.Invite{ID: hubbub.SecretHash(code), By: by, Role: role, Expires: time.Now().UTC().Add(ttl).Truncate(time.Millisecond)}
	if err := users.CreateInvite(ctx, inv); err != nil {
		return "", inv, fmt.Errorf("create invite: %w", err)
	}
	return code, inv, nil
}

// InviteURL is the link that carries code to the invite page of the server at base
// (http(s)://host[:port][/prefix]). The code is in the fragment, which browsers do not send to
// servers or in Referer headers, so it stays out of proxies' and servers' logs.
func InviteURL(base, code string) (string, error) {
	u, err := url.Parse(strings.TrimRight(base, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", hubbub.Errorf(hubbub.ECodeBadField, "the server's address %q is not like https://chat.example.com", base)
	}
	return u.String() + "/invite#" + code, nil
}
