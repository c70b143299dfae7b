package cluster_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	natsserver "github.com/nats-io/nats-server/v2/server"
	"go.uber.org/goleak"

	"hubbub/client"
	"hubbub/internal/hub"
	"hubbub/internal/natstest"
	"hubbub/internal/pgtest"
	"hubbub/internal/server"
	"hubbub/internal/servertest"
	"hubbub/internal/testwait"
	"hubbub/internal/wire"
)

// TestMain fails the package if any goroutine outlives the tests, and drops the PostgreSQL
// schemas the clusters used (servertest.PostgresSchemas) once they have run: a new schema
// migrated for each of some thirty clusters took seconds each under a busy CI run.
func TestMain(m *testing.M) { goleak.VerifyTestMain(servertest.PostgresSchemas.DropAfter(m)) }

// cluster is n hubbub nodes sharing a NATS server and a store.
type cluster struct {
	nats  *natsserver.Server
	nodes []*servertest.Server
}

func startCluster(t *testing.T, n int) *cluster {
	t.Helper()
	return startClusterWith(t, n, hub.Config{})
}

// startClusterWith is startCluster with hub settings of the test's own (cfg's zero fields take
// the cluster's presence interval and gap wait), and, if given, options of the test's own for
// each node (i from 0).
func startClusterWith(t *testing.T, n int, cfg hub.Config, each ...func(i int, o *servertest.Options)) *cluster {
	t.Helper()
	return startClusterOn(t, natstest.Start(t), n, cfg, each...)
}

// startClusterOn is startClusterWith on the NATS server ns, started by natstest with options
// of the test's own.
func startClusterOn(t *testing.T, ns *natsserver.Server, n int, cfg hub.Config, each ...func(i int, o *servertest.Options)) *cluster {
	t.Helper()
	if cfg.PresenceInterval == 0 {
		cfg.PresenceInterval = 100 * time.Millisecond
	}
	if cfg.GapWait == 0 {
		cfg.GapWait = 50 * time.Millisecond
	}
	c := &cluster{nats: ns}
	data := filepath.Join(t.TempDir(), "shared.db")
	pg := postgresURL(t)
	for i := 0; i < n; i++ {
		o := servertest.Options{
			Node: fmt.Sprintf("node%d", i+1), NATS: ns.ClientURL(), DataPath: data, Postgres: pg,
			Server: server.Config{SendRate: 10000, SendBurst: 10000, RoleFor: servertest.Roles("mod"), APIKey: apiKey},
			Hub:    cfg,
		}
		for _, fn := range each {
			fn(i, &o)
		}
		c.nodes = append(c.nodes, servertest.Start(t, o))
	}
	return c
}

func (c *cluster) urls() []string {
	var u []string
	for _, n := range c.nodes {
		u = append(u, n.WS)
	}
	return u
}

// Clients spread over three nodes chat in several rooms; every member on every node sees each
// room's messages in one order, numbered without gaps.
func TestClientsOnThreeNodesSeeOneOrder(t *testing.T) {
	c := startCluster(t, 3)
	rooms := []string{"alpha", "beta"}
	var clients []*servertest.JSONClient
	for i := 0; i < 6; i++ {
		cl := servertest.DialJSON(t, c.nodes[i%3], fmt.Sprint("user", i))
		for _, r := range rooms {
			cl.Join(r, nil)
		}
		clients = append(clients, cl)
	}
	// Everyone sees everyone: presence crosses nodes.
	for _, cl := range clients {
		cl.Send(servertest.Frame{"type": "who", "room": "alpha"})
	}
	testwait.Until(t, "members on every node", func() bool {
		for _, n := range c.nodes {
			if len(n.Hub.Members("alpha")) != 6 {
				return false
			}
		}
		return true
	})
	// Each client sends 5 messages into each room, all at once.
	const per = 5
	var wg sync.WaitGroup
	for i, cl := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := 0; k < per; k++ {
				for _, r := range rooms {
					_ = cl.Conn.WriteJSON(servertest.Frame{"type": "send", "room": r, "id": fmt.Sprintf("%d-%s-%d", i, r, k), "text": fmt.Sprintf("%d says %d", i, k)})
				}
			}
		}()
	}
	wg.Wait()
	// Every send is acknowledged. On a busy machine a send may be refused as unavailable (the
	// shared store busy past its timeout, or the broker's publish unconfirmed in time): the
	// client then resends it with the same id, as the error says and as the web client does,
	// so that the message is stored once and reaches every node, instead of being missed and
	// leaving the others to wait for it until their reads time out.
	for i, cl := range clients {
		for k := 0; k < per; k++ {
			for _, r := range rooms {
				id := fmt.Sprintf("%d-%s-%d", i, r, k)
				for attempt := 1; ; attempt++ {
					f := cl.AwaitFunc("ack for "+id, func(f servertest.Frame) bool {
						return (f.Type() == "ack" || f.Type() == "error") && f.Str("id") == id
					})
					if f.Type() == "ack" {
						break
					}
					if f.Str("code") != "unavailable" || attempt == 5 {
						t.Fatalf("send %s refused: %v", id, f)
					}
					t.Logf("send %s refused (%v); resending it", id, f)
					cl.Send(servertest.Frame{"type": "send", "room": r, "id": id, "text": fmt.Sprintf("%d says %d", i, k)})
				}
			}
		}
	}
	total := len(clients) * per
	for _, r := range rooms {
		var first []string
		for ci, cl := range clients {
			msgs := cl.Messages(r, total)
			var order []string
			for k, m := range msgs {
				if m.Num("seq") != uint64(k+1) {
					t.Fatalf("client %d room %s: message %d has seq %d", ci, r, k, m.Num("seq"))
				}
				order = append(order, m.Str("text"))
			}
			if first == nil {
				first = order
			} else if fmt.Sprint(order) != fmt.Sprint(first) {
				t.Fatalf("room %s: client %d saw another order:\n%v\n%v", r, ci, order, first)
			}
		}
	}
}

// Senders on every node appending to one room at once get seqs 1..N, each exactly once.
func TestConcurrentSendersOnAllNodesGetGapFreeSeqs(t *testing.T) {
	c := startCluster(t, 3)
	const senders, each = 6, 20
	var clients []*servertest.JSONClient
	for i := 0; i < senders; i++ {
		cl := servertest.DialJSON(t, c.nodes[i%3], fmt.Sprint("s", i))
		cl.Join("race", nil)
		clients = append(clients, cl)
	}
	var wg sync.WaitGroup
	for _, cl := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := 0; k < each; k++ {
				_ = cl.Conn.WriteJSON(servertest.Frame{"type": "send", "room": "race", "id": fmt.Sprint(k), "text": "x"})
			}
		}()
	}
	wg.Wait()
	seen := map[uint64]int{}
	for i, cl := range clients {
		for k := 0; k < each; k++ {
			ack := cl.AwaitFunc("ack", func(f servertest.Frame) bool { return f.Type() == "ack" || f.Type() == "error" })
			if ack.Type() != "ack" || ack["duplicate"] != false {
				t.Fatalf("sender %d: %v", i, ack)
			}
			seen[ack.Num("seq")]++
		}
	}
	for seq := uint64(1); seq <= senders*each; seq++ {
		if seen[seq] != 1 {
			t.Fatalf("seq %d acknowledged %d times; all: %v", seq, seen[seq], seen)
		}
	}
	if len(seen) != senders*each {
		t.Fatalf("%d distinct seqs, want %d", len(seen), senders*each)
	}
}

// A node dies hard; its clients reconnect to another node and recover with since: every
// acknowledged message is there once, and the dead node's members leave the others' lists.
func TestHardKilledNodeClientsRecoverElsewhere(t *testing.T) {
	c := startCluster(t, 3)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	// victim connects to node 1 first (its list starts there); talker stays on node 3.
	victim, err := client.Connect(ctx, client.SessionOptions{URLs: c.urls(), Name: "victim", Key: "kv",
		BackoffBase: 20 * time.Millisecond, BackoffMax: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer victim.Close()
	if _, err := victim.Join(ctx, "room"); err != nil {
		t.Fatal(err)
	}
	talker := servertest.DialJSON(t, c.nodes[2], "talker")
	talker.Join("room", nil)
	testwait.Until(t, "victim visible on node 3", func() bool { return len(c.nodes[2].Hub.Members("room")) == 2 })

	got := collect(victim)
	for i := 0; i < 5; i++ {
		talker.Say("room", fmt.Sprint("a", i), fmt.Sprint("before ", i))
	}
	r, err := victim.Send(ctx, "room", "victim before")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	c.nodes[0].Kill()
	// While the victim is away, talk goes on; the victim also sends (queued until it is back).
	for i := 0; i < 5; i++ {
		talker.Say("room", fmt.Sprint("b", i), fmt.Sprint("during ", i))
	}
	r2, err := victim.Send(ctx, "room", "victim after")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r2.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	want := []string{"before 0", "before 1", "before 2", "before 3", "before 4", "victim before",
		"during 0", "during 1", "during 2", "during 3", "during 4", "victim after"}
	texts := got.wait(t, len(want))
	if fmt.Sprint(texts) != fmt.Sprint(want) {
		t.Fatalf("victim saw\n%q\nwant\n%q", texts, want)
	}
	time.Sleep(200 * time.Millisecond) // room for a duplicate to show up, were there one
	if n := got.count(); n != len(want) {
		t.Fatalf("victim saw %d messages, want %d (a duplicate?)", n, len(want))
	}
}

// The dead node's members disappear from the other nodes' lists within the presence expiry.
func TestDeadNodeMembersExpire(t *testing.T) {
	c := startCluster(t, 2)
	a := servertest.DialJSON(t, c.nodes[0], "ann")
	a.Join("room", nil)
	b := servertest.DialJSON(t, c.nodes[1], "bob")
	b.Join("room", nil)
	testwait.Until(t, "bob visible on node 1", func() bool { return fmt.Sprint(c.nodes[0].Hub.Members("room")) == "[ann bob]" })
	c.nodes[1].Kill()
	a.AwaitFunc("bob leaving", func(f servertest.Frame) bool {
		return f.Type() == "presence" && f.Str("name") == "bob" && f.Str("event") == "leave"
	})
	if m := fmt.Sprint(c.nodes[0].Hub.Members("room")); m != "[ann]" {
		t.Fatalf("members %s", m)
	}
}

// NATS restarts while clients on two nodes are sending: sends fail with unavailable while it is
// down, and once it is back every acknowledged message reaches the other node's members, in
// order and once.
func TestNATSRestartUnderLoad(t *testing.T) {
	c := startCluster(t, 2)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	sender, err := client.Connect(ctx, client.SessionOptions{URLs: []string{c.nodes[0].WS}, Name: "sender", Key: "ks",
		BackoffBase: 20 * time.Millisecond, BackoffMax: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer sender.Close()
	if _, err := sender.Join(ctx, "load"); err != nil {
		t.Fatal(err)
	}
	listener := servertest.DialJSON(t, c.nodes[1], "listener")
	listener.Join("load", nil)

	const n = 60
	var receipts []*client.Receipt
	for i := 0; i < n; i++ {
		if i == n/3 {
			natstest.Stop(c.nats)
		}
		if i == 2*n/3 {
			c.nats = natstest.Restart(t, c.nats)
		}
		r, err := sender.Send(ctx, "load", fmt.Sprint("m", i))
		if err != nil {
			t.Fatal(err)
		}
		receipts = append(receipts, r)
		time.Sleep(5 * time.Millisecond)
	}
	for i, r := range receipts {
		if _, err := r.Wait(ctx); err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
	}
	msgs := listener.Messages("load", n)
	for i, m := range msgs {
		if m.Num("seq") != uint64(i+1) || m.Str("text") != fmt.Sprint("m", i) {
			t.Fatalf("listener message %d = %v", i, m)
		}
	}
}

// collector gathers the texts of message events from a session.
type collector struct {
	mu    sync.Mutex
	texts []string
	done  chan struct{}
}

func collect(s *client.Session) *collector {
	c := &collector{done: make(chan struct{})}
	go func() {
		defer close(c.done)
		for f := range s.Events() {
			if m, ok := f.(*wire.Message); ok {
				c.mu.Lock()
				c.texts = append(c.texts, m.Text)
				c.mu.Unlock()
			}
		}
	}()
	return c
}

func (c *collector) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.texts)
}

func (c *collector) wait(t *testing.T, n int) []string {
	t.Helper()
	testwait.Until(t, fmt.Sprintf("%d messages", n), func() bool { return c.count() >= n })
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.texts[:n]...)
}

// postgresURL returns a PostgreSQL URL for an empty, migrated schema of t's own when
// PostgreSQL is wanted (see pgtest and servertest.PostgresSchemas), and "" otherwise: the
// nodes then share one SQLite file, which is safe on one machine.
func postgresURL(t *testing.T) string {
	if !pgtest.Wanted() {
		return ""
	}
	return servertest.PostgresSchemas.Schema(t)
}

// A node shutting down (SIGTERM: a graceful Stop) tells the other nodes that its members
// left, at once: the presence expiry is an hour here, so only the leaves can say it.
func TestShutdownNodeMembersLeaveElsewhere(t *testing.T) {
	c := startClusterWith(t, 2, hub.Config{PresenceInterval: time.Hour})
	a := servertest.DialJSON(t, c.nodes[0], "ann")
	a.Join("room", nil)
	for _, name := range []string{"bob", "bea"} {
		servertest.DialJSON(t, c.nodes[1], name).Join("room", nil)
	}
	testwait.Until(t, "bob and bea visible on node 1", func() bool {
		return fmt.Sprint(c.nodes[0].Hub.Members("room")) == "[ann bea bob]"
	})
	c.nodes[1].Stop()
	left := map[string]bool{}
	for len(left) < 2 {
		f := a.AwaitFunc("a leave", func(f servertest.Frame) bool { return f.Type() == "presence" && f.Str("event") == "leave" })
		left[f.Str("name")] = true
	}
	if !left["bob"] || !left["bea"] {
		t.Fatalf("ann was told of %v leaving, want bob and bea", left)
	}
	if m := fmt.Sprint(c.nodes[0].Hub.Members("room")); m != "[ann]" {
		t.Fatalf("members %s", m)
	}
}
