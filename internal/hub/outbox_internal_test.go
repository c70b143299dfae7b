package hub

import "testing"

// A queue grown by a burst is released as soon as the writer has taken everything, not at a
// later take that an idle connection may never make; a small one is kept for reuse.
func TestOutboxReleasesADrainedBurst(t *testing.T) {
	o := NewOutbox(1000, nil)
	for range keptOutboxCap * 3 {
		o.Push(&Envelope{})
	}
	if buf, depth, _ := o.TakeUpTo(nil, 0); len(buf) != keptOutboxCap*3 || depth != keptOutboxCap*3 {
		t.Fatalf("took %d of %d, want %d", len(buf), depth, keptOutboxCap*3)
	}
	if o.items != nil {
		t.Fatalf("a drained burst keeps a queue of capacity %d", cap(o.items))
	}
	o.Push(&Envelope{})
	o.Push(&Envelope{})
	o.TakeUpTo(nil, 0)
	if cap(o.items) == 0 || cap(o.items) > keptOutboxCap {
		t.Fatalf("a drained small queue has capacity %d, want it kept (1 to %d)", cap(o.items), keptOutboxCap)
	}
	for range keptOutboxCap * 3 {
		o.Push(&Envelope{})
	}
	if buf, _, _ := o.TakeUpTo(nil, 10); len(buf) != 10 || len(o.items) != keptOutboxCap*3-10 {
		t.Fatalf("a partial take left %d queued, want %d", len(o.items), keptOutboxCap*3-10)
	}
}
