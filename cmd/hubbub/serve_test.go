package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"hubbub/internal/testwait"
)

// startServe runs `hubbub serve args...` in-process, as the binary would, and returns its
// address and a stop function that cancels it (like SIGTERM) and returns its error.
func startServe(t *testing.T, args ...string) (string, func() error) {
	t.Helper()
	addr, stop, _ := startServeLogged(t, args...)
	return addr, stop
}

// startServeLogged is startServe that also returns what serve has logged so far.
func startServeLogged(t *testing.T, args ...string) (string, func() error, func() string) {
	t.Helper()
	addrs := make(chan net.Addr, 1)
	onListen = func(a net.Addr) { addrs <- a }
	t.Cleanup(func() { onListen = nil })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	logs := new(lockedLog)
	base := []string{"serve", "--host", "127.0.0.1", "--port", "0"}
	if !namesStore(args) {
		// serve's default --data is hubbub.db in the working directory: the package's source
		// directory under go test, which a test must not write.
		base = append(base, "--data", filepath.Join(t.TempDir(), "hubbub.db"))
	}
	go func() {
		done <- run(ctx, append(base, args...),
			stdio{in: strings.NewReader(""), out: io.Discard, err: logs})
	}()
	select {
	case a := <-addrs:
		return a.String(), func() error { cancel(); return <-done }, logs.String
	case err := <-done:
		t.Fatalf("serve exited at start: %v\n%s", err, logs.String())
	case <-time.After(testwait.StartTimeout):
		t.Fatal("serve did not start")
	}
	return "", nil, nil
}

// namesStore reports whether serve's args choose its store (--data or --postgres).
func namesStore(args []string) bool {
	for _, a := range args {
		for _, f := range []string{"-data", "--data", "-postgres", "--postgres"} {
			if a == f || strings.HasPrefix(a, f+"=") {
				return true
			}
		}
	}
	return false
}

// lockedLog is a buffer that serve's logger writes while the test reads it.
type lockedLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *lockedLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *lockedLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// serveForTest starts serve with args (startServe) for the rest of the test: it is stopped
// when the test ends, and an error serve returns then fails the test.
func serveForTest(t *testing.T, args ...string) string {
	t.Helper()
	addr, stop := startServe(t, args...)
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return addr
}

// The README's quick start: the server serves the page, health, the socket and the add
// service, and a cancelled context (SIGINT/SIGTERM) ends it cleanly with 1001 to clients.
func TestServeStartsAndShutsDownCleanly(t *testing.T) {
	addr, stop := startServe(t, "--data", filepath.Join(t.TempDir(), "h.db"))
	for _, path := range []string{"/", "/classic", "/healthz", "/readyz"} {
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s: %d", path, resp.StatusCode)
		}
	}
	ws, _, err := websocket.DefaultDialer.Dial("ws://"+addr+"/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	_ = ws.WriteMessage(websocket.TextMessage, []byte("ann"))
	_ = ws.WriteMessage(websocket.TextMessage, []byte("hello"))
	_ = ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, data, err := ws.ReadMessage(); err != nil || string(data) != "ann: hello" {
		t.Fatalf("got %q, %v", data, err)
	}

	var out bytes.Buffer
	if err := runAdd(context.Background(), []string{"--count", "2", "--every", "1ms", "ws://" + addr + "/add"},
		stdio{out: &out, err: io.Discard}); err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(out.String(), "response sum=12"); got != 2 {
		t.Fatalf("add client printed %q", out.String())
	}
	if !strings.Contains(out.String(), "Sec-Websocket-Accept:") {
		t.Fatalf("add client did not print the response headers: %q", out.String())
	}
	// The server's address as a browser would show it works too: http:// means ws://, and no
	// path means /add.
	out.Reset()
	if err := runAdd(context.Background(), []string{"--count", "1", "http://" + addr},
		stdio{out: &out, err: io.Discard}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "response sum=12") {
		t.Fatalf("add client with an http:// URL printed %q", out.String())
	}

	errc := make(chan error, 1)
	go func() { errc <- stop() }()
	_, _, err = ws.ReadMessage()
	if !websocket.IsCloseError(err, websocket.CloseGoingAway) {
		t.Fatalf("on shutdown the client got %v, want close 1001", err)
	}
	if err := <-errc; err != nil {
		t.Fatalf("serve returned %v after shutdown, want nil (exit 0)", err)
	}
}

func TestServeFlagsFromEnvironmentAndErrors(t *testing.T) {
	t.Setenv("HUBBUB_PORT", "notaport")
	err := run(context.Background(), []string{"serve"}, stdio{out: io.Discard, err: io.Discard})
	if err == nil || !strings.Contains(err.Error(), "HUBBUB_PORT") || exitCode(err) != 2 {
		t.Fatalf("bad env: %v", err)
	}
	os.Unsetenv("HUBBUB_PORT") // t.Setenv puts it back after the test
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"serve", "--pong-wait", "1s", "--ping-period", "2s"}, "must be longer than the ping period"},
		{[]string{"serve", "--log-format", "xml"}, `invalid --log-format "xml"`},
		{[]string{"serve", "--subprotocols", "mqtt"}, `unknown subprotocol "mqtt"`},
		{[]string{"serve", "extra"}, "serve takes no arguments"},
		{[]string{"serve", "--send-rate", "NaN"}, "--send-rate NaN must be a finite number"},
		{[]string{"serve", "--print-config", "--ping-period", "2m"}, "must be longer than the ping period"},
		{[]string{"frobnicate"}, `unknown command "frobnicate"`},
		{[]string{"serve", "--sqlite-search-lag", "65537"}, "invalid --sqlite-search-lag 65537: want 0 to 65536"},
		{[]string{"serve", "--sqlite-search-delay", "-1s"}, "sqlite-search-delay"},
		{[]string{"serve", "--sqlite-search-slice", "0"}, "invalid --sqlite-search-slice 0: want 1 or more"},
		{[]string{"serve", "--sqlite-search-slice", "65537"}, "invalid --sqlite-search-slice 65537: want 1 to 65536"},
		{[]string{"serve", "--sqlite-sync-ahead", "65"}, "invalid --sqlite-sync-ahead 65: want 1 to 64"},
		{[]string{"serve", "--sqlite-batch-window", "101ms"}, "invalid --sqlite-batch-window 101ms: want 0 to 100ms"},
		{[]string{"serve", "--sqlite-batch-window", "-1ms"}, "--sqlite-batch-window -1ms must not be negative"},
		{[]string{"serve", "--poll-idle-readers", "65537"}, "invalid --poll-idle-readers 65537: want 0 to 65536"},
		{[]string{"serve", "--postgres-search-lag", "0"}, "invalid --postgres-search-lag 0: want 1 or more"},
		{[]string{"serve", "--postgres-search-lag", "65537"}, "invalid --postgres-search-lag 65537: want 1 to 65536"},
		{[]string{"serve", "--postgres-search-delay", "-1s"}, "postgres-search-delay"},
		{[]string{"serve", "--postgres-writers", "65"}, "invalid --postgres-writers 65: want 1 to 64"},
		{[]string{"serve", "--postgres-writers", "0"}, "--postgres-writers 0"},
		{[]string{"serve", "--postgres-max-batch", "65537"}, "invalid --postgres-max-batch 65537: want 1 to 65536"},
		{[]string{"serve", "--postgres-batch-window", "101ms"}, "invalid --postgres-batch-window 101ms: want 0 to 100ms"},
		{[]string{"serve", "--postgres-batch-window", "-1ms"}, "--postgres-batch-window -1ms must not be negative"},
		{[]string{"serve", "--postgres-tx-timeout", "0"}, "--postgres-tx-timeout 0"},
	} {
		err := run(context.Background(), append(c.args, "--port", "0", "--data", filepath.Join(t.TempDir(), "x.db")),
			stdio{out: io.Discard, err: io.Discard})
		if err == nil || exitCode(err) != 2 || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: %v (exit %d), want a usage error containing %q", c.args, err, exitCode(err), c.want)
		}
	}
	// The log size is checked before anything is opened, wherever it came from.
	for _, c := range []struct {
		env, flag, want string
	}{{"", "0", "invalid --sqlite-wal-pages 0"}, {"", "1048577", "invalid --sqlite-wal-pages 1048577"}, {"0", "", "(from env HUBBUB_SQLITE_WAL_PAGES)"}} {
		t.Setenv("HUBBUB_SQLITE_WAL_PAGES", c.env) // and put back after the test
		if c.env == "" {
			os.Unsetenv("HUBBUB_SQLITE_WAL_PAGES")
		}
		args := []string{"serve", "--port", "0", "--data", filepath.Join(t.TempDir(), "x.db")}
		if c.flag != "" {
			args = append(args, "--sqlite-wal-pages", c.flag)
		}
		err := run(context.Background(), args, stdio{out: io.Discard, err: io.Discard})
		if err == nil || exitCode(err) != 2 || !strings.Contains(err.Error(), c.want) {
			t.Errorf("env %q, flag %q: %v, want a usage error containing %q", c.env, c.flag, err, c.want)
		}
	}
	os.Unsetenv("HUBBUB_SQLITE_WAL_PAGES")
	for _, n := range []string{"0", "65537"} {
		err := run(context.Background(), []string{"serve", "--port", "0", "--data", filepath.Join(t.TempDir(), "x.db"), "--sqlite-max-batch", n},
			stdio{out: io.Discard, err: io.Discard})
		if want := "invalid --sqlite-max-batch " + n; err == nil || exitCode(err) != 2 || !strings.Contains(err.Error(), want) {
			t.Errorf("--sqlite-max-batch %s: %v, want a usage error containing %q", n, err, want)
		}
	}
	for _, c := range [][2]string{{"--max-connecting", "-1"}, {"--connecting-queue", "-1"}, {"--connecting-queue", "65537"}, {"--connecting-wait", "2m"}, {"--bot-cache-size", "-5"}, {"--bot-cache-size", "1000000"}, {"--bot-cache-age", "-1s"}, {"--nats-dispatch-queue", "0"}, {"--nats-dispatch-queue", "16777217"}, {"--nats-max-event", "-1"}, {"--nats-max-event", "4095"}} {
		err := run(context.Background(), []string{"serve", "--port", "0", "--data", filepath.Join(t.TempDir(), "x.db"), c[0], c[1]},
			stdio{out: io.Discard, err: io.Discard})
		if want := c[0] + " " + c[1]; err == nil || exitCode(err) != 2 || !strings.Contains(err.Error(), want) {
			t.Errorf("%s %s: %v, want a usage error containing %q", c[0], c[1], err, want)
		}
	}
	// A flag given on the command line wins over the environment.
	t.Setenv("HUBBUB_LOG_FORMAT", "xml")
	addr, stop := startServe(t, "--log-format", "json", "--data", filepath.Join(t.TempDir(), "h.db"))
	if addr == "" {
		t.Fatal("no address")
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
}

func TestAddClientErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{}, "exactly one URL"},
		{[]string{"ftp://x/add"}, "want ws://, wss://, http:// or https://"},
		{[]string{"ws:///add"}, "no host"},
		{[]string{"--count", "-1", "ws://x/add"}, "--count -1 must not be negative"},
		{[]string{"--every", "-1s", "ws://x/add"}, "--every -1s must not be negative"},
		{[]string{"--timeout", "0s", "ws://x/add"}, "--timeout must be positive"},
	} {
		err := runAdd(context.Background(), c.args, stdio{out: io.Discard, err: io.Discard})
		if err == nil || exitCode(err) != 2 || !strings.Contains(err.Error(), c.want) {
			t.Errorf("add %v: %v, want a usage error containing %q", c.args, err, c.want)
		}
	}
	// The operands may be negative: that is arithmetic, not a count. (The dial then fails.)
	err := runAdd(context.Background(), []string{"--a", "-3", "--timeout", "1ms", "ws://127.0.0.1:1/add"}, stdio{out: io.Discard, err: io.Discard})
	if err == nil || exitCode(err) == 2 {
		t.Errorf("add --a -3: %v, want a connect error, not a usage error", err)
	}
	addr := refusingAddr
	err = runAdd(context.Background(), []string{"--timeout", "2s", fmt.Sprintf("ws://%s/add", addr)}, stdio{out: io.Discard, err: io.Discard})
	// As hubbub chat's: which command failed, and what to check (found being a new user: it
	// said only "hubbub: connect to ws://…/add: dial tcp …: connection refused").
	if err == nil || !strings.HasPrefix(err.Error(), "add: connect to ws://"+addr+"/add") ||
		!strings.Contains(err.Error(), "is hubbub serving on "+addr+"?") {
		t.Errorf("unreachable server: %v, want the command, the refusal and what to check", err)
	}
}

// Flags written before a command (`hubbub --data x.db user list`) went to the implicit serve,
// which answered "serve takes no arguments" or "flag provided but not defined: -name" to
// someone who never asked for a server. The error says to put the command first, as the command
// line that works; a flag's value that happens to name a command is still the flag's value.
func TestCommandAfterFlagsSaysToPutItFirst(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--data", "x.db", "user", "list"}, "the command comes first: hubbub user list --data x.db (flags before it are the server's)"},
		{[]string{"--port", "27431", "chat", "ws://127.0.0.1:27431/ws"}, "the command comes first: hubbub chat ws://127.0.0.1:27431/ws --port 27431"},
		{[]string{"--name", "ann", "chat", "ws://h/ws"}, "the command comes first: hubbub chat ws://h/ws --name ann"},
		{[]string{"--signin", "chat", "ws://h/ws"}, "the command comes first: hubbub chat ws://h/ws --signin"},
		{[]string{"--compression", "add", "ws://h/add"}, "the command comes first: hubbub add ws://h/add --compression"},
		{[]string{"--data", "x.db", "serve"}, "the command comes first: hubbub serve --data x.db"},
		// Not a command after flags: serve judges the arguments as before.
		{[]string{"--node", "chat", "extra"}, `serve takes no arguments, got ["extra"]`},
		{[]string{"serve", "--port", "0", "chat"}, `serve takes no arguments, got ["chat"]`},
		{[]string{"--", "chat"}, `serve takes no arguments, got ["chat"]`},
	} {
		var stderr strings.Builder
		err := run(context.Background(), c.args, stdio{out: io.Discard, err: &stderr})
		if err == nil || exitCode(err) != 2 || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("hubbub %s: %v (exit %d), want one line containing %q", strings.Join(c.args, " "), err, exitCode(err), c.want)
		}
	}
}
