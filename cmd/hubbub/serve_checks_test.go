package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

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
	case <-time.After(testwait.Timeout):
		t.Fatal("serve did not start")
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
