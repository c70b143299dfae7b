// Package auth verifies the signed tokens through which a host application tells hubbub who a
// user is: a JWT carrying the user id (sub), the display name (name), the expiry (exp), and
// optionally the rooms the user may join (rooms) and a role (role).
//
// Verifier is the interface the server depends on. HMAC is its HS256 implementation, built from
// a shared secret; JWKS (jwks.go) verifies RS256, ES256 and EdDSA tokens with the public keys an
// identity provider publishes at a JWKS URL (jwk.go parses them); Either takes both and picks by
// the token's algorithm. Each accepts only its own algorithms, so a token cannot choose how it
// is checked. Mint signs tokens with the HMAC secret, for `hubbub token` and tests.
package auth

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"hubbub"
)

// Roles a token may carry. An absent role means RoleMember.
const (
	RoleAdmin     = "admin"
	RoleModerator = "moderator"
	RoleMember    = "member"
)

// MinSecretLen is the shortest HMAC secret accepted, in bytes (256 bits, the size of the hash).
const MinSecretLen = 32

// MaxTokenLen is the longest token Verify looks at; longer ones are refused unparsed.
const MaxTokenLen = 8192

// MaxUserIDLen is the longest user id (sub) a token may carry, in bytes.
const MaxUserIDLen = 256

// Leeway is the clock skew allowed when checking exp, nbf and iat.
const Leeway = 5 * time.Second

// Errors returned by Verify, wrapped with a more precise message. Their messages (and those of
// the errors that wrap them) are safe to show to clients: they reveal nothing about the secret
// or the server.
var (
	// ErrInvalid means the token cannot be trusted: garbled, forged, signed with another key or
	// algorithm, not yet valid, or carrying unusable claims.
	ErrInvalid = errors.New("invalid token")
	// ErrExpired means the token was valid but its exp has passed.
	ErrExpired = errors.New("token expired")
	// ErrUnavailable means the token could not be checked now: the keys that verify it have
	// not been fetched (the JWKS URL does not answer). Trying again later may work.
	ErrUnavailable = errors.New("tokens cannot be verified right now")
)

// Claims is what a verified token says about its holder.
type Claims struct {
	// UserID is the host application's id for the user (the sub claim); never empty.
	UserID string
	// Name is the display name the user's messages carry (the name claim).
	Name string
	// Role is RoleAdmin, RoleModerator or RoleMember (the role claim; default RoleMember).
	Role string
	// Rooms lists the rooms the user may join (the rooms claim); empty means every room.
	Rooms []string
	// ExpiresAt is when the token stops being valid (the exp claim).
	ExpiresAt time.Time
	// Issuer is who vouches for the user (the iss claim) of a JWKS token, never empty there.
	// It is always "" for an HS256 token, whatever its iss: the holder of the shared secret
	// names its users in a namespace of its own, which no key-set issuer can enter.
	Issuer string
}

// CanJoin reports whether the token's room grants allow room.
func (c *Claims) CanJoin(room string) bool {
	return len(c.Rooms) == 0 || slices.Contains(c.Rooms, room)
}

// Validate checks the claims hubbub adds to a JWT: a user id, a valid name, a known role and
// valid room names. It fills in the default role.
func (c *Claims) Validate() error {
	switch {
	case c.UserID == "":
		return errors.New("the token has no user id (sub)")
	case len(c.UserID) > MaxUserIDLen:
		return fmt.Errorf("the token's user id is longer than %d bytes", MaxUserIDLen)
	}
	if err := hubbub.ValidateName(c.Name); err != nil {
		return fmt.Errorf("the token's name: %s", hubbub.ErrorMessage(err))
	}
	switch c.Role {
	case "":
		c.Role = RoleMember
	case RoleAdmin, RoleModerator, RoleMember:
	default:
		return fmt.Errorf("the token's role %q is not admin, moderator or member", truncate(c.Role, 32))
	}
	for _, r := range c.Rooms {
		if err := hubbub.ValidateRoom(r); err != nil {
			return fmt.Errorf("the token grants an invalid room: %s", hubbub.ErrorMessage(err))
		}
	}
	return nil
}

// Verifier checks a token and returns its claims. Errors wrap ErrInvalid or ErrExpired and
// have messages fit for the client.
type Verifier interface {
	Verify(token string) (Claims, error)
}

// jwtClaims is the JSON shape of a hubbub token.
type jwtClaims struct {
	Name  string   `json:"name"`
	Rooms []string `json:"rooms,omitempty"`
	Role  string   `json:"role,omitempty"`
	// PreferredUsername is the OpenID Connect claim an identity provider's token may carry
	// instead of name; it is the name when name is absent.
	PreferredUsername string `json:"preferred_username,omitempty"`
	jwt.RegisteredClaims
}

// claims turns a parsed token's claims into Claims, validated, with issuer as the Issuer.
func (jc *jwtClaims) claims(issuer string) (Claims, error) {
	c := Claims{UserID: jc.Subject, Name: jc.Name, Role: jc.Role, Rooms: jc.Rooms, Issuer: issuer}
	if c.Name == "" {
		c.Name = jc.PreferredUsername
	}
	if jc.ExpiresAt != nil {
		c.ExpiresAt = jc.ExpiresAt.Time
	}
	if err := c.Validate(); err != nil {
		return Claims{}, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return c, nil
}

// Options are what a verifier checks besides the signature, the algorithm and the times. The
// zero value checks neither issuer nor audience.
type Options struct {
	// Issuer, when set, must equal the token's iss claim.
	Issuer string
	// Audience, when set, must be one of the values of the token's aud claim.
	Audience string
	// Now, if not nil, replaces time.Now for the token's times (tests).
	Now func() time.Time
}

// parser returns a parser that accepts only the algorithms algs and checks exp (required),
// nbf, iat, and the issuer and audience of o.
func (o Options) parser(algs ...string) *jwt.Parser {
	opts := []jwt.ParserOption{
		jwt.WithValidMethods(algs),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(Leeway),
	}
	if o.Issuer != "" {
		opts = append(opts, jwt.WithIssuer(o.Issuer))
	}
	if o.Audience != "" {
		opts = append(opts, jwt.WithAudience(o.Audience))
	}
	if o.Now != nil {
		opts = append(opts, jwt.WithTimeFunc(o.Now))
	}
	return jwt.NewParser(opts...)
}

// HMAC verifies HS256 tokens signed with a shared secret. Only HS256 is accepted: tokens
// claiming "none", RS256 or any other algorithm are refused before the signature is checked.
type HMAC struct {
	secret []byte
	parser *jwt.Parser
}

// NewHMAC returns a Verifier for tokens signed with secret, which must be at least
// MinSecretLen bytes, checking no issuer or audience. now, if not nil, replaces time.Now (tests).
func NewHMAC(secret []byte, now func() time.Time) (*HMAC, error) {
	return NewHMACWith(secret, Options{Now: now})
}

// NewHMACWith is NewHMAC with the issuer and audience checks of o.
func NewHMACWith(secret []byte, o Options) (*HMAC, error) {
	if err := checkSecret(secret); err != nil {
		return nil, err
	}
	return &HMAC{secret: slices.Clone(secret), parser: o.parser(algHS256)}, nil
}

func checkSecret(secret []byte) error {
	if len(secret) < MinSecretLen {
		return fmt.Errorf("auth: the token secret is %d bytes; it must be at least %d (e.g. `openssl rand -hex 32`)",
			len(secret), MinSecretLen)
	}
	return nil
}

// Verify checks token's signature, algorithm and times, and returns its claims. Their Issuer
// is "" (see Claims.Issuer).
func (h *HMAC) Verify(token string) (Claims, error) {
	hdr, err := readHeader(token)
	if err != nil {
		return Claims{}, err
	}
	if hdr.Alg != algHS256 {
		return Claims{}, notSigned(algHS256)
	}
	var jc jwtClaims
	_, err = h.parser.ParseWithClaims(token, &jc, func(t *jwt.Token) (any, error) {
		if _, ok := t.Method.(*jwt.SigningMethodHMAC); !ok {
			return nil, jwt.ErrTokenUnverifiable
		}
		return h.secret, nil
	})
	if err != nil {
		return Claims{}, describe(err, algHS256, &jc)
	}
	return jc.claims("")
}

// The algorithms hubbub accepts, as a token's header names them.
const (
	algHS256 = "HS256"
	algRS256 = "RS256"
	algES256 = "ES256"
	algEdDSA = "EdDSA"
)

// header is what Verify reads of a token's header before checking it.
type header struct {
	Alg  string          `json:"alg"`
	Kid  string          `json:"kid"`
	Crit json.RawMessage `json:"crit"`
}

// readHeader checks the token's size and shape and decodes its header, so that a token of a
// wrong algorithm is told why rather than that the signature does not match (the parser
// checks the algorithm again). A header with crit is refused: RFC 7515 requires refusing
// extensions one does not understand, and hubbub understands none.
func readHeader(token string) (header, error) {
	var hdr header
	if token == "" {
		return hdr, fmt.Errorf("%w: the token is empty", ErrInvalid)
	}
	if len(token) > MaxTokenLen {
		return hdr, fmt.Errorf("%w: the token is longer than %d bytes", ErrInvalid, MaxTokenLen)
	}
	head, _, ok := strings.Cut(token, ".")
	if !ok {
		return hdr, fmt.Errorf("%w: the token is malformed", ErrInvalid)
	}
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(head, "="))
	if err != nil || json.Unmarshal(raw, &hdr) != nil {
		return header{}, fmt.Errorf("%w: the token is malformed", ErrInvalid)
	}
	if hdr.Crit != nil {
		return header{}, fmt.Errorf("%w: the token has critical header extensions (crit), which hubbub does not support", ErrInvalid)
	}
	return hdr, nil
}

// notSigned is the error for a token of an algorithm the verifier does not take.
func notSigned(algs string) error {
	return fmt.Errorf("%w: the token is not signed with %s", ErrInvalid, algs)
}

// describe turns a jwt error into one of ours with a message that names the problem but not
// the library's internals. algs names the algorithms the verifier takes; jc holds what the
// parser decoded of the claims before it failed, to say which required claim is missing.
func describe(err error, algs string, jc *jwtClaims) error {
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		return ErrExpired
	case errors.Is(err, jwt.ErrTokenMalformed):
		return fmt.Errorf("%w: the token is malformed", ErrInvalid)
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		return fmt.Errorf("%w: the token's signature does not match", ErrInvalid)
	case errors.Is(err, jwt.ErrTokenUnverifiable):
		return notSigned(algs)
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		switch {
		case jc.ExpiresAt == nil:
			return fmt.Errorf("%w: the token has no expiry (exp)", ErrInvalid)
		case jc.Issuer == "":
			return fmt.Errorf("%w: the token has no issuer (iss)", ErrInvalid)
		}
		return fmt.Errorf("%w: the token has no audience (aud)", ErrInvalid)
	case errors.Is(err, jwt.ErrTokenNotValidYet), errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		return fmt.Errorf("%w: the token is not valid yet", ErrInvalid)
	case errors.Is(err, jwt.ErrTokenInvalidIssuer):
		return fmt.Errorf("%w: the token's issuer (iss) is not the one this server trusts", ErrInvalid)
	case errors.Is(err, jwt.ErrTokenInvalidAudience):
		return fmt.Errorf("%w: the token is not meant for this server (aud)", ErrInvalid)
	}
	return fmt.Errorf("%w: the token's claims are not readable", ErrInvalid)
}

// Mint returns an HS256 token for c, valid from now for ttl, signed with secret. c is
// validated as Verify would; c.ExpiresAt is ignored.
func Mint(secret []byte, c Claims, ttl time.Duration) (string, error) {
	if err := checkSecret(secret); err != nil {
		return "", err
	}
	if ttl <= 0 {
		return "", fmt.Errorf("auth: the token's lifetime must be positive, got %v", ttl)
	}
	if err := c.Validate(); err != nil {
		return "", fmt.Errorf("auth: %w", err)
	}
	now := time.Now()
	jc := jwtClaims{Name: c.Name, Rooms: c.Rooms, Role: c.Role, RegisteredClaims: jwt.RegisteredClaims{
		Subject:   c.UserID,
		IssuedAt:  jwt.NewNumericDate(now),
		ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
	}}
	if jc.Role == RoleMember {
		jc.Role = "" // the default need not be spelled out
	}
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jc).SignedString(secret)
	if err != nil {
		return "", fmt.Errorf("auth: sign: %w", err)
	}
	return s, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
