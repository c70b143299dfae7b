package bench

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"hubbub/internal/metrics"
	"hubbub/internal/servertest"
)

// TestStormEveryClientComesBackAndCatchesUp restarts a real server on the same address and
// file in the middle of a storm run: every client reconnects, joins again with since and gets
// every acked message once.
func TestStormEveryClientComesBackAndCatchesUp(t *testing.T) {
	s := startServer(t)
	var mu sync.Mutex
	restarts := 0
	const rooms, members = 2, 3
	cfg := testConfig(ScenarioStorm, TargetHubbub, s.WS)
	cfg.PID = 0 // the process restarted is this one's server, not a process of its own
	cfg.Rooms, cfg.Members, cfg.Rate = rooms, members, 20
	cfg.Duration, cfg.StormAfter, cfg.Drain, cfg.ReadyTimeout = 3*time.Second, time.Second, 30*time.Second, 30*time.Second
	cfg.Restart = func(context.Context) error {
		mu.Lock()
		defer mu.Unlock()
		s = s.Restart()
		restarts++
		return nil
	}
	rep := run(t, cfg)
	st := rep.Storm
	if st == nil {
		t.Fatalf("no storm result: %+v", rep)
	}
	if restarts != 1 {
		t.Errorf("restarted %d times, want 1", restarts)
	}
	n := rooms * members
	if st.Dropped != n || st.Back != n || st.CaughtUp != n || st.BackSeconds == nil || st.CaughtUpSeconds == nil {
		t.Errorf("dropped %d back %d caught up %d (back %v, caught up %v), want all %d; errors %v",
			st.Dropped, st.Back, st.CaughtUp, st.BackSeconds, st.CaughtUpSeconds, n, rep.Errors)
	}
	if st.BackoffFloorSeconds == nil || st.BackSeconds != nil && *st.BackoffFloorSeconds > *st.BackSeconds {
		t.Errorf("backoff floor %v, want one no later than the last client back (%v)", st.BackoffFloorSeconds, st.BackSeconds)
	}
	joins := 0
	for _, j := range st.JoinsPer100ms {
		joins += j
	}
	if joins != n {
		t.Errorf("joins per 100 ms %v add up to %d, want %d", st.JoinsPer100ms, joins, n)
	}
	if st.Acked == 0 || st.Lost != 0 || st.Duplicated != 0 {
		t.Errorf("acked %d lost %d duplicated %d, want messages acked and none lost or duplicated", st.Acked, st.Lost, st.Duplicated)
	}
	if c := rep.Counters; c.Disconnects != 0 || c.Reordered != 0 {
		t.Errorf("counters %+v: a restart's drops must go to the reconnect loops", c)
	}
}

// TestStormHonoursRetryableRefusals restarts the server into one that holds fewer
// connections than the storm has clients: the rest are refused with 503 and counted as
// retryable, not as failures, and none comes back until a place is free (the test never frees
// one, so the run ends at its ready timeout with clients not back).
func TestStormHonoursRetryableRefusals(t *testing.T) {
	s := startServer(t)
	cfg := testConfig(ScenarioStorm, TargetHubbub, s.WS)
	cfg.PID = 0
	cfg.Rooms, cfg.Members, cfg.Rate = 1, 4, 10
	cfg.Duration, cfg.StormAfter, cfg.Drain, cfg.ReadyTimeout = 2*time.Second, 500*time.Millisecond, time.Second, 5*time.Second
	cfg.Restart = func(context.Context) error {
		opts := s.Opts
		s.Stop()
		opts.Server.MaxConns = 2
		s = servertest.Start(t, opts)
		return nil
	}
	rep, _ := runAllowingErrors(t, cfg)
	st := rep.Storm
	if st == nil {
		t.Fatalf("no storm result: %+v", rep)
	}
	if st.Back != 2 || st.Retryable == 0 || st.BackSeconds != nil {
		t.Errorf("back %d, retryable refusals %d, failed %d, back_s %v: want 2 back and the others refused as retryable; errors %v",
			st.Back, st.Retryable, st.Failed, st.BackSeconds, rep.Errors)
	}
}

// TestStormHonoursShedding restarts the server into one that sets up one connection at a
// time (--max-connecting 1): the clients it sheds with 503 and Retry-After wait and come back,
// each shed counted as shed (as the server's metric counts it), not as a failure, and every
// client is back and caught up with nothing lost.
func TestStormHonoursShedding(t *testing.T) {
	s := startServer(t)
	const rooms, members = 2, 4
	cfg := testConfig(ScenarioStorm, TargetHubbub, s.WS)
	cfg.PID = 0
	cfg.Rooms, cfg.Members, cfg.Rate = rooms, members, 20
	cfg.Duration, cfg.StormAfter, cfg.Drain, cfg.ReadyTimeout = 3*time.Second, time.Second, 30*time.Second, 30*time.Second
	var restarted *servertest.Server
	cfg.Restart = func(context.Context) error {
		opts := s.Opts
		s.Stop()
		opts.Server.MaxConnecting = 1
		opts.Server.Metrics = metrics.New()
		s = servertest.Start(t, opts)
		restarted = s
		return nil
	}
	rep := run(t, cfg)
	st := rep.Storm
	if st == nil {
		t.Fatalf("no storm result: %+v", rep)
	}
	n := rooms * members
	if st.Back != n || st.CaughtUp != n || st.Lost != 0 || st.Duplicated != 0 {
		t.Errorf("back %d caught up %d lost %d duplicated %d, want all %d back and caught up; errors %v",
			st.Back, st.CaughtUp, st.Lost, st.Duplicated, n, rep.Errors)
	}
	shedByServer := servertest.Scrape(t, restarted)[`hubbub_connections_refused_total{reason="connecting"}`]
	if float64(st.Shed) != shedByServer || st.Retryable < st.Shed {
		t.Errorf("generator counted %d shed (%d retryable), the server shed %v", st.Shed, st.Retryable, shedByServer)
	}
	t.Logf("%d clients through --max-connecting 1: %d shed, %d failed attempts (server down)", n, st.Shed, st.Failed)
}

func TestStormNeedsARestart(t *testing.T) {
	cfg := testConfig(ScenarioStorm, TargetHubbub, "ws://127.0.0.1:1/ws")
	_, err := Run(t.Context(), cfg)
	if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), "restart") {
		t.Fatalf("Run without a restart: %v, want a config error naming the restart", err)
	}
}

func TestRetryable(t *testing.T) {
	for _, c := range []struct {
		err  string
		want bool
	}{
		{"dial ws://127.0.0.1:1/ws: 503 Service Unavailable: websocket: bad handshake", true},
		{"dial ws://127.0.0.1:1/ws: 429 Too Many Requests: websocket: bad handshake", true},
		{"hubbub handshake: waiting for welcome: websocket: close 1013 (try again later)", true},
		{"dial ws://127.0.0.1:1/ws: dial tcp 127.0.0.1:1: connect: connection refused", false},
		{"dial ws://127.0.0.1:1/ws: 403 Forbidden: websocket: bad handshake", false},
	} {
		if got := retryable(errors.New(c.err)); got != c.want {
			t.Errorf("retryable(%q) = %v, want %v", c.err, got, c.want)
		}
	}
}

// The storm takes the new process as listening from the first connection made after the
// restart command returned, its probe's or a client's: connections before the command
// returned may be to the old process, and are not counted.
func TestStormListeningFromTheFirstConnection(t *testing.T) {
	var st stormState
	at := func(ms int64) time.Time { return time.UnixMilli(ms) }
	st.connected(at(50)) // before the restart: ignored
	if got := st.firstConn.Load(); got != 0 {
		t.Fatalf("a connection before the restart was counted: %d", got)
	}
	st.armed.Store(at(100).UnixNano())
	st.connected(at(90)) // made while the restart command ran
	for _, ms := range []int64{300, 150, 200} {
		st.connected(at(ms))
	}
	if got := time.Unix(0, st.firstConn.Load()); !got.Equal(at(150)) {
		t.Errorf("first connection after the restart = %v, want %v", got, at(150))
	}
}

// The backoff floor is the last client's first try at the listening port: a client trying
// when the port listened counts as trying at once, one whose try ended before waits for its
// next, and one that never tried after the signal is not counted.
func TestStormBackoffFloor(t *testing.T) {
	listen := time.UnixMilli(1000)
	span := func(from, to int64) attemptSpan {
		return attemptSpan{time.UnixMilli(from).UnixNano(), time.UnixMilli(to).UnixNano()}
	}
	cases := []struct {
		name    string
		clients [][]attemptSpan
		want    time.Duration
		ok      bool
	}{
		{"none tried", [][]attemptSpan{nil, nil}, 0, false},
		{"refused before, tried again after", [][]attemptSpan{{span(100, 101), span(300, 301), span(1700, 1710)}}, 700 * time.Millisecond, true},
		{"under way when the port listened", [][]attemptSpan{{span(100, 101), span(990, 1200)}}, 0, true},
		{"the latest of several", [][]attemptSpan{{span(1050, 1060)}, {span(500, 501), span(2900, 2950)}, nil}, 1900 * time.Millisecond, true},
		{"only tries before listening", [][]attemptSpan{{span(100, 101)}}, 0, false},
	}
	for _, tc := range cases {
		var clients []*stormClient
		for _, tries := range tc.clients {
			clients = append(clients, &stormClient{tries: tries})
		}
		got, ok := backoffFloor(clients, listen)
		if got != tc.want || ok != tc.ok {
			t.Errorf("%s: floor %v, %v; want %v, %v", tc.name, got, ok, tc.want, tc.ok)
		}
	}
}
