package main

import (
	"bufio"
	"io"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"hubbub"
	"hubbub/internal/testwait"
)

// An upgrade waiting for an admission slot when `hubbub serve` is told to stop is refused as
// the server shutting down: 503 with no Retry-After, which would invite the client back to a
// server that is going away. http.Server.Shutdown waits for that upgrade's handler, and the
// server's own Shutdown, which refuses the waiters too, runs only after it: without serve's
// RegisterOnShutdown(StopAdmitting) the upgrade waits out --connecting-wait and is answered
// as shed (503 "busy" with Retry-After). The waits are set far enough apart that the answer,
// not a timing, tells the two paths apart.
func TestServeRefusesWaitingUpgradeAsDraining(t *testing.T) {
	addr, stop := startServe(t, "--data", filepath.Join(t.TempDir(), "h.db"),
		"--max-connecting", "1", "--connecting-wait", "1m",
		// The holder's slot must outlast the wait, and shutdown must outlast both, or another
		// path would free the waiter first.
		"--handshake-timeout", "10m", "--shutdown-timeout", "10m")
	ws := "ws://" + addr + "/ws"
	dialer := websocket.Dialer{Subprotocols: []string{hubbub.ProtocolJSON}, HandshakeTimeout: 2 * time.Minute}

	// An upgraded client that never says hello holds the only slot.
	holder, _, err := dialer.Dial(ws, nil)
	if err != nil {
		t.Fatalf("first upgrade: %v", err)
	}
	defer holder.Close()
	// It reads all along, so that it answers the server's pings and the close at shutdown.
	holderEnd := make(chan error, 1)
	go func() {
		_ = holder.SetReadDeadline(time.Now().Add(5 * time.Minute))
		for {
			if _, _, err := holder.ReadMessage(); err != nil {
				holderEnd <- err
				return
			}
		}
	}()

	type answer struct {
		status int
		retry  string
		body   string
		err    error
	}
	waiter := make(chan answer, 1)
	go func() {
		c, resp, err := dialer.Dial(ws, nil)
		if c != nil {
			c.Close()
			waiter <- answer{status: http.StatusSwitchingProtocols}
			return
		}
		a := answer{err: err}
		if resp != nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			a.status, a.retry, a.body = resp.StatusCode, resp.Header.Get("Retry-After"), string(body)
		}
		waiter <- a
	}()
	testwait.Until(t, "the second upgrade waits for a slot", func() bool {
		return scrapeMetric(t, addr, "hubbub_connections_waiting_admission") == 1
	})

	stopped := make(chan error, 1)
	go func() { stopped <- stop() }()
	a := <-waiter
	if a.status != http.StatusServiceUnavailable || a.retry != "" || !strings.Contains(a.body, "shutting down") {
		t.Errorf("the waiting upgrade at shutdown: status %d, Retry-After %q, body %q (%v); want 503, none, \"server is shutting down\"",
			a.status, a.retry, a.body, a.err)
	}
	if err := <-holderEnd; !websocket.IsCloseError(err, websocket.CloseGoingAway) {
		t.Errorf("the upgraded client at shutdown got %v, want close 1001", err)
	}
	if err := <-stopped; err != nil {
		t.Fatalf("serve returned %v after shutdown, want nil", err)
	}
}

// scrapeMetric reads one unlabelled gauge or counter from the server's /metrics (-1 if absent).
func scrapeMetric(t *testing.T, addr, name string) float64 {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatalf("GET /metrics: %v", err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), name+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatalf("/metrics: %s %q: %v", name, v, err)
			}
			return f
		}
	}
	return -1
}
