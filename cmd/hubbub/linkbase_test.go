package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"hubbub/internal/chattest"
	"hubbub/internal/servertest"
	"hubbub/internal/testwait"
)

// unsetServeAddress clears, for the test, the variables that choose the server's address.
func unsetServeAddress(t *testing.T) {
	t.Helper()
	for _, k := range []string{"HUBBUB_URL", "HUBBUB_PUBLIC_URL", "HUBBUB_HOST", "HUBBUB_PORT", "HUBBUB_TLS_CERT", "HUBBUB_CONFIG"} {
		t.Setenv(k, "") // restored after the test
		os.Unsetenv(k)
	}
}

var hookURLLine = regexp.MustCompile(`(?m)^URL \(shown once; the server keeps only its secret's hash\): (\S+)$`)

// TestAdminLinksUseServesAddress: hubbub hook create and hubbub user invite without --url begin
// their shown-once link with the address hubbub serve takes from the same settings — a
// tester's HUBBUB_PORT=3702 got http://localhost:3434/… — and say which address they assumed
// when nothing gave it. The hook URL made with HUBBUB_PORT posts on the server on that port.
func TestAdminLinksUseServesAddress(t *testing.T) {
	unsetServeAddress(t)
	data := filepath.Join(t.TempDir(), "hubbub.db")
	s := servertest.Start(t, servertest.Options{DataPath: data})
	u, err := url.Parse(s.URL)
	if err != nil {
		t.Fatal(err)
	}
	port := u.Port()

	// HUBBUB_PORT, as serve reads it: the URL is on that port, and says where it came from.
	t.Setenv("HUBBUB_PORT", port)
	out, stderr, err := botCmdRunBoth(t, "hook", "create", "--room", "alerts", "--data", data)
	m := hookURLLine.FindStringSubmatch(out)
	want := "http://localhost:" + port + "/hooks/"
	if err != nil || m == nil || !strings.HasPrefix(m[1], want) {
		t.Fatalf("hook create with HUBBUB_PORT=%s: %v\n%s%s\nwant a URL starting %s", port, err, out, stderr, want)
	}
	if !strings.Contains(stderr, "HUBBUB_PORT="+port) {
		t.Errorf("hook create with HUBBUB_PORT: stderr %q, want it to name the setting the address came from", stderr)
	}
	resp, err := http.Post(m[1], "application/json", strings.NewReader(`{"text":"through the printed URL"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Errorf("a post to the printed URL: %d, want 201", resp.StatusCode)
	}
	link, stderr, err := botCmdRunBoth(t, "user", "invite", "--data", data)
	if err != nil || !strings.HasPrefix(link, "http://localhost:"+port+"/invite#") || !strings.Contains(stderr, "HUBBUB_PORT="+port) {
		t.Errorf("user invite with HUBBUB_PORT=%s: %v, printed %q, stderr %q", port, err, link, stderr)
	}

	// HUBBUB_PUBLIC_URL wins over the port, as in serve, and needs no note; --url over both.
	t.Setenv("HUBBUB_PUBLIC_URL", "https://chat.example.com/")
	out, stderr, err = botCmdRunBoth(t, "hook", "create", "--room", "alerts", "--data", data)
	if m := hookURLLine.FindStringSubmatch(out); err != nil || m == nil || !strings.HasPrefix(m[1], "https://chat.example.com/hooks/ih_") || strings.Contains(stderr, "address") {
		t.Errorf("hook create with HUBBUB_PUBLIC_URL: %v\n%s%s", err, out, stderr)
	}
	if link, _, err := botCmdRunBoth(t, "user", "invite", "--data", data); err != nil || !strings.HasPrefix(link, "https://chat.example.com/invite#") {
		t.Errorf("user invite with HUBBUB_PUBLIC_URL: %v, printed %q", err, link)
	}
	out, stderr, err = botCmdRunBoth(t, "hook", "create", "--room", "alerts", "--url", "https://hooks.example.com", "--data", data)
	if m := hookURLLine.FindStringSubmatch(out); err != nil || m == nil || !strings.HasPrefix(m[1], "https://hooks.example.com/hooks/ih_") || strings.Contains(stderr, "address") {
		t.Errorf("hook create with --url: %v\n%s%s", err, out, stderr)
	}

	// Nothing set: serve's default, said to be assumed.
	unsetServeAddress(t)
	out, stderr, err = botCmdRunBoth(t, "hook", "create", "--room", "alerts", "--data", data)
	if m := hookURLLine.FindStringSubmatch(out); err != nil || m == nil || !strings.HasPrefix(m[1], "http://localhost:3434/hooks/") ||
		!strings.Contains(stderr, "assumed the server is at http://localhost:3434") {
		t.Errorf("hook create with nothing set: %v\n%s%s", err, out, stderr)
	}
	if link, stderr, err := botCmdRunBoth(t, "user", "invite", "--data", data); err != nil ||
		!strings.HasPrefix(link, "http://localhost:3434/invite#") || !strings.Contains(stderr, "assumed the server is at http://localhost:3434") {
		t.Errorf("user invite with nothing set: %v, printed %q, stderr %q", err, link, stderr)
	}

	// A port serve picks by itself (0) gives no address to print: a usage error, nothing made.
	t.Setenv("HUBBUB_PORT", "0")
	before, _ := botCmdRun(t, "hook", "list", "--data", data)
	if _, err := botCmdRun(t, "hook", "create", "--room", "alerts", "--data", data); exitCode(err) != 2 || !strings.Contains(err.Error(), "pass --url") {
		t.Errorf("hook create with HUBBUB_PORT=0: %v (exit %d), want a usage error asking for --url", err, exitCode(err))
	}
	if after, _ := botCmdRun(t, "hook", "list", "--data", data); after != before {
		t.Errorf("the refused hook create made a hook:\n%s", after)
	}
}

// TestServeBaseURL: one rule gives serve's own address — localhost for every interface and
// for the loopback addresses localhost names, any other host kept — so that the links the
// admin commands print, serve's start-up line and slash commands' response URLs agree: they
// said localhost and 127.0.0.1 for the same server.
func TestServeBaseURL(t *testing.T) {
	for _, c := range []struct {
		scheme, host string
		port         int
		want         string
	}{
		{"http", "", 3434, "http://localhost:3434"},
		{"http", "0.0.0.0", 3434, "http://localhost:3434"},
		{"http", "::", 3434, "http://localhost:3434"},
		{"http", "127.0.0.1", 3434, "http://localhost:3434"},
		{"https", "::1", 8443, "https://localhost:8443"},
		{"http", "127.0.0.2", 3434, "http://127.0.0.2:3434"}, // a loopback localhost does not name
		{"http", "192.168.1.20", 80, "http://192.168.1.20:80"},
		{"http", "fd00::7", 3434, "http://[fd00::7]:3434"},
		{"https", "chat.lan", 443, "https://chat.lan:443"},
	} {
		if got := serveBaseURL(c.scheme, c.host, c.port); got != c.want {
			t.Errorf("serveBaseURL(%q, %q, %d) = %q, want %q", c.scheme, c.host, c.port, got, c.want)
		}
	}
}

var startURL = regexp.MustCompile(`hubbub serving.* url=(\S+)`)

// TestServeStartURLIsTheLinkBase: the url serve's start-up line shows, for the default host and
// for every interface, is the address hook create and user invite begin their links with from
// the same host and port.
func TestServeStartURLIsTheLinkBase(t *testing.T) {
	unsetServeAddress(t)
	t.Cleanup(func() { onListen = nil })
	for _, host := range []string{defaultHost, ""} {
		addrs := make(chan net.Addr, 1)
		onListen = func(a net.Addr) { addrs <- a }
		ctx, cancel := context.WithCancel(t.Context())
		var logs chattest.Buffer
		done := make(chan error, 1)
		go func() {
			done <- run(ctx, []string{"serve", "--host", host, "--port", "0", "--data", filepath.Join(t.TempDir(), "h.db")},
				stdio{in: strings.NewReader(""), out: io.Discard, err: &logs})
		}()
		var addr net.Addr
		select {
		case addr = <-addrs:
		case err := <-done:
			t.Fatalf("serve --host %q exited at start: %v\n%s", host, err, logs.String())
		case <-time.After(testwait.StartTimeout):
			t.Fatalf("serve --host %q did not start", host)
		}
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve --host %q: %v", host, err)
		}
		onListen = nil
		m := startURL.FindStringSubmatch(logs.String())
		if m == nil {
			t.Fatalf("serve --host %q: no url in its start-up line:\n%s", host, logs.String())
		}
		port := strconv.Itoa(addr.(*net.TCPAddr).Port)
		t.Setenv("HUBBUB_HOST", host)
		t.Setenv("HUBBUB_PORT", port)
		base, _, err := linkBase("", "")
		if err != nil || base != m[1] || base != "http://localhost:"+port {
			t.Errorf("--host %q: serve started at %s, links begin %q (%v), want both http://localhost:%s", host, m[1], base, err, port)
		}
	}
}
