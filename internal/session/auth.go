package session

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"hubbub"
	"hubbub/internal/accounts"
	"hubbub/internal/auth"
	"hubbub/internal/hub"
	"hubbub/internal/wire"
)

// Identity (docs/protocol.md, Identity): every connection acts for a user, resolved when it
// says hello (the text protocol: when it sends its name line), in this order:
//  1. a session cookie (SessionCookie) on the upgrade request, from the sign-in page;
//  2. a token signed by the host application: hello's token, or the upgrade's ?token= parameter
//     or hubbub_token cookie (hello's wins); its name, role and room grants come from the
//     token, and the connection is closed with 1008 when it expires; or, in the same places, a
//     bot's API token (hubbub.BotTokenPrefix), whatever --auth says: the bot may enter only
//     the rooms its patterns cover (bots.go);
//  3. a guest: hello's name and key; the name is then that key's, server-wide;
//  4. keyless (the text protocol, old hubbub.v1 clients): an anonymous user, allowed only in
//     guest mode and only under a name no stored user holds.
// Config.Auth says which of them a server accepts.

// The ways a server may let connections in (Config.Auth, hubbub serve --auth).
const (
	// AuthGuest lets anyone in: guests with a key, keyless connections under a free name, and
	// signed-in accounts and token users if the server has them. The default: it needs no
	// configuration.
	AuthGuest = accounts.AuthGuest
	// AuthAccounts requires a session cookie (signed in at /signin) or a token.
	AuthAccounts = accounts.AuthAccounts
	// AuthToken requires a token signed by the host application.
	AuthToken = accounts.AuthToken
)

// ValidAuth checks an --auth value.
func ValidAuth(mode string) error {
	switch mode {
	case AuthGuest, AuthAccounts, AuthToken:
		return nil
	}
	return fmt.Errorf("--auth must be %s, %s or %s, not %q", AuthGuest, AuthAccounts, AuthToken, mode)
}

// KindAnonymous is the kind welcome names a keyless connection's user by: it is not stored.
const KindAnonymous hubbub.UserKind = "anonymous"

// TokenCookie is the cookie a host application may set to hand its users' browsers a token.
const TokenCookie = "hubbub_token"

// SessionCookie is the cookie of a browser signed in at /signin (internal/accounts sets it);
// the store keeps only its hash (hubbub.SecretHash).
const SessionCookie = accounts.SessionCookie

// TokenParam is the /ws query parameter that may carry a token.
const TokenParam = "token"

// closeTokenExpired is the close reason sent when a connection's token expires.
const closeTokenExpired = "token expired"

// closeSessionExpired is the close reason sent when the sign-in session that opened a
// connection expires: the client's reconnect is then told its session has ended.
const closeSessionExpired = "your session expired: sign in again"

// Credentials is what an upgrade request carries to identify its connection.
type Credentials struct {
	// Token is the ?token= parameter, else the hubbub_token cookie ("" if neither).
	Token string
	// Session is the hubbub_session cookie ("" if none).
	Session string
	// FilesCookie says that Session is the files cookie (hubbub_files), which a guest has too,
	// not a sign-in's: its end is no sign-out to tell anyone of.
	FilesCookie bool
	// Addr is the client's address (the server's per-address limits' key): the limits on new
	// rooms and new guest names are per address too. "" counts against no address.
	Addr string
}

// UpgradeCredentials returns the credentials an upgrade request carries.
func UpgradeCredentials(r *http.Request) Credentials {
	var c Credentials
	if c.Token = r.URL.Query().Get(TokenParam); c.Token == "" {
		if ck, err := r.Cookie(TokenCookie); err == nil {
			c.Token = ck.Value
		}
	}
	if ck, err := r.Cookie(SessionCookie); err == nil {
		c.Session = ck.Value
	}
	return c
}

// identity is who a connection acts for.
type identity struct {
	user hubbub.User
	// claims is the verified token, when the user came from one.
	claims *auth.Claims
	// bot is the bot the user is, when a bot's token signed it in: its token's hash and the
	// bot as last read (an admin's change replaces it; botcache.go).
	bot *liveBot
	// session is the SecretHash of the session cookie that signed the user in, if one did:
	// a sign-out of it ends the connection (accountchange.go).
	session string
	// sessionExpires is when that session ends: the connection ends then too.
	sessionExpires time.Time
	// claimed is set when this hello's key claimed its name for the guest (ClaimGuest), which
	// renames the user if they had another: the name is the store's newest, and the user's
	// other connections here follow it at once (attachUser), not at the next account check.
	claimed bool
}

// ends returns when the credential that signed the user in stops signing anyone in — a
// token's expiry, a session's end — and the close reason for a connection still open then;
// zero for a guest's key, a keyless name or a bot's token (which has no expiry).
func (id *identity) ends() (time.Time, string) {
	switch {
	case id.claims != nil:
		return id.claims.ExpiresAt, closeTokenExpired
	case id.session != "":
		return id.sessionExpires, closeSessionExpired
	}
	return time.Time{}, ""
}

// mayJoin reports whether the identity's token allows room: a token's room grants, a bot's
// room patterns; any room without either.
func (id *identity) mayJoin(room string) bool {
	switch {
	case id.claims != nil:
		return id.claims.CanJoin(room)
	case id.bot != nil:
		return id.bot.MayUse(room)
	}
	return true
}

// helloName is what a hello says about who it is: the name and key it gives, its token, and
// the error decoding its name gave (a nameless hello is fine for a signed-in or token user).
type helloName struct {
	name, key, token string
	nameErr          error
	// stored asks for a stored user only: a guest must exist already and show its key (no
	// new guest, no rename, no keyless user). Plain HTTP requests ask for it (httpauth.go).
	stored bool
}

// identify resolves the user a connection acts for (see Identity above); its errors are
// *hubbub.Error values fit for the client.
//
// Every store read has userLookupTimeout, set where the read is made: a keyless hello that
// the store cache answers reads nothing, and a deadline made for it anyway was a timer
// started and stopped, and two allocations, per connect (docs/benchmarks/reconnect-storm.md,
// "Connect + join: less garbage per client").
func (s *Service) identify(ctx context.Context, h helloName, creds Credentials) (identity, error) {
	id, err := s.identifyBy(ctx, h, creds)
	if err != nil && creds.Session != "" && !creds.FilesCookie && s.cfg.Users != nil && h.token == "" && creds.Token == "" {
		// A signed-in page or client whose session ended (signed out, on this device or
		// everywhere, or expired) comes back with the dead cookie, and with no name or the
		// account's own (a text client's first line): say so, rather than "name is empty",
		// a name taken by "another user" (itself), or a guest server's want of a name.
		switch code := hubbub.ErrorCode(err); {
		case h.name == "", code == hubbub.ECodeNameTaken, code == hubbub.ECodeUnauthorized:
			return identity{}, sessionEnded()
		}
	}
	return id, err
}

// sessionEnded is the refusal of a connection or request whose session cookie signs nobody in
// any more, and which came in no other way.
func sessionEnded() error {
	return hubbub.Errorf(hubbub.ECodeUnauthorized, "your session has ended (you were signed out, or it expired): sign in again (at /signin, or hubbub chat --signin)")
}

// identifyBy is identify without its reading of a dead session's refusal.
func (s *Service) identifyBy(ctx context.Context, h helloName, creds Credentials) (identity, error) {
	if creds.Session != "" && s.cfg.Users != nil {
		ctx, cancel := context.WithTimeout(ctx, userLookupTimeout)
		defer cancel()
		// The sign-in pages' own reading of their cookie (a malformed one, an expired or
		// signed-out session, a disabled user: none), on the cookie the upgrade carried.
		ls, u, found, err := accounts.SessionUser(ctx, s.cfg.Users, creds.Session)
		if err != nil {
			return identity{}, s.storeFailed("session", err)
		}
		if found {
			return identity{user: u, session: ls.ID, sessionExpires: ls.Expires}, nil
		}
		// No session: the connection may still come in another way.
	}
	raw := h.token
	if raw == "" {
		raw = creds.Token
	}
	if strings.HasPrefix(raw, hubbub.BotTokenPrefix) {
		ctx, cancel := context.WithTimeout(ctx, userLookupTimeout)
		defer cancel()
		return s.botIdentity(ctx, raw)
	}
	if s.tokensOn() && (raw != "" || s.cfg.Auth == AuthToken) {
		c, err := s.authenticate(raw)
		if err != nil {
			return identity{}, err
		}
		ctx, cancel := context.WithTimeout(ctx, userLookupTimeout)
		defer cancel()
		u, err := s.tokenUser(ctx, &c)
		if err != nil {
			return identity{}, err
		}
		return identity{user: u, claims: &c}, nil
	}
	switch s.cfg.Auth {
	case AuthToken:
		return identity{}, hubbub.Errorf(hubbub.ECodeUnauthorized, "this server requires a token")
	case AuthAccounts:
		return identity{}, hubbub.Errorf(hubbub.ECodeUnauthorized, "this server lets only signed-in users in: sign in at /signin")
	}
	if h.stored && h.name == "" {
		return identity{}, noCredentials()
	}
	if h.name == "" && h.token != "" {
		// The token is ignored here (a guest server), so the name it was to give is missing:
		// "name is empty" would not say why.
		return identity{}, hubbub.Errorf(hubbub.ECodeBadName, "this server takes no tokens (it runs without --token-secret or --jwks-url): say hello with a name")
	}
	if h.nameErr != nil {
		return identity{}, h.nameErr
	}
	if err := hubbub.ValidateName(h.name); err != nil {
		return identity{}, err
	}
	if s.cfg.Users == nil {
		return anonymous(h.name), nil // a store without users: names are not owned
	}
	if h.stored {
		ctx, cancel := context.WithTimeout(ctx, userLookupTimeout)
		defer cancel()
		return s.storedGuest(ctx, h)
	}
	if h.key != "" {
		ctx, cancel := context.WithTimeout(ctx, userLookupTimeout)
		defer cancel()
		if err := s.chargeNewGuest(ctx, h.name, creds.Addr); err != nil {
			return identity{}, err
		}
		u, err := s.cfg.Users.ClaimGuest(ctx, h.name, hubbub.SecretHash(h.key))
		switch code := hubbub.ErrorCode(err); {
		case err == nil:
			return identity{user: u, claimed: true}, nil
		case code == hubbub.ECodeNameTaken && u.ID != "":
			// The key is a guest's whose name is not the one asked for, and that one is
			// someone else's: an operator renamed the guest (as docs/operations.md advises for
			// two users whose names became one) and its device still says the old name, or it
			// asked for a taken one. Its owner comes in under the stored name, which welcome
			// says, rather than being locked out until they guess it.
			return identity{user: u}, nil
		case code == hubbub.ECodeNameTaken:
			return identity{}, nameTaken(h.name)
		case code == hubbub.ECodeForbidden:
			return identity{}, hubbub.Errorf(hubbub.ECodeForbidden, "the user %q is disabled", h.name)
		case code != "" && code != hubbub.ECodeInternal:
			return identity{}, err
		default:
			return identity{}, s.storeFailed("claim guest", err)
		}
	}
	if held, err := s.nameHeld(ctx, h.name); err != nil {
		return identity{}, s.storeFailed("user by name", err)
	} else if held {
		return identity{}, nameTaken(h.name)
	}
	return anonymous(h.name), nil
}

// nameHeld reports whether a stored user holds name, which a keyless connection may then not
// take: from the node's cache when there is one (a fifth of a reconnect's CPU was this read).
func (s *Service) nameHeld(ctx context.Context, name string) (bool, error) {
	load := func(ctx context.Context) (bool, error) {
		ctx, cancel := context.WithTimeout(ctx, userLookupTimeout) // only when it reads (identify)
		defer cancel()
		_, held, err := s.cfg.Users.UserByName(ctx, name)
		return held, err
	}
	if s.cfg.Cache == nil {
		return load(ctx)
	}
	return s.cfg.Cache.NameHeld(ctx, name, load)
}

// anonymous is the identity of a keyless connection named name (ValidateName passed).
func anonymous(name string) identity {
	key, _ := hubbub.NameKey(name)
	return identity{user: hubbub.User{ID: hubbub.AnonymousUserID(key), Name: name, Kind: KindAnonymous, Role: hubbub.RoleMember}}
}

// tokenUser is the stored user of a verified token; its role is the token's.
func (s *Service) tokenUser(ctx context.Context, c *auth.Claims) (hubbub.User, error) {
	if s.cfg.Users == nil {
		return hubbub.User{ID: c.UserID, Name: c.Name, Kind: hubbub.UserApp, Role: c.Role}, nil
	}
	u, err := s.cfg.Users.ExternalUser(ctx, tokenIssuer(c), c.UserID, c.Name, c.Role)
	switch code := hubbub.ErrorCode(err); {
	case err == nil:
	case code == hubbub.ECodeNameTaken:
		return hubbub.User{}, nameTaken(c.Name)
	case code == hubbub.ECodeForbidden:
		return hubbub.User{}, hubbub.Errorf(hubbub.ECodeForbidden, "the user %q is disabled", c.Name)
	default:
		return hubbub.User{}, s.storeFailed("external user", err)
	}
	if u.Disabled {
		return hubbub.User{}, hubbub.Errorf(hubbub.ECodeForbidden, "the user %q is disabled", u.Name)
	}
	u.Role = c.Role
	return u, nil
}

// nameTaken is the error for a name another user holds, server-wide (look-alikes included).
func nameTaken(name string) error {
	return hubbub.Errorf(hubbub.ECodeNameTaken, "the name %q belongs to another user", name)
}

// userLookupTimeout bounds the store calls that find a connection's user at hello.
const userLookupTimeout = 5 * time.Second

// storeFailed logs a failed user lookup and is the client's unavailable error.
func (s *Service) storeFailed(op string, err error) error {
	slog.Error("store "+op+" failed", "err", err)
	return hubbub.Errorf(hubbub.ECodeUnavailable, "the server cannot check who you are right now; try again")
}

// connMember is the hub member of connection p acting for id, with its account check
// (accountChanged): what both protocols' sessions put in the hub.
func (s *Service) connMember(id *identity, p Peer) *hub.Member {
	m := s.member(id, p.Outbox())
	m.AccountChanged = s.accountChanged(id, m, p)
	return m
}

// member is the hub member of a connection acting for id.
func (s *Service) member(id *identity, out *hub.Outbox) *hub.Member {
	u := &id.user
	role := u.Role // a token's
	if id.claims == nil {
		role = s.storedRole(u)
	} else if role == "" {
		role = hubbub.RoleMember
	}
	return &hub.Member{Name: u.Name, Key: "user:" + u.ID, UserID: u.ID, Role: role, Out: out, Bot: u.Kind == hubbub.UserBot}
}

// userInfo is what welcome tells a connection about its user.
func userInfo(id *identity, m *hub.Member) *wire.UserInfo {
	kind := id.user.Kind
	return &wire.UserInfo{ID: id.user.ID, Name: m.CurrentName(), Kind: string(kind), Role: m.Role}
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

// forbidden is the error for a join outside a token's room grants.
func forbidden(room string) error {
	return hubbub.Errorf(hubbub.ECodeForbidden, "your token does not allow you to join room %q", room)
}

// expiry closes a connection with 1008 when the token or session that signed it in expires.
// The session that owns it arms it from the read loop and stops it in end(), so no timer
// outlives its connection.
type expiry struct {
	t *time.Timer
}

// arm (re)starts the timer for id's credential (identity.ends), if it expires. It fires
// auth.Leeway after the expiry: hello takes a token that late (clocks disagree), a store on
// another machine judges a session by its own clock, and a connection welcomed must not be
// closed in the same instant — a client that reconnects with its credential would be welcomed
// and closed again and again until the leeway ran out.
func (e *expiry) arm(p Peer, id *identity) {
	e.stop()
	at, reason := id.ends()
	if at.IsZero() {
		return
	}
	e.t = time.AfterFunc(time.Until(at.Add(auth.Leeway)), func() {
		p.Close(closePolicyViolation, reason)
	})
}

// stop cancels the timer, if any.
func (e *expiry) stop() {
	if e.t != nil {
		e.t.Stop()
		e.t = nil
	}
}

// tokenIssuer is the issuer ExternalUser files a token's user under: a JWKS token's iss, ""
// for the HS256 secret.
func tokenIssuer(c *auth.Claims) string { return c.Issuer }
