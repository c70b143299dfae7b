// Package accounts holds hubbub's built-in accounts: passwords (argon2id), the login rate
// limit, session cookies, invite links, a guest turning into an account, and the small
// server-rendered pages that sign people in and out (/signin, /signout, /invite,
// /account/password, /api/me). Users, sessions and invites are kept by the store
// (hubbub.UserStore); this package decides who may have them.
//
// The session layer finds the user of a WebSocket upgrade with UserFromRequest; the command
// line (`hubbub user …`) manages users through AddUser, SetPassword, SetDisabled, SetRole and
// NewInvite.
package accounts

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"hubbub"
	"hubbub/internal/netaddr"
	"hubbub/internal/pairrate"
)

// Config tunes a Service. The zero value of each field means the default in its comment.
type Config struct {
	// Users keeps users, sessions and invites (required).
	Users hubbub.UserStore
	// SessionTTL is how long a sign-in lasts (default DefaultSessionTTL, 30 days).
	SessionTTL time.Duration
	// Hash are the argon2id costs of new password hashes (defaults in HashParams).
	Hash HashParams
	// MaxHashes is how many password hashes may run at once (default DefaultMaxHashes).
	MaxHashes int
	// LoginRate and LoginBurst limit sign-in attempts per account and per client address: a
	// token bucket refilled at LoginRate per second holding LoginBurst (defaults
	// DefaultLoginRate and DefaultLoginBurst). LoginTracked bounds how many accounts and how
	// many addresses the limiter remembers (default DefaultLoginTracked).
	LoginRate    float64
	LoginBurst   int
	LoginTracked int
	// RenameRate and RenameBurst limit the renames an account makes of itself (POST
	// /account/name, /api/me/name) per account, as LoginRate and LoginBurst limit sign-ins, and
	// per client address ten times that (defaults DefaultRenameRate and DefaultRenameBurst;
	// LoginTracked bounds what it remembers too). Each rename is told to every room the user is in on every
	// node, and has each node read its connected users again: a rename a second would be a
	// flood.
	RenameRate  float64
	RenameBurst int
	// ClientAddr returns the address a request's attempts count against (default: the host of
	// RemoteAddr). The server passes its own, which honours --trust-proxy.
	ClientAddr func(*http.Request) string
	// Secure reports whether the browser reached the server over TLS, so that cookies are
	// sent back only over TLS (default: the request came over TLS). The server passes its
	// own, which with TrustProxy also believes a proxy's X-Forwarded-Proto: https.
	Secure func(*http.Request) bool
	// Auth is who the server lets in, its --auth: AuthGuest, AuthAccounts or AuthToken ("" for
	// a service that does not say). GET /api/me?optional=1 tells it to a visitor who is not
	// signed in, so that the page asks a guest's name only of a server that takes guests: on
	// AuthAccounts it sends them to /signin, on AuthToken it tells them to open the chat from
	// the site that signs them in, instead of asking a name the server would refuse.
	Auth string
	// OtherUser, when set, finds the user of a request that has no session cookie, for
	// /api/me: the session layer's tokens (default nil: only session cookies).
	OtherUser func(ctx context.Context, r *http.Request) (hubbub.User, bool, error)
	// Logger receives the service's logs (default slog.Default()).
	Logger *slog.Logger
}

// Service signs people in and out. Create it with New and mount its pages with Mount.
type Service struct {
	cfg     Config
	users   hubbub.UserStore
	hasher  *Hasher
	limiter *pairrate.Limiter // sign-in attempts, per account name and per address
	renames *renameLimiter    // an account's renames of itself, per user id and per address
	log     *slog.Logger
}

// New returns a service for cfg.
func New(cfg Config) (*Service, error) {
	if cfg.Users == nil {
		return nil, errors.New("accounts: no user store")
	}
	if cfg.SessionTTL <= 0 {
		cfg.SessionTTL = DefaultSessionTTL
	}
	if cfg.ClientAddr == nil {
		cfg.ClientAddr = func(r *http.Request) string { return netaddr.Host(r.RemoteAddr) }
	}
	if cfg.Secure == nil {
		cfg.Secure = func(r *http.Request) bool { return r.TLS != nil }
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	h, err := NewHasher(cfg.Hash, cfg.MaxHashes)
	if err != nil {
		return nil, err
	}
	return &Service{cfg: cfg, users: cfg.Users, hasher: h,
		limiter: newLoginLimiter(cfg.LoginRate, cfg.LoginBurst, cfg.LoginTracked),
		renames: newRenameLimiter(cfg.RenameRate, cfg.RenameBurst, cfg.LoginTracked),
		log:     cfg.Logger.With("component", "accounts")}, nil
}

// Who a server lets in (Config.Auth): the values of hubbub serve --auth, which package session
// names after these.
const (
	AuthGuest    = "guest"
	AuthAccounts = "accounts"
	AuthToken    = "token"
)

// The defaults of the login rate limit: ten attempts at once, then one every ten seconds, per
// account and per client address. A person who mistypes a few times never notices; a guesser
// gets 8,640 tries a day per account however many addresses they use, and per address however
// many accounts they try.
const (
	DefaultLoginRate  = 0.1
	DefaultLoginBurst = 10
	// DefaultLoginTracked is how many accounts, and how many addresses, the limiter remembers.
	DefaultLoginTracked = 100000
)

// newLoginLimiter returns the sign-in limiter: burst attempts at once and r per second after,
// per account name and per address, remembering at most maxTracked of each (the defaults for
// zeros).
func newLoginLimiter(r float64, burst, maxTracked int) *pairrate.Limiter {
	if r <= 0 {
		r = DefaultLoginRate
	}
	if burst <= 0 {
		burst = DefaultLoginBurst
	}
	if maxTracked <= 0 {
		maxTracked = DefaultLoginTracked
	}
	return pairrate.New(r, burst, maxTracked)
}

// Hasher returns the service's password hasher.
func (s *Service) Hasher() *Hasher { return s.hasher }

// UserFromRequest returns the user of r's session cookie (see the package function).
func (s *Service) UserFromRequest(ctx context.Context, r *http.Request) (hubbub.User, bool, error) {
	return UserFromRequest(ctx, s.users, r)
}

// ErrBadCredentials is the one answer to a wrong name and to a wrong password, so that the
// sign-in page does not tell which names exist.
var ErrBadCredentials = hubbub.Errorf(hubbub.ECodeUnauthorized, "wrong name or password")

// ErrDisabled is the answer to the right password of a disabled user.
var ErrDisabled = hubbub.Errorf(hubbub.ECodeForbidden, "this account is disabled; ask an administrator")

// RateLimitedError says that too many attempts came for an account or from an address.
type RateLimitedError struct {
	// Wait is how long until the next attempt is allowed.
	Wait time.Duration
	// What came too often, in the plural ("" reads as "attempts").
	What string
}

func (e *RateLimitedError) Error() string {
	what := e.What
	if what == "" {
		what = "attempts"
	}
	return fmt.Sprintf("too many %s, try again in %d s", what, waitSeconds(e.Wait))
}

// waitSeconds rounds a wait up to whole seconds, at least 1, for Retry-After and people.
func waitSeconds(d time.Duration) int { return max(1, int((d+time.Second-1)/time.Second)) }

// SignIn checks name and password, counting the attempt against the account and against
// addr. A wrong name and a wrong password both give ErrBadCredentials after the same work (a
// hash is verified either way); too many attempts give *RateLimitedError before any work.
func (s *Service) SignIn(ctx context.Context, name, password, addr string) (hubbub.User, error) {
	account, err := hubbub.NameKey(name)
	if err != nil {
		account = "bad:" + name // still counted, so junk names cannot bypass the per-address limit
	}
	if len(account) > 256 {
		account = account[:256]
	}
	if wait := s.limiter.Allow(account, addr, time.Now()); wait > 0 {
		return hubbub.User{}, &RateLimitedError{Wait: wait}
	}
	if len(password) > MaxPasswordLen {
		return hubbub.User{}, ErrBadCredentials // no stored password is this long; not worth a hash
	}
	u, found, err := s.users.UserByName(ctx, name)
	if err != nil && hubbub.ErrorCode(err) != hubbub.ECodeBadName {
		return hubbub.User{}, fmt.Errorf("accounts: sign in: %w", err)
	}
	hash := ""
	if found && err == nil {
		if hash, err = s.users.PasswordHash(ctx, u.ID); err != nil {
			return hubbub.User{}, fmt.Errorf("accounts: sign in: %w", err)
		}
	}
	if hash == "" {
		s.hasher.VerifyNothing(ctx, password)
		return hubbub.User{}, ErrBadCredentials
	}
	ok, err := s.hasher.Verify(ctx, hash, password)
	if errors.Is(err, ErrBadHash) {
		s.log.Error("stored password hash is damaged; reset it with hubbub user passwd", "user", u.ID)
		return hubbub.User{}, ErrBadCredentials
	}
	if err != nil {
		return hubbub.User{}, err
	}
	if !ok {
		return hubbub.User{}, ErrBadCredentials
	}
	if u.Disabled {
		return hubbub.User{}, ErrDisabled
	}
	return u, nil
}
