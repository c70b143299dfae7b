package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"hubbub/internal/natstest"
	"hubbub/internal/pgtest"
	"hubbub/internal/signing"
	"hubbub/internal/testwait"
	"hubbub/internal/webhooks"
)

func webhookCmdRun(args ...string) (string, error) {
	var out, errOut bytes.Buffer
	err := run(context.Background(), append([]string{"webhook"}, args...), stdio{in: strings.NewReader(""), out: &out, err: &errOut})
	return out.String(), err
}

// The receiver's modes.
const (
	hookOK   int32 = iota // take the event, answer 200
	hookFail              // answer 503
	hookLost              // take the event and never answer (the server times out)
)

// hookReceiver is a webhook receiver in the test process: it verifies each signature,
// deduplicates by event id, and records each room's events in the order they first arrived.
type hookReceiver struct {
	t        *testing.T
	srv      *httptest.Server
	mode     atomic.Int32
	requests atomic.Int32
	mu       sync.Mutex
	secret   string
	seen     map[string]bool
	order    map[string][]string // room → texts, in order of first arrival
	badSig   int
}

func newHookReceiver(t *testing.T) *hookReceiver {
	r := &hookReceiver{t: t, seen: map[string]bool{}, order: map[string][]string{}}
	release := make(chan struct{})
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.requests.Add(1)
		body, _ := io.ReadAll(req.Body)
		mode := r.mode.Load()
		if mode == hookFail {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		r.mu.Lock()
		if signing.Verify(req.Header, r.secret, body, time.Now(), 0) != nil {
			r.badSig++
			r.mu.Unlock()
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		var b struct {
			webhooks.Body
			Data struct {
				Text string `json:"text"`
			} `json:"data"`
		}
		if err := json.Unmarshal(body, &b); err != nil {
			r.mu.Unlock()
			t.Errorf("body %q: %v", body, err)
			return
		}
		if !r.seen[b.ID] {
			r.seen[b.ID] = true
			r.order[b.Room] = append(r.order[b.Room], b.Data.Text)
		}
		r.mu.Unlock()
		if mode == hookLost {
			select {
			case <-req.Context().Done():
			case <-release:
			}
			return
		}
	}))
	t.Cleanup(func() { close(release); r.srv.Close() })
	return r
}

func (r *hookReceiver) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.seen)
}

// check fails t unless each room received exactly texts (in this order), signed right.
func (r *hookReceiver) check(want map[string][]string) {
	r.t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	for room, texts := range want {
		if strings.Join(r.order[room], "|") != strings.Join(texts, "|") {
			r.t.Errorf("room %s received\n  %q\nwant\n  %q", room, r.order[room], texts)
		}
	}
	if r.badSig != 0 {
		r.t.Errorf("%d requests with a bad signature", r.badSig)
	}
}

// child is a hubbub serve in a child process (the test binary, HUBBUB_TEST_SERVE=1), which a
// test may kill with SIGKILL.
type child struct {
	cmd  *exec.Cmd
	addr string
	mu   sync.Mutex
	log  []string
}

func (c *child) logged(s string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, l := range c.log {
		if strings.Contains(l, s) {
			return true
		}
	}
	return false
}

func (c *child) kill(t *testing.T) {
	if err := c.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = c.cmd.Wait()
}

var hookChildFlags = []string{"--host", "127.0.0.1", "--port", "0", "--api-key", "test-key", "--webhook-allow-private",
	"--webhook-poll", "50ms", "--webhook-backoff-min", "10ms", "--webhook-backoff-max", "100ms", "--webhook-timeout", "500ms", "--webhook-lease-ttl", "1500ms"}

func startHookChild(t *testing.T, args ...string) *child {
	t.Helper()
	c := &child{}
	c.cmd = exec.Command(os.Args[0], append(append([]string{"serve"}, hookChildFlags...), args...)...)
	c.cmd.Env = append(os.Environ(), "HUBBUB_TEST_SERVE=1")
	stderr, err := c.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.cmd.Process.Kill(); _ = c.cmd.Wait() })
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			c.mu.Lock()
			c.log = append(c.log, sc.Text())
			c.mu.Unlock()
			if m := listenLine.FindStringSubmatch(sc.Text()); m != nil {
				addr <- m[1]
			}
		}
	}()
	select {
	case c.addr = <-addr:
	case <-time.After(testwait.StartTimeout):
		t.Fatal("child server did not start")
	}
	return c
}

// api calls the child's REST API and decodes the answer into out (if not nil).
func (c *child) api(t *testing.T, method, path string, body any, out any) int {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, "http://"+c.addr+path, rd)
	req.Header.Set("Authorization", "Bearer test-key")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil {
		_ = json.NewDecoder(resp.Body).Decode(out)
	}
	return resp.StatusCode
}

// post publishes a message through the API.
func (c *child) post(t *testing.T, room, text string) {
	t.Helper()
	if st := c.api(t, "POST", "/api/rooms/"+room+"/messages", map[string]string{"from": "ci", "text": text}, nil); st != http.StatusCreated {
		t.Fatalf("publish %q to %s: %d", text, room, st)
	}
}

// TestWebhookSurvivesKill: a receiver that fails, then times out, then recovers gets every
// event exactly once after deduplication by id, in room order, though the server was killed
// (SIGKILL) with deliveries pending and events were posted before and after.
func TestWebhookSurvivesKill(t *testing.T) {
	data := filepath.Join(t.TempDir(), "h.db")
	r := newHookReceiver(t)
	r.mode.Store(hookFail)
	out, err := webhookCmdRun("create", r.srv.URL+"/hook", "--rooms", "a,b", "--events", "message", "--data", data, "--webhook-allow-private")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^secret (\S+)$`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("create printed no secret: %q", out)
	}
	r.secret = m[1]

	want := map[string][]string{}
	say := func(c *child, i int) {
		for _, room := range []string{"a", "b"} {
			text := fmt.Sprintf("%s-%d", room, i)
			c.post(t, room, text)
			want[room] = append(want[room], text)
		}
	}
	c := startHookChild(t, "--data", data)
	for i := range 10 {
		say(c, i)
	}
	testwait.Until(t, "failed attempts", func() bool { return r.requests.Load() >= 4 })
	c.kill(t)

	r.mode.Store(hookLost) // the restarted server's first requests are taken but never answered
	c = startHookChild(t, "--data", data)
	for i := 10; i < 20; i++ {
		say(c, i)
	}
	testwait.Until(t, "requests that time out", func() bool { return r.count() >= 2 })
	r.mode.Store(hookOK)
	// Forty deliveries, each room's one after another: on a starved machine they may take longer
	// than one wait together, so each must come within it (failed once at load 32).
	testwait.UntilCount(t, "every event", r.count, 40)
	var page struct {
		Deliveries []json.RawMessage `json:"deliveries"`
	}
	var list struct {
		Webhooks []struct{ ID string } `json:"webhooks"`
	}
	if st := c.api(t, "GET", "/api/webhooks", nil, &list); st != http.StatusOK || len(list.Webhooks) != 1 {
		t.Fatalf("GET /api/webhooks: %d %+v", st, list)
	}
	testwait.Until(t, "no delivery left pending", func() bool {
		c.api(t, "GET", "/api/webhooks/"+list.Webhooks[0].ID+"/deliveries?state=pending", nil, &page)
		return len(page.Deliveries) == 0
	})
	r.check(want)
	resp, err := http.Get("http://" + c.addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	metricsText, _ := io.ReadAll(resp.Body)
	for _, re := range []string{`(?m)^hubbub_webhook_attempts_total\{result="ok"\} [1-9]`, `(?m)^hubbub_webhook_dispatching 1$`} {
		if !regexp.MustCompile(re).Match(metricsText) {
			t.Errorf("/metrics has no line matching %s", re)
		}
	}
}

// TestWebhookNodeKill: two nodes on PostgreSQL and NATS; the node dispatching is killed with
// deliveries in flight; the other takes the lease and delivers every event, exactly once after
// deduplication, in room order.
func TestWebhookNodeKill(t *testing.T) {
	pg := pgtest.FreshSchema(t)
	ns := natstest.Start(t)
	r := newHookReceiver(t)
	common := []string{"--postgres", pg, "--nats", ns.ClientURL()}
	first := startHookChild(t, append(common, "--node", "first")...)
	testwait.Until(t, "the first node to dispatch", func() bool { return first.logged("webhooks: dispatching") })
	second := startHookChild(t, append(common, "--node", "second")...)

	var created struct {
		Webhook struct{ ID, Secret string } `json:"webhook"`
	}
	if st := second.api(t, "POST", "/api/webhooks", map[string]any{"url": r.srv.URL + "/hook", "rooms": []string{"r*"}, "events": []string{"message"}}, &created); st != http.StatusCreated || created.Webhook.Secret == "" {
		t.Fatalf("create through the second node: %d %+v", st, created)
	}
	r.mu.Lock()
	r.secret = created.Webhook.Secret
	r.mu.Unlock()

	want := map[string][]string{}
	say := func(c *child, from, to int) {
		for i := from; i < to; i++ {
			for _, room := range []string{"r1", "r2"} {
				text := fmt.Sprintf("%s-%d", room, i)
				c.post(t, room, text)
				want[room] = append(want[room], text)
			}
		}
	}
	say(first, 0, 5)
	testwait.Until(t, "some events delivered", func() bool { return r.count() >= 4 })
	r.mode.Store(hookLost) // the requests in flight when the node dies are never answered
	before := r.count()
	say(second, 5, 10)
	testwait.Until(t, "requests in flight", func() bool { return r.count() > before })
	first.kill(t)
	r.mode.Store(hookOK)
	say(second, 10, 15)
	testwait.Until(t, "the second node to take the lease", func() bool { return second.logged("webhooks: dispatching") })
	testwait.Until(t, "every event", func() bool { return r.count() == 30 })
	r.check(want)
}

// TestWebhookCommand runs each `hubbub webhook` action on a SQLite file and checks what they
// refuse.
func TestWebhookCommand(t *testing.T) {
	data := filepath.Join(t.TempDir(), "h.db")
	ok := func(args ...string) string {
		t.Helper()
		out, err := webhookCmdRun(append(args, "--data", data)...)
		if err != nil {
			t.Fatalf("hubbub webhook %q: %v", args, err)
		}
		return out
	}
	refused := func(want string, args ...string) {
		t.Helper()
		_, err := webhookCmdRun(append(args, "--data", data)...)
		if err == nil || exitCode(err) != 2 || !strings.Contains(err.Error(), want) {
			t.Errorf("hubbub webhook %q: err = %v, want a usage error with %q", args, err, want)
		}
	}
	refused("pass --webhook-allow-private, and run the server with it too", "create", "http://127.0.0.1:9/hook", "--rooms", "a", "--events", "message")
	refused("needs rooms", "create", "https://example.com/hook", "--events", "message")
	refused("unknown event", "create", "https://example.com/hook", "--rooms", "a", "--events", "typing")
	refused("missing the URL events are posted to", "create", "--rooms", "a", "--events", "message")
	refused("unknown action", "frobnicate")
	out := ok("create", "https://example.com/hook", "--rooms", "a,team-*", "--events", "message,edit")
	m := regexp.MustCompile(`(?m)^created (wh_\S+)\nsecret (whsec_\S+)$`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("create printed %q", out)
	}
	id := m[1]
	if !regexp.MustCompile(`(?m)^` + id + ` +https://example.com/hook +a,team-\* +message,edit +active +0 +0 `).MatchString(ok("list")) {
		t.Errorf("list: %q", ok("list"))
	}
	ok("pause", id)
	if !strings.Contains(ok("list"), " paused ") {
		t.Error("list does not show it paused")
	}
	ok("resume", id)
	if out := ok("rotate", id); !strings.Contains(out, "secret whsec_") || strings.Contains(out, m[2]) {
		t.Errorf("rotate printed %q", out)
	}
	if out := ok("dead", id); !strings.HasPrefix(out, "EVENT") {
		t.Errorf("dead printed %q", out)
	}
	if out := ok("replay", id); !strings.Contains(out, "replayed 0") {
		t.Errorf("replay printed %q", out)
	}
	ok("delete", id)
	refused("no webhook", "pause", id)
	if strings.Contains(ok("list"), id) {
		t.Error("the deleted webhook is listed")
	}
}

// TestWebhookAPI drives /api/webhooks on a running server: create (the secret once), get and
// list (never the secret), PATCH pause and resume, rotate, deliveries with their last error,
// replay, delete, and the refusals.
func TestWebhookAPI(t *testing.T) {
	r := newHookReceiver(t)
	r.mode.Store(hookFail)
	// --webhook-dead-after 1ns makes one failure final, so the request timeout is raised: under
	// -race on a starved machine (CI, 2026-12-04) a replayed delivery overran the shared 500ms,
	// died, and the test waited for it in vain. The receiver's failures are immediate 503s.
	c := startHookChild(t, "--data", filepath.Join(t.TempDir(), "h.db"), "--webhook-dead-after", "1ns", "--webhook-timeout", "5s")
	type hook struct {
		ID     string   `json:"id"`
		Secret string   `json:"secret"`
		Paused bool     `json:"paused"`
		Rooms  []string `json:"rooms"`
	}
	var created struct{ Webhook hook }
	if st := c.api(t, "POST", "/api/webhooks", map[string]any{"url": r.srv.URL, "rooms": []string{"a"}, "events": []string{"message"}}, &created); st != http.StatusCreated || created.Webhook.Secret == "" {
		t.Fatalf("create: %d %+v", st, created)
	}
	id := created.Webhook.ID
	r.mu.Lock()
	r.secret = created.Webhook.Secret
	r.mu.Unlock()
	var got struct{ Webhook hook }
	if st := c.api(t, "GET", "/api/webhooks/"+id, nil, &got); st != http.StatusOK || got.Webhook.ID != id || got.Webhook.Secret != "" {
		t.Errorf("get: %d %+v", st, got)
	}
	var errBody struct{ Code, Message string }
	for _, bad := range []struct {
		method, path string
		body         any
		status       int
		code         string
	}{
		{"POST", "/api/webhooks", map[string]any{"url": "ftp://example.com/", "rooms": []string{"a"}, "events": []string{"message"}}, 400, "bad_field"},
		{"POST", "/api/webhooks", map[string]any{"url": "https://example.com/", "rooms": []string{"a b"}, "events": []string{"message"}}, 400, "bad_room"},
		{"POST", "/api/webhooks", map[string]any{"url": "https://example.com/", "rooms": []string{"a"}, "events": []string{"typing"}}, 400, "bad_field"},
		{"POST", "/api/webhooks", map[string]any{"url": "https://example.com/", "rooms": []string{"a"}, "events": []string{"message"}, "colour": 1}, 400, "bad_json"},
		{"GET", "/api/webhooks/wh_none", nil, 404, "not_found"},
		{"PATCH", "/api/webhooks/wh_none", map[string]any{"paused": true}, 404, "not_found"},
		{"GET", "/api/webhooks/" + id + "/deliveries?state=gone", nil, 400, "bad_field"},
		{"GET", "/api/webhooks/" + id + "/deliveries?limit=x", nil, 400, "bad_request"},
	} {
		if st := c.api(t, bad.method, bad.path, bad.body, &errBody); st != bad.status || errBody.Code != bad.code {
			t.Errorf("%s %s: %d %+v, want %d %s", bad.method, bad.path, st, errBody, bad.status, bad.code)
		}
	}

	// A limit past the largest page, past what an int holds too, is the largest page, as on
	// every other endpoint.
	for _, limit := range []string{"1000000", "99999999999999999999"} {
		if st := c.api(t, "GET", "/api/webhooks/"+id+"/deliveries?limit="+limit, nil, nil); st != http.StatusOK {
			t.Errorf("deliveries with limit=%s: %d, want 200 with the largest page", limit, st)
		}
	}

	c.post(t, "a", "one")
	c.post(t, "a", "two")
	var page struct {
		Deliveries []struct {
			Event struct {
				ID string `json:"id"`
			} `json:"event"`
			Attempts  int    `json:"attempts"`
			LastError string `json:"last_error"`
			State     string `json:"state"`
		} `json:"deliveries"`
	}
	testwait.Until(t, "both deliveries dead (the receiver fails, dead after 1ns)", func() bool {
		c.api(t, "GET", "/api/webhooks/"+id+"/deliveries?state=dead", nil, &page)
		return len(page.Deliveries) == 2
	})
	if d := page.Deliveries[0]; d.Attempts != 1 || d.LastError != "HTTP 503" || d.State != "dead" {
		t.Errorf("dead delivery %+v", d)
	}

	var patched struct{ Webhook hook }
	if st := c.api(t, "PATCH", "/api/webhooks/"+id, map[string]any{"paused": true}, &patched); st != http.StatusOK || !patched.Webhook.Paused {
		t.Fatalf("pause: %d %+v", st, patched)
	}
	var rotated struct{ Webhook hook }
	if st := c.api(t, "POST", "/api/webhooks/"+id+"/rotate", nil, &rotated); st != http.StatusOK || rotated.Webhook.Secret == "" || rotated.Webhook.Secret == created.Webhook.Secret {
		t.Fatalf("rotate: %d %+v", st, rotated)
	}
	r.mu.Lock()
	r.secret = rotated.Webhook.Secret
	r.mu.Unlock()
	r.mode.Store(hookOK)
	// An event id the webhook has no delivery of refuses the replay, naming it, and replays
	// none of the ids named; it answered 200 {"replayed": 0} or 1, as if all were well.
	dead := page.Deliveries[0].Event.ID
	errBody.Code, errBody.Message = "", ""
	if st := c.api(t, "POST", "/api/webhooks/"+id+"/replay", map[string]any{"ids": []string{dead, "ev_bogus"}}, &errBody); st != http.StatusNotFound ||
		errBody.Code != "not_found" || !strings.HasPrefix(errBody.Message, "unknown event ev_bogus; its dead events are: "+dead+", ") {
		t.Errorf("replay of a dead id and an unknown one: %d %+v, want 404 not_found naming ev_bogus", st, errBody)
	}
	if c.api(t, "GET", "/api/webhooks/"+id+"/deliveries?state=dead", nil, &page); len(page.Deliveries) != 2 {
		t.Errorf("after a refused replay %d deliveries are dead, want both", len(page.Deliveries))
	}
	var replayed struct{ Replayed int }
	if st := c.api(t, "POST", "/api/webhooks/"+id+"/replay", map[string]any{}, &replayed); st != http.StatusOK || replayed.Replayed != 2 {
		t.Fatalf("replay: %d %+v", st, replayed)
	}
	c.api(t, "GET", "/api/webhooks/"+id+"/deliveries?state=pending", nil, &page)
	if len(page.Deliveries) != 2 {
		t.Errorf("a paused webhook's replayed deliveries: %d pending, want 2", len(page.Deliveries))
	}
	var resumed struct{ Webhook hook }
	if st := c.api(t, "PATCH", "/api/webhooks/"+id, map[string]any{"paused": false}, &resumed); st != http.StatusOK || resumed.Webhook.Paused || resumed.Webhook.ID != id {
		t.Fatalf("resume: %d %+v", st, resumed)
	}
	testwait.Until(t, "the replayed events, signed with the new secret", func() bool { return r.count() == 2 })
	r.check(map[string][]string{"a": {"one", "two"}})

	var list struct{ Webhooks []hook }
	if st := c.api(t, "DELETE", "/api/webhooks/"+id, nil, nil); st != http.StatusOK {
		t.Errorf("delete: %d", st)
	}
	if st := c.api(t, "GET", "/api/webhooks", nil, &list); st != http.StatusOK || len(list.Webhooks) != 0 {
		t.Errorf("list after delete: %d %+v", st, list)
	}
}

// TestServeRefusesWebhookSettings: webhook settings out of their bounds stop the server at
// start with a usage error naming the flag (and the variable it came from).
func TestServeRefusesWebhookSettings(t *testing.T) {
	for _, c := range []struct {
		args []string
		env  string
		want string
	}{
		{[]string{"--webhook-concurrency", "1000"}, "", "--webhook-concurrency 1000: at most 256"},
		{[]string{"--webhook-batch", "100000"}, "", "--webhook-batch"},
		{[]string{"--webhook-lease-ttl", "10ms"}, "", "--webhook-lease-ttl 10ms: at least 1s"},
		{nil, "1ms", "--webhook-poll 1ms: at least 10ms (from env HUBBUB_WEBHOOK_POLL)"},
		{[]string{"--webhook-backoff-min", "1m", "--webhook-backoff-max", "1s"}, "", "above --webhook-backoff-max"},
		{[]string{"--webhook-timeout", "-1s"}, "", "webhook-timeout"},
	} {
		if c.env != "" {
			t.Setenv("HUBBUB_WEBHOOK_POLL", c.env)
		} else {
			os.Unsetenv("HUBBUB_WEBHOOK_POLL")
		}
		args := append([]string{"serve", "--print-config", "--data", filepath.Join(t.TempDir(), "x.db")}, c.args...)
		err := run(context.Background(), args, stdio{out: io.Discard, err: io.Discard})
		if err == nil || exitCode(err) != 2 || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q (env %q): %v, want a usage error with %q", c.args, c.env, err, c.want)
		}
	}
}
