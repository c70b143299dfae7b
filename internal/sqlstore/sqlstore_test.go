package sqlstore

import (
	"context"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"hubbub"
)

// TestGuard: Begin passes an open store with a live context, fails with ErrClosed after
// Close and with ctx's error once ctx is done, naming the store and the operation; a second
// Close reports ErrClosed.
func TestGuard(t *testing.T) {
	g := &Guard{Name: "db"}
	if err := g.Begin(t.Context(), OpSince); err != nil {
		t.Fatalf("Begin on an open store: %v", err)
	}
	done, cancel := context.WithCancel(t.Context())
	cancel()
	if err := g.Begin(done, OpSince); !errors.Is(err, context.Canceled) || err.Error() != "db: since: context canceled" {
		t.Errorf("Begin with a done context = %v", err)
	}
	if g.Wrap(OpAppend, nil) != nil {
		t.Error("Wrap(nil) is not nil")
	}
	if err := g.Close(); err != nil || !g.Closed() {
		t.Fatalf("first Close = %v, Closed %v", err, g.Closed())
	}
	if err := g.Begin(t.Context(), OpAppend); !errors.Is(err, ErrClosed) || err.Error() != "db: append: store is closed" {
		t.Errorf("Begin after Close = %v", err)
	}
	if err := g.Close(); !errors.Is(err, ErrClosed) {
		t.Errorf("second Close = %v, want ErrClosed", err)
	}
}

// TestArgs: the argument rules of Since, Before and one message's seq at their edges.
func TestArgs(t *testing.T) {
	type got struct {
		v  int64
		ok bool
	}
	mk := func(v int64, ok bool) got { return got{v, ok} }
	for _, c := range []struct {
		name       string
		have, want got
	}{
		{"Since(0, 10)", mk(SinceArgs(0, 10)), got{0, true}},
		{"Since(5, 0)", mk(SinceArgs(5, 0)), got{0, false}},
		{"Since(MaxInt64-1, 1)", mk(SinceArgs(math.MaxInt64-1, 1)), got{math.MaxInt64 - 1, true}},
		{"Since(MaxInt64, 1)", mk(SinceArgs(math.MaxInt64, 1)), got{0, false}},
		{"Before(0, 10)", mk(BeforeArgs(0, 10)), got{math.MaxInt64, true}},
		{"Before(7, 10)", mk(BeforeArgs(7, 10)), got{7, true}},
		{"Before(1<<63, 10)", mk(BeforeArgs(1<<63, 10)), got{math.MaxInt64, true}},
		{"Before(7, -1)", mk(BeforeArgs(7, -1)), got{0, false}},
		{"Seq(0)", mk(SeqArg(0)), got{0, false}},
		{"Seq(3)", mk(SeqArg(3)), got{3, true}},
		{"Seq(1<<63)", mk(SeqArg(1 << 63)), got{0, false}},
	} {
		if c.have != c.want {
			t.Errorf("%s = %+v, want %+v", c.name, c.have, c.want)
		}
	}
	if err := CheckAppend(&hubbub.Entry{From: "a", Text: "x"}); !errors.Is(err, ErrNoRoom) {
		t.Errorf("CheckAppend without a room = %v", err)
	}
	if err := CheckAppend(&hubbub.Entry{Room: "r"}); err != nil {
		t.Errorf("CheckAppend = %v", err)
	}
}

// TestCut: each limit alone, both together (the higher cut wins), and a room within them.
func TestCut(t *testing.T) {
	perRoom := hubbub.Retention{MaxPerRoom: 3}
	age := hubbub.Retention{MaxAge: time.Hour}
	both := hubbub.Retention{MaxPerRoom: 3, MaxAge: time.Hour}
	for _, c := range []struct {
		name             string
		ret              hubbub.Retention
		last, firstYoung int64
		want             int64
	}{
		{"no policy", hubbub.Retention{}, 10, 8, 0},
		{"per room: 10 kept 3", perRoom, 10, 0, 8},
		{"per room: 3 kept 3", perRoom, 3, 0, 0},
		{"age: young from 6", age, 10, 6, 6},
		{"age: all old", age, 10, 11, 11},
		{"both: count cuts higher", both, 10, 2, 8},
		{"both: age cuts higher", both, 10, 9, 9},
	} {
		if got := Cut(c.ret, c.last, c.firstYoung); got != c.want {
			t.Errorf("%s: Cut = %d, want %d", c.name, got, c.want)
		}
	}
	if !KeepsAll(hubbub.Retention{}) || KeepsAll(perRoom) || KeepsAll(age) {
		t.Error("KeepsAll is wrong")
	}
}

// TestCheckChange: who may change which message, for each kind.
func TestCheckChange(t *testing.T) {
	msg := &hubbub.Entry{Seq: 3, From: "alice", User: "u_alice", Text: "x"}
	tomb := &hubbub.Entry{Seq: 3, From: "alice", User: "u_alice", Deleted: true}
	change := func(kind hubbub.EntryKind, from string, mod bool) hubbub.Entry {
		return hubbub.Entry{Room: "r", From: from, User: "u_" + from, Kind: kind, Target: 3, Moderator: mod, Emoji: "👍"}
	}
	// another user who took the name alice since: authorship is the user's
	impostor := hubbub.Entry{Room: "r", From: "alice", User: "u_other", Kind: hubbub.KindEdit, Target: 3}
	for _, c := range []struct {
		name   string
		e      hubbub.Entry
		target *hubbub.Entry
		want   string // "" for allowed
	}{
		{"edit own", change(hubbub.KindEdit, "alice", false), msg, ""},
		{"edit under the sender's name", impostor, msg, hubbub.ECodeForbidden},
		{"edit another's", change(hubbub.KindEdit, "bob", true), msg, hubbub.ECodeForbidden},
		{"edit missing", change(hubbub.KindEdit, "alice", false), nil, hubbub.ECodeNotFound},
		{"edit tombstone", change(hubbub.KindEdit, "alice", false), tomb, hubbub.ECodeNotFound},
		{"delete own", change(hubbub.KindDelete, "alice", false), msg, ""},
		{"delete another's", change(hubbub.KindDelete, "bob", false), msg, hubbub.ECodeForbidden},
		{"delete as moderator", change(hubbub.KindDelete, "bob", true), msg, ""},
		{"delete tombstone", change(hubbub.KindDelete, "alice", false), tomb, ""},
		{"delete missing", change(hubbub.KindDelete, "alice", true), nil, hubbub.ECodeNotFound},
		{"react", change(hubbub.KindReaction, "bob", false), msg, ""},
		{"react to tombstone", change(hubbub.KindReaction, "bob", false), tomb, hubbub.ECodeNotFound},
	} {
		err := CheckChange(c.e, c.target)
		if got := ""; err != nil {
			got = hubbub.ErrorCode(err)
			if got != c.want {
				t.Errorf("%s: %v (%s), want %q", c.name, err, got, c.want)
			}
		} else if c.want != "" {
			t.Errorf("%s: allowed, want %s", c.name, c.want)
		}
	}
	full := make([]hubbub.Reaction, hubbub.MaxReactionsPerMessage)
	for i := range full {
		full[i].Emoji = string(rune('a' + i))
	}
	if err := ReactionLimit(full, "a"); err != nil {
		t.Errorf("ReactionLimit of a carried emoji = %v", err)
	}
	if err := ReactionLimit(full, "new"); hubbub.ErrorCode(err) != hubbub.ECodeLimit {
		t.Errorf("ReactionLimit of a new emoji on a full message = %v", err)
	}
	if err := ReactionLimit(full[1:], "new"); err != nil {
		t.Errorf("ReactionLimit below the limit = %v", err)
	}
	for _, e := range []hubbub.Entry{
		{Room: "r", Kind: "poke"},
		{Room: "r", Kind: hubbub.KindReaction, Target: 1},
		{Room: "r", Kind: hubbub.KindEdit},
		{Room: "r", Kind: hubbub.KindDelete, Target: 1 << 63},
		{Room: "r", Kind: hubbub.KindTopic, Text: strings.Repeat("x", hubbub.MaxTopicLen+1)},
		{Room: "r", Kind: hubbub.KindMember, Action: hubbub.MemberJoin},
		{Room: "r", Kind: hubbub.KindMember, Subject: "u_b", Action: "adopt"},
		{Room: "r", Kind: hubbub.KindMember, Subject: "u_b", Action: hubbub.MemberRole},
		{Room: "r", Kind: hubbub.KindMember, Subject: "u_b", Action: hubbub.MemberJoin, Role: "king"},
	} {
		if err := CheckAppend(&e); err == nil {
			t.Errorf("CheckAppend(%+v) = nil", e)
		}
	}
	for _, e := range []hubbub.Entry{
		{Room: "r", Kind: hubbub.KindEdit, Target: 1},
		{Room: "r", Kind: hubbub.KindTopic, Text: strings.Repeat("x", hubbub.MaxTopicLen)},
		{Room: "r", Kind: hubbub.KindTopic},
		{Room: "r", Kind: hubbub.KindMember, Subject: "u_b", Action: hubbub.MemberJoin},
		{Room: "r", Kind: hubbub.KindMember, Subject: "u_b", Action: hubbub.MemberRole, Role: hubbub.RoomOwner},
	} {
		if err := CheckAppend(&e); err != nil {
			t.Errorf("CheckAppend(%+v) = %v", e, err)
		}
	}
}

// TestStored: only the fields of an entry's kind are kept.
func TestStored(t *testing.T) {
	e := hubbub.Entry{Room: "r", From: "a", ClientID: "k", Text: "t", ReplyTo: 2, Target: 3, Emoji: "x",
		Moderator: true, Added: true, Count: 4, Seq: 9, Mentions: []hubbub.Mention{}}
	if got := Stored(&e); got.Target != 0 || got.Emoji != "" || got.Moderator || got.Seq != 0 || got.ReplyTo != 2 || got.Mentions != nil {
		t.Errorf("Stored message = %+v", got)
	}
	e.Kind = hubbub.KindReaction
	if got := Stored(&e); got.Text != "" || got.ReplyTo != 0 || got.Target != 3 || got.Emoji != "x" || got.Added || got.Count != 0 {
		t.Errorf("Stored reaction = %+v", got)
	}
	e.Kind = hubbub.KindDelete
	if got := Stored(&e); got.Text != "" || !got.Moderator || got.Target != 3 || Actor(got) != "a" {
		t.Errorf("Stored delete = %+v, acting for %q (a user of before users is its name)", got, Actor(got))
	}
	e.Kind, e.User, e.Subject, e.Action, e.Role = hubbub.KindMember, "u_a", "u_b", hubbub.MemberRole, hubbub.RoomOwner
	if got := Stored(&e); got.Text != "" || got.Target != 0 || got.User != "u_a" || got.Subject != "u_b" || got.Role != hubbub.RoomOwner {
		t.Errorf("Stored member change = %+v", got)
	}
	e.Kind = hubbub.KindTopic
	if got := Stored(&e); got.Text != "t" || got.Subject != "" || got.Role != "" {
		t.Errorf("Stored topic = %+v", got)
	}
}

// TestApplyMember: what each action does to a membership, and what it refuses.
func TestApplyMember(t *testing.T) {
	now := time.Unix(1700000000, 0).UTC()
	member := &hubbub.Membership{Room: "r", User: "u_b", Role: hubbub.RoomModerator, Since: now.Add(-time.Hour)}
	invited := &hubbub.Membership{Room: "r", User: "u_b", Role: hubbub.RoomModerator, Invited: true, Since: now.Add(-time.Hour)}
	e := func(action string, role hubbub.RoomRole) hubbub.Entry {
		return hubbub.Entry{Room: "r", Kind: hubbub.KindMember, Subject: "u_b", SubjectName: "bob", Action: action, Role: role}
	}
	for _, c := range []struct {
		name     string
		e        hubbub.Entry
		cur      *hubbub.Membership
		want     *hubbub.Membership // nil: deleted (or refused)
		wantRole hubbub.RoomRole
		code     string
		delta    int
	}{
		{"invite", e(hubbub.MemberInvite, ""), nil, &hubbub.Membership{Room: "r", User: "u_b", Name: "bob", Role: hubbub.RoomMember, Invited: true, Since: now}, hubbub.RoomMember, "", 0},
		{"invite a member", e(hubbub.MemberInvite, ""), member, nil, "", hubbub.ECodeExists, 0},
		{"invite an invitee", e(hubbub.MemberInvite, ""), invited, nil, "", hubbub.ECodeExists, 0},
		{"join", e(hubbub.MemberJoin, ""), nil, &hubbub.Membership{Room: "r", User: "u_b", Name: "bob", Role: hubbub.RoomMember, Since: now}, hubbub.RoomMember, "", 1},
		{"join as owner", e(hubbub.MemberJoin, hubbub.RoomOwner), nil, &hubbub.Membership{Room: "r", User: "u_b", Name: "bob", Role: hubbub.RoomOwner, Since: now}, hubbub.RoomOwner, "", 1},
		{"accept", e(hubbub.MemberJoin, hubbub.RoomOwner), invited, &hubbub.Membership{Room: "r", User: "u_b", Name: "bob", Role: hubbub.RoomModerator, Since: now}, hubbub.RoomModerator, "", 1},
		{"join twice", e(hubbub.MemberJoin, ""), member, nil, "", hubbub.ECodeExists, 0},
		{"leave", e(hubbub.MemberLeave, ""), member, nil, "", "", -1},
		{"remove an invitee", e(hubbub.MemberRemove, ""), invited, nil, "", "", 0},
		{"remove nobody", e(hubbub.MemberRemove, ""), nil, nil, "", hubbub.ECodeNotFound, 0},
		{"role", e(hubbub.MemberRole, hubbub.RoomOwner), member, &hubbub.Membership{Room: "r", User: "u_b", Name: "bob", Role: hubbub.RoomOwner, Since: member.Since}, hubbub.RoomOwner, "", 0},
		{"role of an invitee", e(hubbub.MemberRole, hubbub.RoomOwner), invited, nil, "", hubbub.ECodeNotFound, 0},
	} {
		next, got, err := ApplyMember(c.e, c.cur, now)
		if code := ""; err != nil || c.code != "" {
			if err != nil {
				code = hubbub.ErrorCode(err)
			}
			if code != c.code {
				t.Errorf("%s: %v, want %q", c.name, err, c.code)
			}
			continue
		}
		if !reflect.DeepEqual(next, c.want) || got.Role != c.wantRole {
			t.Errorf("%s = %+v, role %q; want %+v, %q", c.name, next, got.Role, c.want, c.wantRole)
		}
		if d := MemberDelta(c.cur, next); d != c.delta {
			t.Errorf("%s: member count %+d, want %+d", c.name, d, c.delta)
		}
	}
	keys := MentionKeys([]hubbub.Mention{{User: "u_a", Name: "a"}, {User: "u_b", Name: "b"}, {User: "u_a", Name: "A"}}, true)
	if !reflect.DeepEqual(keys, []string{"u_a", "u_b", RoomMention}) {
		t.Errorf("MentionKeys = %q", keys)
	}
	if keys := MentionKeys(nil, false); keys != nil {
		t.Errorf("MentionKeys of none = %q", keys)
	}
}
