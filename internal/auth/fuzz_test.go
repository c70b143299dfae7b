package auth

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// FuzzVerify feeds arbitrary strings to Verify: it must never panic, and whatever it accepts
// must be an HS256 token signed with the secret, with an exp in the future and valid claims.
func FuzzVerify(f *testing.F) {
	good, err := Mint(testSecret, Claims{UserID: "u-1", Name: "ann", Role: RoleAdmin, Rooms: []string{"a"}}, time.Hour)
	if err != nil {
		f.Fatal(err)
	}
	parts := strings.Split(good, ".")
	b64 := base64.RawURLEncoding.EncodeToString
	none, _ := jwt.NewWithClaims(jwt.SigningMethodNone, validClaims()).SignedString(jwt.UnsafeAllowNoneSignatureType)
	for _, s := range []string{
		good, none, "", ".", "..", "a.b.c", parts[0] + "." + parts[1] + ".",
		b64([]byte(`{"alg":"HS256"}`)) + "." + b64([]byte(`{"exp":1e400}`)) + "." + parts[2],
		b64([]byte(`{"alg":"none"}`)) + "." + parts[1] + ".",
		b64([]byte(`{"alg":"RS256","typ":"JWT"}`)) + "." + parts[1] + "." + parts[2],
		parts[0] + "." + b64([]byte(`{"sub":"x","name":"y","exp":null}`)) + "." + parts[2],
		strings.Repeat("eyJ", 100),
	} {
		f.Add(s)
	}
	v := newVerifier(f, nil)
	f.Fuzz(func(t *testing.T, token string) {
		c, err := v.Verify(token)
		if err != nil {
			return
		}
		p := strings.Split(token, ".")
		if len(p) != 3 {
			t.Fatalf("accepted a token with %d parts", len(p))
		}
		hdr, err := jwt.NewParser().DecodeSegment(p[0])
		if err != nil || !strings.Contains(string(hdr), `"HS256"`) {
			t.Fatalf("accepted header %q", hdr)
		}
		if c.ExpiresAt.IsZero() || time.Now().After(c.ExpiresAt.Add(Leeway)) {
			t.Fatalf("accepted a token without a future exp: %+v", c)
		}
		if c.UserID == "" || c.Name == "" || c.Role == "" {
			t.Fatalf("accepted incomplete claims %+v", c)
		}
	})
}

// FuzzParseJWKS feeds arbitrary documents to the key set parser, which reads what an identity
// provider (or whoever answers at its URL) sends: it must never panic, and every key it returns
// must be of the one type its algorithm verifies with.
func FuzzParseJWKS(f *testing.F) {
	for _, seed := range [][]byte{
		keySetJSON(jwkOf("r", testRSA()), jwkOf("e", testEC()), jwkOf("d", testEd())),
		[]byte(`{"keys":[]}`), []byte(`{"keys":null}`), []byte(`{}`), []byte(`[]`), []byte(``),
		[]byte(`{"keys":[{"kty":"RSA","n":"AQAB","e":"AQAB"}]}`),
		[]byte(`{"keys":[{"kty":"EC","crv":"P-256","x":"","y":""}]}`),
		[]byte(`{"keys":[{"kty":"OKP","crv":"Ed25519","x":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}]}`),
		[]byte(`{"keys":[{"kty":"OKP","crv":"Ed25519","x":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA","kid":"a"},{"kty":"OKP","crv":"Ed25519","x":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA","kid":"a"}]}`),
		[]byte(`{"keys":[{"kty":"RSA","e":"AQAB","n":"` + strings.Repeat("A", 1500) + `"}]}`),
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		set, _, err := parseKeySet(doc, 8)
		if err != nil {
			return
		}
		if len(set.keys) == 0 || len(set.keys) > 8 {
			t.Fatalf("%d keys without an error", len(set.keys))
		}
		for _, k := range set.keys {
			ok := false
			switch k.alg {
			case algRS256:
				_, ok = k.key.(*rsa.PublicKey)
			case algES256:
				_, ok = k.key.(*ecdsa.PublicKey)
			case algEdDSA:
				_, ok = k.key.(ed25519.PublicKey)
			}
			if !ok {
				t.Fatalf("key %q: alg %s with a %T", k.kid, k.alg, k.key)
			}
			if k.kid != "" && set.byKid[k.alg+"\x00"+k.kid] != k {
				t.Fatalf("key %q is not found by its kid", k.kid)
			}
		}
	})
}
