package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/gorilla/websocket"

	"hubbub"
)

// A server started with --jwks-url alone (from its environment) requires tokens and verifies
// them with the keys a real HTTP server publishes: a WebSocket client with a token signed by
// the provider gets in, one with a token signed by another key, for another audience, or in
// HS256 with a guessed secret gets unauthorized.
func TestServeWithJWKS(t *testing.T) {
	_, edKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	b64 := base64.RawURLEncoding.EncodeToString
	x, y := make([]byte, 32), make([]byte, 32)
	ecKey.X.FillBytes(x)
	ecKey.Y.FillBytes(y)
	set, _ := json.Marshal(map[string]any{"keys": []any{
		map[string]any{"kty": "OKP", "crv": "Ed25519", "kid": "ed-1", "x": b64(edKey.Public().(ed25519.PublicKey))},
		map[string]any{"kty": "EC", "crv": "P-256", "kid": "ec-1", "x": b64(x), "y": b64(y)},
	}})
	var down atomic.Bool
	idp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if down.Load() {
			http.Error(w, "down", http.StatusBadGateway)
			return
		}
		w.Write(set)
	}))
	defer idp.Close()

	t.Setenv("HUBBUB_JWKS_URL", idp.URL+"/keys")
	t.Setenv("HUBBUB_TOKEN_SECRET", "")
	addr := serveForTest(t, "--data", filepath.Join(t.TempDir(), "h.db"),
		"--token-issuer", "https://idp.example", "--token-audience", "chat")

	sign := func(method jwt.SigningMethod, key any, kid string, mod func(jwt.MapClaims)) string {
		c := jwt.MapClaims{"iss": "https://idp.example", "aud": "chat", "sub": "idp|42", "name": "Ann",
			"exp": time.Now().Add(time.Hour).Unix()}
		if mod != nil {
			mod(c)
		}
		tok := jwt.NewWithClaims(method, c)
		tok.Header["kid"] = kid
		s, err := tok.SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	// hello dials /ws with the token in ?token= and says hello; it returns the first frame.
	hello := func(token string) map[string]any {
		t.Helper()
		d := websocket.Dialer{Subprotocols: []string{hubbub.ProtocolJSON}, HandshakeTimeout: 10 * time.Second}
		ws, _, err := d.Dial("ws://"+addr+"/ws?token="+token, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer ws.Close()
		if err := ws.WriteJSON(map[string]any{"type": "hello"}); err != nil {
			t.Fatal(err)
		}
		ws.SetReadDeadline(time.Now().Add(20 * time.Second))
		var f map[string]any
		if err := ws.ReadJSON(&f); err != nil {
			t.Fatal(err)
		}
		return f
	}

	for _, tok := range []string{sign(jwt.SigningMethodEdDSA, edKey, "ed-1", nil), sign(jwt.SigningMethodES256, ecKey, "ec-1", nil)} {
		if f := hello(tok); f["type"] != "welcome" || f["name"] != "Ann" {
			t.Fatalf("a token of the provider: %v", f)
		}
	}
	_, otherKey, _ := ed25519.GenerateKey(rand.Reader)
	for name, tok := range map[string]string{
		"another key":        sign(jwt.SigningMethodEdDSA, otherKey, "ed-1", nil),
		"another audience":   sign(jwt.SigningMethodEdDSA, edKey, "ed-1", func(c jwt.MapClaims) { c["aud"] = "billing" }),
		"another issuer":     sign(jwt.SigningMethodEdDSA, edKey, "ed-1", func(c jwt.MapClaims) { c["iss"] = "https://evil.example" }),
		"HS256, no secret":   sign(jwt.SigningMethodHS256, []byte("a guess at the secret, 32 bytes.."), "ed-1", nil),
		"expired":            sign(jwt.SigningMethodES256, ecKey, "ec-1", func(c jwt.MapClaims) { c["exp"] = time.Now().Add(-time.Hour).Unix() }),
		"no token":           "",
		"a token of garbage": "x.y.z",
	} {
		if f := hello(tok); f["type"] != "error" || f["code"] != hubbub.ECodeUnauthorized {
			t.Errorf("%s: %v", name, f)
		}
	}

	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{"hubbub_jwks_keys 2", `hubbub_jwks_fetches_total{result="ok"} 1`} {
		if !strings.Contains(string(metrics), want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}

	// While the provider is down, the keys in hand stay in use, and a token of a key never
	// published (which makes the server try the provider again) is unauthorized.
	down.Store(true)
	if f := hello(sign(jwt.SigningMethodEdDSA, otherKey, "ed-2", nil)); f["type"] != "error" || f["code"] != hubbub.ECodeUnauthorized ||
		!strings.Contains(f["message"].(string), "ed-2") {
		t.Errorf("an unknown key: %v", f)
	}
	if f := hello(sign(jwt.SigningMethodEdDSA, edKey, "ed-1", nil)); f["type"] != "welcome" {
		t.Errorf("a known key while the provider is down: %v", f)
	}
}

// A JWKS answer the provider cannot give at start leaves the server up; its clients are told
// to try again (unavailable), and the log says why.
func TestServeWithJWKSDown(t *testing.T) {
	idp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "down", http.StatusServiceUnavailable)
	}))
	defer idp.Close()
	addr := serveForTest(t, "--data", filepath.Join(t.TempDir(), "h.db"), "--jwks-url", idp.URL, "--jwks-timeout", "2s")
	d := websocket.Dialer{Subprotocols: []string{hubbub.ProtocolJSON}}
	ws, _, err := d.Dial("ws://"+addr+"/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	_, edKey, _ := ed25519.GenerateKey(rand.Reader)
	tok, _ := jwt.NewWithClaims(jwt.SigningMethodEdDSA, jwt.MapClaims{"iss": "i", "sub": "s", "name": "n",
		"exp": time.Now().Add(time.Hour).Unix()}).SignedString(edKey)
	ws.WriteJSON(map[string]any{"type": "hello", "token": tok})
	ws.SetReadDeadline(time.Now().Add(20 * time.Second))
	var f map[string]any
	if err := ws.ReadJSON(&f); err != nil {
		t.Fatal(err)
	}
	if f["type"] != "error" || f["code"] != hubbub.ECodeUnavailable || !strings.Contains(f["message"].(string), "try again later") {
		t.Fatalf("hello while the provider is down: %v", f)
	}
}

func TestServeJWKSFlagErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--jwks-url", "ftp://idp.example/keys"}, "--jwks-url"},
		{[]string{"--jwks-url", "https://idp.example/keys", "--jwks-refresh", "-1s"}, "jwks-refresh"},
		{[]string{"--token-audience", "chat"}, "need tokens"},
	} {
		err := run(context.Background(), append([]string{"serve", "--port", "0", "--data", filepath.Join(t.TempDir(), "x.db")}, tc.args...),
			stdio{out: io.Discard, err: io.Discard})
		if err == nil || exitCode(err) != 2 || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("serve %q: %v, want a usage error about %q", tc.args, err, tc.want)
		}
	}
}

// --print-config shows the JWKS settings and the issuer and audience (public names, unlike
// the token secret), without fetching anything.
func TestPrintConfigShowsJWKSSettings(t *testing.T) {
	var out bytes.Buffer
	err := run(context.Background(), []string{"serve", "--jwks-url", "https://login.example.invalid/keys",
		"--token-issuer", "https://login.example.invalid/", "--token-audience", "chat", "--jwks-refresh", "30m", "--print-config"},
		stdio{in: strings.NewReader(""), out: &out, err: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"jwks-url = https://login.example.invalid/keys", "token-issuer = https://login.example.invalid/",
		"token-audience = chat", "jwks-refresh = 30m0s", "jwks-min-refresh = 1m0s"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("--print-config lacks %q:\n%s", want, out.String())
		}
	}
}
