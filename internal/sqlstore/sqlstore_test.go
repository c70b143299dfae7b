package sqlstore

import (
	"context"
	"errors"
	"math"
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
	if err := CheckAppend(hubbub.Entry{From: "a", Text: "x"}); !errors.Is(err, ErrNoRoom) {
		t.Errorf("CheckAppend without a room = %v", err)
	}
	if err := CheckAppend(hubbub.Entry{Room: "r"}); err != nil {
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
	msg := &hubbub.Entry{Seq: 3, From: "alice", Text: "x"}
	tomb := &hubbub.Entry{Seq: 3, From: "alice", Deleted: true}
	change := func(kind hubbub.EntryKind, from string, mod bool) hubbub.Entry {
		return hubbub.Entry{Room: "r", From: from, Kind: kind, Target: 3, Moderator: mod, Emoji: "👍"}
	}
	for _, c := range []struct {
		name   string
		e      hubbub.Entry
		target *hubbub.Entry
		want   string // "" for allowed
	}{
		{"edit own", change(hubbub.KindEdit, "alice", false), msg, ""},
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
	} {
		if err := CheckAppend(e); err == nil {
			t.Errorf("CheckAppend(%+v) = nil", e)
		}
	}
	if err := CheckAppend(hubbub.Entry{Room: "r", Kind: hubbub.KindEdit, Target: 1}); err != nil {
		t.Errorf("CheckAppend of an edit = %v", err)
	}
}

// TestStored: only the fields of an entry's kind are kept.
func TestStored(t *testing.T) {
	e := hubbub.Entry{Room: "r", From: "a", ClientID: "k", Text: "t", ReplyTo: 2, Target: 3, Emoji: "x",
		Moderator: true, Added: true, Count: 4, Seq: 9, Mentions: []hubbub.Mention{}}
	if got := Stored(e); got.Target != 0 || got.Emoji != "" || got.Moderator || got.Seq != 0 || got.ReplyTo != 2 || got.Mentions != nil {
		t.Errorf("Stored message = %+v", got)
	}
	e.Kind = hubbub.KindReaction
	if got := Stored(e); got.Text != "" || got.ReplyTo != 0 || got.Target != 3 || got.Emoji != "x" || got.Added || got.Count != 0 {
		t.Errorf("Stored reaction = %+v", got)
	}
	e.Kind = hubbub.KindDelete
	if got := Stored(e); got.Text != "" || !got.Moderator || got.Target != 3 {
		t.Errorf("Stored delete = %+v", got)
	}
}
