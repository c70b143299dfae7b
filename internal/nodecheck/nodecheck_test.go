package nodecheck_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"hubbub"
	"hubbub/internal/nodecheck"
	"hubbub/internal/sqlite"
	"hubbub/internal/sqlitetest"
	"hubbub/internal/testwait"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// lockedLog is a log that a node writes while the test reads it.
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

// node is one nodecheck.Run on the shared store, with what it logged and what its
// announcements returned.
type node struct {
	log     lockedLog
	unheard atomic.Int64
	mu      sync.Mutex
	seen    [][]string // the other IDs each announcement returned
	stop    func()
}

// announcer is s, recording what each of n's announcements returned.
func (n *node) announcer(s nodecheck.Announcer) nodecheck.Announcer { return recording{s, n} }

// recording is an Announcer that records what its node's announcements returned.
type recording struct {
	nodecheck.Announcer
	n *node
}

// AnnounceNode passes the announcement to the store and records what it returned.
func (r recording) AnnounceNode(ctx context.Context, self hubbub.ServingNode, ttl time.Duration) ([]hubbub.ServingNode, error) {
	others, err := r.Announcer.AnnounceNode(ctx, self, ttl)
	if err == nil && ttl > 0 {
		var ids []string
		for _, o := range others {
			ids = append(ids, o.ID)
		}
		r.n.mu.Lock()
		r.n.seen = append(r.n.seen, ids)
		r.n.mu.Unlock()
	}
	return others, err
}

// saw reports whether an announcement of n listed every one of ids.
func (n *node) saw(ids ...string) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, got := range n.seen {
		if !slices.ContainsFunc(ids, func(id string) bool { return !slices.Contains(got, id) }) {
			return true
		}
	}
	return false
}

// start runs nodecheck for a node named id on broker until the test ends or its stop.
func start(t *testing.T, store nodecheck.Announcer, id, broker string) *node {
	n := &node{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		nodecheck.Run(ctx, n.announcer(store), nodecheck.Config{
			Self:     hubbub.ServingNode{ID: id, Name: id, Broker: broker},
			Interval: 100 * time.Millisecond,
			Logger:   slog.New(slog.NewTextHandler(&n.log, nil)),
			Unheard:  func(k int) { n.unheard.Store(int64(k)) },
		})
	}()
	var once sync.Once
	n.stop = func() { once.Do(func() { cancel(); <-done }) }
	t.Cleanup(n.stop)
	return n
}

func openStore(t *testing.T) hubbub.Store {
	path := filepath.Join(t.TempDir(), "h.db")
	sqlitetest.Fresh(t, path)
	s, err := sqlite.Open(path, sqlite.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// A node on the in-process broker beside other nodes on one store is warned, at its start,
// that messages sent on either are not delivered live to the other's clients, and told to use
// --nats; the nodes on NATS are warned of it, and not of each other; one on another subject
// prefix is warned of too. Once the odd node stops, the others say all is well again.
func TestWarnsOfNodesThatDoNotShareTheBroker(t *testing.T) {
	store := openStore(t)
	nats := nodecheck.BrokerNATS("hubbub")
	n1 := start(t, store, "n1", nats)
	n2 := start(t, store, "n2", nats)
	testwait.Until(t, "the NATS nodes to see each other", func() bool { return n1.saw("n2") && n2.saw("n1") })
	for name, n := range map[string]*node{"n1": n1, "n2": n2} {
		if out := n.log.String(); strings.Contains(out, "another node serves") {
			t.Errorf("%s, on NATS beside another node on NATS, warned:\n%s", name, out)
		}
		if k := n.unheard.Load(); k != 0 {
			t.Errorf("%s counts %d unheard nodes, want 0", name, k)
		}
	}

	solo := start(t, store, "solo", nodecheck.BrokerInProcess)
	testwait.Until(t, "the in-process node's warning of both", func() bool {
		return strings.Contains(solo.log.String(), `nodes="n1 (nats:hubbub), n2 (nats:hubbub)"`)
	})
	out := solo.log.String()
	for _, want := range []string{"this node runs without --nats", "not delivered live", `nodes="n1 (nats:hubbub), n2 (nats:hubbub)"`, "start this node, and every node serving from this store, with --nats"} {
		if !strings.Contains(out, want) {
			t.Errorf("the in-process node's log lacks %q:\n%s", want, out)
		}
	}
	testwait.Until(t, "the in-process node to count two unheard nodes", func() bool { return solo.unheard.Load() == 2 })
	for name, n := range map[string]*node{"n1": n1, "n2": n2} {
		testwait.Until(t, name+"'s warning of the in-process node", func() bool { return strings.Contains(n.log.String(), "another node serves") })
		for line := range strings.Lines(n.log.String()) {
			if strings.Contains(line, "another node serves") && !strings.Contains(line, `nodes="solo (in-process)"`) {
				t.Errorf("%s's warning does not name the in-process node alone: %s", name, line)
			}
		}
	}

	solo.stop()
	testwait.Until(t, "n1 to say all is well again", func() bool {
		return strings.Contains(n1.log.String(), "now shares this node's broker") && n1.unheard.Load() == 0
	})

	start(t, store, "other", nodecheck.BrokerNATS("other"))
	testwait.Until(t, "n1's warning of the node on another prefix", func() bool {
		return strings.Contains(n1.log.String(), `nodes="other (nats:other)"`)
	})
	if out := n1.log.String(); !strings.Contains(out, "--nats-prefix") {
		t.Errorf("n1's warning of a node on another prefix does not name --nats-prefix:\n%s", out)
	}
}

// A node that stops takes its record away: the next node to announce itself does not list it,
// without waiting for it to expire.
func TestAStoppedNodeIsGoneAtOnce(t *testing.T) {
	store := openStore(t)
	a := start(t, store, "a", nodecheck.BrokerInProcess)
	testwait.Until(t, "a's first announcement", func() bool { return a.saw() })
	a.stop()
	others, err := store.AnnounceNode(t.Context(), hubbub.ServingNode{ID: "b"}, time.Hour)
	if err != nil || len(others) != 0 {
		t.Errorf("after a stopped, an announcement lists %+v, %v; want nobody", others, err)
	}
}
