package session_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/gorilla/websocket"

	"hubbub"
	"hubbub/internal/auth"
	"hubbub/internal/server"
	"hubbub/internal/servertest"
)

var tokenSecret = []byte("a test secret of at least 32 bytes, for HS256")

// tokenServer starts a server that requires tokens signed with tokenSecret.
func tokenServer(t *testing.T) *servertest.Server {
	t.Helper()
	v, err := auth.NewHMAC(tokenSecret, nil)
	if err != nil {
		t.Fatal(err)
	}
	return servertest.Start(t, servertest.Options{Server: server.Config{Tokens: v}})
}

func mint(t *testing.T, user, name string, ttl time.Duration, rooms ...string) string {
	t.Helper()
	tok, err := auth.Mint(tokenSecret, auth.Claims{UserID: user, Name: name, Rooms: rooms}, ttl)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// dialJSONWith connects a hubbub.v1 client to /ws with an extra query and headers.
func dialJSONWith(t *testing.T, s *servertest.Server, query string, h http.Header) *servertest.JSONClient {
	t.Helper()
	u := s.WS
	if query != "" {
		u += "?" + query
	}
	return servertest.NewJSONClient(t, servertest.Dial(t, u, hubbub.ProtocolJSON, h))
}

// hello says hello and returns the welcome or error frame.
func hello(c *servertest.JSONClient, name, token string) servertest.Frame {
	f := servertest.Frame{"type": "hello", "name": name, "key": "client-key-" + name}
	if token != "" {
		f["token"] = token
	}
	c.Send(f)
	return c.AwaitFunc("welcome or error", func(f servertest.Frame) bool { return f.Type() == "welcome" || f.Type() == "error" })
}

func expectError(t *testing.T, f servertest.Frame, code, text string) {
	t.Helper()
	if f.Type() != "error" || f.Str("code") != code || !strings.Contains(f.Str("message"), text) {
		t.Fatalf("want error %s mentioning %q, got %v", code, text, f)
	}
}

func TestTokenNameComesFromToken(t *testing.T) {
	s := tokenServer(t)
	ann := servertest.DialJSON(t, s, "")
	w := hello(ann, "mallory", mint(t, "u-1", "Ann", time.Hour))
	if w.Type() != "welcome" || w.Str("name") != "Ann" {
		t.Fatalf("welcome = %v", w)
	}
	ann.Join("general", nil)
	// A second connection of the same user shares the name; the client key does not matter.
	ann2 := servertest.DialJSON(t, s, "")
	ann2.Send(servertest.Frame{"type": "hello", "token": mint(t, "u-1", "Ann", time.Hour)}) // no name needed
	ann2.Await("welcome")
	if j := ann2.Join("general", nil); j.Type() != "joined" {
		t.Fatalf("same user, second connection: %v", j)
	}
	// Another user whose token has the same display name is someone else, and a name is one
	// user's, server-wide: refused at hello, in every room.
	fake := servertest.DialJSON(t, s, "")
	expectError(t, hello(fake, "x", mint(t, "u-2", "Ann", time.Hour)), hubbub.ECodeNameTaken, "belongs to another user")

	ack := ann.Say("general", "c1", "hi")
	if ack.Type() != "ack" {
		t.Fatalf("ack = %v", ack)
	}
	if m := ann2.Messages("general", 1)[0]; m.Str("from") != "Ann" || m.Str("text") != "hi" {
		t.Fatalf("message = %v", m)
	}
}

func TestTokenRequiredAndRetry(t *testing.T) {
	s := tokenServer(t)
	c := servertest.DialJSON(t, s, "")
	f := hello(c, "anon", "")
	expectError(t, f, hubbub.ECodeUnauthorized, "requires a token")
	if f.Str("request") != "hello" {
		t.Fatalf("error does not answer hello: %v", f)
	}
	c.Send(servertest.Frame{"type": "join", "room": "general"})
	expectError(t, c.Await("error"), hubbub.ECodeNoHello, "")
	// The connection stays open for a retry with a token.
	if w := hello(c, "anon", mint(t, "u-1", "ann", time.Hour)); w.Type() != "welcome" || w.Str("name") != "ann" {
		t.Fatalf("retry: %v", w)
	}
}

func TestTokenRefused(t *testing.T) {
	s := tokenServer(t)
	good := mint(t, "u-1", "ann", time.Hour)
	parts := strings.Split(good, ".")
	claims := jwt.MapClaims{"sub": "u-1", "name": "ann", "exp": time.Now().Add(time.Hour).Unix()}
	none, err := jwt.NewWithClaims(jwt.SigningMethodNone, claims).SignedString(jwt.UnsafeAllowNoneSignatureType)
	if err != nil {
		t.Fatal(err)
	}
	otherSecret, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString([]byte("some other secret of 32 bytes or more"))
	if err != nil {
		t.Fatal(err)
	}
	expired, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"sub": "u-1", "name": "ann",
		"exp": time.Now().Add(-time.Minute).Unix()}).SignedString(tokenSecret)
	if err != nil {
		t.Fatal(err)
	}
	c := servertest.DialJSON(t, s, "")
	for _, tc := range []struct{ name, token, want string }{
		{"forged signature", parts[0] + "." + parts[1] + ".c2lnbmF0dXJlLWZvcmdlZC1ieS1tYWxsb3J5", "signature"},
		{"alg none", none, "not signed with HS256"},
		{"wrong secret", otherSecret, "signature"},
		{"garbage", "garbage", "malformed"},
		{"expired", expired, "token expired"},
	} {
		f := hello(c, "ann", tc.token)
		expectError(t, f, hubbub.ECodeUnauthorized, tc.want)
		if strings.Contains(f.Str("message"), string(tokenSecret)) || strings.Contains(f.Str("message"), "jwt") {
			t.Errorf("%s: message leaks internals: %q", tc.name, f.Str("message"))
		}
	}
	if w := hello(c, "ann", good); w.Type() != "welcome" {
		t.Fatalf("the connection did not survive the refusals: %v", w)
	}
}

func TestTokenExpiryClosesConnection(t *testing.T) {
	s := tokenServer(t)
	// exp has a resolution of one second: a 2s token expires within 1-2 s.
	c := servertest.DialJSON(t, s, "")
	if w := hello(c, "", mint(t, "u-1", "ann", 2*time.Second)); w.Type() != "welcome" {
		t.Fatalf("welcome = %v", w)
	}
	c.Join("general", nil)
	txt := servertest.NewTextClient(t, servertest.Dial(t, s.WS+"?token="+url.QueryEscape(mint(t, "u-2", "bob", 2*time.Second)), "", nil))
	txt.Say("bob")
	start := time.Now()
	for _, ce := range []*websocket.CloseError{c.Closed(), txt.Closed()} {
		if ce.Code != websocket.ClosePolicyViolation || ce.Text != "token expired" {
			t.Fatalf("close = %d %q", ce.Code, ce.Text)
		}
	}
	if d := time.Since(start); d > 2*time.Second+auth.Leeway+3*time.Second {
		t.Fatalf("closed after %v", d)
	}
	// A renewed token keeps the connection alive past the first one's expiry.
	r := servertest.DialJSON(t, s, "")
	hello(r, "", mint(t, "u-3", "cy", 2*time.Second))
	r.Join("general", nil)
	if w := hello(r, "", mint(t, "u-3", "cy", time.Hour)); w.Type() != "welcome" {
		t.Fatalf("renewal: %v", w)
	}
	time.Sleep(3 * time.Second)
	if ack := r.Say("general", "after", "still here"); ack.Type() != "ack" {
		t.Fatalf("after renewal: %v", ack)
	}
}

func TestTokenRoomGrants(t *testing.T) {
	s := tokenServer(t)
	c := servertest.DialJSON(t, s, "")
	hello(c, "", mint(t, "u-1", "ann", time.Hour, "support", "sales"))
	for _, room := range []string{"support", "sales"} {
		if j := c.Join(room, nil); j.Type() != "joined" {
			t.Fatalf("join %s: %v", room, j)
		}
	}
	f := c.Join("general", nil)
	expectError(t, f, hubbub.ECodeForbidden, `"general"`)
	if f.Str("room") != "general" || f.Str("request") != "join" {
		t.Fatalf("forbidden does not name the request: %v", f)
	}
	// The text protocol lives in lobby: a token without it is refused.
	txt := servertest.NewTextClient(t, servertest.Dial(t, s.WS+"?token="+mint(t, "u-2", "bob", time.Hour, "support"), "", nil))
	txt.Say("bob")
	if ce := txt.Closed(); ce.Code != websocket.ClosePolicyViolation {
		t.Fatalf("close = %v", ce)
	}
	if l := txt.Lines(1)[0]; !strings.HasPrefix(l, "error: ") || !strings.Contains(l, "lobby") {
		t.Fatalf("line = %q", l)
	}
}

func TestTokenFromQueryAndCookie(t *testing.T) {
	s := tokenServer(t)
	q := dialJSONWith(t, s, "token="+url.QueryEscape(mint(t, "u-1", "ann", time.Hour)), nil)
	if w := hello(q, "whoever", ""); w.Str("name") != "ann" {
		t.Fatalf("query token: %v", w)
	}
	h := http.Header{"Cookie": {server.TokenCookie + "=" + mint(t, "u-2", "bob", time.Hour)}}
	ck := dialJSONWith(t, s, "", h)
	if w := hello(ck, "whoever", ""); w.Str("name") != "bob" {
		t.Fatalf("cookie token: %v", w)
	}
	// hello's token wins over the upgrade's.
	both := dialJSONWith(t, s, "token="+mint(t, "u-1", "ann", time.Hour), h)
	if w := hello(both, "", mint(t, "u-3", "cy", time.Hour)); w.Str("name") != "cy" {
		t.Fatalf("hello token: %v", w)
	}
	// A bad upgrade token is refused like a bad hello token.
	bad := dialJSONWith(t, s, "token=garbage", nil)
	expectError(t, hello(bad, "x", ""), hubbub.ECodeUnauthorized, "malformed")
}

func TestTokenTextProtocol(t *testing.T) {
	s := tokenServer(t)
	anon := servertest.DialText(t, s, "")
	if ce := anon.Closed(); ce.Code != websocket.ClosePolicyViolation {
		t.Fatalf("anonymous text client: close %v", ce)
	}
	if l := anon.Lines(1)[0]; !strings.HasPrefix(l, "error: ") || !strings.Contains(l, "token") {
		t.Fatalf("anonymous text client told %q", l)
	}
	bad := servertest.NewTextClient(t, servertest.Dial(t, s.WS+"?token=nope", "", nil))
	if ce := bad.Closed(); ce.Code != websocket.ClosePolicyViolation {
		t.Fatalf("bad token: close %v", ce)
	}

	watcher := servertest.DialJSON(t, s, "")
	hello(watcher, "", mint(t, "u-1", "ann", time.Hour))
	watcher.Join(hubbub.DefaultRoom, nil)
	txt := servertest.NewTextClient(t, servertest.Dial(t, s.WS+"?token="+mint(t, "u-2", "bob", time.Hour), "", nil))
	txt.Say("mallory") // the name line is still read, but the token names the client
	txt.Say("hi from text")
	if m := watcher.Messages(hubbub.DefaultRoom, 1)[0]; m.Str("from") != "bob" || m.Str("text") != "hi from text" {
		t.Fatalf("message = %v", m)
	}
	if l := txt.Lines(1)[0]; l != "bob: hi from text" {
		t.Fatalf("text client sees %q", l)
	}
}

func TestTokensOffAnonymousWorks(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	c := servertest.DialJSON(t, s, "")
	// A token is ignored when the server does not use them.
	if w := hello(c, "ann", "not even a token"); w.Type() != "welcome" || w.Str("name") != "ann" {
		t.Fatalf("welcome = %v", w)
	}
	if j := c.Join("general", nil); j.Type() != "joined" {
		t.Fatalf("join = %v", j)
	}
	txt := servertest.DialText(t, s, "bob")
	txt.Say("hi")
	if l := txt.Lines(1)[0]; l != "bob: hi" {
		t.Fatalf("text line %q", l)
	}
}

// A hello with a token and no name, on a server that takes no tokens, is told so: it was
// told "name is empty", which puzzled whoever ran hubbub chat --token against a guest server.
func TestTokensOffTokenWithoutNameSaysSo(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	c := servertest.DialJSON(t, s, "")
	expectError(t, hello(c, "", "eyJhbGciOi.a.token"), "bad_name", "takes no tokens")
}

// With tokens on, welcome's role is the token's role claim (member when absent).
func TestWelcomeRoleComesFromToken(t *testing.T) {
	s := tokenServer(t)
	for _, role := range []string{"moderator", "admin", ""} {
		tok, err := auth.Mint(tokenSecret, auth.Claims{UserID: "u-" + role, Name: "n" + role, Role: role}, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		want := role
		if want == "" {
			want = "member"
		}
		if w := hello(servertest.DialJSON(t, s, ""), "", tok); w.Str("role") != want {
			t.Errorf("token role %q: welcome %v, want role %q", role, w, want)
		}
	}
}

// TestTokenInTheLeewayIsNotClosedAtOnce: hello takes a token up to auth.Leeway (5 s) past its
// exp, for clocks that disagree, and the connection was then closed at once (1008, token
// expired) since its timer was armed for exp itself: a welcome and a close, and a client that
// reconnects with its token did so again and again for the leeway. The timer now allows what
// hello allowed; the connection closes at exp plus the leeway.
func TestTokenInTheLeewayIsNotClosedAtOnce(t *testing.T) {
	s := tokenServer(t)
	late, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"sub": "u-1", "name": "ann",
		"exp": time.Now().Add(-time.Second).Unix()}).SignedString(tokenSecret)
	if err != nil {
		t.Fatal(err)
	}
	c := servertest.DialJSON(t, s, "")
	if w := hello(c, "", late); w.Type() != "welcome" {
		t.Fatalf("a token a second past exp, within the leeway: %v, want welcome", w)
	}
	c.Join("general", nil)
	if ack := c.Say("general", "still here", "m1"); ack.Type() != "ack" {
		t.Fatalf("send after the welcome: %v", ack)
	}
	if ce := c.Closed(); ce.Code != websocket.ClosePolicyViolation || ce.Text != "token expired" {
		t.Fatalf("close = %d %q, want 1008 token expired at exp plus the leeway", ce.Code, ce.Text)
	}
}
