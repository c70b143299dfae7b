package hub

import (
	"fmt"
	"testing"

	"hubbub"
)

// The ring finds entries by seq, not by position: seqs a retention removed (with the entries
// that changed the message) leave holes, and a replay must neither skip nor repeat an entry.
func TestRingAfterWithHoles(t *testing.T) {
	g := newRing(4)
	for _, e := range []hubbub.Entry{
		{Seq: 1}, {Seq: 2, Kind: hubbub.KindReaction}, {Seq: 5}, {Seq: 6, Kind: hubbub.KindEdit}, {Seq: 7},
	} {
		g.push(entryEnvelope(&e))
	}
	seqsOf := func(es []*Envelope) string {
		var s []uint64
		for _, e := range es {
			s = append(s, e.Event.AppendedEntry().Seq)
		}
		return fmt.Sprint(s)
	}
	for _, c := range []struct {
		from, last uint64
		want       string
		ok         bool
	}{
		{1, 7, "[2 5 6 7]", true}, // the oldest (1) was pushed out; 2 is held
		{2, 7, "[5 6 7]", true},
		{3, 7, "[5 6 7]", true}, // 3 and 4 are a hole
		{4, 6, "[5 6]", true},   // never past last
		{7, 7, "[]", true},
		{0, 7, "[]", false}, // the ring does not reach back to 1: read the Store
	} {
		got, ok := g.after(c.from, c.last)
		if seqsOf(got) != c.want || ok != c.ok {
			t.Errorf("after(%d, %d) = %s, %v; want %s, %v", c.from, c.last, seqsOf(got), ok, c.want, c.ok)
		}
	}
	if got := seqsOf(g.messages(2)); got != "[5 7]" {
		t.Errorf("messages(2) = %s, want [5 7] (the newest messages, not the edit)", got)
	}
}
