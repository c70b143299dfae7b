package storetest

import (
	"cmp"
	"context"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"hubbub"
)

// msg is a message as the server hands it to Append.
func msg(room, from, text string) hubbub.Entry {
	return hubbub.Entry{Room: room, From: from, Text: text}
}

// withID is msg with an idempotency key.
func withID(room, from, clientID, text string) hubbub.Entry {
	m := msg(room, from, text)
	m.ClientID = clientID
	return m
}

// mustAppend appends m and fails t unless it was stored as a new message.
func mustAppend(t testing.TB, s hubbub.Store, m hubbub.Entry) hubbub.Entry {
	t.Helper()
	got, dup, err := appendValue(t.Context(), s, m)
	if err != nil {
		t.Fatalf("Append(%+v): %v", m, err)
	}
	if dup {
		t.Fatalf("Append(%+v) reported a duplicate of %+v", m, got)
	}
	return got
}

// impose stores sn as the server does, by appending its KindSanction entry (SanctionEntry,
// by sn.By or else "mod"), and returns the entry: a ban or mute, or for a zero or past Until,
// its lift.
func impose(t testing.TB, s hubbub.Store, sn hubbub.Sanction) hubbub.Entry {
	t.Helper()
	return mustAppend(t, s, hubbub.SanctionEntry(sn, cmp.Or(sn.By, "mod"), "", time.Now()))
}

// appendN appends n messages from "alice" to room and returns them.
func appendN(t testing.TB, s hubbub.Store, room string, n int) []hubbub.Entry {
	t.Helper()
	out := make([]hubbub.Entry, n)
	for i := range out {
		out[i] = mustAppend(t, s, msg(room, "alice", fmt.Sprintf("%s #%d", room, i+1)))
	}
	return out
}

// since, before and lastSeq call the Store and fail t on error.
func since(t testing.TB, s hubbub.Store, room string, after uint64, limit int) []hubbub.Entry {
	t.Helper()
	msgs, err := s.Since(t.Context(), room, after, limit)
	if err != nil {
		t.Fatalf("Since(%q, %d, %d): %v", room, after, limit, err)
	}
	return msgs
}

func before(t testing.TB, s hubbub.Store, room string, seq uint64, limit int) []hubbub.Entry {
	t.Helper()
	msgs, err := s.Before(t.Context(), room, seq, limit)
	if err != nil {
		t.Fatalf("Before(%q, %d, %d): %v", room, seq, limit, err)
	}
	return msgs
}

func lastSeq(t testing.TB, s hubbub.Store, room string) uint64 {
	t.Helper()
	seq, err := s.LastSeq(t.Context(), room)
	if err != nil {
		t.Fatalf("LastSeq(%q): %v", room, err)
	}
	return seq
}

func seqsOf(msgs []hubbub.Entry) []uint64 {
	seqs := make([]uint64, len(msgs))
	for i, m := range msgs {
		seqs[i] = m.Seq
	}
	return seqs
}

// span returns the seqs lo, lo+1, …, hi (none if hi < lo).
func span(lo, hi uint64) []uint64 {
	var s []uint64
	for i := lo; i <= hi; i++ {
		s = append(s, i)
	}
	return s
}

// checkSeqs fails t unless msgs carry exactly the seqs want, in that order.
func checkSeqs(t testing.TB, what string, msgs []hubbub.Entry, want []uint64) {
	t.Helper()
	if got := seqsOf(msgs); !slices.Equal(got, want) {
		t.Errorf("%s: seqs %v, want %v", what, got, want)
	}
}

// sameMessage reports how a differs from b, or "" if they are the same stored entry, field
// for field (sameEntry).
func sameMessage(a, b hubbub.Entry) string { return sameEntry(a, b) }

// sameEntry reports how a differs from b, or "" if they are the same stored entry: every field
// equal, times equal to the instant and both in UTC, and an empty slice the same as none (a
// database cannot tell them apart).
func sameEntry(a, b hubbub.Entry) string {
	for _, ts := range [][2]time.Time{{a.Time, b.Time}, {a.EditedAt, b.EditedAt}} {
		switch {
		case !ts[0].Equal(ts[1]):
			return fmt.Sprintf("time %v differs from %v in seq %d", ts[0], ts[1], a.Seq)
		case ts[0].Location() != time.UTC || ts[1].Location() != time.UTC:
			return fmt.Sprintf("times %v and %v of seq %d are not both UTC", ts[0], ts[1], a.Seq)
		}
	}
	if na, nb := normalEntry(a), normalEntry(b); !reflect.DeepEqual(na, nb) {
		return fmt.Sprintf("%+v differs from %+v", na, nb)
	}
	return ""
}

// normalEntry is e with its times zeroed (sameEntry compares them), empty slices nil, and
// an empty User the same as From (the contract stores an entry without User under its From).
func normalEntry(e hubbub.Entry) hubbub.Entry {
	e.Time, e.EditedAt = time.Time{}, time.Time{}
	if e.User == "" {
		e.User = e.From
	}
	if len(e.Mentions) == 0 {
		e.Mentions = nil
	}
	if len(e.Attachments) == 0 {
		e.Attachments = nil
	}
	if len(e.Reactions) == 0 {
		e.Reactions = nil
	} else {
		e.Reactions = slices.Clone(e.Reactions)
		for i := range e.Reactions {
			if len(e.Reactions[i].Names) == 0 {
				e.Reactions[i].Names = nil
			}
		}
	}
	return e
}

// checkStored fails t unless read holds exactly the messages want, field for field.
func checkStored(t testing.TB, what string, read, want []hubbub.Entry) {
	t.Helper()
	if len(read) != len(want) {
		t.Errorf("%s: read %d messages (seqs %v), want %d (seqs %v)",
			what, len(read), seqsOf(read), len(want), seqsOf(want))
		return
	}
	for i := range read {
		if d := sameMessage(read[i], want[i]); d != "" {
			t.Errorf("%s: message %d: %s", what, i, d)
		}
	}
}

// appendValue appends e to s and returns the stored entry as a value, as the suite's
// comparisons take it (Store.Append takes and returns pointers, for the server's send path).
// It holds every append of the suite to the contract's "Append does not change *e": a change
// is an error of its own, which no test expects; and to what a handover may be (appendAll).
func appendValue(ctx context.Context, s hubbub.Store, e hubbub.Entry) (hubbub.Entry, bool, error) {
	got, _, outcome, err := appendAll(ctx, s, e)
	return got, outcome == hubbub.Duplicate, err
}

// appendAll is appendValue that returns the handover and the outcome Append returned beside
// the entry too, which it holds to the contract: only a member change has a handover, the
// Auto role entry of its room numbered right after it; an outcome is one of the three.
func appendAll(ctx context.Context, s hubbub.Store, e hubbub.Entry) (stored hubbub.Entry, handover *hubbub.Entry, outcome hubbub.AppendOutcome, err error) {
	in := e
	in.Mentions, in.Attachments, in.Reactions = slices.Clone(e.Mentions), slices.Clone(e.Attachments), slices.Clone(e.Reactions)
	got, h, outcome, err := s.Append(ctx, &e)
	if !reflect.DeepEqual(e, in) {
		return hubbub.Entry{}, nil, 0, fmt.Errorf("storetest: Append changed the caller's entry %+v into %+v", in, e)
	}
	if err != nil {
		return hubbub.Entry{}, nil, 0, err
	}
	if got == &e || h == &e {
		return hubbub.Entry{}, nil, 0, fmt.Errorf("storetest: Append returned the caller's entry as a stored one")
	}
	if h != nil && (got.Kind != hubbub.KindMember || !h.Auto || h.Kind != hubbub.KindMember || h.Action != hubbub.MemberRole ||
		h.Room != got.Room || h.Seq != got.Seq+1) {
		return hubbub.Entry{}, nil, 0, fmt.Errorf("storetest: Append of %+v returned %+v as its handover, which is none", *got, *h)
	}
	if outcome != hubbub.Stored && outcome != hubbub.StoredFirst && outcome != hubbub.Duplicate {
		return hubbub.Entry{}, nil, 0, fmt.Errorf("storetest: Append of %+v returned the outcome %v, which is none", *got, outcome)
	}
	return *got, h, outcome, nil
}
