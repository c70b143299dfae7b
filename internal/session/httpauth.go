package session

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"time"

	"hubbub"
	"hubbub/internal/wire"
)

// Identity of plain HTTP requests (POST /upload, GET /files/…, POST /files/session): the same
// credentials as a WebSocket's, in the same order (auth.go), where a request can carry them —
// the session cookie, a token (Authorization: Bearer, the ?token= parameter or the
// hubbub_token cookie), or a guest's name and key in the NameHeader and KeyHeader headers.
// Only a stored user may act through HTTP: a guest must have said hello once (a request
// neither creates nor renames one), and a keyless name is refused.

// The headers a guest's request names itself with (wire.GuestNameHeader, wire.GuestKeyHeader).
// A header holds Latin-1 at most, so the name is URL-encoded (encodeURIComponent): "%" must be
// sent as "%25".
const (
	NameHeader = wire.GuestNameHeader
	KeyHeader  = wire.GuestKeyHeader
)

// RequestUser is who an HTTP request acts for.
type RequestUser struct {
	hubbub.User
	// Expires is when the request's token or sign-in session expires (zero when it came with
	// neither).
	Expires time.Time
}

// RequestCredentials returns the session cookie and the token r carries: a token in
// "Authorization: Bearer" wins over the ?token= parameter and the hubbub_token cookie.
func RequestCredentials(r *http.Request) Credentials {
	c := UpgradeCredentials(r)
	if token, ok := BearerToken(r); ok {
		c.Token = token
	}
	return c
}

// BearerToken returns what follows "Bearer " in r's Authorization header, trimmed; ok is false
// without one. The scheme matches in any case ("bearer", "BEARER"), as HTTP's authentication
// schemes do (RFC 9110, 11.1): HTTP libraries and people spell it either way.
func BearerToken(r *http.Request) (token string, ok bool) {
	const scheme = "Bearer "
	h := r.Header.Get("Authorization")
	if len(h) <= len(scheme) || !strings.EqualFold(h[:len(scheme)], scheme) {
		return "", false
	}
	return strings.TrimSpace(h[len(scheme):]), true
}

// RequestGuest returns the guest's name (decoded) and key r's headers carry, "" if none.
func RequestGuest(r *http.Request) (name, key string, err error) {
	name, key = r.Header.Get(NameHeader), r.Header.Get(KeyHeader)
	if name != "" {
		if name, err = url.PathUnescape(name); err != nil {
			return "", "", hubbub.Errorf(hubbub.ECodeBadName, "%s must be URL-encoded (send %% as %%25)", NameHeader)
		}
	}
	return name, key, nil
}

// UserOfRequest resolves who an HTTP request with creds (RequestCredentials) and a guest's
// name and key (RequestGuest) acts for. Its errors are *hubbub.Error values fit for the
// client: ECodeUnauthorized for no credentials or wrong ones, ECodeForbidden for a disabled
// user, ECodeUnavailable when the store failed.
func (s *Service) UserOfRequest(ctx context.Context, creds Credentials, name, key string) (RequestUser, error) {
	if creds.Session == "" && creds.Token == "" && name == "" {
		return RequestUser{}, noCredentials()
	}
	id, err := s.identify(ctx, helloName{name: name, key: key, stored: true}, creds)
	if err != nil {
		if hubbub.ErrorCode(err) == hubbub.ECodeNameTaken {
			err = hubbub.Errorf(hubbub.ECodeUnauthorized, "%s", hubbub.ErrorMessage(err))
		}
		return RequestUser{}, err
	}
	if !storedUserID(id.user.ID) {
		return RequestUser{}, hubbub.Errorf(hubbub.ECodeUnauthorized, "only a signed-in user, a token's user or a guest with its key may do that")
	}
	u := RequestUser{User: id.user}
	u.Expires, _ = id.ends()
	return u, nil
}

// noCredentials is the refusal of a request that says nothing valid about who it is.
func noCredentials() error {
	return hubbub.Errorf(hubbub.ECodeUnauthorized,
		"who are you? sign in, send a token (Authorization: Bearer), or a guest's %s and %s", NameHeader, KeyHeader)
}

// storedGuest is identify's guest for a plain HTTP request: the stored guest whose key h.key
// is. The key decides, as a hello's does when the name is someone else's: a page that still
// says the name an operator renamed the guest from acts as the guest under its stored name.
// It only reads: claiming the key (as a hello does) would rename the guest to h.name, and a
// request that read the name just before an operator renamed the guest would then undo the
// rename.
func (s *Service) storedGuest(ctx context.Context, h helloName) (identity, error) {
	if h.key == "" {
		return identity{}, hubbub.Errorf(hubbub.ECodeUnauthorized, "a guest must send its key (%s) with its name", KeyHeader)
	}
	u, found, err := s.cfg.Users.GuestByKey(ctx, hubbub.SecretHash(h.key))
	switch {
	case err != nil:
		return identity{}, s.storeFailed("guest by key", err)
	case !found:
		return identity{}, s.unknownGuestKey(ctx, h.name)
	case u.Disabled:
		return identity{}, hubbub.Errorf(hubbub.ECodeForbidden, "the user %q is disabled", u.Name)
	}
	return identity{user: u}, nil
}

// unknownGuestKey is the refusal of a guest's key no stored guest has, sent with name: when a
// user holds the name the key is wrong for it (an uploader was told to say hello first, which
// it had, with its own key); otherwise the guest is new to the server.
func (s *Service) unknownGuestKey(ctx context.Context, name string) error {
	u, found, err := s.cfg.Users.UserByName(ctx, name)
	switch {
	case err != nil:
		return s.storeFailed("user by name", err)
	case !found:
		return hubbub.Errorf(hubbub.ECodeUnauthorized, "no guest has this key: say hello over the WebSocket first")
	case u.Kind == hubbub.UserGuest:
		return hubbub.Errorf(hubbub.ECodeUnauthorized, "the key (%s) does not match the guest %q: send the key that guest said hello with", KeyHeader, u.Name)
	}
	return hubbub.Errorf(hubbub.ECodeUnauthorized, "%q is not a guest, and a guest's key does not act for it: sign in, or send a token", u.Name)
}

// storedUserID reports whether id is a user the Store keeps, not an anonymous one.
func storedUserID(id string) bool { return id != "" && !strings.HasPrefix(id, hubbub.AnonymousPrefix) }
