package server_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"hubbub/internal/server"
	"hubbub/internal/servertest"
)

func TestAddServiceSumsAndRejectsBadInput(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	c := servertest.Dial(t, strings.Replace(s.WS, "/ws", "/add", 1), "", http.Header{"Name": {"Tome", "Jim"}})
	cases := []struct {
		req, sum, err string
	}{
		{`{"A":3,"B":9}`, "12", ""},
		{`{"A":-5,"B":2}`, "-3", ""},
		{`{"A":3}`, "3", ""},
		{`not json`, "", "JSON object"},
		{`{"A":"x","B":1}`, "", "integer"},
		{`{"A":1.5,"B":1}`, "", "integer"},
		{`{"A":9223372036854775807,"B":1}`, "", "does not fit"},
		{`{"A":99999999999999999999,"B":1}`, "", "integer"},
		{`{"A":3,"B":9}`, "12", ""}, // still answering after errors
	}
	for _, tc := range cases {
		if err := c.WriteMessage(websocket.TextMessage, []byte(tc.req)); err != nil {
			t.Fatal(err)
		}
		_ = c.SetReadDeadline(time.Now().Add(servertest.Wait))
		var resp struct {
			Sum   *json.Number
			Error string `json:"error"`
		}
		if err := c.ReadJSON(&resp); err != nil {
			t.Fatalf("%s: %v", tc.req, err)
		}
		if tc.err != "" {
			if !strings.Contains(resp.Error, tc.err) || resp.Sum != nil {
				t.Errorf("%s: got sum %v error %q, want error containing %q", tc.req, resp.Sum, resp.Error, tc.err)
			}
			continue
		}
		if resp.Sum == nil || string(*resp.Sum) != tc.sum {
			t.Errorf("%s: got sum %v error %q, want %s", tc.req, resp.Sum, resp.Error, tc.sum)
		}
	}
}

func TestAddServiceClosesIdleConnections(t *testing.T) {
	s := servertest.Start(t, servertest.Options{Server: server.Config{AddIdleTimeout: 200 * time.Millisecond}})
	c := servertest.Dial(t, strings.Replace(s.WS, "/ws", "/add", 1), "", nil)
	_ = c.SetReadDeadline(time.Now().Add(servertest.Wait))
	if _, _, err := c.ReadMessage(); err == nil {
		t.Fatal("an idle add connection stayed open")
	}
}

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

func TestPlainHTTPToWebSocketEndpointIsRefused(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	if code, body := s.Get("/ws"); code != http.StatusBadRequest || body == "" {
		t.Fatalf("GET /ws without upgrade: %d %q, want 400 with a reason", code, body)
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
	resp, err := http.Post(s.URL+"/", "text/plain", strings.NewReader("x"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST /: %d, want 405", resp.StatusCode)
	}
	resp, err = http.Get(s.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
		t.Errorf("CSP = %q", csp)
	}
}

// A client that never reads fills its queue and is dropped; the room never waits for it and
// everyone else receives every message.
func TestSlowClientIsDroppedOthersKeepReceiving(t *testing.T) {
	s := servertest.Start(t, servertest.Options{Server: server.Config{
		SendQueue: 4, MaxText: 60000, ReadLimit: 70000, SendRate: 10000, SendBurst: 10000,
	}})
	slow := servertest.Dial(t, s.WS, "", nil) // never reads after this
	if err := slow.WriteMessage(websocket.TextMessage, []byte("slowpoke")); err != nil {
		t.Fatal(err)
	}
	reader := servertest.DialText(t, s, "reader")
	sender := servertest.DialText(t, s, "sender")
	waitMembers(t, s, "lobby", 3)

	big := strings.Repeat("x", 50000)
	sent := 0
	deadline := time.Now().Add(time.Minute)
	for contains(s.Hub.Members("lobby"), "slowpoke") {
		if sent == 20000 || time.Now().After(deadline) {
			t.Fatalf("slow client still in the room after %d messages", sent)
		}
		sender.Say(big)
		sent++
		// Keep the fast clients drained so only the slow one falls behind.
		reader.Lines(1)
		sender.Lines(1)
	}
	// The slow client was told why, and the others go on receiving.
	_ = slow.SetReadDeadline(time.Now().Add(servertest.Wait))
	for {
		_, _, err := slow.ReadMessage()
		if err == nil {
			continue
		}
		if !websocket.IsCloseError(err, websocket.ClosePolicyViolation) && !strings.Contains(err.Error(), "reset") {
			t.Logf("slow client ended with %v (a close frame may be lost if its socket was full)", err)
		}
		break
	}
	sender.Say("after")
	if got := reader.Lines(1)[0]; got != "sender: after" {
		t.Fatalf("reader got %q after the drop", got)
	}
}

// The server pings; a client that answers (gorilla answers pings while reading) stays past the
// pong wait, and one that never reads, so never answers, is closed.
func TestHeartbeatKeepsLiveClientsAndClosesSilentOnes(t *testing.T) {
	s := servertest.Start(t, servertest.Options{Server: server.Config{
		PingPeriod: 50 * time.Millisecond, PongWait: 300 * time.Millisecond,
	}})
	silent := servertest.Dial(t, s.WS, "", nil)
	_ = silent.WriteMessage(websocket.TextMessage, []byte("silent"))
	live := servertest.DialText(t, s, "live")
	waitMembers(t, s, "lobby", 2)

	got := make(chan string, 1)
	go func() { // the live client only reads, so the pings are what keep it alive
		_ = live.Conn.SetReadDeadline(time.Now().Add(servertest.Wait))
		_, data, err := live.Conn.ReadMessage()
		if err != nil {
			got <- err.Error()
		}
		got <- string(data)
	}()
	waitMembers(t, s, "lobby", 1)
	if m := s.Hub.Members("lobby"); m[0] != "live" {
		t.Fatalf("members %v: the silent client should have gone, not the live one", m)
	}
	time.Sleep(600 * time.Millisecond) // two pong waits: the live client must still be there
	if !contains(s.Hub.Members("lobby"), "live") {
		t.Fatal("a client answering pings was dropped")
	}
	servertest.DialText(t, s, "waker").Say("wake")
	if line := <-got; line != "waker: wake" {
		t.Fatalf("live client got %q", line)
	}
}

func TestShutdownSendsGoingAwayToEveryClient(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	text := servertest.DialText(t, s, "ann")
	js := servertest.DialJSON(t, s, "bob")
	js.Join("lobby", nil)
	add := servertest.Dial(t, strings.Replace(s.WS, "/ws", "/add", 1), "", nil)
	waitMembers(t, s, "lobby", 2)
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

// On the polled transport an idle connection parks no goroutine: a hundred silent members cost
// the server no more goroutines than none, and each of them still receives what is said.
func TestIdleConnectionsParkNoGoroutine(t *testing.T) {
	if runtime.GOOS != "linux" || os.Getenv("HUBBUB_TEST_TRANSPORT") == server.TransportGoroutine {
		t.Skip("the polled transport runs on Linux only, and this run asked for the goroutine transport")
	}
	s := servertest.Start(t, servertest.Options{})
	speaker := servertest.DialText(t, s, "speaker")
	waitMembers(t, s, "lobby", 1)
	base := runtime.NumGoroutine()
	const n = 100
	idle := make([]*servertest.TextClient, n)
	for i := range idle {
		idle[i] = servertest.DialText(t, s, fmt.Sprintf("idle%d", i))
	}
	waitMembers(t, s, "lobby", n+1)
	// The test's own clients read nothing until asked, so they park nothing either; what is
	// left is the server's. Allow a few for timers and flushers that are finishing.
	var extra int
	for range 50 {
		if extra = runtime.NumGoroutine() - base; extra < 10 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if extra >= 10 {
		t.Fatalf("%d idle connections hold %d goroutines, want none", n, extra)
	}
	speaker.Say("anyone there?")
	for i, c := range idle {
		if got := c.Lines(1)[0]; got != "speaker: anyone there?" {
			t.Fatalf("idle member %d got %q", i, got)
		}
	}
}
