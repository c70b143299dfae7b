package storetest

import (
	"slices"
	"testing"
	"time"

	"hubbub"
)

// The entries of a user: From is the name they had, User their id. In these tests names
// move between users (ann renames herself anna, and another user takes "ann"), which is what
// keying by name got wrong.

// as is e acted by user id.
func as(e hubbub.Entry, user string) hubbub.Entry {
	e.User = user
	return e
}

// testClientIDPerUser: idempotency is keyed by (room, user, client id): two users who use the
// key c-1 under one name both have their message stored, and a user's resend after a rename
// is still a duplicate.
func testClientIDPerUser(t *testing.T, open opener) {
	s := open(t, hubbub.Retention{})
	first := mustAppend(t, s, as(withID("r", "ann", "c-1", "from u1"), "u1"))
	if first.User != "u1" {
		t.Errorf("Append returned User %q, want u1", first.User)
	}
	// u1 is now called anna; u2 took the name ann and reuses the key.
	second := mustAppend(t, s, as(withID("r", "ann", "c-1", "from u2"), "u2"))
	if second.Seq != 2 || second.User != "u2" {
		t.Errorf("u2's c-1 = %+v, want seq 2 by u2", second)
	}
	duplicate(t, s, as(withID("r", "anna", "c-1", "from u1, resent"), "u1"), first)
	duplicate(t, s, as(withID("r", "ann", "c-1", "from u2, resent"), "u2"), second)
	got := since(t, s, "r", 0, 10)
	checkStored(t, "Since", got, []hubbub.Entry{first, second})
	if len(got) == 2 && (got[0].User != "u1" || got[1].User != "u2" || got[0].From != "ann" || got[1].From != "ann") {
		t.Errorf("Since read users %q, %q and names %q, %q; want u1, u2 both as ann", got[0].User, got[1].User, got[0].From, got[1].From)
	}
}

// testAuthorshipPerUser: only the user who sent a message may edit it, and delete it without
// being a moderator, whatever names either had: a user who took the sender's old name may not.
func testAuthorshipPerUser(t *testing.T, open opener) {
	s := open(t, hubbub.Retention{})
	m := mustAppend(t, s, as(msg("r", "ann", "mine"), "u1"))
	// u1 renamed to anna; u2 is now ann.
	refused(t, s, as(edit("r", "ann", m.Seq, "not yours"), "u2"), hubbub.ECodeForbidden)
	refused(t, s, as(del("r", "ann", m.Seq, false), "u2"), hubbub.ECodeForbidden)
	e := mustAppend(t, s, as(edit("r", "anna", m.Seq, "mine, edited"), "u1"))
	if e.User != "u1" || e.From != "anna" {
		t.Errorf("the edit = %+v, want by u1 as anna", e)
	}
	if got := entryAt(t, before(t, s, "r", 0, 10), m.Seq); got.Text != "mine, edited" || got.From != "ann" || got.User != "u1" {
		t.Errorf("the message after its sender's edit = %+v", got)
	}
	mustAppend(t, s, as(del("r", "anna", m.Seq, false), "u1"))
	if got := entryAt(t, before(t, s, "r", 0, 10), m.Seq); !got.Deleted {
		t.Errorf("the sender's delete under a new name left %+v", got)
	}
}

// testReactionsPerUser: a reaction belongs to the user: it stays theirs across a rename, shows
// the name they had when reacting, and another user with that name holds their own.
func testReactionsPerUser(t *testing.T, open opener) {
	s := open(t, hubbub.Retention{})
	m := mustAppend(t, s, as(msg("r", "carol", "react to me"), "u3"))
	if got := mustAppend(t, s, as(react("r", "ann", m.Seq, "👍"), "u1")); !got.Added || got.Count != 1 || got.User != "u1" {
		t.Errorf("u1's reaction = %+v, want added, count 1, by u1", got)
	}
	// u1 renamed to anna, u2 took ann: u2's reaction is another user's.
	if got := mustAppend(t, s, as(react("r", "ann", m.Seq, "👍"), "u2")); !got.Added || got.Count != 2 {
		t.Errorf("u2's reaction under the name ann = %+v, want added, count 2", got)
	}
	checkReactions(t, s, "r", m.Seq, []hubbub.Reaction{{Emoji: "👍", Count: 2, Names: []string{"ann", "ann"}}})
	for _, user := range []string{"u1", "u2"} {
		if got := reactedBy(t, s, "r", user, 0, 10); !slices.Equal(got, []hubbub.ReactionKey{{Seq: m.Seq, Emoji: "👍"}}) {
			t.Errorf("ReactedBy(%s) = %v, want the 👍 on %d", user, got, m.Seq)
		}
	}
	for _, name := range []string{"ann", "anna"} {
		if got := reactedBy(t, s, "r", name, 0, 10); len(got) != 0 {
			t.Errorf("ReactedBy(%q), a name, = %v; ReactedBy takes a user id", name, got)
		}
	}
	// u1 toggles it off as anna: their reaction goes, u2's stays.
	if got := mustAppend(t, s, as(react("r", "anna", m.Seq, "👍"), "u1")); got.Added || got.Count != 1 {
		t.Errorf("u1 toggling as anna = %+v, want removed, count 1", got)
	}
	checkReactions(t, s, "r", m.Seq, []hubbub.Reaction{{Emoji: "👍", Count: 1, Names: []string{"ann"}}})
	if got := reactedBy(t, s, "r", "u1", 0, 10); len(got) != 0 {
		t.Errorf("ReactedBy(u1) after the toggle = %v", got)
	}
	if got := reactedBy(t, s, "r", "u2", 0, 10); len(got) != 1 {
		t.Errorf("ReactedBy(u2) after u1's toggle = %v, want u2's 👍", got)
	}
}

// testSanctionsPerUser: sanctions are keyed by (room, user, kind): a ban follows its user
// across a rename, and whoever takes the old name is not banned by it.
func testSanctionsPerUser(t *testing.T, open opener) {
	s := open(t, hubbub.Retention{})
	ctx := t.Context()
	until := time.Now().Add(time.Hour).UTC().Truncate(time.Millisecond)
	set := func(sn hubbub.Sanction) {
		t.Helper()
		impose(t, s, sn)
	}
	set(hubbub.Sanction{Room: "r", User: "u1", Name: "ann", Kind: hubbub.SanctionBan, Until: until, By: "mod"})
	// u1 renamed to anna: the ban set again under the new name replaces the old one.
	set(hubbub.Sanction{Room: "r", User: "u1", Name: "anna", Kind: hubbub.SanctionBan, Until: until.Add(time.Hour), By: "admin"})
	// u2 took the name ann, and is muted, not banned.
	set(hubbub.Sanction{Room: "r", User: "u2", Name: "ann", Kind: hubbub.SanctionMute, Until: until})
	got, err := s.Sanctions(ctx, "r")
	if err != nil {
		t.Fatal(err)
	}
	type key struct {
		user, name string
		kind       hubbub.SanctionKind
		until      time.Time
	}
	var keys []key
	for _, sn := range got {
		keys = append(keys, key{sn.User, sn.Name, sn.Kind, sn.Until})
	}
	slices.SortFunc(keys, func(a, b key) int {
		if c := compareStrings(a.user, b.user); c != 0 {
			return c
		}
		return compareStrings(string(a.kind), string(b.kind))
	})
	want := []key{
		{"u1", "anna", hubbub.SanctionBan, until.Add(time.Hour)},
		{"u2", "ann", hubbub.SanctionMute, until},
	}
	if !slices.EqualFunc(keys, want, func(a, b key) bool {
		return a.user == b.user && a.name == b.name && a.kind == b.kind && a.until.Equal(b.until)
	}) {
		t.Errorf("Sanctions = %+v, want %+v", keys, want)
	}
	// Lifting u1's ban leaves u2's mute.
	set(hubbub.Sanction{Room: "r", User: "u1", Name: "anna", Kind: hubbub.SanctionBan})
	if got, err := s.Sanctions(ctx, "r"); err != nil || len(got) != 1 || got[0].User != "u2" || got[0].Kind != hubbub.SanctionMute {
		t.Errorf("after lifting u1's ban: %+v, %v; want u2's mute", got, err)
	}
}

// testEmptyUserIsName: an entry with no User is stored under its name, as the rows stored
// before users existed were migrated: it reads back with User = From, and is the same actor
// as an entry that gives that name as its User.
func testEmptyUserIsName(t *testing.T, open opener) {
	s := open(t, hubbub.Retention{})
	m := mustAppend(t, s, withID("r", "alice", "k", "no user"))
	if m.User != "alice" {
		t.Errorf("Append of an entry with no User returned User %q, want alice", m.User)
	}
	if got := since(t, s, "r", 0, 10); len(got) != 1 || got[0].User != "alice" {
		t.Errorf("Since read %+v, want User alice", got)
	}
	duplicate(t, s, as(withID("r", "alice", "k", "resent"), "alice"), m)
	mustAppend(t, s, as(edit("r", "alice", m.Seq, "edited"), "alice"))
	refused(t, s, as(edit("r", "alice", m.Seq, "not the same user"), "u_other"), hubbub.ECodeForbidden)
}
