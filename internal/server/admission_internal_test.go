package server

import (
	"testing"
	"time"

	"hubbub/internal/testwait"
)

// A released slot gives its place back once, however often it is released, and keeps no
// timer: the slot lives as long as its connection.
func TestSlotReleaseDropsItsTimer(t *testing.T) {
	a := &admission{max: 2, timeout: time.Hour}
	if !a.acquire() {
		t.Fatal("the first acquire was refused")
	}
	s := a.newSlot()
	s.release()
	if s.timer != nil {
		t.Error("a released slot still holds its timer")
	}
	s.release()
	if n := a.n.Load(); n != 0 {
		t.Fatalf("after two releases %d slots are held, want 0", n)
	}
}

// A slot whose timer fired first is given back once: the release after it does nothing.
func TestSlotExpiresOnce(t *testing.T) {
	a := &admission{max: 2, timeout: time.Millisecond}
	if !a.acquire() {
		t.Fatal("the first acquire was refused")
	}
	s := a.newSlot()
	testwait.Until(t, "the slot expires", func() bool { return s.done.Load() })
	s.release()
	if n := a.n.Load(); n != 0 {
		t.Fatalf("after the timeout and a release %d slots are held, want 0", n)
	}
}
