package storetest

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"hubbub"
)

// testSanctions: sanctions are stored per room, name and kind, replaced, lifted, and only
// those in force are returned, with millisecond UTC times.
func testSanctions(t *testing.T, open opener) {
	s := open(t, hubbub.Retention{})
	ctx := t.Context()
	until := time.Now().Add(time.Hour).Truncate(time.Millisecond).UTC()
	set := func(sn hubbub.Sanction) {
		t.Helper()
		if err := s.SetSanction(ctx, sn); err != nil {
			t.Fatalf("SetSanction(%+v): %v", sn, err)
		}
	}
	list := func(room string) []hubbub.Sanction {
		t.Helper()
		got, err := s.Sanctions(ctx, room)
		if err != nil {
			t.Fatalf("Sanctions(%q): %v", room, err)
		}
		return got
	}
	if got := list("r"); len(got) != 0 {
		t.Fatalf("a fresh store has sanctions %+v", got)
	}
	set(hubbub.Sanction{Room: "r", Name: "eve", Kind: hubbub.SanctionBan, Until: until, By: "mod", Reason: "spam"})
	set(hubbub.Sanction{Room: "r", Name: "eve", Kind: hubbub.SanctionMute, Until: until.Add(time.Minute), By: "mod"})
	set(hubbub.Sanction{Room: "other", Name: "eve", Kind: hubbub.SanctionBan, Until: until})
	got := list("r")
	if len(got) != 2 {
		t.Fatalf("Sanctions(r) = %+v, want a ban and a mute", got)
	}
	ban := got[0]
	if ban.Kind != hubbub.SanctionBan || ban.Name != "eve" || ban.Room != "r" || ban.By != "mod" || ban.Reason != "spam" {
		t.Errorf("ban read back as %+v", ban)
	}
	if !ban.Until.Equal(until) || ban.Until.Location() != time.UTC {
		t.Errorf("ban until %v, want %v in UTC", ban.Until, until)
	}
	// Replacing keeps one sanction per kind.
	set(hubbub.Sanction{Room: "r", Name: "eve", Kind: hubbub.SanctionBan, Until: until.Add(time.Hour), By: "admin"})
	got = list("r")
	if len(got) != 2 || !got[0].Until.Equal(until.Add(time.Hour)) || got[0].By != "admin" {
		t.Errorf("after replacing the ban: %+v", got)
	}
	// A zero Until lifts; an expired sanction is not returned.
	set(hubbub.Sanction{Room: "r", Name: "eve", Kind: hubbub.SanctionBan})
	set(hubbub.Sanction{Room: "r", Name: "bob", Kind: hubbub.SanctionMute, Until: time.Now().Add(50 * time.Millisecond)})
	time.Sleep(100 * time.Millisecond)
	got = list("r")
	if len(got) != 1 || got[0].Kind != hubbub.SanctionMute || got[0].Name != "eve" {
		t.Errorf("after lifting the ban and letting bob's mute expire: %+v, want eve's mute only", got)
	}
	if got := list("other"); len(got) != 1 {
		t.Errorf("Sanctions(other) = %+v, want one ban", got)
	}
}

// testDeleteMessage: a deleted message keeps its seq but loses its text, in every read; the
// room's numbering goes on; unknown seqs are reported.
func testDeleteMessage(t *testing.T, open opener) {
	s := open(t, hubbub.Retention{})
	ctx := t.Context()
	msgs := appendN(t, s, "r", 3)
	found, already, err := s.DeleteMessage(ctx, "r", 2)
	if err != nil || !found || already {
		t.Fatalf("DeleteMessage(r, 2) = %v, %v, %v; want found, not already", found, already, err)
	}
	if found, already, err := s.DeleteMessage(ctx, "r", 2); err != nil || !found || !already {
		t.Errorf("deleting twice = %v, %v, %v; want found, already, no error", found, already, err)
	}
	for _, seq := range []uint64{0, 4, 1 << 63} {
		if found, already, err := s.DeleteMessage(ctx, "r", seq); err != nil || found || already {
			t.Errorf("DeleteMessage(r, %d) = %v, %v, %v; want not found", seq, found, already, err)
		}
	}
	if found, _, _ := s.DeleteMessage(ctx, "nowhere", 1); found {
		t.Error("DeleteMessage in an unknown room found something")
	}
	want := append([]hubbub.Entry(nil), msgs...)
	want[1].Text, want[1].Deleted = "", true
	for what, read := range map[string][]hubbub.Entry{
		"Since":  since(t, s, "r", 0, 10),
		"Before": before(t, s, "r", 0, 10),
	} {
		checkStored(t, what, read, want)
		for i := range read {
			if read[i].Deleted != want[i].Deleted {
				t.Errorf("%s: message %d Deleted = %v, want %v", what, read[i].Seq, read[i].Deleted, want[i].Deleted)
			}
		}
	}
	if next := mustAppend(t, s, msg("r", "alice", "after")); next.Seq != 4 || next.Deleted {
		t.Errorf("append after a delete: seq %d deleted %v, want 4, false", next.Seq, next.Deleted)
	}
	// A resend of a deleted message (same client id) answers with the tombstone.
	keyed := mustAppend(t, s, withID("r", "bob", "k1", "oops"))
	if _, _, err := s.DeleteMessage(ctx, "r", keyed.Seq); err != nil {
		t.Fatal(err)
	}
	again, dup, err := s.Append(ctx, withID("r", "bob", "k1", "oops"))
	if err != nil || !dup || again.Seq != keyed.Seq || !again.Deleted || again.Text != "" {
		t.Errorf("resend of a deleted message = %+v, dup %v, err %v; want the tombstone", again, dup, err)
	}
}

// testDeleteMessageConcurrent: of several deletes of one message at once, exactly one
// reports the change (already false), so that one caller, and only one, tells the members.
func testDeleteMessageConcurrent(t *testing.T, open opener) {
	s := open(t, hubbub.Retention{})
	appendN(t, s, "r", 3)
	const deleters = 8
	for _, seq := range []uint64{1, 2, 3} {
		var wg sync.WaitGroup
		var mu sync.Mutex
		changed := 0
		start := make(chan struct{}) // released at once, so that they race
		for range deleters {
			wg.Go(func() {
				<-start
				found, already, err := s.DeleteMessage(t.Context(), "r", seq)
				if err != nil || !found {
					t.Errorf("DeleteMessage(r, %d) = %v, %v, %v", seq, found, already, err)
				}
				if !already {
					mu.Lock()
					changed++
					mu.Unlock()
				}
			})
		}
		close(start)
		wg.Wait()
		if changed != 1 {
			t.Errorf("%d deletes of seq %d at once: %d reported the change, want 1", deleters, seq, changed)
		}
	}
}

// testModerationDoneContext: the moderation methods fail with ctx's error once ctx is done,
// change nothing then, and fail after Close.
func testModerationDoneContext(t *testing.T, open opener) {
	s := open(t, hubbub.Retention{})
	appendN(t, s, "r", 1)
	done, cancel := context.WithCancel(t.Context())
	cancel()
	ban := hubbub.Sanction{Room: "r", Name: "eve", Kind: hubbub.SanctionBan, Until: time.Now().Add(time.Hour)}
	if err := s.SetSanction(done, ban); !errors.Is(err, context.Canceled) {
		t.Errorf("SetSanction with a done context: %v", err)
	}
	if _, err := s.Sanctions(done, "r"); !errors.Is(err, context.Canceled) {
		t.Errorf("Sanctions with a done context: %v", err)
	}
	if _, _, err := s.DeleteMessage(done, "r", 1); !errors.Is(err, context.Canceled) {
		t.Errorf("DeleteMessage with a done context: %v", err)
	}
	if got, err := s.Sanctions(t.Context(), "r"); err != nil || len(got) != 0 {
		t.Errorf("after a cancelled SetSanction: %+v, %v", got, err)
	}
	if msgs := since(t, s, "r", 0, 1); len(msgs) != 1 || msgs[0].Deleted {
		t.Errorf("after a cancelled DeleteMessage: %+v", msgs)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.SetSanction(t.Context(), ban); err == nil {
		t.Error("SetSanction after Close succeeded")
	}
	if _, err := s.Sanctions(t.Context(), "r"); err == nil {
		t.Error("Sanctions after Close succeeded")
	}
	if _, _, err := s.DeleteMessage(t.Context(), "r", 1); err == nil {
		t.Error("DeleteMessage after Close succeeded")
	}
}
