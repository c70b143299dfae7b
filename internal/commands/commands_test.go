package commands_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"hubbub"
	"hubbub/internal/commands"
	"hubbub/internal/egress"
	"hubbub/internal/hub"
	"hubbub/internal/server"
	"hubbub/internal/servertest"
	"hubbub/internal/session"
	"hubbub/internal/signing"
)

// TestMain fails the package if any goroutine outlives the tests: a command's use runs in a
// goroutine of its own, which the server's shutdown must end.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// use is one request a command's receiver got.
type use struct {
	Command     string `json:"command"`
	Args        string `json:"args"`
	Room        string `json:"room"`
	ResponseURL string `json:"response_url"`
	ID          string `json:"id"`
	User        struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"user"`
	header http.Header
}

// receiver is a command's own server, as a test runs it: it checks each request's signature
// with the command's secret (set once the command is registered), records it, and answers
// with what answer returns for it.
type receiver struct {
	*httptest.Server
	t      *testing.T
	mu     sync.Mutex
	secret string
	uses   chan use
	answer func(w http.ResponseWriter, r *http.Request, u use)
}

func newReceiver(t *testing.T, answer func(w http.ResponseWriter, r *http.Request, u use)) *receiver {
	rc := &receiver{t: t, uses: make(chan use, 16), answer: answer}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		secret := rc.secret
		rc.mu.Unlock()
		if err := signing.Verify(r.Header, secret, body, time.Now(), 0); err != nil {
			t.Errorf("a command's request does not verify: %v", err)
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		var u use
		if err := json.Unmarshal(body, &u); err != nil {
			t.Errorf("a command's request is not JSON: %s", body)
		}
		u.header = r.Header
		rc.uses <- u
		rc.answer(w, r, u)
	}))
	t.Cleanup(rc.Close)
	return rc
}

// next returns the next request the receiver got.
func (rc *receiver) next() use {
	rc.t.Helper()
	select {
	case u := <-rc.uses:
		return u
	case <-time.After(servertest.Wait):
		rc.t.Fatal("the command's URL got no request")
		return use{}
	}
}

// answerWith answers every request with the JSON v.
func answerWith(v any) func(w http.ResponseWriter, r *http.Request, u use) {
	return func(w http.ResponseWriter, r *http.Request, u use) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(v)
	}
}

// startServer starts a server whose commands may reach loopback (the receivers run there),
// with the admin API on; cfg's other fields are kept.
func startServer(t *testing.T, cfg commands.Config) *servertest.Server {
	if cfg.Client == nil {
		cfg.Client = egress.New(egress.Config{AllowPrivate: true})
	}
	return servertest.Start(t, servertest.Options{Server: server.Config{APIKey: "k", Commands: cfg}})
}

// register adds command name with URL url and tells rc its secret.
func register(t *testing.T, s *servertest.Server, rc *receiver, name, url string) commands.Registered {
	t.Helper()
	reg, err := commands.Add(t.Context(), s.Store, nil, commands.AddRequest{Name: name, URL: url, Description: "says it back"})
	if err != nil {
		t.Fatalf("Add(%s): %v", name, err)
	}
	if rc != nil {
		rc.mu.Lock()
		rc.secret = reg.Secret
		rc.mu.Unlock()
	}
	return reg
}

// joined connects name and joins room.
func joined(t *testing.T, s *servertest.Server, name, room string) *servertest.JSONClient {
	t.Helper()
	c := servertest.DialJSON(t, s, name)
	if f := c.Join(room, nil); f.Type() != "joined" {
		t.Fatalf("%s's join: %v", name, f)
	}
	return c
}

// notice waits for c's next notice frame.
func notice(c *servertest.JSONClient) servertest.Frame { return c.Await("notice") }

// The round trip: a user's /echo reaches the URL signed, with the room, the user and the args,
// and its answer comes to the room as the command's bot user; the use itself is not stored.
func TestRoundTrip(t *testing.T) {
	rc := newReceiver(t, func(w http.ResponseWriter, r *http.Request, u use) {
		answerWith(map[string]string{"text": "echo: " + u.Args})(w, r, u)
	})
	s := startServer(t, commands.Config{})
	reg := register(t, s, rc, "echo", rc.URL+"/hook")
	ann, bob := joined(t, s, "ann", "general"), joined(t, s, "bob", "general")

	ann.Send(servertest.Frame{"type": "command", "room": "general", "name": "echo", "args": "  hi there ", "id": "c-1"})
	u := rc.next()
	if u.Command != "echo" || u.Args != "hi there" || u.Room != "general" || u.User.Name != "ann" || u.User.ID != ann.User {
		t.Errorf("the request = %+v, want /echo \"hi there\" in general by ann (%s)", u, ann.User)
	}
	if !strings.HasPrefix(u.ID, "cmd_") || u.header.Get(signing.HeaderEventID) != u.ID || u.header.Get(signing.HeaderEvent) != "command" {
		t.Errorf("id %q, headers %v: want a cmd_ id, also in %s, and event command", u.ID, u.header, signing.HeaderEventID)
	}
	if !strings.HasPrefix(u.ResponseURL, s.URL+commands.RespondPath) {
		t.Errorf("response_url %q does not start with %s", u.ResponseURL, s.URL+commands.RespondPath)
	}
	for _, c := range []*servertest.JSONClient{ann, bob} {
		m := c.Messages("general", 1)[0]
		if m.Str("from") != "echo" || m.Str("text") != "echo: hi there" || m["bot"] != true {
			t.Errorf("the room got %v, want echo's answer, marked a bot's", m)
		}
	}
	log, err := s.Store.Since(t.Context(), "general", 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	var msgs []hubbub.Entry
	for _, e := range log {
		if e.Kind == hubbub.KindMessage {
			msgs = append(msgs, e)
		}
	}
	if len(msgs) != 1 || msgs[0].User != reg.Bot || msgs[0].From != "echo" || !msgs[0].Bot {
		t.Errorf("the room's messages are %+v, want echo's answer alone, by bot user %s", msgs, reg.Bot)
	}
	bot, found, err := s.Store.UserByID(t.Context(), reg.Bot)
	if err != nil || !found || bot.Kind != hubbub.UserBot || bot.Name != "echo" {
		t.Errorf("the bot user = %+v, %v, %v; want a bot named echo", bot, found, err)
	}
}

// The welcome lists the commands, and a commands request does too, without URLs or secrets.
func TestCommandsListed(t *testing.T) {
	s := startServer(t, commands.Config{})
	register(t, s, nil, "echo", "http://127.0.0.1:1/")
	register(t, s, nil, "deploy", "http://127.0.0.1:1/")
	c := servertest.DialJSON(t, s, "")
	c.Send(servertest.Frame{"type": "hello", "name": "ann", "key": "k-ann"})
	w := c.Await("welcome")
	got, _ := json.Marshal(w["commands"])
	want := `[{"description":"says it back","name":"deploy"},{"description":"says it back","name":"echo"}]` // as a map marshals
	if string(got) != want {
		t.Errorf("welcome's commands = %s, want %s", got, want)
	}
	c.Send(servertest.Frame{"type": "commands"})
	f := c.Await("commands")
	if got, _ := json.Marshal(f["commands"]); string(got) != want {
		t.Errorf("commands = %s, want %s", got, want)
	}
}

// An ephemeral answer is a notice to the caller alone; the room gets nothing.
func TestEphemeral(t *testing.T) {
	rc := newReceiver(t, answerWith(map[string]any{"text": "only for you", "ephemeral": true}))
	s := startServer(t, commands.Config{})
	register(t, s, rc, "secret", rc.URL)
	ann, bob := joined(t, s, "ann", "general"), joined(t, s, "bob", "general")
	ann.Send(servertest.Frame{"type": "command", "room": "general", "name": "secret", "id": "c-9"})
	n := notice(ann)
	if n.Str("kind") != "answer" || n.Str("text") != "only for you" || n.Str("from") != "secret" || n.Str("id") != "c-9" ||
		n.Str("room") != "general" || n.Str("command") != "secret" {
		t.Errorf("notice = %v, want the answer for ann", n)
	}
	// What bob sees next is ann's message: no answer came to the room before it.
	if f := ann.Say("general", "m-1", "after"); f.Type() != "ack" {
		t.Fatal(f)
	}
	if m := bob.Messages("general", 1)[0]; m.Str("from") != "ann" || m.Str("text") != "after" {
		t.Errorf("bob got %v, want ann's message and no answer", m)
	}
	if seq := lastSeq(t, s, "general"); seq != 1 {
		t.Errorf("the room's last seq is %d, want 1 (the ephemeral answer stored nothing)", seq)
	}
}

func lastSeq(t *testing.T, s *servertest.Server, room string) uint64 {
	t.Helper()
	seq, err := s.Store.LastSeq(t.Context(), room)
	if err != nil {
		t.Fatal(err)
	}
	return seq
}

// A command that does not answer within the timeout leaves the caller "working…"; it answers
// later through its response URL, once: in the room, or as a notice to the caller.
func TestLateAnswer(t *testing.T) {
	rc := newReceiver(t, func(w http.ResponseWriter, r *http.Request, u use) {
		<-r.Context().Done() // never answers in time: the server gives up
	})
	s := startServer(t, commands.Config{Timeout: 100 * time.Millisecond})
	register(t, s, rc, "deploy", rc.URL)
	ann, bob := joined(t, s, "ann", "general"), joined(t, s, "bob", "general")

	ann.Send(servertest.Frame{"type": "command", "room": "general", "name": "deploy", "args": "prod", "id": "c-1"})
	u := rc.next()
	if n := notice(ann); n.Str("kind") != "working" || n.Str("id") != "c-1" || !strings.Contains(n.Str("text"), "/deploy is working") {
		t.Errorf("notice = %v, want deploy working", n)
	}
	if st, body := post(t, u.ResponseURL, `{"text":"deployed prod"}`); st != http.StatusOK {
		t.Fatalf("the late answer: %d %s", st, body)
	}
	for _, c := range []*servertest.JSONClient{ann, bob} {
		if m := c.Messages("general", 1)[0]; m.Str("from") != "deploy" || m.Str("text") != "deployed prod" {
			t.Errorf("the room got %v, want deploy's late answer", m)
		}
	}
	if st, body := post(t, u.ResponseURL, `{"text":"again"}`); st != http.StatusConflict {
		t.Errorf("a second use of the response URL: %d %s, want 409", st, body)
	}

	// A late ephemeral answer reaches the caller's connections, and only theirs.
	ann.Send(servertest.Frame{"type": "command", "room": "general", "name": "deploy", "args": "staging", "id": "c-2"})
	u = rc.next()
	notice(ann) // working
	if st, body := post(t, u.ResponseURL, `{"text":"staging is yours","ephemeral":true}`); st != http.StatusOK {
		t.Fatalf("the late ephemeral answer: %d %s", st, body)
	}
	if n := notice(ann); n.Str("kind") != "answer" || n.Str("text") != "staging is yours" || n.Str("id") != "c-2" || n.Str("from") != "deploy" {
		t.Errorf("notice = %v, want the late answer for ann", n)
	}
	if st, _ := post(t, u.ResponseURL, `{"text":"again","ephemeral":true}`); st != http.StatusConflict {
		t.Errorf("a second use of an ephemeral response URL: %d, want 409", st)
	}
	if seq := lastSeq(t, s, "general"); seq != 1 {
		t.Errorf("the room's last seq is %d, want 1", seq)
	}
}

// post sends body to url and returns the status and the answer.
func post(t *testing.T, url, body string) (int, string) {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// A response URL is refused when it is forged, tampered with, expired, or its command's secret
// was rotated; a bad body does not use it up.
func TestResponseURLRefused(t *testing.T) {
	var mu sync.Mutex
	now := time.Now()
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	rc := newReceiver(t, func(w http.ResponseWriter, r *http.Request, u use) {})
	s := startServer(t, commands.Config{Now: clock})
	register(t, s, rc, "deploy", rc.URL)
	ann := joined(t, s, "ann", "general")
	ann.Send(servertest.Frame{"type": "command", "room": "general", "name": "deploy", "id": "c-1"})
	u := rc.next()
	token := strings.TrimPrefix(u.ResponseURL, s.URL+commands.RespondPath)
	payload, mac, _ := strings.Cut(token, ".")
	forged := bytes.Clone([]byte(payload))
	forged[len(forged)/2] ^= 1
	for _, tc := range []struct {
		why, url, body string
		status         int
	}{
		{"a token altered", s.URL + commands.RespondPath + string(forged) + "." + mac, `{"text":"x"}`, http.StatusNotFound},
		{"no MAC", s.URL + commands.RespondPath + payload, `{"text":"x"}`, http.StatusNotFound},
		{"garbage", s.URL + commands.RespondPath + "garbage", `{"text":"x"}`, http.StatusNotFound},
		{"not JSON", u.ResponseURL, `hello`, http.StatusBadRequest},
		{"no text", u.ResponseURL, `{"text":"  "}`, http.StatusBadRequest},
		{"too long", u.ResponseURL, `{"text":"` + strings.Repeat("x", 5000) + `"}`, http.StatusBadRequest},
		{"too large", u.ResponseURL, `{"text":"` + strings.Repeat("x", 70<<10) + `"}`, http.StatusRequestEntityTooLarge},
	} {
		if st, body := post(t, tc.url, tc.body); st != tc.status {
			t.Errorf("%s: %d %s, want %d", tc.why, st, body, tc.status)
		}
	}
	if resp, err := http.Get(u.ResponseURL); err != nil || resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET of a response URL: %v %v, want 405", resp, err)
	} else {
		resp.Body.Close()
	}
	mu.Lock()
	now = now.Add(commands.DefaultResponseTTL + time.Second)
	mu.Unlock()
	if st, body := post(t, u.ResponseURL, `{"text":"late"}`); st != http.StatusGone {
		t.Errorf("an expired response URL: %d %s, want 410", st, body)
	}
	mu.Lock()
	now = time.Now()
	mu.Unlock()
	if _, err := commands.Rotate(t.Context(), s.Store, "deploy"); err != nil {
		t.Fatal(err)
	}
	if st, body := post(t, u.ResponseURL, `{"text":"after rotation"}`); st != http.StatusNotFound {
		t.Errorf("a response URL signed with the old secret: %d %s, want 404", st, body)
	}
	if seq := lastSeq(t, s, "general"); seq != 0 {
		t.Errorf("refused answers stored something: last seq %d", seq)
	}
}

// A response URL's body that stops arriving is answered 408 timeout once the server's
// --body-timeout passes, with the connection closed, as every plain body is
// (internal/httpbody): not 400, which would tell the command's server its answer was bad.
func TestResponseBodyTimesOut(t *testing.T) {
	rc := newReceiver(t, func(w http.ResponseWriter, r *http.Request, u use) {})
	s := servertest.Start(t, servertest.Options{Server: server.Config{BodyTimeout: 300 * time.Millisecond,
		Commands: commands.Config{Client: egress.New(egress.Config{AllowPrivate: true})}}})
	register(t, s, rc, "deploy", rc.URL)
	ann := joined(t, s, "ann", "general")
	ann.Send(servertest.Frame{"type": "command", "room": "general", "name": "deploy", "id": "c-1"})
	u := rc.next()
	c, err := net.Dial("tcp", s.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Length: 100\r\n\r\n{\"text\":", strings.TrimPrefix(u.ResponseURL, s.URL), s.Addr)
	_ = c.SetReadDeadline(time.Now().Add(20 * time.Second)) // a server with no timeout never answers
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("no answer to a stalled body: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var e struct{ Code string }
	if err := json.Unmarshal(body, &e); resp.StatusCode != http.StatusRequestTimeout || err != nil || e.Code != "timeout" || !resp.Close {
		t.Errorf("%d (close %v) %s, want 408 {\"code\":\"timeout\",…} and the connection closed", resp.StatusCode, resp.Close, body)
	}
	if rest, err := io.ReadAll(br); err != nil || len(rest) != 0 {
		t.Errorf("after the answer: %q, %v; want the connection closed", rest, err)
	}
}

// Unknown commands, commands used outside a joined room, and muted users are refused with
// error frames; a command that fails or answers badly gives the caller a failed notice.
func TestRefusedAndFailed(t *testing.T) {
	status := http.StatusOK
	var mu sync.Mutex
	body := `not json`
	rc := newReceiver(t, func(w http.ResponseWriter, r *http.Request, u use) {
		mu.Lock()
		defer mu.Unlock()
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	})
	s := startServer(t, commands.Config{})
	register(t, s, rc, "flaky", rc.URL)
	ann := joined(t, s, "ann", "general")

	ann.Send(servertest.Frame{"type": "command", "room": "general", "name": "nothing", "id": "c-1"})
	if f := ann.Await("error"); f.Str("code") != hubbub.ECodeNotFound || f.Str("id") != "c-1" || f.Str("request") != "command" {
		t.Errorf("an unknown command: %v, want not_found for c-1", f)
	}
	ann.Send(servertest.Frame{"type": "command", "room": "elsewhere", "name": "flaky", "id": "c-2"})
	if f := ann.Await("error"); f.Str("code") != hubbub.ECodeNotJoined {
		t.Errorf("a command in a room not joined: %v, want not_joined", f)
	}
	ann.Send(servertest.Frame{"type": "command", "room": "general", "name": "flaky", "args": strings.Repeat("a", hubbub.MaxCommandArgsLen+1), "id": "c-3"})
	if f := ann.Await("error"); f.Str("code") != hubbub.ECodeTooLong {
		t.Errorf("too long arguments: %v, want too_long", f)
	}
	ann.Send(servertest.Frame{"type": "command", "room": "general", "id": "c-4"})
	if f := ann.Await("error"); f.Str("code") != hubbub.ECodeMissing {
		t.Errorf("no name: %v, want missing_field", f)
	}
	for _, tc := range []struct {
		status int
		body   string
		want   string
	}{
		{http.StatusOK, `not json`, "not a JSON object"},
		{http.StatusOK, `{"text":""}`, "an empty text"},
		{http.StatusOK, `{"text":"` + strings.Repeat("x", 5000) + `"}`, "longer than"},
		{http.StatusInternalServerError, `oops`, "HTTP 500"},
	} {
		mu.Lock()
		status, body = tc.status, tc.body
		mu.Unlock()
		ann.Send(servertest.Frame{"type": "command", "room": "general", "name": "flaky", "id": "c-5"})
		rc.next()
		if n := notice(ann); n.Str("kind") != "failed" || !strings.Contains(n.Str("text"), tc.want) {
			t.Errorf("an answer %d %q: notice %v, want failed saying %q", tc.status, tc.body, n, tc.want)
		}
	}
	// An empty answer says nothing now.
	mu.Lock()
	status, body = http.StatusOK, ``
	mu.Unlock()
	ann.Send(servertest.Frame{"type": "command", "room": "general", "name": "flaky", "id": "c-6"})
	rc.next()
	if f := ann.Say("general", "m-1", "next"); f.Type() != "ack" || f.Num("seq") != 1 {
		t.Errorf("after an empty answer: %v, want ann's message as seq 1", f)
	}

	// A muted user may not use commands there.
	if err := s.Hub.Sanction(t.Context(), hub.Actor{Log: "mod"}, hubbub.Sanction{Room: "general", User: ann.User, Name: "ann",
		Kind: hubbub.SanctionMute, Until: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	ann.Send(servertest.Frame{"type": "command", "room": "general", "name": "flaky", "id": "c-7"})
	if f := ann.AwaitFunc("error for c-7", func(f servertest.Frame) bool { return f.Type() == "error" && f.Str("id") == "c-7" }); f.Str("code") != hubbub.ECodeMuted {
		t.Errorf("a muted user's command: %v, want muted", f)
	}
}

// Without --command-allow-private, a command's URL on loopback or a private range is refused:
// registering it through the API, and using one registered before.
func TestSSRFRefused(t *testing.T) {
	rc := newReceiver(t, answerWith(map[string]string{"text": "should not be reached"}))
	s := servertest.Start(t, servertest.Options{Server: server.Config{APIKey: "k"}}) // egress's default client
	st, body := api(t, s, http.MethodPost, "/api/commands", `{"name":"peek","url":"http://127.0.0.1:9/"}`)
	if st != http.StatusBadRequest || !strings.Contains(body, "loopback") {
		t.Errorf("adding a loopback URL: %d %s, want 400 naming loopback", st, body)
	}
	register(t, s, rc, "peek", rc.URL) // through the store: the dial still refuses it
	for _, u := range []string{"http://10.1.2.3/", "http://169.254.169.254/latest", "http://[::1]:9/", "http://localhost" + strings.TrimPrefix(rc.URL, "http://127.0.0.1")} {
		if _, err := s.Store.UpdateCommand(t.Context(), "peek", hubbub.CommandChange{URL: &u}); err != nil {
			t.Fatal(err)
		}
		ann := joined(t, s, "ann", "general")
		ann.Send(servertest.Frame{"type": "command", "room": "general", "name": "peek", "id": "c-1"})
		if n := notice(ann); n.Str("kind") != "failed" || !strings.Contains(n.Str("text"), "not allowed") {
			t.Errorf("%s: notice %v, want failed: not allowed", u, n)
		}
		ann.Conn.Close()
	}
	select {
	case got := <-rc.uses:
		t.Errorf("the loopback receiver was reached: %+v", got)
	default:
	}
}

// A refused address names the setting that lifts it, --command-allow-private, to the admin:
// in the API's answer to adding a command on a loopback URL, and in the log of each use of one
// added another way (hubbub command add). Both said "private addresses are allowed only when
// the server is told so", where webhooks' refusals name --webhook-allow-private, and left the
// admin to guess which setting that was.
func TestRefusedAddressNamesTheFlag(t *testing.T) {
	s := servertest.Start(t, servertest.Options{Server: server.Config{APIKey: "k"}}) // egress's default client
	st, body := api(t, s, http.MethodPost, "/api/commands", `{"name":"peek","url":"http://127.0.0.1:9/"}`)
	if st != http.StatusBadRequest || !strings.Contains(body, "loopback address; the server allows them with --command-allow-private") {
		t.Errorf("adding a loopback URL: %d %s, want 400 naming --command-allow-private", st, body)
	}

	var logs syncBuffer
	client := egress.New(egress.Config{})
	defer client.Close()
	r := commands.New(commands.Config{Client: client, Logger: slog.New(slog.NewTextHandler(&logs, nil))}, s.Hub)
	defer r.Close()
	register(t, s, nil, "peek", "http://127.0.0.1:9/")
	told := make(chan hubbub.CommandNotice, 1)
	if err := r.Start(t.Context(), session.CommandCall{Name: "peek", Room: "general", User: "u_ann", UserName: "ann", ID: "c-1"},
		func(n hubbub.CommandNotice) { told <- n }); err != nil {
		t.Fatal(err)
	}
	select {
	case n := <-told:
		if n.Kind != hubbub.NoticeFailed || !strings.Contains(n.Text, "not allowed (loopback)") {
			t.Errorf("the caller was told %+v, want failed: not allowed (loopback)", n)
		}
	case <-time.After(servertest.Wait):
		t.Fatal("the use of a loopback command told the caller nothing")
	}
	r.Close() // the use has logged by the time it has ended
	if out := logs.String(); !strings.Contains(out, "a command's URL failed") || !strings.Contains(out, "the server allows them with --command-allow-private") {
		t.Errorf("the log of a use refused its address does not name --command-allow-private:\n%s", out)
	}
}

// syncBuffer is a bytes.Buffer safe for a logger's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// api calls the admin API of s with key "k".
func api(t *testing.T, s *servertest.Server, method, path, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, s.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer k")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// The admin API adds (the secret shown once), lists, shows, rotates and deletes commands; a
// bot user's name may be shared by commands but not taken from a person.
func TestAdminAPI(t *testing.T) {
	s := startServer(t, commands.Config{})
	st, body := api(t, s, http.MethodPost, "/api/commands", `{"name":"deploy","url":"http://127.0.0.1:9/deploy","description":"ships it","bot":"shipit"}`)
	var added struct {
		Name, URL, Description, Secret, Bot string
		BotName                             string `json:"bot_name"`
	}
	if err := json.Unmarshal([]byte(body), &added); err != nil || st != http.StatusCreated {
		t.Fatalf("POST /api/commands: %d %s", st, body)
	}
	if added.Name != "deploy" || added.BotName != "shipit" || !strings.HasPrefix(added.Secret, "whsec_") || added.Bot == "" {
		t.Errorf("added %+v, want deploy by bot shipit with a secret", added)
	}
	if st, body := api(t, s, http.MethodPost, "/api/commands", `{"name":"status","url":"http://127.0.0.1:9/status","bot":"shipit"}`); st != http.StatusCreated || !strings.Contains(body, added.Bot) {
		t.Errorf("a second command on bot shipit: %d %s, want the same bot user", st, body)
	}
	servertest.DialJSON(t, s, "carol") // a guest named carol
	for _, tc := range []struct{ body, code string }{
		{`{"name":"deploy","url":"http://127.0.0.1:9/"}`, hubbub.ECodeExists},
		{`{"name":"join","url":"http://127.0.0.1:9/"}`, hubbub.ECodeBadName},
		{`{"name":"x","url":"ftp://127.0.0.1/"}`, hubbub.ECodeBadField},
		{`{"name":"x","url":"http://127.0.0.1:9/","bot":"carol"}`, hubbub.ECodeNameTaken},
		{`{"name":"x","url":"http://127.0.0.1:9/","extra":1}`, hubbub.ECodeBadJSON},
	} {
		if st, body := api(t, s, http.MethodPost, "/api/commands", tc.body); !strings.Contains(body, `"`+tc.code+`"`) || st < 400 {
			t.Errorf("POST %s: %d %s, want %s", tc.body, st, body, tc.code)
		}
	}
	// A command named like a person, with no bot named, was told to "choose another bot
	// name" — one its admin never gave: the default bot takes the command's name.
	if st, body := api(t, s, http.MethodPost, "/api/commands", `{"name":"carol","url":"http://127.0.0.1:9/"}`); st != http.StatusConflict ||
		!strings.Contains(body, `"name_taken"`) || !strings.Contains(body, `named after it`) || !strings.Contains(body, `--bot`) {
		t.Errorf("a command named like a person, no bot named: %d %s, want 409 name_taken saying its bot takes its name, and how to name one", st, body)
	}
	st, body = api(t, s, http.MethodGet, "/api/commands", "")
	if st != http.StatusOK || strings.Contains(body, "whsec_") || !strings.Contains(body, `"name":"deploy"`) || !strings.Contains(body, `"name":"status"`) {
		t.Errorf("GET /api/commands: %d %s, want both, no secret", st, body)
	}
	if st, body := api(t, s, http.MethodGet, "/api/commands/deploy", ""); st != http.StatusOK || strings.Contains(body, "whsec_") || !strings.Contains(body, "ships it") {
		t.Errorf("GET /api/commands/deploy: %d %s", st, body)
	}
	st, body = api(t, s, http.MethodPost, "/api/commands/deploy/rotate", "")
	if st != http.StatusOK || !strings.Contains(body, "whsec_") || strings.Contains(body, added.Secret) {
		t.Errorf("rotate: %d %s, want a new secret", st, body)
	}
	if st, _ := api(t, s, http.MethodDelete, "/api/commands/deploy", ""); st != http.StatusNoContent {
		t.Errorf("DELETE: %d, want 204", st)
	}
	for _, p := range []string{"/api/commands/deploy"} {
		if st, _ := api(t, s, http.MethodGet, p, ""); st != http.StatusNotFound {
			t.Errorf("GET %s after delete: %d, want 404", p, st)
		}
		if st, _ := api(t, s, http.MethodDelete, p, ""); st != http.StatusNotFound {
			t.Errorf("DELETE %s again: %d, want 404", p, st)
		}
	}
}
