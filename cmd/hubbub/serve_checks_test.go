package main

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"hubbub/internal/chattest"
	"hubbub/internal/servertest"
	"hubbub/internal/sqlitetest"
	"hubbub/internal/testwait"
)

// A --read-limit near MaxInt64 made the frame-length arithmetic overflow and Parse panic in a
// connection's goroutine, ending the process; it is refused at start (issue 14, item 5).
func TestServeRefusesAHugeReadLimit(t *testing.T) {
	for _, limit := range []string{"9223372036854775807", "16777217"} {
		err := run(context.Background(), []string{"serve", "--print-config", "--read-limit", limit, "--data", filepath.Join(t.TempDir(), "x.db")},
			stdio{out: io.Discard, err: io.Discard})
		if err == nil || exitCode(err) != 2 || !strings.Contains(err.Error(), "read limit") {
			t.Errorf("--read-limit %s: %v (exit %d), want a usage error about the read limit", limit, err, exitCode(err))
		}
	}
	if err := run(context.Background(), []string{"serve", "--print-config", "--read-limit", "16777216"},
		stdio{out: io.Discard, err: io.Discard}); err != nil {
		t.Errorf("--read-limit 16777216 (the maximum): %v", err)
	}
}

// By default the server listens on loopback only, as the README says ("serves on
// localhost"); it listened on every interface (issue 14, item 11).
func TestServeListensOnLoopbackByDefault(t *testing.T) {
	addrs := make(chan net.Addr, 1)
	onListen = func(a net.Addr) { addrs <- a }
	t.Cleanup(func() { onListen = nil })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	var logs bytes.Buffer
	go func() {
		done <- run(ctx, []string{"serve", "--port", "0", "--data", filepath.Join(t.TempDir(), "h.db")},
			stdio{in: strings.NewReader(""), out: io.Discard, err: &logs})
	}()
	select {
	case a := <-addrs:
		ip := a.(*net.TCPAddr).IP
		if !ip.IsLoopback() {
			t.Errorf("serve without --host listens on %v, want a loopback address", a)
		}
	case err := <-done:
		t.Fatalf("serve exited at start: %v\n%s", err, logs.String())
	case <-time.After(testwait.StartTimeout):
		t.Fatal("serve did not start")
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// --print-config promises a configuration serve accepts; it printed one with half a TLS pair,
// which serve then refused (issue 14, item 15).
func TestPrintConfigRefusesHalfATLSPair(t *testing.T) {
	for _, half := range [][]string{{"--tls-cert", "cert.pem"}, {"--tls-key", "key.pem"}} {
		err := run(context.Background(), append([]string{"serve", "--print-config"}, half...),
			stdio{out: io.Discard, err: io.Discard})
		if err == nil || exitCode(err) != 2 || !strings.Contains(err.Error(), "go together") {
			t.Errorf("--print-config %v: %v (exit %d), want the usage error serve gives", half, err, exitCode(err))
		}
	}
}

// `hubbub --version` prints the version like `hubbub version`; it was taken for a serve flag
// and refused (issue 14, item 15).
func TestVersionFlag(t *testing.T) {
	for _, arg := range []string{"version", "--version", "-version"} {
		var out bytes.Buffer
		if err := run(context.Background(), []string{arg}, stdio{out: &out, err: io.Discard}); err != nil {
			t.Errorf("hubbub %s: %v", arg, err)
		}
		if !strings.HasPrefix(out.String(), "hubbub ") {
			t.Errorf("hubbub %s printed %q", arg, out.String())
		}
	}
}

// `hubbub add` with operands whose sum overflows gets an error from the server; it printed
// the error and exited 0 (issue 14, item 15).
func TestAddFailsWhenTheServerRefusesTheSum(t *testing.T) {
	addr := serveForTest(t, "--data", filepath.Join(t.TempDir(), "h.db"))
	var out bytes.Buffer
	err := runAdd(context.Background(), []string{"--count", "3", "--every", "1ms", "--a", "9223372036854775807", "--b", "1", "ws://" + addr + "/add"},
		stdio{out: &out, err: io.Discard})
	if err == nil || exitCode(err) != 1 || !strings.Contains(err.Error(), "does not fit") {
		t.Fatalf("add of an overflowing sum: %v (exit %d), output %q; want exit 1 with the server's error", err, exitCode(err), out.String())
	}
}

// hubbub add pointed at the chat endpoint waited its --timeout for an answer the text protocol
// never gives (it takes the first line for a name) and ended "receive: read tcp …: i/o
// timeout"; it says now which endpoint that is and which is the add service's.
func TestAddToTheChatEndpointSaysWhichIsWhich(t *testing.T) {
	addr := serveForTest(t)
	var out bytes.Buffer
	err := runAdd(context.Background(), []string{"--count", "1", "--timeout", "5s", "ws://" + addr + "/ws"}, stdio{out: &out, err: io.Discard})
	want := fmt.Sprintf("add: ws://%s/ws is the chat endpoint (hubbub chat ws://%s/ws); the add service is ws://%s/add", addr, addr, addr)
	if err == nil || err.Error() != want || exitCode(err) != 1 {
		t.Fatalf("add to /ws: %v, want %q", err, want)
	}
	// The add service itself is unchanged by the offer of the chat's protocol.
	out.Reset()
	if err := runAdd(context.Background(), []string{"--count", "1", "ws://" + addr + "/add"}, stdio{out: &out, err: io.Discard}); err != nil || !strings.Contains(out.String(), "response sum=12\n") {
		t.Fatalf("add to /add: %v, output %q", err, out.String())
	}
}

// Leaving the current room makes the one joined before it current: the client says so, where
// it switched silently (issue 14, item 15).
func TestChatSaysWhereLinesGoAfterLeave(t *testing.T) {
	chattest.LeakCheck(t)
	s := servertest.Start(t, servertest.Options{})
	in := strings.Join([]string{"/join random", "/leave random", "in general", "/leave", "nowhere"}, "\n")
	_, stderr, err := chatToEnd(t, in, chattest.Args(chattest.User(t, "alice"), []string{s.WS})...)
	// The line typed in no room was not sent: the script fails over it.
	if err == nil || err.Error() != "chat: 1 of 2 messages were refused: you are in no room; /join one first" {
		t.Fatalf("%v\n%s", err, stderr)
	}
	for _, want := range []string{"* lines you type go to general now\n", "* you are in no room now; /join one to send\n"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("no %q in stderr:\n%s", want, stderr)
		}
	}
}

// chat and add reach a server with a self-signed certificate when --ca-file names it, and
// without it fail with a hint naming --ca-file (issue 14, item 15).
func TestChatAndAddTrustACAFile(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, _ := selfSigned(t, dir)
	addr := serveForTest(t, "--data", filepath.Join(dir, "h.db"), "--tls-cert", certFile, "--tls-key", keyFile)
	var out bytes.Buffer
	err := runAdd(context.Background(), []string{"--count", "1", "--ca-file", certFile, "wss://" + addr + "/add"}, stdio{out: &out, err: io.Discard})
	if err != nil || !strings.Contains(out.String(), "response sum=12") {
		t.Fatalf("add --ca-file: %v, output %q", err, out.String())
	}
	err = runAdd(context.Background(), []string{"--count", "1", "wss://" + addr + "/add"}, stdio{out: io.Discard, err: io.Discard})
	if err == nil || !strings.Contains(err.Error(), "--ca-file") {
		t.Errorf("add without --ca-file: %v, want a certificate error pointing at --ca-file", err)
	}

	stdout, stderr, err := chatToEnd(t, "over tls\n", chattest.Args(chattest.User(t, "ann"), []string{"--ca-file", certFile, "wss://" + addr + "/ws"})...)
	if err != nil || !strings.Contains(stderr, "connected to wss://") {
		t.Fatalf("chat --ca-file: %v\nstdout:\n%s\nstderr:\n%s", err, stdout, stderr)
	}
	ctx, cancel := context.WithTimeout(context.Background(), testwait.Timeout)
	defer cancel()
	err = runChat(ctx, chattest.Args(chattest.User(t, "ann"), []string{"wss://" + addr + "/ws"}), stdio{in: strings.NewReader("x\n"), out: io.Discard, err: io.Discard})
	if err == nil || !strings.Contains(err.Error(), "--ca-file") {
		t.Errorf("chat without --ca-file: %v, want a certificate error pointing at --ca-file", err)
	}
	if err := runAdd(context.Background(), []string{"--ca-file", filepath.Join(dir, "h.db"), "wss://" + addr + "/add"}, stdio{out: io.Discard, err: io.Discard}); err == nil || exitCode(err) != 2 {
		t.Errorf("add --ca-file of a file that holds no certificate: %v, want a usage error", err)
	}
}

// A damaged --data file stops serve at start with one line saying what to do, where it used to
// start and report ready; --sqlite-skip-check starts anyway (issue 14, item 3).
func TestServeRefusesADamagedDatabase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hubbub.db")
	sqlitetest.Damaged(t, path, "r", 2000)
	ctx, cancel := context.WithTimeout(context.Background(), testwait.Timeout)
	defer cancel()
	err := run(ctx, []string{"serve", "--port", "0", "--data", path}, stdio{out: io.Discard, err: io.Discard})
	if err == nil || exitCode(err) != 1 || !strings.Contains(err.Error(), "damaged") || !strings.Contains(err.Error(), "--sqlite-skip-check") {
		t.Fatalf("serve on a damaged file: %v (exit %d), want exit 1 saying it is damaged and what to do", err, exitCode(err))
	}
	if strings.Count(err.Error(), "\n") > 0 {
		t.Errorf("the error is more than one line: %q", err)
	}
	_, stop := startServe(t, "--data", path, "--sqlite-skip-check")
	if err := stop(); err != nil {
		t.Fatal(err)
	}
}

// While the store cannot write, /readyz says so (it said 200 while every send failed), and the
// log carries a few lines per failing message and window, not two per failed send; once the
// store writes again, /readyz is 200 again without any client sending (issue 14, item 2). The
// store fails for real: another connection holds the file's write lock, as an sqlite3 shell in
// a transaction would.
func TestReadinessFollowsFailingWritesAndTheLogStaysShort(t *testing.T) {
	path := filepath.Join(t.TempDir(), "h.db")
	addrs := make(chan net.Addr, 1)
	onListen = func(a net.Addr) { addrs <- a }
	t.Cleanup(func() { onListen = nil })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	var logs chattest.Buffer
	go func() {
		done <- run(ctx, []string{"serve", "--port", "0", "--data", path, "--sqlite-busy-timeout", "20ms"},
			stdio{in: strings.NewReader(""), out: io.Discard, err: &logs})
	}()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	var addr string
	select {
	case a := <-addrs:
		addr = a.String()
	case err := <-done:
		done <- nil // for the deferred receive, which would otherwise wait forever
		t.Fatalf("serve exited at start: %v\n%s", err, logs.String())
	case <-time.After(testwait.StartTimeout):
		t.Fatal("serve did not start")
	}
	ready := func() int {
		resp, err := http.Get("http://" + addr + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := ready(); code != http.StatusOK {
		t.Fatalf("/readyz at start: %d", code)
	}

	// Take the write lock from another connection, waiting for the server's own writes of
	// the moment (the leases of the webhooks dispatcher and the notifier are taken at start).
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	lock, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	if _, err := lock.ExecContext(context.Background(), "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}

	ws, _, err := websocket.DefaultDialer.Dial("ws://"+addr+"/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	const sends = 15 // within --send-burst, so none is refused for its rate
	_ = ws.WriteMessage(websocket.TextMessage, []byte("ann"))
	for i := range sends {
		_ = ws.WriteMessage(websocket.TextMessage, []byte(fmt.Sprintf("hello %d", i)))
	}
	_ = ws.SetReadDeadline(time.Now().Add(testwait.Timeout))
	for i := 0; i < sends; {
		_, data, err := ws.ReadMessage()
		if err != nil {
			t.Fatalf("after %d answers: %v", i, err)
		}
		if strings.HasPrefix(string(data), "ann: ") {
			t.Fatalf("a send was delivered while the store could not write: %q", data)
		}
		if strings.HasPrefix(string(data), "error: ") {
			i++
		}
	}
	testwait.Until(t, "/readyz to answer 503 while writes fail", func() bool { return ready() == http.StatusServiceUnavailable })
	if n := strings.Count(logs.String(), "store append failed"); n > 5 {
		t.Errorf("%d log lines for %d failed sends, want at most 5 (--log-repeat-burst):\n%s", n, sends, logs.String())
	}
	// The line says what failed to be stored: a message's kind is the zero value, which the
	// log wrote as kind="" (found running three nodes with PostgreSQL cut off).
	if !strings.Contains(logs.String(), `room=lobby kind=message `) {
		t.Errorf("the log does not say that a message failed to be stored (kind=message):\n%s", logs.String())
	}

	if _, err := lock.ExecContext(context.Background(), "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	testwait.Until(t, "/readyz to answer 200 once writes work", func() bool { return ready() == http.StatusOK })
}

// --memory-release is 0 (never) or within memrelease's bounds: an interval of a millisecond
// would collect on every pause of a burst.
func TestServeMemoryReleaseBounds(t *testing.T) {
	for _, v := range []string{"1ms", "-1s", "11m"} {
		err := run(context.Background(), []string{"serve", "--print-config", "--memory-release", v, "--data", filepath.Join(t.TempDir(), "x.db")},
			stdio{out: io.Discard, err: io.Discard})
		if err == nil || exitCode(err) != 2 || !strings.Contains(err.Error(), "--memory-release") {
			t.Errorf("--memory-release %s: %v (exit %d), want a usage error naming the flag", v, err, exitCode(err))
		}
	}
	for _, v := range []string{"0", "1s", "10m"} {
		if err := run(context.Background(), []string{"serve", "--print-config", "--memory-release", v, "--data", filepath.Join(t.TempDir(), "x.db")},
			stdio{out: io.Discard, err: io.Discard}); err != nil {
			t.Errorf("--memory-release %s: %v", v, err)
		}
	}
}

// --print-config promises that what it prints is a configuration serve accepts, but it
// accepted a --public-url or --command-concurrency that serve then refused once it had opened
// the store; and --max-dm-members 1 started a server on which every DM was refused (limit).
func TestPrintConfigRefusesWhatServeRefuses(t *testing.T) {
	for _, c := range []struct{ flag, value string }{
		{"--public-url", "notaurl"},
		{"--public-url", "ftp://chat.example.com"},
		{"--command-concurrency", "0"},
		{"--max-dm-members", "1"},
	} {
		err := run(context.Background(), []string{"serve", "--print-config", c.flag, c.value, "--data", filepath.Join(t.TempDir(), "x.db")},
			stdio{out: io.Discard, err: io.Discard})
		if err == nil || exitCode(err) != 2 || !strings.Contains(err.Error(), c.flag) {
			t.Errorf("%s %s: %v (exit %d), want a usage error naming the flag", c.flag, c.value, err, exitCode(err))
		}
	}
	for _, c := range []struct{ flag, value string }{
		{"--public-url", "https://chat.example.com"},
		{"--max-dm-members", "2"},
		{"--max-dm-members", "0"},
	} {
		if err := run(context.Background(), []string{"serve", "--print-config", c.flag, c.value, "--data", filepath.Join(t.TempDir(), "x.db")},
			stdio{out: io.Discard, err: io.Discard}); err != nil {
			t.Errorf("%s %s: %v", c.flag, c.value, err)
		}
	}
}

// TestServeRefusesAMaxTextPastTheReadLimit: --max-text 10000 with the default --read-limit
// (8,192) started, and every message over about 8 KB then closed its connection with 1009
// instead of getting too_long — and a client that resends what was not acknowledged sent it
// again on every reconnect. A --max-text that no send frame within --read-limit can carry is
// refused at start, saying the --read-limit it needs.
func TestServeRefusesAMaxTextPastTheReadLimit(t *testing.T) {
	data := filepath.Join(t.TempDir(), "x.db")
	err := run(context.Background(), []string{"serve", "--print-config", "--max-text", "10000", "--data", data},
		stdio{out: io.Discard, err: io.Discard})
	if err == nil || exitCode(err) != 2 || !strings.Contains(err.Error(), "--max-text 10000 needs --read-limit 21024 or more") {
		t.Errorf("--max-text 10000: %v (exit %d), want a usage error saying the --read-limit it needs", err, exitCode(err))
	}
	for _, ok := range [][]string{{"--max-text", "10000", "--read-limit", "21024"}, {"--max-text", "4096"}} {
		if err := run(context.Background(), append([]string{"serve", "--print-config", "--data", data}, ok...),
			stdio{out: io.Discard, err: io.Discard}); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
}

// TestServeOnATakenPortSaysWhatToDo: a second `go run ./cmd/hubbub` (or any program on 3434)
// ended with "hubbub: listen: listen tcp 127.0.0.1:3434: bind: address already in use"; it
// now says what to do about it, as the README's quick start expects a free port.
func TestServeOnATakenPortSaysWhatToDo(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := fmt.Sprint(ln.Addr().(*net.TCPAddr).Port)
	data := filepath.Join(t.TempDir(), "h.db")
	err = run(context.Background(), []string{"serve", "--host", "127.0.0.1", "--port", port, "--data", data},
		stdio{in: strings.NewReader(""), out: io.Discard, err: io.Discard})
	if err == nil || !strings.Contains(err.Error(), "address already in use") ||
		!strings.Contains(err.Error(), "(another program, perhaps another hubbub, listens on 127.0.0.1:"+port+": stop it, or pass another --port)") {
		t.Errorf("serve on a taken port: %v, want the refusal and what to do", err)
	}
	// The port is found taken before the store is opened: no file is made and migrated for a
	// server that never serves it.
	if _, err := os.Stat(data); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("serve on a taken port made %s (stat: %v)", data, err)
	}
}

// A --postgres-writers past what the URL's pool lets run (its connections less one, which reads
// keep) was capped by the store without a word: --postgres-writers 8 on a pool of 4 ran 3. It
// is refused at start, saying the most the pool allows and how to allow more; the default,
// capped as its help says, and a number that fits start as before.
func TestServeRefusesMorePostgresWritersThanThePoolAllows(t *testing.T) {
	const url = "postgres://hubbub:secret@127.0.0.1:1/chat?pool_max_conns=4"
	printConfig := func(args ...string) error {
		return run(context.Background(), append([]string{"serve", "--print-config", "--postgres", url}, args...),
			stdio{out: io.Discard, err: io.Discard})
	}
	err := printConfig("--postgres-writers", "8")
	if err == nil || exitCode(err) != 2 {
		t.Fatalf("--postgres-writers 8 on a pool of 4: %v (exit %d), want a usage error", err, exitCode(err))
	}
	for _, want := range []string{"invalid --postgres-writers 8: want 1 to 3", "pool holds 4 connections", "pool_max_conns=9"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("--postgres-writers 8 on a pool of 4 was refused with %q, want %q in it", err, want)
		}
	}
	if strings.Contains(err.Error(), "secret") {
		t.Errorf("the refusal shows the URL's password: %q", err)
	}
	if err := printConfig("--postgres-writers", "3"); err != nil {
		t.Errorf("--postgres-writers 3 on a pool of 4: %v", err)
	}
	if err := run(context.Background(), []string{"serve", "--print-config", "--postgres", "postgres://127.0.0.1:1/chat?pool_max_conns=2"},
		stdio{out: io.Discard, err: io.Discard}); err != nil {
		t.Errorf("the default --postgres-writers on a pool of 2: %v", err)
	}
	t.Setenv("HUBBUB_POSTGRES_WRITERS", "4")
	if err := printConfig(); err == nil || !strings.Contains(err.Error(), "want 1 to 3") || !strings.Contains(err.Error(), "env HUBBUB_POSTGRES_WRITERS") {
		t.Errorf("HUBBUB_POSTGRES_WRITERS=4 on a pool of 4: %v, want a usage error naming the variable", err)
	}
}
