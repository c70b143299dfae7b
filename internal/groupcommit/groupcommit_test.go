package groupcommit

import (
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"hubbub/internal/testwait"
)

// TestMain fails the package if any test leaves a goroutine behind, such as a worker that
// Stop did not end.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// req is a test request: process records n and answers n*10.
type req struct {
	Request
	n   int
	out int
}

// recorder is a process function that records its batches and can be held up.
type recorder struct {
	mu      sync.Mutex
	batches [][]int
	gate    chan struct{} // if not nil, process waits for it to be closed
	finish  bool          // process finishes each request before it waits for gate
}

func (rc *recorder) process(batch []*req) {
	ns := make([]int, len(batch))
	for i, r := range batch {
		ns[i] = r.n
		r.out = r.n * 10
		if rc.finish {
			r.Finish()
		}
	}
	rc.mu.Lock()
	rc.batches = append(rc.batches, ns)
	gate := rc.gate
	rc.mu.Unlock()
	if gate != nil {
		<-gate
	}
}

// seen returns the batches so far.
func (rc *recorder) seen() [][]int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return slices.Clone(rc.batches)
}

// hold makes process wait from now on until the returned func is called.
func (rc *recorder) hold() (release func()) {
	gate := make(chan struct{})
	rc.mu.Lock()
	rc.gate = gate
	rc.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			rc.mu.Lock()
			rc.gate = nil
			rc.mu.Unlock()
			close(gate)
		})
	}
}

// start returns a running Queue with process rc.process, stopped when t ends.
func start(t *testing.T, cfg Config, rc *recorder) *Queue[*req] {
	t.Helper()
	q := New(cfg, rc.process)
	t.Cleanup(q.Stop)
	return q
}

// doAsync runs q.Do(ctx, r) in a goroutine and returns where its error will arrive.
func doAsync(ctx context.Context, q *Queue[*req], r *req) <-chan error {
	ch := make(chan error, 1)
	go func() { ch <- q.Do(ctx, r) }()
	return ch
}

// block holds up process, sends a first request and returns once a worker has taken it,
// so that requests sent afterwards queue. The returned channel yields the first Do's error.
func block(t *testing.T, q *Queue[*req], rc *recorder) (release func(), first <-chan error) {
	t.Helper()
	release = rc.hold()
	t.Cleanup(release)
	r := &req{n: -1}
	first = doAsync(context.Background(), q, r)
	testwait.Until(t, "a worker takes the first request", r.Taken)
	return release, first
}

// queueInOrder sends requests numbered from..to-1, each from its own goroutine but one
// after the other: each is queued before the next is sent.
func queueInOrder(t *testing.T, ctx context.Context, q *Queue[*req], from, to int) (reqs []*req, errs []<-chan error) {
	t.Helper()
	for n := from; n < to; n++ {
		r := &req{n: n}
		before := q.Len()
		errs = append(errs, doAsync(ctx, q, r))
		testwait.Until(t, "the request queues", func() bool { return q.Len() == before+1 })
		reqs = append(reqs, r)
	}
	return reqs, errs
}

func mustSucceed(t *testing.T, errs []<-chan error) {
	t.Helper()
	for _, ch := range errs {
		if err := <-ch; err != nil {
			t.Fatalf("Do = %v, want nil", err)
		}
	}
}

// TestLoneCallerInOrder: a lone caller's requests are processed one by one, in order, each
// with its outcome, and without waiting for company however long the window.
func TestLoneCallerInOrder(t *testing.T) {
	rc := &recorder{}
	q := start(t, Config{Window: time.Hour, MaxBatch: 8}, rc)
	for n := range 20 {
		r := &req{n: n}
		if err := q.Do(t.Context(), r); err != nil {
			t.Fatal(err)
		}
		if r.out != n*10 {
			t.Fatalf("request %d answered %d, want %d", n, r.out, n*10)
		}
	}
	var want [][]int
	for n := range 20 {
		want = append(want, []int{n})
	}
	if got := rc.seen(); !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("batches %v, want %v", got, want)
	}
}

// TestBatchInQueueOrder: requests that queue while process is busy make the next batch,
// in the order they were queued.
func TestBatchInQueueOrder(t *testing.T) {
	rc := &recorder{}
	q := start(t, Config{MaxBatch: 16}, rc)
	release, first := block(t, q, rc)
	reqs, errs := queueInOrder(t, t.Context(), q, 0, 10)
	release()
	mustSucceed(t, append(errs, first))
	want := [][]int{{-1}, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}}
	if got := rc.seen(); !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("batches %v, want %v", got, want)
	}
	for _, r := range reqs {
		if r.out != r.n*10 {
			t.Errorf("request %d answered %d", r.n, r.out)
		}
	}
}

// TestWaitForPreviousBatchSize: after a batch of n, a worker waits (within the window) for n
// requests before it processes the next batch.
func TestWaitForPreviousBatchSize(t *testing.T) {
	rc := &recorder{}
	q := start(t, Config{Window: time.Hour, MaxBatch: 16}, rc)
	release, first := block(t, q, rc)
	_, errs := queueInOrder(t, t.Context(), q, 0, 5)
	release()
	mustSucceed(t, append(errs, first)) // batches {-1}, {0..4}: the next waits for 5

	var late []<-chan error
	for n := 10; n < 15; n++ {
		late = append(late, doAsync(t.Context(), q, &req{n: n}))
		time.Sleep(2 * time.Millisecond) // stragglers, each well within the window
	}
	mustSucceed(t, late)
	got := rc.seen()
	if len(got) != 3 || len(got[2]) != 5 {
		t.Errorf("batches %v, want the last 5 requests in one batch", got)
	}
}

// TestWindowEnds: a worker waiting for company processes what it has once the window ends.
func TestWindowEnds(t *testing.T) {
	const window = 50 * time.Millisecond
	rc := &recorder{}
	q := start(t, Config{Window: window, MaxBatch: 16}, rc)
	release, first := block(t, q, rc)
	_, errs := queueInOrder(t, t.Context(), q, 0, 3)
	release()
	mustSucceed(t, append(errs, first))

	began := time.Now()
	if err := q.Do(t.Context(), &req{n: 7}); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(began); d < window {
		t.Errorf("a lone request after a batch of 3 took %v, want the window (%v) spent waiting for company", d, window)
	}
	if got := rc.seen(); len(got) != 3 || !slices.Equal(got[2], []int{7}) {
		t.Errorf("batches %v, want {7} alone last", got)
	}
}

// TestNoWindow: with no window a worker never waits, however large its previous batch.
func TestNoWindow(t *testing.T) {
	rc := &recorder{}
	q := start(t, Config{Window: -1, MaxBatch: 16}, rc)
	release, first := block(t, q, rc)
	_, errs := queueInOrder(t, t.Context(), q, 0, 3)
	release()
	mustSucceed(t, append(errs, first))
	done := doAsync(t.Context(), q, &req{n: 7})
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a lone request waited with no window")
	}
}

// TestMaxBatch: no batch exceeds MaxBatch, and callers beyond the queue's capacity wait
// for room rather than fail.
func TestMaxBatch(t *testing.T) {
	const maxBatch, n = 4, 13
	rc := &recorder{}
	q := start(t, Config{Window: 5 * time.Millisecond, MaxBatch: maxBatch}, rc)
	release, first := block(t, q, rc)
	var errs []<-chan error
	for i := range n {
		errs = append(errs, doAsync(t.Context(), q, &req{n: i}))
	}
	testwait.Until(t, "the queue fills", func() bool { return q.Len() == maxBatch })
	release()
	mustSucceed(t, append(errs, first))
	total := 0
	for _, b := range rc.seen() {
		if len(b) > maxBatch {
			t.Errorf("batch of %d, more than MaxBatch %d", len(b), maxBatch)
		}
		total += len(b)
	}
	if total != n+1 {
		t.Errorf("%d requests processed, want %d", total, n+1)
	}
}

// TestCancelWhileQueued: a caller whose context ends while its request is queued returns at
// once with the context's error, and the request is never processed.
func TestCancelWhileQueued(t *testing.T) {
	rc := &recorder{}
	q := start(t, Config{MaxBatch: 1}, rc)
	release, first := block(t, q, rc)
	ctx, cancel := context.WithCancel(t.Context())
	queued := doAsync(ctx, q, &req{n: 1})
	testwait.Until(t, "the request queues", func() bool { return q.Len() == 1 })
	waiting := doAsync(ctx, q, &req{n: 2}) // the queue is full: this one waits for room
	time.Sleep(10 * time.Millisecond)
	cancel()
	for _, ch := range []<-chan error{queued, waiting} {
		select {
		case err := <-ch:
			if !errors.Is(err, context.Canceled) {
				t.Errorf("cancelled Do = %v, want context.Canceled", err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("a cancelled Do waited for the busy worker")
		}
	}
	release()
	mustSucceed(t, []<-chan error{first})
	if err := q.Do(t.Context(), &req{n: 3}); err != nil {
		t.Fatal(err)
	}
	want := [][]int{{-1}, {3}}
	if got := rc.seen(); !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("batches %v, want %v (the abandoned request left out)", got, want)
	}
}

// TestCancelAfterTaken: a caller whose context ends after a worker took its request waits
// for the outcome.
func TestCancelAfterTaken(t *testing.T) {
	rc := &recorder{}
	q := start(t, Config{}, rc)
	release := rc.hold()
	defer release()
	ctx, cancel := context.WithCancel(t.Context())
	r := &req{n: 4}
	done := doAsync(ctx, q, r)
	testwait.Until(t, "the worker takes the request", r.Taken)
	cancel()
	select {
	case err := <-done:
		t.Fatalf("Do returned %v while its request was being processed", err)
	case <-time.After(20 * time.Millisecond):
	}
	release()
	if err := <-done; err != nil {
		t.Fatalf("Do = %v, want nil: the request was processed", err)
	}
	if r.out != 40 {
		t.Errorf("outcome %d, want 40", r.out)
	}
}

// TestFinishEarly: a request process finishes returns to its caller before the rest of the
// batch is processed.
func TestFinishEarly(t *testing.T) {
	rc := &recorder{finish: true}
	q := start(t, Config{}, rc)
	release := rc.hold()
	defer release()
	r := &req{n: 5}
	select {
	case err := <-doAsync(t.Context(), q, r):
		if err != nil || r.out != 50 {
			t.Errorf("Do = %v with outcome %d, want nil and 50", err, r.out)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a finished request waited for the end of process")
	}
}

// TestWorkers: each worker processes a batch of its own, at the same time as the others.
func TestWorkers(t *testing.T) {
	rc := &recorder{}
	q := start(t, Config{Workers: 3, MaxBatch: 1}, rc)
	release := rc.hold()
	var reqs []*req
	var errs []<-chan error
	for n := range 3 {
		r := &req{n: n}
		reqs = append(reqs, r)
		errs = append(errs, doAsync(t.Context(), q, r))
	}
	testwait.Until(t, "three workers take a request each", func() bool {
		return reqs[0].Taken() && reqs[1].Taken() && reqs[2].Taken()
	})
	release()
	mustSucceed(t, errs)
}

// TestStop: Stop lets the batch under way finish, fails the queued requests with
// Config.ErrClosed without processing them, and makes later calls fail at once.
func TestStop(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
	}{{"default", nil}, {"custom", errors.New("store is closed")}} {
		t.Run(tc.name, func(t *testing.T) {
			want := tc.err
			if want == nil {
				want = ErrStopped
			}
			rc := &recorder{}
			q := New(Config{MaxBatch: 8, Workers: 2, ErrClosed: tc.err}, rc.process)
			release, first := block(t, q, rc)
			release2, second := block(t, q, rc) // the second worker, busy too
			_, queued := queueInOrder(t, t.Context(), q, 0, 3)
			stopped := make(chan struct{})
			go func() {
				q.Stop()
				close(stopped)
			}()
			<-q.quit
			release()
			release2()
			<-stopped
			mustSucceed(t, []<-chan error{first, second})
			for _, ch := range queued {
				if err := <-ch; err != want {
					t.Errorf("queued Do = %v, want %v", err, want)
				}
			}
			if err := q.Do(t.Context(), &req{n: 9}); err != want {
				t.Errorf("Do after Stop = %v, want %v", err, want)
			}
			q.Stop() // again: returns at once
			if got := rc.seen(); len(got) != 2 {
				t.Errorf("batches %v, want only the two under way at Stop", got)
			}
		})
	}
}

// TestConcurrentCallers: under many callers, some giving up and a Stop at the end, every
// request whose Do returned nil was processed exactly once with its outcome, and no other
// request was processed.
func TestConcurrentCallers(t *testing.T) {
	var processed sync.Map // *req -> *atomic.Int32
	q := New(Config{Window: time.Millisecond, MaxBatch: 8, Workers: 2}, func(batch []*req) {
		for _, r := range batch {
			c, _ := processed.LoadOrStore(r, new(atomic.Int32))
			c.(*atomic.Int32).Add(1)
			r.out = r.n * 10
			if r.n%5 == 0 {
				time.Sleep(50 * time.Microsecond)
			}
		}
	})
	const callers, each = 16, 200
	var ok, gaveUp, closed atomic.Int64
	var wg sync.WaitGroup
	var mu sync.Mutex
	var results []struct {
		r   *req
		err error
	}
	for c := range callers {
		wg.Go(func() {
			for i := range each {
				r := &req{n: c*each + i}
				ctx, cancel := context.WithTimeout(context.Background(), time.Duration(rand.IntN(300))*time.Microsecond)
				err := q.Do(ctx, r)
				cancel()
				switch {
				case err == nil:
					ok.Add(1)
				case errors.Is(err, context.DeadlineExceeded):
					gaveUp.Add(1)
				case err == ErrStopped:
					closed.Add(1)
				default:
					t.Errorf("Do = %v", err)
				}
				mu.Lock()
				results = append(results, struct {
					r   *req
					err error
				}{r, err})
				mu.Unlock()
			}
		})
	}
	time.Sleep(50 * time.Millisecond)
	q.Stop()
	wg.Wait()
	for _, res := range results {
		c, seen := processed.Load(res.r)
		switch {
		case res.err == nil && (!seen || c.(*atomic.Int32).Load() != 1 || res.r.out != res.r.n*10):
			t.Fatalf("request %d succeeded but was processed %v times, outcome %d", res.r.n, c, res.r.out)
		case res.err != nil && seen:
			t.Fatalf("request %d failed with %v but was processed", res.r.n, res.err)
		}
	}
	t.Logf("%d processed, %d gave up, %d failed by Stop", ok.Load(), gaveUp.Load(), closed.Load())
}

// TestHold: a request process holds is not answered when process returns — the worker goes
// on to the next batch meanwhile — but when it is finished later, from another goroutine;
// its caller waits for it even after giving up, and Stop waits for it too, so the caller
// hears its outcome rather than Config.ErrClosed.
func TestHold(t *testing.T) {
	held := make(chan *req, 4)
	var processed []int
	var mu sync.Mutex
	q := New(Config{MaxBatch: 1}, func(batch []*req) {
		for _, r := range batch {
			r.out = r.n * 10
			mu.Lock()
			processed = append(processed, r.n)
			mu.Unlock()
			r.Hold()
			r.Hold() // a second Hold does nothing
			held <- r
		}
	})
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			q.Stop()
		}
	})
	ctx, cancel := context.WithCancel(t.Context())
	first := doAsync(ctx, q, &req{n: 1})
	r1 := <-held
	second := doAsync(t.Context(), q, &req{n: 2})
	r2 := <-held // processed while the first is still held
	cancel()     // too late: the first was taken
	select {
	case err := <-first:
		t.Fatalf("Do returned %v before its held request was finished", err)
	case <-time.After(20 * time.Millisecond):
	}
	r1.Finish()
	if err := <-first; err != nil || r1.out != 10 {
		t.Errorf("first Do = %v with outcome %d, want nil and 10", err, r1.out)
	}
	stopDone := make(chan struct{})
	go func() {
		q.Stop()
		close(stopDone)
	}()
	select {
	case <-stopDone:
		t.Fatal("Stop returned while a request was held")
	case <-time.After(20 * time.Millisecond):
	}
	r2.Finish()
	r2.Finish() // again: nothing
	<-stopDone
	stopped = true
	if err := <-second; err != nil || r2.out != 20 {
		t.Errorf("second Do = %v with outcome %d, want nil and 20", err, r2.out)
	}
	mu.Lock()
	defer mu.Unlock()
	if !slices.Equal(processed, []int{1, 2}) {
		t.Errorf("processed %v, want [1 2]", processed)
	}
}
