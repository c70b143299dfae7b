package session

import (
	"errors"
	"net/http"
	"time"

	"hubbub"
	"hubbub/internal/auth"
	"hubbub/internal/hub"
)

// Tokens (Config.Tokens, docs/protocol.md): when the server requires them, every connection
// proves who it is with a token signed by the host application. A hubbub.v1 client sends it in
// hello; any client may instead carry it on the upgrade request, in the ?token= parameter or the
// hubbub_token cookie (hello's token wins). The connection's name, user id, role and room grants
// come from the verified token, and the connection is closed with 1008 when it expires.

// TokenCookie is the cookie a host application may set to hand its users' browsers a token.
const TokenCookie = "hubbub_token"

// TokenParam is the /ws query parameter that may carry a token.
const TokenParam = "token"

// closeTokenExpired is the close reason sent when a connection's token expires.
const closeTokenExpired = "token expired"

// UpgradeToken returns the token an upgrade request carries, "" if none: the query parameter,
// else the cookie.
func UpgradeToken(r *http.Request) string {
	if t := r.URL.Query().Get(TokenParam); t != "" {
		return t
	}
	if c, err := r.Cookie(TokenCookie); err == nil {
		return c.Value
	}
	return ""
}

// tokensOn reports whether the server requires tokens.
func (s *Service) tokensOn() bool { return s.cfg.Tokens != nil }

// authenticate verifies a token; its errors are unauthorized *hubbub.Error values whose
// messages are fit for the client.
func (s *Service) authenticate(raw string) (auth.Claims, error) {
	if raw == "" {
		return auth.Claims{}, hubbub.Errorf(hubbub.ECodeUnauthorized,
			"this server requires a token: send it in hello (token), the ?token= parameter of the /ws URL, or the %s cookie", TokenCookie)
	}
	c, err := s.cfg.Tokens.Verify(raw)
	switch {
	case errors.Is(err, auth.ErrExpired):
		return auth.Claims{}, hubbub.Errorf(hubbub.ECodeUnauthorized, "token expired")
	case errors.Is(err, auth.ErrUnavailable): // the identity provider's keys are not here yet
		return auth.Claims{}, hubbub.Errorf(hubbub.ECodeUnavailable, "%s", err.Error())
	case err != nil:
		return auth.Claims{}, hubbub.Errorf(hubbub.ECodeUnauthorized, "%s", err.Error())
	}
	return c, nil
}

// tokenMember is the hub member for a verified token. Its key is derived from the user id, so
// every connection of one user may hold the user's name at once, and no one else can.
func tokenMember(c *auth.Claims, out *hub.Outbox) *hub.Member {
	return &hub.Member{Name: c.Name, Key: "user:" + c.UserID, UserID: c.UserID, Role: c.Role, Out: out}
}

// forbidden is the error for a join outside a token's room grants.
func forbidden(room string) error {
	return hubbub.Errorf(hubbub.ECodeForbidden, "your token does not allow you to join room %q", room)
}

// expiry closes a connection with 1008 "token expired" when its token expires. The session
// that owns it arms it from the read loop and stops it in end(), so no timer outlives its
// connection.
type expiry struct {
	t *time.Timer
}

// arm (re)starts the timer for a token expiring at at.
func (e *expiry) arm(p Peer, at time.Time) {
	e.stop()
	e.t = time.AfterFunc(time.Until(at), func() {
		p.Close(closePolicyViolation, closeTokenExpired)
	})
}

// stop cancels the timer, if any.
func (e *expiry) stop() {
	if e.t != nil {
		e.t.Stop()
		e.t = nil
	}
}
