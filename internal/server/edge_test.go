package server_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"hubbub/internal/server"
	"hubbub/internal/servertest"
)

func TestOriginPolicy(t *testing.T) {
	s := servertest.Start(t, servertest.Options{Server: server.Config{AllowedOrigins: []string{"https://chat.example.com"}}})
	dial := func(origin string) (int, string) {
		h := http.Header{}
		if origin != "" {
			h.Set("Origin", origin)
		}
		c, resp, err := websocket.DefaultDialer.Dial(s.WS, h)
		if err == nil {
			c.Close()
			return http.StatusSwitchingProtocols, ""
		}
		if resp == nil {
			t.Fatalf("origin %q: %v", origin, err)
		}
		defer resp.Body.Close()
		var b strings.Builder
		buf := make([]byte, 512)
		n, _ := resp.Body.Read(buf)
		b.Write(buf[:n])
		return resp.StatusCode, b.String()
	}
	if code, body := dial("https://evil.example.net"); code != http.StatusForbidden || !strings.Contains(body, "origin") {
		t.Errorf("foreign origin: %d %q, want 403 with a reason", code, body)
	}
	if code, _ := dial("https://chat.example.com"); code != http.StatusSwitchingProtocols {
		t.Errorf("allowed origin: %d, want 101", code)
	}
	if code, _ := dial("http://" + s.Addr); code != http.StatusSwitchingProtocols {
		t.Errorf("same origin: %d, want 101", code)
	}
	if code, _ := dial(""); code != http.StatusSwitchingProtocols {
		t.Errorf("no origin (non-browser client): %d, want 101", code)
	}
	// A refused upgrade leaves the server serving.
	if code, _ := s.Get("/healthz"); code != http.StatusOK {
		t.Errorf("healthz after refusals: %d", code)
	}
}

// TestPlainHTTPToWebSocketEndpointIsRefused: a person who opens /ws (or /add) in a browser or
// with curl was told gorilla's "websocket: the client is not using the websocket protocol:
// 'upgrade' token not found in 'Connection' header"; the answer now says what the path is and
// what to open or run instead.
func TestPlainHTTPToWebSocketEndpointIsRefused(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	for path, want := range map[string]string{
		"/ws":  "hubbub chat ws://" + s.Addr + "/ws",
		"/add": "hubbub add ws://" + s.Addr + "/add",
	} {
		code, body := s.Get(path)
		if code != http.StatusBadRequest || !strings.Contains(body, "WebSocket endpoint") || !strings.Contains(body, want) ||
			!strings.Contains(body, "http://"+s.Addr+"/") {
			t.Errorf("GET %s without upgrade: %d %q, want 400 saying it is a WebSocket endpoint, %q and the page", path, code, body, want)
		}
	}
}

func TestPagesAndHealth(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	for path, want := range map[string]int{"/": 200, "/classic": 200, "/classic.js": 200, "/healthz": 200,
		"/readyz": 200, "/nope": 404, "/index.html/x": 404, "/../go.mod": 404} {
		if code, _ := s.Get(path); code != want {
			t.Errorf("GET %s: %d, want %d", path, code, want)
		}
	}
	// They only read: another method is refused, saying which are allowed (a DELETE of
	// /healthz answered 200 "ok").
	for _, c := range []struct{ method, path string }{{"POST", "/"}, {"DELETE", "/healthz"}, {"POST", "/readyz"}, {"PUT", "/healthz"}} {
		req, err := http.NewRequest(c.method, s.URL+c.path, strings.NewReader("x"))
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != "GET, HEAD" {
			t.Errorf("%s %s: %d, Allow %q; want 405, GET, HEAD", c.method, c.path, resp.StatusCode, resp.Header.Get("Allow"))
		}
	}
	resp, err := http.Get(s.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
		t.Errorf("CSP = %q", csp)
	}
}

// TestPagesAllowTheFilesOrigin: with --files-url on another origin, the page may show the
// pictures there and ask that origin for its files cookie — and still nothing else.
func TestPagesAllowTheFilesOrigin(t *testing.T) {
	s := servertest.Start(t, servertest.Options{Server: server.Config{FilesURL: "https://files.example.com/base"}})
	resp, err := http.Get(s.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	csp := resp.Header.Get("Content-Security-Policy")
	for _, want := range []string{"img-src 'self' data: https://files.example.com;", "connect-src 'self' ws: wss: https://files.example.com;", "script-src 'self';"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "/base") {
		t.Errorf("CSP %q names a path, not the origin", csp)
	}
}

func TestShutdownSendsGoingAwayToEveryClient(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	text := servertest.DialText(t, s, "ann")
	js := servertest.DialJSON(t, s, "bob")
	js.Join("lobby", nil)
	add := servertest.Dial(t, strings.Replace(s.WS, "/ws", "/add", 1), "", nil)
	servertest.WaitMembers(t, s, "lobby", 2)
	done := make(chan struct{})
	go func() { s.Stop(); close(done) }()
	if ce := text.Closed(); ce.Code != websocket.CloseGoingAway {
		t.Errorf("text client: close %d, want 1001", ce.Code)
	}
	if ce := js.Closed(); ce.Code != websocket.CloseGoingAway {
		t.Errorf("json client: close %d, want 1001", ce.Code)
	}
	_ = add.SetReadDeadline(time.Now().Add(servertest.Wait))
	_, _, err := add.ReadMessage()
	if !websocket.IsCloseError(err, websocket.CloseGoingAway) {
		t.Errorf("add client: %v, want close 1001", err)
	}
	<-done
}
