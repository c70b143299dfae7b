package auth

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

var testSecret = []byte("0123456789abcdef0123456789abcdef")

func newVerifier(t testing.TB, now func() time.Time) *HMAC {
	t.Helper()
	v, err := NewHMAC(testSecret, now)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// sign signs arbitrary claims with method and key, for tokens Mint would never make.
func sign(t testing.TB, method jwt.SigningMethod, key any, claims jwt.MapClaims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(method, claims).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func validClaims() jwt.MapClaims {
	return jwt.MapClaims{"sub": "u-1", "name": "ann", "exp": time.Now().Add(time.Hour).Unix()}
}

func TestMintAndVerify(t *testing.T) {
	v := newVerifier(t, nil)
	tok, err := Mint(testSecret, Claims{UserID: "u-1", Name: "Ann Lee", Role: RoleModerator, Rooms: []string{"a", "b"}}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	c, err := v.Verify(tok)
	if err != nil {
		t.Fatal(err)
	}
	if c.UserID != "u-1" || c.Name != "Ann Lee" || c.Role != RoleModerator || len(c.Rooms) != 2 {
		t.Fatalf("claims %+v", c)
	}
	if d := time.Until(c.ExpiresAt); d < 59*time.Minute || d > time.Hour+time.Second {
		t.Fatalf("expires in %v", d)
	}
	if !c.CanJoin("a") || !c.CanJoin("b") || c.CanJoin("c") {
		t.Fatal("grants not applied")
	}
	tok, _ = Mint(testSecret, Claims{UserID: "u-2", Name: "bob"}, time.Minute)
	c, err = v.Verify(tok)
	if err != nil || c.Role != RoleMember || !c.CanJoin("anything") {
		t.Fatalf("default role and grants: %+v %v", c, err)
	}
}

func TestSecretTooShort(t *testing.T) {
	if _, err := NewHMAC([]byte("short"), nil); err == nil || !strings.Contains(err.Error(), "at least 32") {
		t.Fatalf("NewHMAC(short) = %v", err)
	}
	if _, err := Mint([]byte("short"), Claims{UserID: "u", Name: "n"}, time.Hour); err == nil {
		t.Fatal("Mint with a short secret worked")
	}
}

func TestMintRefusesBadClaims(t *testing.T) {
	for _, c := range []Claims{
		{Name: "ann"},
		{UserID: "u", Name: ""},
		{UserID: "u", Name: " ann"},
		{UserID: "u", Name: "ann", Role: "god"},
		{UserID: "u", Name: "ann", Rooms: []string{"no spaces"}},
	} {
		if _, err := Mint(testSecret, c, time.Hour); err == nil {
			t.Errorf("Mint(%+v) worked", c)
		}
	}
	if _, err := Mint(testSecret, Claims{UserID: "u", Name: "ann"}, 0); err == nil {
		t.Error("Mint with ttl 0 worked")
	}
}

func TestVerifyRefuses(t *testing.T) {
	v := newVerifier(t, nil)
	good := sign(t, jwt.SigningMethodHS256, testSecret, validClaims())
	if _, err := v.Verify(good); err != nil {
		t.Fatalf("valid token refused: %v", err)
	}
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(good, ".")
	b64 := base64.RawURLEncoding.EncodeToString
	with := func(mod func(jwt.MapClaims)) jwt.MapClaims {
		c := validClaims()
		mod(c)
		return c
	}
	cases := []struct {
		name, token, want string
		expired           bool
	}{
		{"empty", "", "empty", false},
		{"garbage", "not a token", "malformed", false},
		{"two parts", parts[0] + "." + parts[1], "malformed", false},
		{"huge", strings.Repeat("a", MaxTokenLen+1), "longer", false},
		{"forged signature", parts[0] + "." + parts[1] + "." + b64([]byte("forged-signature-forged-signature")), "signature", false},
		{"tampered payload", parts[0] + "." + b64([]byte(`{"sub":"admin","name":"root","exp":9999999999}`)) + "." + parts[2], "signature", false},
		{"wrong secret", sign(t, jwt.SigningMethodHS256, []byte("another secret that is 32 bytes!"), validClaims()), "signature", false},
		{"alg none", sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, validClaims()), "HS256", false},
		{"alg none hand-made", b64([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + parts[1] + ".", "HS256", false},
		{"HS512", sign(t, jwt.SigningMethodHS512, testSecret, validClaims()), "HS256", false},
		{"RS256", sign(t, jwt.SigningMethodRS256, rsaKey, validClaims()), "HS256", false},
		{"no exp", sign(t, jwt.SigningMethodHS256, testSecret, with(func(c jwt.MapClaims) { delete(c, "exp") })), "exp", false},
		{"expired", sign(t, jwt.SigningMethodHS256, testSecret, with(func(c jwt.MapClaims) { c["exp"] = time.Now().Add(-time.Minute).Unix() })), "expired", true},
		{"not yet valid", sign(t, jwt.SigningMethodHS256, testSecret, with(func(c jwt.MapClaims) { c["nbf"] = time.Now().Add(time.Minute).Unix() })), "not valid yet", false},
		{"issued in the future", sign(t, jwt.SigningMethodHS256, testSecret, with(func(c jwt.MapClaims) { c["iat"] = time.Now().Add(time.Minute).Unix() })), "not valid yet", false},
		{"exp not a number", sign(t, jwt.SigningMethodHS256, testSecret, with(func(c jwt.MapClaims) { c["exp"] = "tomorrow" })), "invalid token", false},
		{"no sub", sign(t, jwt.SigningMethodHS256, testSecret, with(func(c jwt.MapClaims) { delete(c, "sub") })), "user id", false},
		{"no name", sign(t, jwt.SigningMethodHS256, testSecret, with(func(c jwt.MapClaims) { delete(c, "name") })), "name", false},
		{"bad name", sign(t, jwt.SigningMethodHS256, testSecret, with(func(c jwt.MapClaims) { c["name"] = "a\x00b" })), "name", false},
		{"bad role", sign(t, jwt.SigningMethodHS256, testSecret, with(func(c jwt.MapClaims) { c["role"] = "owner" })), "role", false},
		{"bad room", sign(t, jwt.SigningMethodHS256, testSecret, with(func(c jwt.MapClaims) { c["rooms"] = []string{"../etc"} })), "room", false},
		{"rooms not a list", sign(t, jwt.SigningMethodHS256, testSecret, with(func(c jwt.MapClaims) { c["rooms"] = 7 })), "invalid token", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := v.Verify(tc.token)
			if err == nil {
				t.Fatal("accepted")
			}
			if tc.expired != errors.Is(err, ErrExpired) || !tc.expired && !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v: wrong kind", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q does not mention %q", err, tc.want)
			}
			if strings.Contains(err.Error(), string(testSecret)) || strings.Contains(err.Error(), "crypto/") {
				t.Fatalf("error %q leaks internals", err)
			}
		})
	}
}

func TestLeeway(t *testing.T) {
	exp := time.Now().Add(time.Hour).Truncate(time.Second)
	tok := sign(t, jwt.SigningMethodHS256, testSecret, jwt.MapClaims{"sub": "u", "name": "n", "exp": exp.Unix()})
	at := func(d time.Time) func() time.Time { return func() time.Time { return d } }
	if _, err := newVerifier(t, at(exp.Add(Leeway-time.Second))).Verify(tok); err != nil {
		t.Fatalf("within the leeway: %v", err)
	}
	if _, err := newVerifier(t, at(exp.Add(Leeway+time.Second))).Verify(tok); !errors.Is(err, ErrExpired) {
		t.Fatalf("past the leeway: %v", err)
	}
}
