package bench

import (
	"context"
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"hubbub/internal/server"
	"hubbub/internal/servertest"
)

// TestMain fails the package if a run leaves a goroutine behind: every reader, pacer,
// churner and progress printer must end before Run returns.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// startServer starts an in-process hubbub whose rate limit does not get in the bench's way.
func startServer(t *testing.T) *servertest.Server {
	t.Helper()
	return servertest.Start(t, servertest.Options{Server: server.Config{SendRate: 1e6, SendBurst: 1e6}})
}

// testConfig is a small run with no timing that could fail on a busy machine: steps end by
// message count, and the drain, p99 bound and pacing's late limit are generous (at the
// default 100 ms a stall under load skipped sends, and checkClean failed on them).
func testConfig(scenario, target, url string) Config {
	return Config{
		Scenario: scenario, Target: target, URL: url, PID: os.Getpid(),
		StepDuration: time.Minute, Duration: time.Minute, Drain: time.Minute, P99Bound: time.Hour, PaceLate: time.Minute,
		DialConcurrency: 4, Deadline: 2 * time.Minute,
	}
}

func run(t *testing.T, cfg Config) *Report {
	t.Helper()
	rep, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatalf("Run: %v (report %+v)", err, rep)
	}
	return rep
}

// checkClean fails if the run saw any anomaly.
func checkClean(t *testing.T, rep *Report) {
	t.Helper()
	c := rep.Counters
	if c.Errors+c.WriteErrors+c.Disconnects+c.Reordered+c.Skipped != 0 {
		t.Errorf("counters %+v, want no errors, disconnects, reordering or skipped sends; errors: %v", c, rep.Errors)
	}
}

func TestFanoutCountsEveryDelivery(t *testing.T) {
	for _, target := range []string{TargetHubbub, TargetText} {
		t.Run(target, func(t *testing.T) {
			s := startServer(t)
			const listeners, senders, perStep = 5, 2, 10
			cfg := testConfig(ScenarioFanout, target, s.WS)
			cfg.Listeners, cfg.Senders, cfg.Rate, cfg.Steps, cfg.StepMessages = listeners, senders, 40, 2, perStep
			rep := run(t, cfg)
			checkClean(t, rep)
			if len(rep.Steps) != 2 {
				t.Fatalf("%d steps, want 2: %+v", len(rep.Steps), rep.Steps)
			}
			for _, st := range rep.Steps {
				want := int64(perStep * (listeners + senders)) // senders get their own messages too
				if st.Sent != perStep || st.Expected != want || st.Delivered != want || st.Lost != 0 || !st.OK {
					t.Errorf("step %d: sent %d expected %d delivered %d lost %d ok %v (%s); want %d messages, %d deliveries",
						st.N, st.Sent, st.Expected, st.Delivered, st.Lost, st.OK, st.Reason, perStep, want)
				}
				if st.Latency.Count != want {
					t.Errorf("step %d: %d latencies recorded, want %d", st.N, st.Latency.Count, want)
				}
				if st.ServerCPU == nil || st.ServerCPUPerM == nil || st.GeneratorCPUPerM == nil {
					t.Errorf("step %d: CPU figures missing", st.N)
				}
				// The "server" is this process, which made write calls to deliver.
				if w := st.ServerWriteCallsPerDelivery; w == nil || *w <= 0 {
					t.Errorf("step %d: server write calls per delivery %v, want a positive figure", st.N, w)
				}
			}
			if rep.Best == nil || rep.Best.N != 2 {
				t.Errorf("best step %+v, want step 2", rep.Best)
			}
			if rep.Connect == nil || rep.Connect.OK != listeners+senders {
				t.Errorf("connect %+v, want %d connections", rep.Connect, listeners+senders)
			}
			if rep.Server == nil || rep.Server.RSSAfterKiB <= 0 {
				t.Errorf("server figures %+v, want RSS read from /proc", rep.Server)
			}
		})
	}
}

func TestRoomsCountsEveryDelivery(t *testing.T) {
	s := startServer(t)
	cfg := testConfig(ScenarioRooms, TargetHubbub, s.WS)
	const rooms, members, msgs = 3, 3, 18
	cfg.Rooms, cfg.Members, cfg.MemberRate, cfg.StepMessages = rooms, members, 5, msgs
	rep := run(t, cfg)
	checkClean(t, rep)
	if len(rep.Steps) != 1 {
		t.Fatalf("%d steps, want 1", len(rep.Steps))
	}
	st := rep.Steps[0]
	if st.Sent != msgs || st.Delivered != msgs*members || st.Lost != 0 || st.DeliveryRatio != 1 {
		t.Errorf("sent %d delivered %d lost %d ratio %v; want %d sent, %d delivered (each to the %d members of its room)",
			st.Sent, st.Delivered, st.Lost, st.DeliveryRatio, msgs, msgs*members, members)
	}
}

func TestChurnKeepsDeliveries(t *testing.T) {
	for _, target := range []string{TargetHubbub, TargetText} {
		t.Run(target, func(t *testing.T) {
			s := startServer(t)
			cfg := testConfig(ScenarioChurn, target, s.WS)
			const listeners, senders, msgs = 3, 1, 20
			cfg.Listeners, cfg.Senders, cfg.Rate, cfg.StepMessages = listeners, senders, 20, msgs
			cfg.ChurnRate, cfg.ChurnHold = 20, 100*time.Millisecond
			rep := run(t, cfg)
			checkClean(t, rep)
			st := rep.Steps[0]
			if st.Sent != msgs || st.Delivered != msgs*(listeners+senders) || st.Lost != 0 {
				t.Errorf("sent %d delivered %d lost %d; want %d sent and %d delivered to the stable members",
					st.Sent, st.Delivered, st.Lost, msgs, msgs*(listeners+senders))
			}
			ch := rep.Churn
			if ch == nil || ch.Attempted == 0 || ch.Connected == 0 || ch.Failed != 0 {
				t.Errorf("churn %+v, want connects and no failures; errors %v", ch, rep.Errors)
			}
		})
	}
}

func TestIdleHoldsConnections(t *testing.T) {
	for _, target := range []string{TargetHubbub, TargetText} {
		t.Run(target, func(t *testing.T) {
			s := startServer(t)
			cfg := testConfig(ScenarioIdle, target, s.WS)
			cfg.Conns, cfg.Duration, cfg.Settle = 20, 300*time.Millisecond, 100*time.Millisecond
			rep := run(t, cfg)
			checkClean(t, rep)
			if rep.Connect.OK != 20 || rep.Connect.Failed != 0 || rep.Idle == nil || rep.Idle.Held != 20 {
				t.Fatalf("connect %+v idle %+v, want 20 held", rep.Connect, rep.Idle)
			}
			if rep.Idle.ServerPerConnKiB == nil || rep.Idle.ServerRSSAfterKiB <= 0 {
				t.Errorf("idle %+v, want server memory figures", rep.Idle)
			}
		})
	}
}

func TestRefusesNonLoopbackTargets(t *testing.T) {
	for _, u := range []string{
		"ws://10.0.0.1:3434/ws", "ws://192.168.1.10/ws", "ws://172.16.0.1/ws", "ws://8.8.8.8/ws",
		"ws://example.com/ws", "ws://localhost.example.com/ws", "ws://127.0.0.1.nip.io/ws",
		"ws://[2001:db8::1]:3434/ws", "ws://0.0.0.0:3434/ws", "wss://hubbub.chat/ws",
	} {
		_, err := CheckLoopbackURL(u, TargetHubbub)
		if !errors.Is(err, ErrNotLoopback) {
			t.Errorf("CheckLoopbackURL(%q) = %v, want ErrNotLoopback", u, err)
		}
		rep, err := Run(context.Background(), Config{URL: u, Scenario: ScenarioIdle, Conns: 1})
		if rep != nil || !errors.Is(err, ErrNotLoopback) || !errors.Is(err, ErrConfig) {
			t.Errorf("Run with %q = %v, %v; want a refusal before anything is dialled", u, rep, err)
		}
	}
	for _, u := range []string{
		"ws://127.0.0.1:3434/ws", "ws://127.9.8.7/ws", "ws://[::1]:3434/ws", "ws://localhost:1/ws",
		"http://LOCALHOST.:3434/ws", "wss://127.0.0.1/connection/websocket",
	} {
		if _, err := CheckLoopbackURL(u, TargetHubbub); err != nil {
			t.Errorf("CheckLoopbackURL(%q) = %v, want it accepted", u, err)
		}
	}
	for _, u := range []string{"ftp://127.0.0.1/ws", "ws:///ws", "::bad", "ws://:3434/ws"} {
		if _, err := CheckLoopbackURL(u, TargetHubbub); err == nil {
			t.Errorf("CheckLoopbackURL(%q) accepted, want an error", u)
		}
	}
	// A server's address without a path means the target's endpoint, as in the README.
	for target, want := range map[string]string{
		TargetHubbub:     "ws://127.0.0.1:3434/ws",
		TargetText:       "ws://127.0.0.1:3434/ws",
		TargetCentrifugo: "ws://127.0.0.1:3434/connection/websocket",
	} {
		if u, err := CheckLoopbackURL("http://127.0.0.1:3434", target); err != nil || u.String() != want {
			t.Errorf("CheckLoopbackURL(http://127.0.0.1:3434, %s) = %v, %v; want %s", target, u, err, want)
		}
	}
	// The dialer checks the resolved address too.
	if err := loopbackOnly("tcp4", "10.1.2.3:80", nil); !errors.Is(err, ErrNotLoopback) {
		t.Errorf("loopbackOnly(10.1.2.3:80) = %v, want ErrNotLoopback", err)
	}
	if err := loopbackOnly("tcp6", "[::1]:80", nil); err != nil {
		t.Errorf("loopbackOnly([::1]:80) = %v", err)
	}
}

func TestConfigRefusals(t *testing.T) {
	for name, cfg := range map[string]Config{
		"scenario":       {Scenario: "storm"},
		"target":         {Target: "irc"},
		"text rooms":     {Scenario: ScenarioRooms, Target: TargetText, Rooms: 2},
		"no secret":      {Target: TargetCentrifugo},
		"steps":          {Steps: MaxSteps + 1},
		"small size":     {Size: 10},
		"factor":         {StepFactor: 0.5},
		"room":           {Room: "no spaces"},
		"sources ipv6":   {URL: "ws://[::1]:3434/ws", Sources: 2},
		"too many conns": {Scenario: ScenarioIdle, Conns: MaxConns + 1},
		"read buffer":    {ReadBufferSize: maxReadBuffer + 1},
	} {
		if _, err := Run(context.Background(), cfg); !errors.Is(err, ErrConfig) {
			t.Errorf("%s: Run = %v, want ErrConfig", name, err)
		}
	}
}

// TestReadBufferDefaults: idle clients stay small, fan-out clients read a batched write whole,
// and a size given is kept.
func TestReadBufferDefaults(t *testing.T) {
	for _, tc := range []struct {
		scenario string
		given    int
		want     int
	}{
		{ScenarioIdle, 0, 1024}, {ScenarioFanout, 0, fanoutReadBuffer}, {ScenarioRooms, 0, 4096},
		{ScenarioFanout, 4096, 4096},
	} {
		if got := (Config{Scenario: tc.scenario, ReadBufferSize: tc.given}).withDefaults().ReadBufferSize; got != tc.want {
			t.Errorf("%s with %d: read buffer %d, want %d", tc.scenario, tc.given, got, tc.want)
		}
	}
}

func TestListensOn(t *testing.T) {
	s := startServer(t)
	_, portStr, _ := strings.Cut(s.Addr, ":")
	port, _ := strconv.Atoi(portStr)
	if ok, err := ListensOn(os.Getpid(), port); !ok || err != nil {
		t.Errorf("ListensOn(self, %d) = %v, %v; the test's own server listens there", port, ok, err)
	}
	if pid, err := FindListener(port); pid != os.Getpid() || err != nil {
		t.Errorf("FindListener(%d) = %d, %v; want this process, %d", port, pid, err, os.Getpid())
	}
	if ok, _ := ListensOn(1, port); ok {
		t.Errorf("ListensOn(1, %d) = true; only this process listens there", port)
	}
	rep := run(t, func() Config {
		c := testConfig(ScenarioIdle, TargetHubbub, s.WS)
		c.Conns, c.Duration, c.Settle, c.PID = 1, 100*time.Millisecond, 0, os.Getppid()
		return c
	}())
	if len(rep.Notes) == 0 || !strings.Contains(rep.Notes[0], "does not listen") {
		t.Errorf("notes %q, want a warning that --pid is not the server", rep.Notes)
	}
}
