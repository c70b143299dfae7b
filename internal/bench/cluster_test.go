package bench

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"hubbub/internal/natstest"
	"hubbub/internal/server"
	"hubbub/internal/servertest"
)

func TestParseURLs(t *testing.T) {
	us, err := ParseURLs("ws://127.0.0.1:1/ws, http://127.0.0.2:2,ws://localhost:3/x", TargetHubbub)
	if err != nil {
		t.Fatalf("ParseURLs: %v", err)
	}
	want := []string{"ws://127.0.0.1:1/ws", "ws://127.0.0.2:2/ws", "ws://localhost:3/x"}
	if got := joinURLs(us); got != strings.Join(want, ",") {
		t.Errorf("parsed %s, want %s", got, strings.Join(want, ","))
	}
	many := make([]string, MaxURLs+1)
	for i := range many {
		many[i] = fmt.Sprintf("ws://127.0.0.1:%d/ws", 1000+i)
	}
	for _, bad := range []struct{ raw, why string }{
		{"ws://127.0.0.1:1/ws,ws://10.0.0.1:1/ws", "loopback"},
		{"ws://127.0.0.1:1/ws,", "empty"},
		{"ws://127.0.0.1:1/ws,ws://127.0.0.1:1/ws", "twice"},
		{"ws://127.0.0.1:1/ws,ws://127.0.0.1:1", "twice"}, // the same once the path is filled in
		{strings.Join(many, ","), "at most"},
	} {
		if _, err := ParseURLs(bad.raw, TargetHubbub); err == nil || !strings.Contains(err.Error(), bad.why) {
			t.Errorf("ParseURLs(%q) = %v, want an error about %q", bad.raw, err, bad.why)
		}
	}
}

func TestParsePIDs(t *testing.T) {
	pid, extra, err := ParsePIDs("12, 34,56")
	if err != nil || pid != 12 || len(extra) != 2 || extra[0] != 34 || extra[1] != 56 {
		t.Errorf("ParsePIDs = %d %v %v, want 12 [34 56]", pid, extra, err)
	}
	if pid, extra, err := ParsePIDs("7"); err != nil || pid != 7 || len(extra) != 0 {
		t.Errorf("ParsePIDs(7) = %d %v %v", pid, extra, err)
	}
	for _, bad := range []string{"", "0", "-3", "1,,2", "1,x", "1,2,1", "3 4", "1e3"} {
		if _, _, err := ParsePIDs(bad); err == nil {
			t.Errorf("ParsePIDs(%q) accepted", bad)
		}
	}
	if err := checkPIDs(0, []int{5}); err == nil {
		t.Error("extra processes without a first one were accepted")
	}
}

// TestNodeForSpreadsEveryRoom checks that the members of a room (consecutive client indexes)
// land on different nodes, so that a room's deliveries cross the broker, and that the clients
// are spread evenly.
func TestNodeForSpreadsEveryRoom(t *testing.T) {
	for nodes := 1; nodes <= 4; nodes++ {
		for _, members := range []int{1, 2, 3, 10} {
			const rooms = 7
			count := make([]int, nodes)
			for room := range rooms {
				seen := map[int]bool{}
				for m := range members {
					n := nodeFor(room*members+m, nodes)
					if n < 0 || n >= nodes {
						t.Fatalf("nodeFor(%d, %d) = %d", room*members+m, nodes, n)
					}
					seen[n] = true
					count[n]++
				}
				if want := min(members, nodes); len(seen) != want {
					t.Errorf("%d nodes, %d members: room %d on %d nodes, want %d", nodes, members, room, len(seen), want)
				}
			}
			for n, c := range count {
				if d := c - rooms*members/nodes; d < 0 || d > 1 {
					t.Errorf("%d nodes, %d members: node %d has %d clients of %d", nodes, members, n, c, rooms*members)
				}
			}
		}
	}
}

func TestRollingNeedsSeveralNodes(t *testing.T) {
	cfg := testConfig(ScenarioRolling, TargetHubbub, "ws://127.0.0.1:1/ws")
	cfg.Restart = func(context.Context) error { return nil }
	_, err := Run(t.Context(), cfg)
	if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), "node") {
		t.Fatalf("rolling with one URL: %v, want a config error asking for every node", err)
	}
}

// startNodes starts n hubbub nodes on one embedded NATS, sharing one SQLite file (safe on one
// machine, as the cluster tests do).
func startNodes(t *testing.T, n int) []*servertest.Server {
	t.Helper()
	ns := natstest.Start(t)
	data := filepath.Join(t.TempDir(), "shared.db")
	var nodes []*servertest.Server
	for i := range n {
		nodes = append(nodes, servertest.Start(t, servertest.Options{
			Node: fmt.Sprintf("node%d", i+1), NATS: ns.ClientURL(), DataPath: data,
			Server: server.Config{SendRate: 1e6, SendBurst: 1e6},
		}))
	}
	return nodes
}

func wsURLs(nodes []*servertest.Server) string {
	var u []string
	for _, n := range nodes {
		u = append(u, n.WS)
	}
	return strings.Join(u, ",")
}

// TestRoomsOverThreeNodes runs the rooms scenario over three real nodes on NATS: every
// delivery arrives, some cross nodes and some do not, and the CPU of every process given is
// reported on its own.
func TestRoomsOverThreeNodes(t *testing.T) {
	nodes := startNodes(t, 3)
	idle := exec.Command("sleep", "120") // a second process whose CPU is read (and is about 0)
	if err := idle.Start(); err != nil {
		t.Fatalf("start sleep: %v", err)
	}
	t.Cleanup(func() { _ = idle.Process.Kill(); _ = idle.Wait() })

	const rooms, members, perRoom = 3, 4, 3
	cfg := testConfig(ScenarioRooms, TargetHubbub, wsURLs(nodes))
	cfg.ExtraPIDs = []int{idle.Process.Pid}
	cfg.Rooms, cfg.Members, cfg.MemberRate = rooms, members, 5
	cfg.StepMessages = rooms * members * perRoom
	rep := run(t, cfg)
	checkClean(t, rep)
	if len(rep.Steps) != 1 {
		t.Fatalf("steps %+v, want one", rep.Steps)
	}
	st := rep.Steps[0]
	if st.Lost != 0 || st.Delivered != st.Expected || st.Expected == 0 {
		t.Errorf("delivered %d of %d (lost %d), want all", st.Delivered, st.Expected, st.Lost)
	}
	if st.CrossNode == nil || st.SameNode == nil {
		t.Fatalf("no node latencies over %d URLs: %+v", len(nodes), st)
	}
	if st.CrossNode.Count == 0 || st.SameNode.Count == 0 || st.CrossNode.Count+st.SameNode.Count != st.Latency.Count {
		t.Errorf("cross-node %d + same-node %d deliveries, want both and %d in all", st.CrossNode.Count, st.SameNode.Count, st.Latency.Count)
	}
	// 4 members over 3 nodes: each sender shares a node with 1 of 4 members (itself) or 2.
	if st.CrossNode.Count < st.SameNode.Count {
		t.Errorf("cross-node %d < same-node %d: the members of a room are not spread", st.CrossNode.Count, st.SameNode.Count)
	}
	if len(st.ServerCPUEach) != 2 || st.ServerCPU == nil {
		t.Errorf("server CPU each %v (sum %v), want this process's and sleep's", st.ServerCPUEach, st.ServerCPU)
	} else if d := st.ServerCPUEach[0] + st.ServerCPUEach[1] - *st.ServerCPU; d > 0.05 || d < -0.05 {
		t.Errorf("server CPU each %v does not add up to %v", st.ServerCPUEach, *st.ServerCPU)
	}
	if rep.Params.Nodes != 3 || len(rep.Params.PIDs) != 2 || rep.Params.PIDs[0] != os.Getpid() {
		t.Errorf("params %+v, want 3 nodes and both processes", rep.Params)
	}
}

// TestRollingRestartMovesClients restarts the first of two real nodes in the middle of a
// rolling run: its clients reconnect to the other node with since, and every acked message
// reaches every member once.
func TestRollingRestartMovesClients(t *testing.T) {
	nodes := startNodes(t, 2)
	var mu sync.Mutex
	restarts := 0
	const rooms, members = 2, 4
	cfg := testConfig(ScenarioRolling, TargetHubbub, wsURLs(nodes))
	cfg.PID = 0 // the node restarted is this process's
	cfg.Rooms, cfg.Members, cfg.Rate = rooms, members, 20
	cfg.Duration, cfg.StormAfter, cfg.Drain, cfg.ReadyTimeout = 3*time.Second, time.Second, 30*time.Second, 30*time.Second
	cfg.Restart = func(context.Context) error {
		mu.Lock()
		defer mu.Unlock()
		nodes[0] = nodes[0].Restart()
		restarts++
		return nil
	}
	rep := run(t, cfg)
	st := rep.Storm
	if st == nil || !st.Rolling {
		t.Fatalf("no rolling result: %+v", rep)
	}
	if restarts != 1 {
		t.Errorf("restarted %d times, want 1", restarts)
	}
	n := rooms * members
	onFirst := n / 2 // nodeFor: even indexes
	if st.Dropped != onFirst || st.Moved != onFirst || st.Back != n || st.CaughtUp != n || st.BackSeconds == nil || st.CaughtUpSeconds == nil {
		t.Errorf("dropped %d moved %d back %d caught up %d (back %v, caught up %v), want %d dropped and moved, all %d back; errors %v",
			st.Dropped, st.Moved, st.Back, st.CaughtUp, st.BackSeconds, st.CaughtUpSeconds, onFirst, n, rep.Errors)
	}
	if st.Acked == 0 || st.Lost != 0 || st.Duplicated != 0 {
		t.Errorf("acked %d lost %d duplicated %d, want messages acked and none lost or duplicated", st.Acked, st.Lost, st.Duplicated)
	}
	if c := rep.Counters; c.Disconnects != 0 || c.Reordered != 0 {
		t.Errorf("counters %+v: the restart's drops must go to the reconnect loops", c)
	}
}
