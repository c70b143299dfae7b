package memrelease

import (
	"context"
	"runtime"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const mib = 1 << 20

// quiet is an idle server's figures: 50 MiB live, 100 MiB goal, 95 MiB held.
func quiet(allocs, cycles uint64) Figures {
	return Figures{Allocs: allocs, Cycles: cycles, Live: 50 * mib, Goal: 100 * mib, Held: 95 * mib}
}

func TestDecide(t *testing.T) {
	t.Run("the first call only records", func(t *testing.T) {
		var r Releaser
		if r.Decide(quiet(0, 10)) {
			t.Fatal("released on the first call, with no interval to judge")
		}
	})
	t.Run("quiet with memory to return", func(t *testing.T) {
		var r Releaser
		r.Decide(quiet(0, 10))
		if !r.Decide(quiet(mib, 10)) {
			t.Fatal("kept 45 MiB past a 50 MiB live heap after an interval that allocated 1 MiB")
		}
	})
	t.Run("busy", func(t *testing.T) {
		var r Releaser
		r.Decide(quiet(0, 10))
		// 4 MiB an interval: the 50 MiB to the goal are 12.5 intervals away, under QuietIntervals
		if r.Decide(quiet(4*mib, 10)) {
			t.Fatal("released while allocating fast enough to reach the next collection soon")
		}
	})
	t.Run("little to return", func(t *testing.T) {
		var r Releaser
		f := quiet(0, 10)
		f.Held = f.Live + 3*mib // under MinRelease
		r.Decide(f)
		f.Allocs = 1
		if r.Decide(f) {
			t.Fatal("released less than MinRelease")
		}
		f.Live, f.Goal, f.Held = 400*mib, 800*mib, 440*mib // 40 MiB, under live/8
		f.Allocs = 2
		if r.Decide(f) {
			t.Fatal("released less than an eighth of the live heap")
		}
	})
	t.Run("once between the collector's own cycles", func(t *testing.T) {
		var r Releaser
		r.Decide(quiet(0, 10))
		if !r.Decide(quiet(mib, 10)) {
			t.Fatal("did not release")
		}
		r.Released(quiet(mib, 11)) // the release's own collection
		if r.Decide(quiet(2*mib, 11)) {
			t.Fatal("released again with no collection of the runtime's own since")
		}
		if !r.Decide(quiet(3*mib, 12)) {
			t.Fatal("did not release after a collection of the runtime's own")
		}
	})
	t.Run("a goal below the live heap", func(t *testing.T) {
		var r Releaser
		f := Figures{Live: 50 * mib, Goal: 40 * mib, Held: 90 * mib}
		r.Decide(f)
		f.Allocs = mib
		if r.Decide(f) {
			t.Fatal("released with no headroom to judge quiet by")
		}
	})
}

// sink keeps the garbage of TestRunReturnsFreeMemory reachable until it is dropped.
var sink [][]byte

// TestRunReturnsFreeMemory grows the heap by 64 MiB, drops it, and waits for Run to give the
// pages back to the operating system: the heap held by the process must fall.
func TestRunReturnsFreeMemory(t *testing.T) {
	for range 64 {
		sink = append(sink, make([]byte, mib))
	}
	runtime.GC() // live: 64 MiB, goal ~128 MiB
	sink = nil
	runtime.GC() // the 64 MiB are now free spans the scavenger keeps (under the goal)
	before := Read()
	if before.Held < before.Live+32*mib {
		t.Skipf("the runtime returned the memory on its own (held %d, live %d)", before.Held, before.Live)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); Run(ctx, 50*time.Millisecond, nil) }()
	defer func() { cancel(); <-done }()
	deadline := time.Now().Add(30 * time.Second)
	for {
		now := Read()
		if now.Released >= before.Released+32*mib {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 30 s, released %d bytes (before %d), held %d, live %d", now.Released, before.Released, now.Held, now.Live)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestRunOff(t *testing.T) {
	done := make(chan struct{})
	go func() { defer close(done); Run(context.Background(), 0, nil) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Run with interval 0 did not return")
	}
}
