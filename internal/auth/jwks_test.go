package auth

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"log/slog"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"hubbub/internal/testwait"
)

// Keys are made once: RSA key generation is slow under the race detector.
var (
	testRSA  = sync.OnceValue(func() *rsa.PrivateKey { return mustKey(rsa.GenerateKey(rand.Reader, 2048)) })
	testRSA2 = sync.OnceValue(func() *rsa.PrivateKey { return mustKey(rsa.GenerateKey(rand.Reader, 2048)) })
	testEC   = sync.OnceValue(func() *ecdsa.PrivateKey { return mustKey(ecdsa.GenerateKey(elliptic.P256(), rand.Reader)) })
	testEd   = sync.OnceValue(func() ed25519.PrivateKey {
		_, k, err := ed25519.GenerateKey(rand.Reader)
		return mustKey(k, err)
	})
)

func mustKey[K any](k K, err error) K {
	if err != nil {
		panic(err)
	}
	return k
}

const testIssuer = "https://idp.example"

var b64 = base64.RawURLEncoding.EncodeToString

// jwkOf returns the public JWK of a private key, as an identity provider publishes it.
func jwkOf(kid string, priv any) map[string]any {
	switch k := priv.(type) {
	case *rsa.PrivateKey:
		return map[string]any{"kty": "RSA", "kid": kid, "use": "sig", "alg": "RS256",
			"n": b64(k.N.Bytes()), "e": b64(big.NewInt(int64(k.E)).Bytes())}
	case *ecdsa.PrivateKey:
		size := (k.Curve.Params().BitSize + 7) / 8
		x, y := make([]byte, size), make([]byte, size)
		k.X.FillBytes(x)
		k.Y.FillBytes(y)
		return map[string]any{"kty": "EC", "kid": kid, "crv": "P-256", "x": b64(x), "y": b64(y)}
	case ed25519.PrivateKey:
		return map[string]any{"kty": "OKP", "kid": kid, "crv": "Ed25519", "alg": "EdDSA", "x": b64(k.Public().(ed25519.PublicKey))}
	}
	panic("unknown key type")
}

func keySetJSON(keys ...map[string]any) []byte {
	b, err := json.Marshal(map[string]any{"keys": keys})
	if err != nil {
		panic(err)
	}
	return b
}

// idp is a real HTTP server publishing a key set that a test may change, or make fail.
type idp struct {
	srv    *httptest.Server
	hits   atomic.Int64
	mu     sync.Mutex
	body   []byte
	status int
}

func newIDP(t *testing.T, tls bool, body []byte) *idp {
	t.Helper()
	p := &idp{body: body, status: http.StatusOK}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.hits.Add(1)
		p.mu.Lock()
		body, status := p.body, p.status
		p.mu.Unlock()
		w.Header().Set("Content-Type", "application/jwk-set+json")
		w.WriteHeader(status)
		w.Write(body)
	})
	if tls {
		p.srv = httptest.NewTLSServer(h)
	} else {
		p.srv = httptest.NewServer(h)
	}
	t.Cleanup(p.srv.Close)
	return p
}

func (p *idp) serve(status int, body []byte) {
	p.mu.Lock()
	p.status, p.body = status, body
	p.mu.Unlock()
}

// logBuffer collects the verifier's log lines, written from its goroutine.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// newJWKS starts a verifier of p's key set, closed when the test ends.
func newJWKS(t *testing.T, p *idp, cfg JWKSConfig) (*JWKS, *logBuffer) {
	t.Helper()
	logs := &logBuffer{}
	cfg.URL = p.srv.URL + "/.well-known/jwks.json"
	cfg.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	if p.srv.TLS != nil {
		cfg.Transport = p.srv.Client().Transport
	}
	j, err := NewJWKS(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(j.Close)
	return j, logs
}

// signKid signs claims with key and method, naming kid in the header ("" for none).
func signKid(t testing.TB, method jwt.SigningMethod, key any, kid string, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(method, claims)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func idpClaims() jwt.MapClaims {
	return jwt.MapClaims{"iss": testIssuer, "aud": "hubbub", "sub": "user-7", "name": "ann",
		"exp": time.Now().Add(time.Hour).Unix(), "iat": time.Now().Unix()}
}

func TestJWKSVerifiesEachAlgorithm(t *testing.T) {
	p := newIDP(t, true, keySetJSON(jwkOf("r1", testRSA()), jwkOf("e1", testEC()), jwkOf("d1", testEd())))
	j, logs := newJWKS(t, p, JWKSConfig{Options: Options{Issuer: testIssuer, Audience: "hubbub"}})
	for _, tc := range []struct {
		method jwt.SigningMethod
		key    any
		kid    string
	}{
		{jwt.SigningMethodRS256, testRSA(), "r1"},
		{jwt.SigningMethodES256, testEC(), "e1"},
		{jwt.SigningMethodEdDSA, testEd(), "d1"},
	} {
		c, err := j.Verify(signKid(t, tc.method, tc.key, tc.kid, idpClaims()))
		if err != nil {
			t.Fatalf("%s: %v", tc.method.Alg(), err)
		}
		if c.Issuer != testIssuer || c.UserID != "user-7" || c.Name != "ann" || c.Role != RoleMember {
			t.Fatalf("%s: claims %+v", tc.method.Alg(), c)
		}
	}
	if n := p.hits.Load(); n != 1 {
		t.Fatalf("the key set was fetched %d times for three tokens of known keys", n)
	}
	if l := logs.String(); !strings.Contains(l, "token keys fetched") || !strings.Contains(l, "RS256:r1") {
		t.Fatalf("logs: %s", l)
	}

	// An OpenID Connect token may carry preferred_username instead of name, and no kid when
	// the set holds one key of its algorithm.
	c := idpClaims()
	delete(c, "name")
	c["preferred_username"] = "bob"
	got, err := j.Verify(signKid(t, jwt.SigningMethodEdDSA, testEd(), "", c))
	if err != nil || got.Name != "bob" {
		t.Fatalf("preferred_username, no kid: %+v %v", got, err)
	}
}

func TestJWKSRefuses(t *testing.T) {
	p := newIDP(t, false, keySetJSON(jwkOf("r1", testRSA()), jwkOf("r2", testRSA2()), jwkOf("e1", testEC()), jwkOf("d1", testEd())))
	j, _ := newJWKS(t, p, JWKSConfig{MinRefresh: time.Hour, Options: Options{Issuer: testIssuer, Audience: "hubbub"}})
	with := func(mod func(jwt.MapClaims)) jwt.MapClaims {
		c := idpClaims()
		mod(c)
		return c
	}
	otherRSA := mustKey(rsa.GenerateKey(rand.Reader, 2048))
	// The public key as an attacker would feed it to an HMAC: the bytes anyone can download.
	pubDER := mustKey(x509.MarshalPKIXPublicKey(&testRSA().PublicKey))
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})
	good := signKid(t, jwt.SigningMethodRS256, testRSA(), "r1", idpClaims())
	parts := strings.Split(good, ".")
	cases := []struct {
		name, token, want string
		kind              error
	}{
		{"wrong key", signKid(t, jwt.SigningMethodRS256, otherRSA, "r1", idpClaims()), "signature", ErrInvalid},
		{"another key of the set", signKid(t, jwt.SigningMethodRS256, testRSA2(), "r1", idpClaims()), "signature", ErrInvalid},
		{"HS256 with the public key (PEM) as secret", signKid(t, jwt.SigningMethodHS256, pubPEM, "r1", idpClaims()), "not signed with RS256, ES256 or EdDSA", ErrInvalid},
		{"HS256 with the public key (DER) as secret", signKid(t, jwt.SigningMethodHS256, pubDER, "r1", idpClaims()), "not signed with RS256", ErrInvalid},
		{"alg none", signKid(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, "r1", idpClaims()), "not signed with", ErrInvalid},
		{"alg none hand-made", b64([]byte(`{"alg":"none","kid":"r1"}`)) + "." + parts[1] + ".", "not signed with", ErrInvalid},
		{"RS256 header on an EC key", b64([]byte(`{"alg":"RS256","kid":"e1"}`)) + "." + parts[1] + "." + parts[2], "is a ES256 key, not RS256", ErrInvalid},
		{"ES256 header on an RSA key", signKid(t, jwt.SigningMethodES256, testEC(), "r1", idpClaims()), "is a RS256 key, not ES256", ErrInvalid},
		{"EdDSA header on an RSA key", signKid(t, jwt.SigningMethodEdDSA, testEd(), "r1", idpClaims()), "is a RS256 key, not EdDSA", ErrInvalid},
		{"PS256", signKid(t, jwt.SigningMethodPS256, testRSA(), "r1", idpClaims()), "not signed with", ErrInvalid},
		{"RS512", signKid(t, jwt.SigningMethodRS512, testRSA(), "r1", idpClaims()), "not signed with", ErrInvalid},
		{"expired", signKid(t, jwt.SigningMethodES256, testEC(), "e1", with(func(c jwt.MapClaims) { c["exp"] = time.Now().Add(-time.Minute).Unix() })), "expired", ErrExpired},
		{"no exp", signKid(t, jwt.SigningMethodES256, testEC(), "e1", with(func(c jwt.MapClaims) { delete(c, "exp") })), "no expiry", ErrInvalid},
		{"wrong audience", signKid(t, jwt.SigningMethodRS256, testRSA(), "r1", with(func(c jwt.MapClaims) { c["aud"] = []string{"another-app"} })), "not meant for this server", ErrInvalid},
		{"no audience", signKid(t, jwt.SigningMethodRS256, testRSA(), "r1", with(func(c jwt.MapClaims) { delete(c, "aud") })), "no audience", ErrInvalid},
		{"wrong issuer", signKid(t, jwt.SigningMethodEdDSA, testEd(), "d1", with(func(c jwt.MapClaims) { c["iss"] = "https://evil.example" })), "issuer", ErrInvalid},
		{"no issuer", signKid(t, jwt.SigningMethodEdDSA, testEd(), "d1", with(func(c jwt.MapClaims) { delete(c, "iss") })), "no issuer", ErrInvalid},
		{"no sub", signKid(t, jwt.SigningMethodEdDSA, testEd(), "d1", with(func(c jwt.MapClaims) { delete(c, "sub") })), "user id", ErrInvalid},
		{"no kid, several RSA keys", signKid(t, jwt.SigningMethodRS256, testRSA(), "", idpClaims()), "several RS256 keys", ErrInvalid},
		{"crit header", b64([]byte(`{"alg":"RS256","kid":"r1","crit":["exp"]}`)) + "." + parts[1] + "." + parts[2], "crit", ErrInvalid},
		{"tampered payload", parts[0] + "." + b64([]byte(`{"iss":"`+testIssuer+`","aud":"hubbub","sub":"admin","name":"root","exp":9999999999}`)) + "." + parts[2], "signature", ErrInvalid},
		{"garbage", "a.b.c", "malformed", ErrInvalid},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := j.Verify(tc.token)
			if err == nil {
				t.Fatal("accepted")
			}
			if !errors.Is(err, tc.kind) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q, want %v mentioning %q", err, tc.kind, tc.want)
			}
		})
	}
	if n := p.hits.Load(); n != 1 {
		t.Fatalf("refused tokens of known keys fetched the set again (%d fetches)", n)
	}
}

// A key rotation: the provider publishes a new key and signs with it; the first token naming
// it makes the server fetch the set again, at once, and it verifies.
func TestJWKSRotatedKey(t *testing.T) {
	p := newIDP(t, false, keySetJSON(jwkOf("2026-11", testRSA())))
	j, logs := newJWKS(t, p, JWKSConfig{MinRefresh: time.Hour})
	old := signKid(t, jwt.SigningMethodRS256, testRSA(), "2026-11", idpClaims())
	if _, err := j.Verify(old); err != nil {
		t.Fatal(err)
	}
	p.serve(http.StatusOK, keySetJSON(jwkOf("2026-12", testRSA2())))
	c, err := j.Verify(signKid(t, jwt.SigningMethodRS256, testRSA2(), "2026-12", idpClaims()))
	if err != nil {
		t.Fatalf("a token of the new key: %v", err)
	}
	if c.UserID != "user-7" || p.hits.Load() != 2 {
		t.Fatalf("claims %+v after %d fetches", c, p.hits.Load())
	}
	if !strings.Contains(logs.String(), "token keys changed") {
		t.Fatalf("the rotation is not logged: %s", logs.String())
	}
	// The retired key is gone, and its token does not cause another fetch within MinRefresh.
	if _, err := j.Verify(old); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "not one the server knows") {
		t.Fatalf("a token of the retired key: %v", err)
	}
	if n := p.hits.Load(); n != 2 {
		t.Fatalf("%d fetches", n)
	}
}

// An unknown kid fetches the set again at most once per MinRefresh, however many tokens name
// one: forged kids cannot make the server hammer the identity provider. The regular refresh
// still brings new keys.
func TestJWKSUnknownKidRateLimited(t *testing.T) {
	p := newIDP(t, false, keySetJSON(jwkOf("a", testEC())))
	j, _ := newJWKS(t, p, JWKSConfig{MinRefresh: time.Hour, Refresh: time.Hour})
	for i := range 20 {
		_, err := j.Verify(signKid(t, jwt.SigningMethodES256, testEC(), "forged-"+string(rune('a'+i)), idpClaims()))
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "not one the server knows") {
			t.Fatalf("token %d of an unknown kid: %v", i, err)
		}
	}
	if n := p.hits.Load(); n != 2 {
		t.Fatalf("20 unknown kids made %d fetches, want 1 after the first", n)
	}

	// With a short Refresh the new key arrives without any token asking.
	p2 := newIDP(t, false, keySetJSON(jwkOf("a", testEC())))
	j2, _ := newJWKS(t, p2, JWKSConfig{MinRefresh: time.Hour, Refresh: 20 * time.Millisecond})
	testwait.Until(t, "the first fetch", func() bool { return p2.hits.Load() >= 1 })
	p2.serve(http.StatusOK, keySetJSON(jwkOf("b", testEd())))
	tok := signKid(t, jwt.SigningMethodEdDSA, testEd(), "b", idpClaims())
	testwait.Until(t, "the refreshed set to verify the new key", func() bool {
		_, err := j2.Verify(tok)
		return err == nil
	})
}

// The identity provider is down when the server starts: tokens are refused with a clear,
// retryable error, the log says why, and once the provider answers, tokens verify.
func TestJWKSEndpointDownAtStart(t *testing.T) {
	p := newIDP(t, false, []byte("upstream down"))
	p.serve(http.StatusServiceUnavailable, []byte("upstream down"))
	j, logs := newJWKS(t, p, JWKSConfig{MinRefresh: time.Millisecond, Timeout: 2 * time.Second})
	tok := signKid(t, jwt.SigningMethodRS256, testRSA(), "r1", idpClaims())
	_, err := j.Verify(tok)
	if !errors.Is(err, ErrUnavailable) || errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "try again later") {
		t.Fatalf("while the provider is down: %v", err)
	}
	if strings.Contains(err.Error(), p.srv.URL) {
		t.Fatalf("the client's error names the key URL: %v", err)
	}
	testwait.Until(t, "the failure in the log", func() bool {
		l := logs.String()
		return strings.Contains(l, "cannot fetch the token keys") && strings.Contains(l, "503")
	})
	p.serve(http.StatusOK, keySetJSON(jwkOf("r1", testRSA())))
	testwait.Until(t, "a token to verify once the provider is back", func() bool {
		_, err := j.Verify(tok)
		return err == nil
	})

	// A provider that never answers: NewJWKS on a closed port retries too, and says so.
	dead := httptest.NewServer(http.NotFoundHandler())
	url := dead.URL
	dead.Close()
	logs2 := &logBuffer{}
	j2, err := NewJWKS(context.Background(), JWKSConfig{URL: url, MinRefresh: time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(logs2, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer j2.Close()
	if _, err := j2.Verify(tok); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("no provider: %v", err)
	}
	testwait.Until(t, "two failures in the log", func() bool {
		return strings.Count(logs2.String(), "cannot fetch the token keys") >= 2
	})
}

// Fetched hears of every fetch, with the keys in use after it: a failed fetch keeps them.
func TestJWKSFetchedHook(t *testing.T) {
	p := newIDP(t, false, keySetJSON(jwkOf("a", testEd()), jwkOf("b", testEC())))
	type fetch struct {
		failed bool
		keys   int
	}
	got := make(chan fetch, 10)
	j, _ := newJWKS(t, p, JWKSConfig{MinRefresh: time.Hour, Fetched: func(err error, keys int) { got <- fetch{err != nil, keys} }})
	if f := <-got; f != (fetch{false, 2}) {
		t.Fatalf("first fetch: %+v", f)
	}
	p.serve(http.StatusInternalServerError, nil)
	j.Verify(signKid(t, jwt.SigningMethodEdDSA, testEd(), "c", idpClaims())) // an unknown kid: fetch again
	if f := <-got; f != (fetch{true, 2}) {
		t.Fatalf("failed fetch: %+v", f)
	}
}

// A bad answer is an error in the log and leaves the keys of the last good one in use.
func TestJWKSMalformed(t *testing.T) {
	good := keySetJSON(jwkOf("r1", testRSA()))
	tok := signKid(t, jwt.SigningMethodRS256, testRSA(), "r1", idpClaims())
	many := make([]map[string]any, 5)
	for i := range many {
		many[i] = jwkOf(string(rune('a'+i)), testEd())
	}
	for _, tc := range []struct {
		name string
		body []byte
		want string
	}{
		{"not JSON", []byte("<html>sign in</html>"), "not a JSON key set"},
		{"no keys list", []byte(`{"issuer":"x"}`), "the keys member is missing"},
		{"keys not a list", []byte(`{"keys":{"kty":"RSA"}}`), "not a JSON key set"},
		{"no usable key", keySetJSON(map[string]any{"kty": "oct", "k": "c2VjcmV0"}), "no usable"},
		{"too many keys", keySetJSON(many...), "more than the 4 allowed"},
		{"too large", append(append([]byte(`{"keys":[],"pad":"`), bytes.Repeat([]byte("x"), 5000)...), `"}`...), "larger than 4096 bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newIDP(t, false, tc.body)
			j, logs := newJWKS(t, p, JWKSConfig{MaxKeys: 4, MaxBytes: 4096, MinRefresh: time.Hour})
			if _, err := j.Verify(tok); !errors.Is(err, ErrUnavailable) {
				t.Fatalf("with a bad first answer: %v", err)
			}
			if l := logs.String(); !strings.Contains(l, tc.want) {
				t.Fatalf("log does not say %q: %s", tc.want, l)
			}

			// After a good answer, a bad one keeps the good keys.
			p2 := newIDP(t, false, good)
			j2, logs2 := newJWKS(t, p2, JWKSConfig{MaxKeys: 4, MaxBytes: 4096, MinRefresh: time.Hour})
			if _, err := j2.Verify(tok); err != nil {
				t.Fatal(err)
			}
			p2.serve(http.StatusOK, tc.body)
			// An unknown kid makes it fetch the bad answer.
			if _, err := j2.Verify(signKid(t, jwt.SigningMethodRS256, testRSA(), "r9", idpClaims())); !errors.Is(err, ErrInvalid) {
				t.Fatalf("unknown kid: %v", err)
			}
			if n := p2.hits.Load(); n != 2 {
				t.Fatalf("%d fetches", n)
			}
			if _, err := j2.Verify(tok); err != nil {
				t.Fatalf("the good key is lost after a bad answer: %v", err)
			}
			if l := logs2.String(); !strings.Contains(l, tc.want) {
				t.Fatalf("log does not say %q: %s", tc.want, l)
			}
		})
	}
}

func TestParseKeySetSkips(t *testing.T) {
	good := jwkOf("ok", testEd())
	rsaKey := jwkOf("r", testRSA())
	mod := func(k map[string]any, kv ...any) map[string]any {
		c := map[string]any{}
		for n, v := range k {
			c[n] = v
		}
		for i := 0; i < len(kv); i += 2 {
			if kv[i+1] == nil {
				delete(c, kv[i].(string))
			} else {
				c[kv[i].(string)] = kv[i+1]
			}
		}
		return c
	}
	small := make([]byte, 128) // a 1024-bit modulus
	small[0] = 0x80
	p384 := mustKey(ecdsa.GenerateKey(elliptic.P384(), rand.Reader))
	for _, tc := range []struct {
		name string
		key  any
		want string
	}{
		{"symmetric", map[string]any{"kty": "oct", "kid": "s", "k": "c2VjcmV0"}, `key type "oct"`},
		{"private key", mod(rsaKey, "d", "AQAB"), "private key"},
		{"encryption key", mod(rsaKey, "use", "enc"), `use is "enc"`},
		{"key_ops without verify", mod(rsaKey, "key_ops", []string{"encrypt"}), "key_ops"},
		{"RSA too small", mod(rsaKey, "n", b64(small)), "fewer than 2048"},
		{"RSA even exponent", mod(rsaKey, "e", b64([]byte{1, 0, 0})), "exponent"},
		{"RSA exponent 1", mod(rsaKey, "e", "AQ"), "exponent"},
		{"RSA huge exponent", mod(rsaKey, "e", b64([]byte{1, 0, 0, 0, 1})), "exponent"},
		{"RSA no n", mod(rsaKey, "n", nil), "no n"},
		{"RSA n not base64", mod(rsaKey, "n", "!!!"), "not base64url"},
		{"RSA with alg PS256", mod(rsaKey, "alg", "PS256"), `alg "PS256"`},
		{"RSA with alg ES256", mod(rsaKey, "alg", "ES256"), `alg "ES256"`},
		{"P-384", mod(jwkOf("p", p384), "crv", "P-384"), `curve "P-384"`},
		{"P-256 point off the curve", mod(jwkOf("e", testEC()), "y", b64(make([]byte, 32))), "not on the P-256 curve"},
		{"P-256 short coordinate", mod(jwkOf("e", testEC()), "x", b64(make([]byte, 31))), "32 bytes"},
		{"X25519", mod(good, "crv", "X25519"), `curve "X25519"`},
		{"Ed25519 short", mod(good, "x", b64(make([]byte, 31))), "31 bytes"},
		{"Ed25519 with alg Ed448", mod(good, "alg", "Ed448"), `alg "Ed448"`},
		{"duplicate kid", mod(good, "x", b64(make([]byte, 32))), "another EdDSA key has that kid"},
		{"not an object", []int{1}, "not a JSON key object"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc, _ := json.Marshal(map[string]any{"keys": []any{good, tc.key}})
			set, skipped, err := parseKeySet(doc, 10)
			if err != nil {
				t.Fatal(err)
			}
			if len(set.keys) != 1 || set.keys[0].kid != "ok" || len(skipped) != 1 || !strings.Contains(skipped[0], tc.want) {
				t.Fatalf("keys %v, skipped %q; want one skipped for %q", set.kids(), skipped, tc.want)
			}
		})
	}
}

// Either: HS256 tokens meet the secret, the others the key set; an HS256 token made with the
// set's public key as its secret meets the real secret and fails.
func TestEither(t *testing.T) {
	p := newIDP(t, false, keySetJSON(jwkOf("r1", testRSA())))
	j, _ := newJWKS(t, p, JWKSConfig{})
	h, err := NewHMACWith(testSecret, Options{})
	if err != nil {
		t.Fatal(err)
	}
	e := Either{HMAC: h, JWKS: j}
	hs, err := Mint(testSecret, Claims{UserID: "u-1", Name: "ann"}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if c, err := e.Verify(hs); err != nil || c.Issuer != "" || c.UserID != "u-1" {
		t.Fatalf("HS256: %+v %v", c, err)
	}
	if c, err := e.Verify(signKid(t, jwt.SigningMethodRS256, testRSA(), "r1", idpClaims())); err != nil || c.Issuer != testIssuer {
		t.Fatalf("RS256: %+v %v", c, err)
	}
	pubDER := mustKey(x509.MarshalPKIXPublicKey(&testRSA().PublicKey))
	for name, tok := range map[string]string{
		"HS256 with the public key": signKid(t, jwt.SigningMethodHS256, pubDER, "r1", idpClaims()),
		"HS256 with an iss":         sign(t, jwt.SigningMethodHS256, []byte("another secret that is 32 bytes!"), idpClaims()),
		"alg none":                  signKid(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, "r1", idpClaims()),
		"HS512":                     sign(t, jwt.SigningMethodHS512, testSecret, validClaims()),
	} {
		if c, err := e.Verify(tok); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: accepted %+v (%v)", name, c, err)
		}
	}
}

// The issuer and audience checks apply to HS256 tokens too; their Issuer stays "".
func TestHMACIssuerAudience(t *testing.T) {
	h, err := NewHMACWith(testSecret, Options{Issuer: "my-app", Audience: "chat"})
	if err != nil {
		t.Fatal(err)
	}
	claims := func(iss, aud string) jwt.MapClaims {
		c := validClaims()
		if iss != "" {
			c["iss"] = iss
		}
		if aud != "" {
			c["aud"] = aud
		}
		return c
	}
	c, err := h.Verify(sign(t, jwt.SigningMethodHS256, testSecret, claims("my-app", "chat")))
	if err != nil || c.Issuer != "" {
		t.Fatalf("right issuer and audience: %+v %v", c, err)
	}
	for _, tc := range []struct{ iss, aud, want string }{
		{"other", "chat", "issuer"},
		{"", "chat", "no issuer"},
		{"my-app", "other", "not meant for this server"},
		{"my-app", "", "no audience"},
	} {
		if _, err := h.Verify(sign(t, jwt.SigningMethodHS256, testSecret, claims(tc.iss, tc.aud))); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("iss %q aud %q: %v, want %q", tc.iss, tc.aud, err, tc.want)
		}
	}
}

func TestNewJWKSChecksConfig(t *testing.T) {
	for _, cfg := range []JWKSConfig{
		{URL: ""},
		{URL: "ftp://idp.example/keys"},
		{URL: "https:///keys"},
		{URL: "https://idp.example/keys", Refresh: -time.Second},
		{URL: "https://idp.example/keys", MaxKeys: -1},
	} {
		if j, err := NewJWKS(context.Background(), cfg); err == nil {
			j.Close()
			t.Errorf("NewJWKS(%+v) worked", cfg)
		}
	}
}

// The fetching ends with the context it was started with, as with the server that owns it.
func TestJWKSEndsWithItsContext(t *testing.T) {
	p := newIDP(t, false, keySetJSON(jwkOf("r1", testRSA())))
	ctx, cancel := context.WithCancel(context.Background())
	j, err := NewJWKS(ctx, JWKSConfig{URL: p.srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	tok := signKid(t, jwt.SigningMethodRS256, testRSA(), "r1", idpClaims())
	if _, err := j.Verify(tok); err != nil {
		t.Fatal(err)
	}
	cancel()
	<-j.done
	j.client.CloseIdleConnections()
	if _, err := j.Verify(tok); err != nil {
		t.Fatalf("keys fetched before the end no longer verify: %v", err)
	}
}
