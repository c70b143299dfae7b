package storetest

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"hubbub"
)

// testSanctions: sanctions, appended as KindSanction entries, are stored per room, name and
// kind, replaced, lifted, and only those in force are returned, with millisecond UTC times.
func testSanctions(t *testing.T, open opener) {
	s := open(t, hubbub.Retention{})
	ctx := t.Context()
	until := time.Now().Add(time.Hour).Truncate(time.Millisecond).UTC()
	set := func(sn hubbub.Sanction) {
		t.Helper()
		impose(t, s, sn)
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

// testSanctionsPage: SanctionsPage pages a room's sanctions in force by user id in byte
// order (not by name, not by the database's collation), then kind, strictly after the cursor,
// at most limit, and leaves out what expired and what another room holds.
func testSanctionsPage(t *testing.T, open opener) {
	s := open(t, hubbub.Retention{})
	ctx := t.Context()
	until := time.Now().Add(time.Hour).Truncate(time.Millisecond).UTC()
	// u_d's ban ends in a moment: its row stays stored until then and after, expired.
	soon := time.Now().Add(100 * time.Millisecond)
	impose(t, s, hubbub.Sanction{Room: "r", User: "u_d", Name: "dan", Kind: hubbub.SanctionBan, Until: soon})
	// Byte order of the ids is u_B < u_a < u_c; a collation that ignores case puts u_a first,
	// and the names (zed, yan, amy) run the other way.
	impose(t, s, hubbub.Sanction{Room: "r", User: "u_c", Name: "amy", Kind: hubbub.SanctionMute, Until: until})
	impose(t, s, hubbub.Sanction{Room: "r", User: "u_a", Name: "yan", Kind: hubbub.SanctionBan, Until: until, Reason: "spam"})
	impose(t, s, hubbub.Sanction{Room: "r", User: "u_B", Name: "zed", Kind: hubbub.SanctionMute, Until: until})
	impose(t, s, hubbub.Sanction{Room: "r", User: "u_B", Name: "zed", Kind: hubbub.SanctionBan, Until: until})
	impose(t, s, hubbub.Sanction{Room: "other", User: "u_a", Name: "yan", Kind: hubbub.SanctionBan, Until: until})
	time.Sleep(time.Until(soon) + 10*time.Millisecond) // the clock is what ends u_d's ban
	page := func(room, after string, limit int) string {
		t.Helper()
		got, err := s.SanctionsPage(ctx, room, after, limit)
		if err != nil {
			t.Fatalf("SanctionsPage(%q, %q, %d): %v", room, after, limit, err)
		}
		keys := make([]string, len(got))
		for i, sn := range got {
			if sn.Room != room || !sn.Until.Equal(until) || sn.Until.Location() != time.UTC {
				t.Errorf("SanctionsPage(%q, %q, %d) read %+v, want room %q until %v UTC", room, after, limit, sn, room, until)
			}
			keys[i] = sn.User + " " + string(sn.Kind)
		}
		return strings.Join(keys, ", ")
	}
	for _, c := range []struct {
		room, after string
		limit       int
		want        string
	}{
		{"r", "", 10, "u_B ban, u_B mute, u_a ban, u_c mute"},
		{"r", "", 2, "u_B ban, u_B mute"},
		{"r", "", 3, "u_B ban, u_B mute, u_a ban"},
		{"r", "u_B", 2, "u_a ban, u_c mute"},
		{"r", "u_Bz", 10, "u_a ban, u_c mute"}, // a cursor that is no user's
		{"r", "u_a", 10, "u_c mute"},
		{"r", "u_c", 10, ""}, // u_d's expired ban is not listed
		{"r", "", 0, ""},
		{"other", "", 10, "u_a ban"},
		{"nowhere", "", 10, ""},
	} {
		if got := page(c.room, c.after, c.limit); got != c.want {
			t.Errorf("SanctionsPage(%q, %q, %d) = [%s], want [%s]", c.room, c.after, c.limit, got, c.want)
		}
	}
	got, err := s.SanctionsPage(ctx, "r", "u_B", 1)
	if err != nil || len(got) != 1 || got[0].Name != "yan" || got[0].Reason != "spam" || got[0].By != "mod" {
		t.Errorf("SanctionsPage(r, u_B, 1) = %+v, %v, want yan's ban with its reason and moderator", got, err)
	}
}

// testModerationDoneContext: the moderation methods fail with ctx's error once ctx is done,
// change nothing then, and fail after Close.
func testModerationDoneContext(t *testing.T, open opener) {
	s := open(t, hubbub.Retention{})
	appendN(t, s, "r", 1)
	done, cancel := context.WithCancel(t.Context())
	cancel()
	ban := hubbub.SanctionEntry(hubbub.Sanction{Room: "r", Name: "eve", Kind: hubbub.SanctionBan, Until: time.Now().Add(time.Hour)},
		"mod", "", time.Now())
	if _, _, err := appendValue(done, s, ban); !errors.Is(err, context.Canceled) {
		t.Errorf("Append of a ban with a done context: %v", err)
	}
	if _, err := s.Sanctions(done, "r"); !errors.Is(err, context.Canceled) {
		t.Errorf("Sanctions with a done context: %v", err)
	}
	if _, err := s.SanctionsPage(done, "r", "", 10); !errors.Is(err, context.Canceled) {
		t.Errorf("SanctionsPage with a done context: %v", err)
	}
	if got, err := s.Sanctions(t.Context(), "r"); err != nil || len(got) != 0 {
		t.Errorf("after a cancelled Append of a ban: %+v, %v", got, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := appendValue(t.Context(), s, ban); err == nil {
		t.Error("Append of a ban after Close succeeded")
	}
	if _, err := s.Sanctions(t.Context(), "r"); err == nil {
		t.Error("Sanctions after Close succeeded")
	}
	if _, err := s.SanctionsPage(t.Context(), "r", "", 10); err == nil {
		t.Error("SanctionsPage after Close succeeded")
	}
}

// testSanctionEntries: a KindSanction entry is an entry of the room's log, numbered after the
// room's other entries, read back by Since with its fields, and changes the room's sanctions
// in the same append (a ban or mute replaces, a lift removes: testSanctions); one the
// store refuses takes no seq and changes no sanction.
func testSanctionEntries(t *testing.T, open opener) {
	s := open(t, hubbub.Retention{})
	ctx := t.Context()
	now := time.Now()
	until := now.Add(time.Hour).Truncate(time.Millisecond).UTC()
	appendN(t, s, "r", 2)
	ban := mustAppend(t, s, hubbub.SanctionEntry(hubbub.Sanction{Room: "r", User: "u_bob", Name: "bob", Kind: hubbub.SanctionBan,
		Until: until, Reason: "spam"}, "carol", "u_carol", now))
	if ban.Seq != 3 || ban.Kind != hubbub.KindSanction || ban.Action != hubbub.SanctionActionBan || ban.Subject != "u_bob" ||
		ban.SubjectName != "bob" || ban.From != "carol" || ban.User != "u_carol" || !ban.Until.Equal(until) || ban.Text != "spam" {
		t.Fatalf("ban appended as %+v", ban)
	}
	list := func() []hubbub.Sanction {
		t.Helper()
		got, err := s.Sanctions(ctx, "r")
		if err != nil {
			t.Fatalf("Sanctions: %v", err)
		}
		return got
	}
	if got := list(); len(got) != 1 || got[0].User != "u_bob" || got[0].Name != "bob" || got[0].Kind != hubbub.SanctionBan ||
		!got[0].Until.Equal(until) || got[0].By != "carol" || got[0].Reason != "spam" {
		t.Fatalf("after the ban entry, Sanctions = %+v", got)
	}
	mute := mustAppend(t, s, hubbub.SanctionEntry(hubbub.Sanction{Room: "r", User: "u_bob", Name: "bob", Kind: hubbub.SanctionMute,
		Until: until}, "carol", "u_carol", now))
	// A refused entry (no subject, an action hubbub does not know) takes no seq, changes nothing.
	for _, bad := range []hubbub.Entry{
		{Room: "r", Kind: hubbub.KindSanction, From: "carol", User: "u_carol", Action: hubbub.SanctionActionBan, Until: until},
		{Room: "r", Kind: hubbub.KindSanction, From: "carol", User: "u_carol", Subject: "u_bob", Action: "shun", Until: until},
		{Room: "r", Kind: hubbub.KindSanction, From: "carol", User: "u_carol", Subject: "u_bob", Action: hubbub.SanctionActionMute},
	} {
		if _, _, err := appendValue(ctx, s, bad); hubbub.ErrorCode(err) != hubbub.ECodeBadField {
			t.Errorf("Append(%+v) = %v, want %s", bad, err, hubbub.ECodeBadField)
		}
	}
	unban := mustAppend(t, s, hubbub.SanctionEntry(hubbub.Sanction{Room: "r", User: "u_bob", Name: "bob", Kind: hubbub.SanctionBan},
		"dan", "u_dan", now))
	if mute.Seq != 4 || unban.Seq != 5 || unban.Action != hubbub.SanctionActionUnban || !unban.Until.IsZero() {
		t.Fatalf("mute %+v, unban %+v: want seqs 4 and 5, the unban with no end", mute, unban)
	}
	if got := list(); len(got) != 1 || got[0].Kind != hubbub.SanctionMute {
		t.Fatalf("after the unban entry, Sanctions = %+v, want the mute alone", got)
	}
	next := mustAppend(t, s, hubbub.Entry{Room: "r", From: "ann", User: "u_ann", Text: "after"})
	if next.Seq != 6 {
		t.Errorf("the message after the sanctions has seq %d, want 6", next.Seq)
	}
	got := since(t, s, "r", 2, 10)
	if len(got) != 4 {
		t.Fatalf("Since(2) = %+v, want the three sanction entries and the message", got)
	}
	for i, want := range []hubbub.Entry{ban, mute, unban} {
		e := got[i]
		if e.Seq != want.Seq || e.Kind != hubbub.KindSanction || e.Action != want.Action || e.Subject != "u_bob" ||
			e.SubjectName != "bob" || e.From != want.From || e.User != want.User || !e.Until.Equal(want.Until) ||
			e.Text != want.Text || e.Time.Location() != time.UTC || e.ID != want.ID {
			t.Errorf("Since read entry %d as %+v, want %+v", i, e, want)
		}
	}
	if !got[0].Until.Equal(until) || got[0].Until.Location() != time.UTC {
		t.Errorf("the ban's end read back as %v, want %v in UTC", got[0].Until, until)
	}
	if msgs := before(t, s, "r", 0, 10); len(msgs) != 3 {
		t.Errorf("Before = %d entries, want the three messages only", len(msgs))
	}
}
