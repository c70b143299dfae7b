package storetest

import (
	"context"
	"errors"
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
	if got, err := s.Sanctions(t.Context(), "r"); err != nil || len(got) != 0 {
		t.Errorf("after a cancelled SetSanction: %+v, %v", got, err)
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
}
