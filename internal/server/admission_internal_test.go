package server

import (
	"context"
	"testing"
	"time"

	"hubbub/internal/testwait"
)

// A released slot gives its place back once, however often it is released, and keeps no
// timer: the slot lives as long as its connection.
func TestSlotReleaseDropsItsTimer(t *testing.T) {
	a := &admission{max: 2, timeout: time.Hour}
	if !a.acquire(context.Background()) {
		t.Fatal("the first acquire was refused")
	}
	s := a.newSlot()
	s.release()
	if s.timer != nil {
		t.Error("a released slot still holds its timer")
	}
	s.release()
	if n := a.held(); n != 0 {
		t.Fatalf("after two releases %d slots are held, want 0", n)
	}
}

// A slot whose timer fired first is given back once: the release after it does nothing.
func TestSlotExpiresOnce(t *testing.T) {
	a := &admission{max: 2, timeout: time.Millisecond}
	if !a.acquire(context.Background()) {
		t.Fatal("the first acquire was refused")
	}
	s := a.newSlot()
	// expire marks the slot done before it puts the slot back: wait for both.
	testwait.Until(t, "the slot expires", func() bool { return s.done.Load() && a.held() == 0 })
	s.release()
	if n := a.held(); n != 0 {
		t.Fatalf("after the timeout and a release %d slots are held, want 0", n)
	}
}

// held reports the slots held (tests).
func (a *admission) held() int64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.n
}

// waiting reports the upgrades waiting for a slot (tests).
func (a *admission) waiting() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.waiters.Len()
}

// acquireAsync starts an acquire and returns where its answer arrives, once it waits.
func acquireAsync(t *testing.T, a *admission, ctx context.Context) <-chan bool {
	t.Helper()
	before := a.waiting()
	got := make(chan bool, 1)
	go func() { got <- a.acquire(ctx) }()
	testwait.Until(t, "the acquire waits", func() bool { return a.waiting() == before+1 })
	return got
}

// A slot given back while upgrades wait goes to the first of them, then the next; the count
// of slots held never passes max.
func TestAdmissionWaitersGetSlotsInOrder(t *testing.T) {
	a := &admission{max: 1, timeout: time.Hour, wait: time.Hour, queue: 4}
	if !a.acquire(context.Background()) {
		t.Fatal("the first acquire was refused")
	}
	first := a.newSlot()
	w1 := acquireAsync(t, a, context.Background())
	w2 := acquireAsync(t, a, context.Background())
	first.release()
	if !<-w1 {
		t.Fatal("the first waiter was refused")
	}
	select {
	case <-w2:
		t.Fatal("the second waiter got in while the first holds the only slot")
	case <-time.After(20 * time.Millisecond):
	}
	a.put() // the first waiter's slot
	if !<-w2 {
		t.Fatal("the second waiter was refused")
	}
	if n := a.held(); n != 1 {
		t.Fatalf("%d slots held, want 1", n)
	}
}

// An upgrade waits at most wait, only while fewer than queue others wait, and not once its
// client has gone (ctx) or the server drains (close); none of these leaves a slot taken.
func TestAdmissionWaitIsBounded(t *testing.T) {
	a := &admission{max: 1, timeout: time.Hour, wait: 30 * time.Millisecond, queue: 1}
	if !a.acquire(context.Background()) {
		t.Fatal("the first acquire was refused")
	}
	if a.acquire(context.Background()) {
		t.Fatal("an acquire past max got a slot after its wait")
	}
	if n, w := a.held(), a.waiting(); n != 1 || w != 0 {
		t.Fatalf("after a wait ran out: %d held, %d waiting; want 1, 0", n, w)
	}

	a.wait = time.Hour
	ctx, cancel := context.WithCancel(context.Background())
	gone := acquireAsync(t, a, ctx)
	if a.acquire(context.Background()) {
		t.Fatal("an acquire past a full queue got a slot")
	}
	cancel()
	if <-gone {
		t.Fatal("a waiter whose client went got a slot")
	}

	drained := acquireAsync(t, a, context.Background())
	a.close()
	if <-drained {
		t.Fatal("a waiter got a slot from a draining server")
	}
	a.put()
	if a.acquire(context.Background()) {
		t.Fatal("a draining server gave a slot")
	}
	if n, w := a.held(), a.waiting(); n != 0 || w != 0 {
		t.Fatalf("at the end: %d held, %d waiting; want 0, 0", n, w)
	}
}

// With no wait (ConnectingWait negative), an acquire past max is refused at once.
func TestAdmissionNoWait(t *testing.T) {
	a := &admission{max: 1, timeout: time.Hour, queue: 8}
	a.acquire(context.Background())
	if a.acquire(context.Background()) || a.waiting() != 0 {
		t.Fatal("an acquire past max without a wait got a slot or waits")
	}
}
