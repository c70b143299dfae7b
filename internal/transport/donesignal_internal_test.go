package transport

import "testing"

// closed reports whether ch is closed, without blocking.
func closed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// A doneSignal releases a wait that came before fire and one that comes after, fires once,
// and makes no channel of its own when nobody waited.
func TestDoneSignal(t *testing.T) {
	var early doneSignal
	w := early.wait()
	if closed(w) {
		t.Fatal("a wait is released before fire")
	}
	if !early.fire() || early.fire() {
		t.Fatal("fire does not report the first call alone")
	}
	if !closed(w) || !closed(early.wait()) {
		t.Fatal("fire does not release the waits made before it and after it")
	}

	var unwaited doneSignal
	if unwaited.ch != nil {
		t.Fatal("a new signal holds a channel")
	}
	if !unwaited.fire() || unwaited.ch != closedChan {
		t.Fatal("a signal nobody waited for did not fire onto the shared closed channel")
	}
	if !closed(unwaited.wait()) {
		t.Fatal("a wait after fire is not released")
	}
}
