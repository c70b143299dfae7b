package storetest

import (
	"fmt"
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
	got, dup, err := s.Append(t.Context(), m)
	if err != nil {
		t.Fatalf("Append(%+v): %v", m, err)
	}
	if dup {
		t.Fatalf("Append(%+v) reported a duplicate of %+v", m, got)
	}
	return got
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

// sameMessage reports how a differs from b, or "" if they are the same stored message.
func sameMessage(a, b hubbub.Entry) string {
	switch {
	case a.Room != b.Room, a.Seq != b.Seq, a.ID != b.ID, a.ClientID != b.ClientID,
		a.From != b.From, a.Text != b.Text:
		return fmt.Sprintf("%+v differs from %+v", a, b)
	case !a.Time.Equal(b.Time):
		return fmt.Sprintf("time %v differs from %v", a.Time, b.Time)
	case a.Time.Location() != time.UTC || b.Time.Location() != time.UTC:
		return fmt.Sprintf("times %v and %v are not both UTC", a.Time, b.Time)
	}
	return ""
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
