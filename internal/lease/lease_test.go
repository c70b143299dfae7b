package lease

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"hubbub/internal/testwait"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// table is a lease table as the contract describes it (hubbub.OutboxStore.TakeLease), in
// memory; the stores' own implementations are checked by internal/storetest. failing makes
// every call fail, as an unreachable database does.
type table struct {
	mu      sync.Mutex
	holder  string
	until   time.Time
	failing bool
}

func (t *table) TakeLease(ctx context.Context, name, holder string, ttl time.Duration) (bool, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.failing {
		return false, errors.New("database unreachable")
	}
	now := time.Now()
	if t.holder == holder || t.holder == "" || now.After(t.until) {
		t.holder, t.until = holder, now.Add(ttl)
		return true, nil
	}
	return false, nil
}

func (t *table) set(f func(t *table)) {
	t.mu.Lock()
	defer t.mu.Unlock()
	f(t)
}

// node runs Hold with work that counts how many of its runs are live.
type node struct {
	held    atomic.Bool
	running atomic.Int32
	cancel  context.CancelFunc
	done    chan struct{}
}

func startNode(t *testing.T, store Taker, holder string, running *atomic.Int32) *node {
	n := &node{done: make(chan struct{})}
	ctx, cancel := context.WithCancel(context.Background())
	n.cancel = cancel
	go func() {
		defer close(n.done)
		Hold(ctx, store, Config{Name: "dispatch", Holder: holder, TTL: 600 * time.Millisecond, // long enough that a busy machine's late renewal is not a loss
			Changed: func(h bool) { n.held.Store(h) }}, func(ctx context.Context) {
			n.running.Add(1)
			if running.Add(1) > 1 {
				t.Errorf("%s: two nodes run the work at once", holder)
			}
			<-ctx.Done()
			running.Add(-1)
			n.running.Add(-1)
		})
	}()
	t.Cleanup(func() { n.stop() })
	return n
}

func (n *node) stop() {
	n.cancel()
	<-n.done
}

// TestOneHolderAndHandOver: of two nodes, one runs the work; when it stops, it gives the
// lease up and the other takes over.
func TestOneHolderAndHandOver(t *testing.T) {
	store := &table{}
	var running atomic.Int32
	a := startNode(t, store, Holder("a"), &running)
	testwait.Until(t, "a to hold the lease", func() bool { return a.running.Load() == 1 })
	b := startNode(t, store, Holder("b"), &running)
	time.Sleep(time.Second) // several renewals: b must not take it meanwhile
	if b.held.Load() || b.running.Load() != 0 {
		t.Fatal("b took a lease a renews")
	}
	a.stop()
	if a.held.Load() {
		t.Error("a still says it holds the lease after stopping")
	}
	testwait.Until(t, "b to take the lease a gave up", func() bool { return b.running.Load() == 1 })
}

// TestLostLease: a holder whose renewal is refused (another took the lease after it expired)
// stops its work, and takes it again when it is free.
func TestLostLease(t *testing.T) {
	store := &table{}
	var running atomic.Int32
	a := startNode(t, store, "a-1", &running)
	testwait.Until(t, "a to hold the lease", func() bool { return a.running.Load() == 1 })
	store.set(func(t *table) { t.holder, t.until = "other", time.Now().Add(time.Hour) })
	testwait.Until(t, "a to stop its work", func() bool { return a.running.Load() == 0 && !a.held.Load() })
	store.set(func(t *table) { t.holder = "" })
	testwait.Until(t, "a to take the free lease again", func() bool { return a.running.Load() == 1 })
}

// TestUnreachableStore: a holder that cannot renew stops its work before its lease can
// expire, and resumes once the store answers.
func TestUnreachableStore(t *testing.T) {
	store := &table{}
	var running atomic.Int32
	a := startNode(t, store, "a-1", &running)
	testwait.Until(t, "a to hold the lease", func() bool { return a.running.Load() == 1 })
	store.set(func(t *table) { t.failing = true })
	testwait.Until(t, "a to stop its work", func() bool { return a.running.Load() == 0 })
	store.set(func(t *table) { t.failing = false })
	testwait.Until(t, "a to resume", func() bool { return a.running.Load() == 1 })
}

// TestWorkReturning: work that returns while the lease is held is run again.
func TestWorkReturning(t *testing.T) {
	store := &table{}
	var runs atomic.Int32
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		Hold(ctx, store, Config{Name: "n", Holder: "a", TTL: 30 * time.Millisecond}, func(context.Context) { runs.Add(1) })
	}()
	testwait.Until(t, "the work to run three times", func() bool { return runs.Load() >= 3 })
	cancel()
	<-done
}
