package main

import (
	"bufio"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"hubbub"
	"hubbub/internal/server"
	"hubbub/internal/servertest"
	"hubbub/internal/testwait"
)

// What fitting the socket limits to a descriptor limit gives: the limits left at their
// defaults shrink by one factor until they fit with the headroom, --max-conns taking what the
// others leave; a limit the operator set is never lowered, and with --max-conns set nothing
// is.
func TestSocketLimitsFit(t *testing.T) {
	defaults := func() socketLimits {
		return socketLimits{{"max-conns", 20000, false}, {"connecting-queue", server.DefaultConnectingQueue, false}, {"max-http-conns", server.DefaultMaxHTTPConns, false}}
	}
	with := func(i, v int) socketLimits {
		l := defaults()
		l[i].value, l[i].set = v, true
		return l
	}
	for _, c := range []struct {
		name        string
		limits      socketLimits
		open        uint64
		want        [3]int
		wantLowered bool
	}{
		{"defaults, 20,000 descriptors", defaults(), 20000, [3]int{12231, 5009, 2504}, true},
		{"defaults, 4,096 descriptors", defaults(), 4096, [3]int{2379, 974, 487}, true},
		{"defaults, just above the headroom", defaults(), descriptorHeadroom + 3, [3]int{1, 1, 1}, true},
		{"defaults that fit", defaults(), 32288 + descriptorHeadroom, [3]int{20000, 8192, 4096}, false},
		{"defaults, descriptors unlimited", defaults(), 1 << 63, [3]int{20000, 8192, 4096}, false},
		{"no room past the headroom", defaults(), descriptorHeadroom, [3]int{20000, 8192, 4096}, false},
		{"--max-conns set", with(0, 1000), 1024, [3]int{1000, 8192, 4096}, false},
		{"--max-http-conns set", with(2, 700), 20000, [3]int{13511, 5533, 700}, true},
		{"--connecting-queue set past the descriptors", with(1, 20000), 20000, [3]int{20000, 20000, 4096}, false},
		{"a huge --max-conns", with(0, 1<<62), 20000, [3]int{1 << 62, 8192, 4096}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, lowered := c.limits.fit(c.open)
			if lowered != c.wantLowered || [3]int{got[0].value, got[1].value, got[2].value} != c.want {
				t.Fatalf("fit(%d) = %d %d %d, lowered %v; want %v, lowered %v",
					c.open, got[0].value, got[1].value, got[2].value, lowered, c.want, c.wantLowered)
			}
			if lowered && got.need() > c.open {
				t.Errorf("fitted limits need %d descriptors, more than the %d there are", got.need(), c.open)
			}
			for i := range got {
				if got[i].set && got[i].value != c.limits[i].value {
					t.Errorf("--%s was set to %d and became %d", got[i].flag, c.limits[i].value, got[i].value)
				}
			}
		})
	}
}

// A limit set by a flag, the environment or the config file is set, and never lowered; one
// left at its default is not, nor --connecting-queue 0, which asks for the default.
func TestSocketLimitsSetBy(t *testing.T) {
	c := &server.Config{MaxConns: 20000, ConnectingQueue: 0, MaxHTTPConns: 700}
	l := newSocketLimits(c, settingSources{"max-conns": "default", "connecting-queue": "flag", "max-http-conns": "env HUBBUB_MAX_HTTP_CONNS"})
	if l[0].set || l[1].set || !l[2].set || l[1].value != server.DefaultConnectingQueue {
		t.Fatalf("limits read as %+v", l)
	}
	fitted, lowered := l.fit(20000)
	if !lowered || fitted[2].value != 700 {
		t.Fatalf("fit(20000) of %+v = %+v, lowered %v: want the others lowered beside --max-http-conns 700", l, fitted, lowered)
	}
	fitted.apply(c)
	if c.MaxConns != fitted[0].value || c.ConnectingQueue != fitted[1].value || c.MaxHTTPConns != 700 {
		t.Errorf("the server's configuration became %d %d %d, want %+v", c.MaxConns, c.ConnectingQueue, c.MaxHTTPConns, fitted)
	}
	c.ConnectingQueue = 100
	l = newSocketLimits(c, settingSources{"max-conns": "file hubbub.conf:3", "connecting-queue": "flag", "max-http-conns": "default"})
	if !l[0].set || !l[1].set || l[2].set {
		t.Errorf("limits read as %+v", l)
	}
}

// childNofile is the descriptor limit of the child servers below: 16 sockets past the
// headroom, which the defaults fit as 10 WebSockets, 4 waiting upgrades and 2 plain HTTP
// connections.
const childNofile = descriptorHeadroom + 16

// A server started with its defaults where the process may open fewer descriptors than they
// need lowers them to fit, says so once at info with the numbers and how to raise the limit,
// warns of nothing, and refuses the WebSocket past the fitted --max-conns as past the flag.
// Before, it warned at every default start on a machine whose limit is 20,000, and held on to
// a --max-conns it could not serve: past the descriptors, clients waited unanswered.
func TestServeFitsItsDefaultLimitsToTheDescriptors(t *testing.T) {
	addr, logs := startLimitedChild(t, childNofile)
	out := logs()
	for _, want := range []string{
		`level=INFO msg="connection limits lowered to fit the file descriptors this process may open" max_conns=10 connecting_queue=4 max_http_conns=2 open_file_limit=272`,
		"ulimit -n 32544", "LimitNOFILE=32544",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in the log of a default start with %d descriptors:\n%s", want, childNofile, out)
		}
	}
	if strings.Contains(out, "level=WARN") {
		t.Errorf("a default start warned:\n%s", out)
	}

	s := &servertest.Server{WS: "ws://" + addr + "/ws"}
	for range 10 {
		servertest.DialJSON(t, s, "ann") // welcomed: the connection is held
	}
	d := websocket.Dialer{HandshakeTimeout: servertest.Wait, Subprotocols: []string{hubbub.ProtocolJSON}}
	c, resp, err := d.Dial(s.WS, nil)
	if err == nil {
		c.Close()
		t.Fatalf("an 11th WebSocket was served past the fitted --max-conns of 10")
	}
	if resp == nil || resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("the 11th WebSocket: %v %v, want 503 as past --max-conns", err, resp)
	}
	body, _ := io.ReadAll(resp.Body)
	if !strings.Contains(string(body), "connection limit") {
		t.Errorf("the 11th WebSocket was refused with %q, want the server's connection limit", body)
	}
}

// A server whose operator set limits that need more descriptors than the process may open
// warns at start, naming the flags and the numbers, and counts the upgrades --connecting-queue
// lets wait, which hold a socket each; limits that fit say nothing.
func TestServeWarnsWhenTheLimitsNeedMoreDescriptors(t *testing.T) {
	const warning = "the connection limits need more file descriptors than this process may open"
	// 10 + 2 + 256 fit 272, but not with the 8,192 upgrades the queue lets wait (before, this
	// did not warn).
	_, logs := startLimitedChild(t, childNofile, "--max-conns", "10", "--max-http-conns", "2")
	out := logs()
	for _, want := range []string{
		`level=WARN msg="` + warning,
		"max_conns=10 connecting_queue=8192 max_http_conns=2 need=8460 open_file_limit=272",
		`set=--max-conns,--max-http-conns`, "--connecting-queue", "LimitNOFILE",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in the log of --max-conns 10 --max-http-conns 2 with %d descriptors:\n%s", want, childNofile, out)
		}
	}
	if strings.Contains(out, "lowered") {
		t.Errorf("limits lowered though --max-conns was set:\n%s", out)
	}

	_, logs = startLimitedChild(t, childNofile, "--max-conns", "10", "--max-http-conns", "2", "--connecting-queue", "4")
	if out := logs(); strings.Contains(out, "level=WARN") || strings.Contains(out, "lowered") {
		t.Errorf("limits that fit %d descriptors warned or were lowered:\n%s", childNofile, out)
	}
}

// startLimitedChild runs serve with args in a child process that may open nofile
// descriptors, until the test ends, and returns its address and a function returning what it
// has logged so far (at least up to "hubbub serving").
func startLimitedChild(t *testing.T, nofile uint64, args ...string) (string, func() string) {
	t.Helper()
	if !canLimitDescriptors {
		t.Skip("serve reads no descriptor limit on this system")
	}
	cmd := exec.Command(os.Args[0], append([]string{"serve", "--host", "127.0.0.1", "--port", "0",
		"--data", filepath.Join(t.TempDir(), "h.db")}, args...)...)
	cmd.Env = []string{"HUBBUB_TEST_SERVE=1", "HUBBUB_TEST_NOFILE=" + strconv.FormatUint(nofile, 10)}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "HUBBUB_") { // serve's settings come from args alone
			cmd.Env = append(cmd.Env, kv)
		}
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	logs := new(lockedLog)
	addr, exited := make(chan string, 1), make(chan struct{})
	go func() {
		defer close(exited)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			_, _ = logs.Write(append(sc.Bytes(), '\n'))
			if m := listenLine.FindStringSubmatch(sc.Text()); m != nil {
				addr <- m[1]
			}
		}
	}()
	select {
	case a := <-addr:
		return a, logs.String
	case <-exited:
		t.Fatalf("the child serve exited at start:\n%s", logs.String())
	case <-time.After(testwait.StartTimeout):
		t.Fatalf("the child serve did not start:\n%s", logs.String())
	}
	return "", nil
}

// --print-config showed the limits serve lowers at start to fit the descriptors at their
// defaults (max-conns = 20000 where the server held 10): it shows what the server would use,
// and says beside each that it is the default lowered and what serves the default. A limit the
// operator set is shown as set.
func TestPrintConfigShowsTheLimitsFittedToTheDescriptors(t *testing.T) {
	out := runLimitedChild(t, childNofile, "--print-config")
	for _, want := range []string{
		`(?m)^max-conns = 10 +# default 20000, lowered at start to fit the 272 file descriptors this process may open \(ulimit -n 32544 serves the defaults\)$`,
		`(?m)^connecting-queue = 4 +# default 8192, lowered at start`,
		`(?m)^max-http-conns = 2 +# default 4096, lowered at start`,
	} {
		if !regexp.MustCompile(want).MatchString(out) {
			t.Errorf("--print-config with %d descriptors does not match %s:\n%s", childNofile, want, grepLines(out, "conn"))
		}
	}

	out = runLimitedChild(t, childNofile, "--print-config", "--max-conns", "10", "--max-http-conns", "2", "--connecting-queue", "4")
	for _, want := range []string{`(?m)^max-conns = 10 +# flag$`, `(?m)^connecting-queue = 4 +# flag$`, `(?m)^max-http-conns = 2 +# flag$`} {
		if !regexp.MustCompile(want).MatchString(out) {
			t.Errorf("--print-config of set limits does not match %s:\n%s", want, grepLines(out, "conn"))
		}
	}
}

// runLimitedChild runs serve with args in a child process that may open nofile descriptors,
// to its end, and returns what it printed.
func runLimitedChild(t *testing.T, nofile uint64, args ...string) string {
	t.Helper()
	if !canLimitDescriptors {
		t.Skip("serve reads no descriptor limit on this system")
	}
	cmd := exec.Command(os.Args[0], append([]string{"serve", "--data", filepath.Join(t.TempDir(), "h.db")}, args...)...)
	cmd.Env = []string{"HUBBUB_TEST_SERVE=1", "HUBBUB_TEST_NOFILE=" + strconv.FormatUint(nofile, 10)}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "HUBBUB_") { // serve's settings come from args alone
			cmd.Env = append(cmd.Env, kv)
		}
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("serve %v: %v\n%s", args, err, stderr.String())
	}
	return string(out)
}
