package accounts

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/http"
	"time"

	"hubbub"
)

// SessionCookie is the cookie that carries a signed-in browser's session: 32 random bytes,
// base64url. The store keeps only its SecretHash.
const SessionCookie = "hubbub_session"

// DefaultSessionTTL is how long a session lasts unless told otherwise.
const DefaultSessionTTL = 30 * 24 * time.Hour

// secretLen is the length of every secret this package hands out (session, CSRF, invite),
// before encoding: 256 bits, so guessing one is hopeless and a fast hash (SecretHash) is
// enough to store it.
const secretLen = 32

// newSecret returns a fresh random secret, base64url without padding (43 characters).
func newSecret() string {
	b := make([]byte, secretLen)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// wellFormedSecret reports whether s looks like a secret newSecret made, so that a junk
// cookie is turned away without a store lookup.
func wellFormedSecret(s string) bool {
	if len(s) != base64.RawURLEncoding.EncodedLen(secretLen) {
		return false
	}
	_, err := base64.RawURLEncoding.DecodeString(s)
	return err == nil
}

// UserFromRequest returns the user whose session cookie (SessionCookie) r carries. found is
// false, with a nil error, when r has no cookie or its session is unknown, expired or belongs
// to a disabled user; err is set only when the store fails. The session layer calls it on a
// WebSocket upgrade, the page's /api/me on each request.
func UserFromRequest(ctx context.Context, users hubbub.UserStore, r *http.Request) (u hubbub.User, found bool, err error) {
	c, err := r.Cookie(SessionCookie)
	if err != nil {
		return hubbub.User{}, false, nil
	}
	_, u, found, err = SessionUser(ctx, users, c.Value)
	return u, found, err
}

// SessionUser returns the live session whose cookie value is secret, and its user. found is
// false, with a nil error, when the secret is malformed or its session unknown, expired (by
// the store's clock or this node's: a connection welcomed with a session this node thinks
// ended would be closed at once, and again at each reconnect) or a disabled user's; err is set
// only when the store fails. The session layer keeps the session's Expires: a connection it
// opened ends then.
func SessionUser(ctx context.Context, users hubbub.UserStore, secret string) (ls hubbub.LoginSession, u hubbub.User, found bool, err error) {
	if !wellFormedSecret(secret) {
		return hubbub.LoginSession{}, hubbub.User{}, false, nil
	}
	ls, u, found, err = users.Session(ctx, hubbub.SecretHash(secret))
	if err != nil {
		return hubbub.LoginSession{}, hubbub.User{}, false, fmt.Errorf("accounts: session lookup: %w", err)
	}
	if !found || u.Disabled || !ls.Expires.IsZero() && !ls.Expires.After(time.Now()) {
		return hubbub.LoginSession{}, hubbub.User{}, false, nil
	}
	return ls, u, true, nil
}

// startSession stores a new session for user, lasting ttl, and sets its cookie on w. The
// cookie is HttpOnly (page scripts never see it), Secure when the browser reached the server
// over TLS (secure), SameSite=Lax (sent on top-level navigations to the server, not on other
// sites' subrequests or posts).
func startSession(ctx context.Context, users hubbub.UserStore, w http.ResponseWriter, user string, ttl time.Duration, secure bool) error {
	secret := newSecret()
	now := time.Now().UTC()
	err := users.CreateSession(ctx, hubbub.LoginSession{ID: hubbub.SecretHash(secret), User: user,
		Created: now, Expires: now.Add(ttl)})
	if err != nil {
		return fmt.Errorf("accounts: create session: %w", err)
	}
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: secret, Path: "/", MaxAge: int(ttl / time.Second),
		HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode})
	return nil
}

// endSession deletes r's session, if it has one, and clears the cookie.
func endSession(ctx context.Context, users hubbub.UserStore, w http.ResponseWriter, r *http.Request, secure bool) error {
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode})
	c, err := r.Cookie(SessionCookie)
	if err != nil || !wellFormedSecret(c.Value) {
		return nil
	}
	if err := users.DeleteSession(ctx, hubbub.SecretHash(c.Value)); err != nil {
		return fmt.Errorf("accounts: delete session: %w", err)
	}
	return nil
}
