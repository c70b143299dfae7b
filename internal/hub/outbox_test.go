package hub_test

import (
	"testing"

	"hubbub"
	"hubbub/internal/hub"
)

func envelopes(n int) []*hub.Envelope {
	es := make([]*hub.Envelope, n)
	for i := range es {
		es[i] = &hub.Envelope{Event: hubbub.Event{Body: hubbub.EntryAppended{Entry: &hubbub.Entry{Seq: uint64(i + 1)}}}}
	}
	return es
}

// A writer takes bounded rounds from a deep queue, in order, and hears that the outbox is
// closed only with the last round: nothing queued before Close is lost to a partial take.
func TestOutboxTakesBoundedRoundsInOrder(t *testing.T) {
	out := hub.NewOutbox(100, func() { t.Error("overflow") })
	for _, e := range envelopes(10) {
		if !out.Push(e) {
			t.Fatal("push refused")
		}
	}
	out.Close()
	var got []uint64
	for round := 0; ; round++ {
		batch, depth, closed := out.TakeUpTo(nil, 4)
		if want := 10 - 4*round; depth != want {
			t.Fatalf("round %d: depth %d, want %d", round, depth, want)
		}
		if len(batch) > 4 {
			t.Fatalf("round %d took %d envelopes, want at most 4", round, len(batch))
		}
		for _, e := range batch {
			got = append(got, e.Event.AppendedEntry().Seq)
		}
		if closed != (len(got) == 10) {
			t.Fatalf("after %d envelopes closed=%v", len(got), closed)
		}
		if closed {
			break
		}
	}
	for i, s := range got {
		if s != uint64(i+1) {
			t.Fatalf("took seqs %v, want 1..10 in order", got)
		}
	}
}

// The limit counts what waits, not what a replay batch brought: taking part of a batch
// does not let live envelopes past the limit, nor refuse them early.
func TestOutboxLimitAfterPartialTake(t *testing.T) {
	overflowed := false
	out := hub.NewOutbox(3, func() { overflowed = true })
	if !out.PushBatch(envelopes(5)) { // a replay may exceed the limit
		t.Fatal("batch refused")
	}
	if b, _, _ := out.TakeUpTo(nil, 2); len(b) != 2 {
		t.Fatalf("took %d, want 2", len(b))
	}
	for i, e := range envelopes(3) { // 3 batched + 3 live: live ones fit the limit of 3
		if !out.Push(e) {
			t.Fatalf("live push %d refused after a partial take", i)
		}
	}
	if out.Push(envelopes(1)[0]) || !overflowed {
		t.Fatal("a fourth live envelope was accepted past the limit")
	}
}

// A batch's done runs exactly once, when the writer has taken the batch's last envelope, when
// the outbox is discarded with the batch still queued, or at once for a refused batch.
func TestOutboxBatchDoneRunsOnceTakenOrDiscarded(t *testing.T) {
	o := hub.NewOutbox(100, nil)
	var done []string
	o.Push(envelopes(1)[0])
	o.PushBatchThen(envelopes(3), func() { done = append(done, "first") })
	o.PushBatchThen(envelopes(2), func() { done = append(done, "second") })
	buf, _, _ := o.TakeUpTo(nil, 3) // the live envelope and 2 of the first batch
	if len(buf) != 3 || len(done) != 0 {
		t.Fatalf("took %d, done %v: the first batch is not all taken", len(buf), done)
	}
	o.TakeUpTo(buf[:0], 1)
	if len(done) != 1 || done[0] != "first" {
		t.Fatalf("done %v after the first batch was taken", done)
	}
	o.Discard() // the writer ended with the second batch queued
	if len(done) != 2 || done[1] != "second" {
		t.Fatalf("done %v after discard", done)
	}
	o.PushBatchThen(envelopes(2), func() { done = append(done, "refused") })
	if buf, _, closed := o.TakeUpTo(buf[:0], 0); len(buf) != 0 || !closed || len(done) != 3 {
		t.Fatalf("after discard: took %d, closed %v, done %v", len(buf), closed, done)
	}
	o.Discard()
	if len(done) != 3 {
		t.Fatalf("a done ran twice: %v", done)
	}
}

// PushMany queues in order, counts against the limit, and refuses (overflowing once) what
// does not all fit.
func TestOutboxPushMany(t *testing.T) {
	overflows := 0
	out := hub.NewOutbox(4, func() { overflows++ })
	es := envelopes(6)
	if !out.PushMany(es[:3]) {
		t.Fatal("3 of 4 refused")
	}
	if out.PushMany(es[3:5]) {
		t.Fatal("5 of 4 queued")
	}
	if overflows != 1 || out.PushMany(es[5:]) || overflows != 1 {
		t.Fatalf("overflows %d, want one, and a full outbox refusing", overflows)
	}
	batch, _, _ := out.TakeUpTo(nil, 0)
	if len(batch) != 3 || batch[0] != es[0] || batch[2] != es[2] {
		t.Fatalf("took %d envelopes, want the first 3 in order", len(batch))
	}
}

// A paced writer (--write-interval) writes at once when the outbox says Direct: a room's
// messages do not, a reply does, and so does a queue half full — else a small --send-queue
// filled while its writer waited out the interval, and dropped a client that read at once.
func TestOutboxIsDirectForRepliesAndWhenHalfFull(t *testing.T) {
	out := hub.NewOutbox(8, func() { t.Error("overflow") })
	es := envelopes(4)
	for _, e := range es[:3] {
		out.Push(e)
	}
	if out.Direct() {
		t.Fatal("three room messages in a queue of 8: Direct, want them paced")
	}
	out.Push(es[3])
	if !out.Direct() {
		t.Fatal("four messages in a queue of 8: not Direct, want them written at once")
	}
	out.TakeUpTo(nil, 100)
	if out.Direct() {
		t.Fatal("Direct after everything was taken")
	}
	if !out.PushMany(envelopes(4)) || !out.Direct() {
		t.Fatal("four messages pushed at once in a queue of 8: not Direct")
	}
	out.TakeUpTo(nil, 100)
	out.Push(hub.NewRaw([]byte(`{"type":"pong"}`)))
	if !out.Direct() {
		t.Fatal("a reply queued: not Direct")
	}

	// In a large queue, one write's round (DirectDepth) is deep enough, and stays so while a
	// take leaves some queued: the rest goes at once, not a round per interval.
	big := hub.NewOutbox(4096, func() { t.Error("overflow") })
	if !big.PushMany(envelopes(hub.DirectDepth-1)) || big.Direct() {
		t.Fatal("a round less one queued: Direct, want it paced")
	}
	big.Push(envelopes(1)[0])
	if !big.Direct() {
		t.Fatal("a round queued: not Direct")
	}
	if big.TakeUpTo(nil, 10); !big.Direct() {
		t.Fatal("a take that left most of the round: not Direct")
	}
}
