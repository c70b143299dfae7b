package sqlstore

import (
	"crypto/rand"
	"encoding/hex"
	"slices"
	"time"

	"hubbub"
)

// The parts of hubbub.UserStore that do not depend on the database: ids, names, and the
// checks before a user is written. Both stores keep a name's hubbub.NameKey in a column with a
// UNIQUE index, so that two processes or nodes creating or renaming users at once get one
// winner; the key is computed here, in Go, so that both stores agree on it byte for byte.

// The operations of a hubbub.UserStore and hubbub.RoomStore, as errors name them.
const (
	OpCreateUser     Op = "create user"
	OpClaimGuest     Op = "claim guest"
	OpGuestByKey     Op = "guest by key"
	OpExternalUser   Op = "external user"
	OpUserByID       Op = "user by id"
	OpUserByName     Op = "user by name"
	OpUsersByID      Op = "users by id"
	OpUsers          Op = "users"
	OpUpdateUser     Op = "update user"
	OpPasswordHash   Op = "password hash"
	OpSeenAt         Op = "seen at"
	OpCreateSession  Op = "create session"
	OpSession        Op = "session"
	OpDeleteSession  Op = "delete session"
	OpDeleteSessions Op = "delete sessions"
	OpCreateInvite   Op = "create invite"
	OpRedeemInvite   Op = "redeem invite"

	OpCreateRoom Op = "create room"
	OpRoomMeta   Op = "room meta"
	OpJoinRoom   Op = "join room"
	OpLeaveRoom  Op = "leave room"
	OpMembership Op = "membership"
	OpMembers    Op = "members"
	// OpMembersNamed is MembersNamed's.
	OpMembersNamed Op = "members named"
	OpSetRead      Op = "set read"
	OpMyRooms      Op = "my rooms"
	OpMyRoom       Op = "my room"
	OpDirectory    Op = "directory"
	OpCountRooms   Op = "count rooms"
	OpResolveRoom  Op = "resolve room"
)

// MaxUsersByID bounds the ids one UsersByID looks up, so that a query's parameters stay
// within what both databases take (SQLite: 32,766); callers with more ask in pages.
const MaxUsersByID = 1000

// NewUserID returns a fresh user id: "u_" and 16 random bytes in hex. Random rather than a
// sequence, so that nodes never coordinate to assign one, and never reused.
func NewUserID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return "u_" + hex.EncodeToString(b[:])
}

// NameTaken is the refusal of a name whose key another user holds.
func NameTaken(name string) *hubbub.Error {
	return hubbub.Errorf(hubbub.ECodeNameTaken, "the name %q is taken", name)
}

// NoUser is the refusal of a change to a user that does not exist.
func NoUser(id string) *hubbub.Error {
	return hubbub.Errorf(hubbub.ECodeNotFound, "no user %q", id)
}

// SameGuestName reports whether a guest stored as stored, claiming its key under name (whose
// NameKey is key), keeps its stored name: name is that name, or a look-alike of it (another
// case, another width). A second device that spells the name otherwise — a phone keyboard's
// capital, say — would rename the user under its other connections, whose member lists would
// then show the one user under two spellings; ClaimGuest renames only for another name.
func SameGuestName(stored, name, key string) bool {
	if stored == name {
		return true
	}
	k, err := hubbub.NameKey(stored)
	return err == nil && k == key
}

// Disabled is ClaimGuest's refusal of a disabled user.
func Disabled(name string) *hubbub.Error {
	return hubbub.Errorf(hubbub.ECodeForbidden, "the user %q is disabled", name)
}

// CheckRole returns the refusal of a server-wide role that is not one hubbub knows ("" reads
// as member).
func CheckRole(role string) error {
	switch role {
	case "", hubbub.RoleAdmin, hubbub.RoleModerator, hubbub.RoleMember:
		return nil
	}
	return hubbub.Errorf(hubbub.ECodeBadField, "unknown role %q", role)
}

// CheckNewUser returns u's name key, or why u cannot be created: a bad name, kind or role.
func CheckNewUser(u hubbub.User) (string, error) {
	key, err := hubbub.NameKey(u.Name)
	if err != nil {
		return "", err
	}
	switch u.Kind {
	case hubbub.UserGuest, hubbub.UserAccount, hubbub.UserApp, hubbub.UserBot:
	default:
		return "", hubbub.Errorf(hubbub.ECodeBadField, "unknown user kind %q", u.Kind)
	}
	return key, CheckRole(u.Role)
}

// UsersPage returns the limit of a query for Users(after, limit); ok false if limit asks for
// no user, so that the method answers without a query.
func UsersPage(limit int) (int, bool) { return limit, limit > 0 }

// Now returns t as the stores keep times: UTC, millisecond precision.
func Now(t time.Time) time.Time { return MsTime(t.UnixMilli()) }

// MemberNameKeys are the distinct name keys (hubbub.NameKey) of names that MembersNamed looks
// up, sorted: a name that is no valid name has none (no user can hold it). Each name also
// looks up its HeldKey, as UserByName does, so that a user who kept a held key when the keys
// were recomputed is found by its exact name (mentioned while away) until an operator renames
// one of the two. More than hubbub.MaxMembersNamed names is ECodeLimit.
func MemberNameKeys(names []string) ([]string, error) {
	if len(names) > hubbub.MaxMembersNamed {
		return nil, hubbub.Errorf(hubbub.ECodeLimit, "at most %d names at once, not %d", hubbub.MaxMembersNamed, len(names))
	}
	keys := make([]string, 0, 2*len(names))
	for _, n := range names {
		if k, err := hubbub.NameKey(n); err == nil {
			keys = append(keys, k, HeldKey(k, n))
		}
	}
	slices.Sort(keys)
	return slices.Compact(keys), nil
}
