package hub_test

import (
	"context"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"testing"
	"time"

	"hubbub"
	"hubbub/internal/hub"
)

// msgView is a message as a client shows it, built from the frames it was sent.
type msgView struct {
	Text      string
	Deleted   bool
	Edited    bool
	Reactions map[string]reactionView
}

type reactionView struct {
	Count int
	Me    bool
}

// view is what one client shows of a room: its messages by seq, and the highest seq it applied
// (what it rejoins with as since).
type view struct {
	me       string
	msgs     map[uint64]*msgView
	lastSeen uint64
}

func newView(me string) *view { return &view{me: me, msgs: make(map[uint64]*msgView)} }

// apply applies one entry as a client does: a message replaces what it shows of that seq, the
// other kinds change the message they target.
func (v *view) apply(e *hubbub.Entry) {
	v.lastSeen = max(v.lastSeen, e.Seq)
	if e.IsMessage() {
		m := &msgView{Text: e.Text, Deleted: e.Deleted, Edited: !e.EditedAt.IsZero(), Reactions: map[string]reactionView{}}
		for _, r := range e.Reactions {
			m.Reactions[r.Emoji] = reactionView{Count: r.Count, Me: r.Me}
		}
		v.msgs[e.Seq] = m
		return
	}
	m := v.msgs[e.Target]
	if m == nil {
		return // a change to a message the client does not show
	}
	switch e.Kind {
	case hubbub.KindEdit:
		m.Text, m.Edited = e.Text, true
	case hubbub.KindDelete:
		m.Text, m.Deleted = "", true
	case hubbub.KindReaction:
		r := m.Reactions[e.Emoji]
		r.Count = e.Count
		if e.From == v.me {
			r.Me = e.Added
		}
		if r.Count == 0 {
			delete(m.Reactions, e.Emoji)
		} else {
			m.Reactions[e.Emoji] = r
		}
	}
}

func (v *view) String() string {
	var s string
	for _, seq := range slices.Sorted(maps.Keys(v.msgs)) {
		s += fmt.Sprintf("%d:%+v ", seq, *v.msgs[seq])
	}
	return s
}

// joinView joins room as name (with since, if not nil), applies its replay to v, and returns
// the member so that the caller can leave.
func joinView(t *testing.T, h *hub.Hub, room string, v *view, since *uint64) *hub.Member {
	t.Helper()
	out := hub.NewOutbox(10000, func() { t.Errorf("%s overflowed", v.me) })
	m := &hub.Member{Name: v.me, Key: "user:" + v.me, UserID: v.me, Out: out}
	info, err := h.Join(context.Background(), hub.JoinRequest{Room: room, Member: m, Since: since})
	if err != nil {
		t.Fatal(err)
	}
	replayed := delivered(t, out, info.Replay)
	for _, e := range replayed {
		if e.Seq > info.LastSeq {
			t.Errorf("%s's replay holds seq %d past the joined frame's last seq %d", v.me, e.Seq, info.LastSeq)
		}
		v.apply(e)
	}
	v.lastSeen = max(v.lastSeen, info.LastSeq)
	return m
}

// A client that rejoins with since after an edit, a delete and reactions made while it was
// away shows the room as a client that joins fresh does: from the room's memory, and from the
// store when the memory no longer reaches back.
func TestSinceRejoinShowsWhatAFreshJoinShows(t *testing.T) {
	for _, buffer := range []int{256, 2} {
		t.Run(fmt.Sprint("room-buffer=", buffer), func(t *testing.T) {
			h, _, _ := newHub(t, hub.Config{RoomBuffer: buffer, ReactionWindow: time.Hour})
			ctx := context.Background()
			keeper := join(t, h, "r", "keeper", nil) // keeps the room loaded
			send := func(e hubbub.Entry) hubbub.Entry {
				t.Helper()
				e.Room = "r"
				stored, _, err := h.Send(ctx, &e)
				if err != nil {
					t.Fatalf("send %+v: %v", e, err)
				}
				return *stored
			}
			var msgs []hubbub.Entry
			for i := range 4 {
				msgs = append(msgs, send(hubbub.Entry{From: "ann", Text: fmt.Sprint("message ", i)}))
			}
			send(hubbub.Entry{From: "bob", Kind: hubbub.KindReaction, Target: msgs[0].Seq, Emoji: "👍"})

			away := newView("bob")
			bob := joinView(t, h, "r", away, nil)
			h.Leave("r", bob)

			// While bob is away: a message, an edit, a delete, reactions added and removed,
			// one of them bob's own from another device.
			send(hubbub.Entry{From: "ann", Text: "while you were out"})
			send(hubbub.Entry{From: "ann", Kind: hubbub.KindEdit, Target: msgs[1].Seq, Text: "message 1, corrected"})
			send(hubbub.Entry{From: "mod", Kind: hubbub.KindDelete, Target: msgs[2].Seq, Moderator: true})
			send(hubbub.Entry{From: "carol", Kind: hubbub.KindReaction, Target: msgs[0].Seq, Emoji: "👍"})
			send(hubbub.Entry{From: "bob", Kind: hubbub.KindReaction, Target: msgs[0].Seq, Emoji: "👍"}) // removes it
			send(hubbub.Entry{From: "bob", Kind: hubbub.KindReaction, Target: msgs[3].Seq, Emoji: ":tada:"})
			send(hubbub.Entry{From: "carol", Kind: hubbub.KindReaction, Target: msgs[3].Seq, Emoji: ":tada:"})
			send(hubbub.Entry{From: "carol", Kind: hubbub.KindReaction, Target: msgs[1].Seq, Emoji: "🎉"})
			last := send(hubbub.Entry{From: "ann", Text: "the end"})
			seqs(t, keeper, int(last.Seq)) // the room delivered them all

			since := away.lastSeen
			bob = joinView(t, h, "r", away, &since)
			h.Leave("r", bob)
			fresh := newView("bob")
			joinView(t, h, "r", fresh, nil)

			if !reflect.DeepEqual(away.msgs, fresh.msgs) {
				t.Errorf("after a rejoin with since %d bob shows\n%v\nafter a fresh join\n%v", since, away, fresh)
			}
			if m := fresh.msgs[msgs[3].Seq]; m == nil || !m.Reactions[":tada:"].Me || m.Reactions[":tada:"].Count != 2 {
				t.Errorf("a fresh join shows message %d as %+v, want :tada: twice, one of them bob's", msgs[3].Seq, m)
			}
			if m := fresh.msgs[msgs[2].Seq]; m == nil || !m.Deleted || m.Text != "" {
				t.Errorf("a fresh join shows message %d as %+v, want deleted", msgs[2].Seq, m)
			}
		})
	}
}

// Entries of every kind published out of seq order (as from several nodes) reach members in
// seq order, each once.
func TestEntriesOfEveryKindReachMembersInSeqOrder(t *testing.T) {
	h, store, broker := newHub(t, hub.Config{GapWait: time.Hour, ReactionWindow: time.Hour})
	out := join(t, h, "r", "ann", nil)
	ctx := context.Background()
	var entries []hubbub.Entry
	appendEntry := func(e hubbub.Entry) {
		e.Room = "r"
		stored, _, _, err := store.Append(ctx, &e)
		if err != nil {
			t.Fatalf("append %+v: %v", e, err)
		}
		entries = append(entries, *stored)
	}
	appendEntry(hubbub.Entry{From: "bob", Text: "first"})
	appendEntry(hubbub.Entry{From: "bob", Kind: hubbub.KindEdit, Target: 1, Text: "first, edited"})
	appendEntry(hubbub.Entry{From: "ann", Kind: hubbub.KindReaction, Target: 1, Emoji: "👍"})
	appendEntry(hubbub.Entry{From: "bob", Text: "second"})
	appendEntry(hubbub.Entry{From: "bob", Kind: hubbub.KindDelete, Target: 4})
	for _, i := range []int{4, 2, 0, 3, 1, 1, 4} { // with duplicates
		if err := broker.Publish(ctx, hubbub.Event{Room: "r", Body: hubbub.EntryAppended{Entry: &entries[i]}}); err != nil {
			t.Fatal(err)
		}
	}
	got := delivered(t, out, 5)
	var kinds []string
	for i, e := range got {
		if e.Seq != uint64(i+1) {
			t.Fatalf("delivered seq %d as entry %d", e.Seq, i+1)
		}
		kinds = append(kinds, string(e.Kind))
	}
	if want := "[ edit reaction  delete]"; fmt.Sprint(kinds) != want {
		t.Errorf("delivered kinds %v, want %s", kinds, want)
	}
}

// Members of the text protocol (MessagesOnly) get messages and edits, not deletes or
// reactions, which it does not show.
func TestMessagesOnlyMembersGetMessagesAndEdits(t *testing.T) {
	h, _, _ := newHub(t, hub.Config{ReactionWindow: time.Hour})
	ctx := context.Background()
	out := hub.NewOutbox(100, nil)
	if _, err := h.Join(ctx, hub.JoinRequest{Room: "r", Member: &hub.Member{Name: "texter", Out: out, MessagesOnly: true}, NoReplay: true}); err != nil {
		t.Fatal(err)
	}
	m, _, err := h.Send(ctx, &hubbub.Entry{Room: "r", From: "ann", Text: "hi"})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range []hubbub.Entry{
		{Kind: hubbub.KindReaction, Emoji: "👍", From: "bob"},
		{Kind: hubbub.KindEdit, Text: "hello", From: "ann"},
		{Kind: hubbub.KindDelete, From: "ann"},
		{Text: "bye", From: "ann"},
	} {
		e.Room, e.Target = "r", m.Seq
		if e.Kind == hubbub.KindMessage {
			e.Target = 0
		}
		if _, _, err := h.Send(ctx, &e); err != nil {
			t.Fatalf("send %+v: %v", e, err)
		}
	}
	var got []string
	for _, e := range delivered(t, out, 3) {
		got = append(got, fmt.Sprintf("%d %s %q", e.Seq, e.Kind, e.Text))
	}
	if want := []string{`1  "hi"`, `3 edit "hello"`, `5  "bye"`}; !reflect.DeepEqual(got, want) {
		t.Errorf("the text member got %q, want %q", got, want)
	}
}

// A muted or banned name may append no entry of any kind; the store's refusals (another's
// message edited, a message that does not exist) come back as they are.
func TestSendRefusals(t *testing.T) {
	h, _, _ := newHub(t, hub.Config{})
	ctx := context.Background()
	join(t, h, "r", "ann", nil)
	// The node checks the sanctions of the rooms it holds: keeper keeps the room open when
	// the ban kicks ann out.
	join(t, h, "r", "keeper", nil)
	m, _, err := h.Send(ctx, &hubbub.Entry{Room: "r", From: "ann", Text: "hi"})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := h.Send(ctx, &hubbub.Entry{Room: "r", From: "bob", Kind: hubbub.KindEdit, Target: m.Seq, Text: "mine now"}); hubbub.ErrorCode(err) != hubbub.ECodeForbidden {
		t.Errorf("bob edits ann's message: %v, want forbidden", err)
	}
	if _, _, err := h.Send(ctx, &hubbub.Entry{Room: "r", From: "bob", Kind: hubbub.KindReaction, Target: 99, Emoji: "👍"}); hubbub.ErrorCode(err) != hubbub.ECodeNotFound {
		t.Errorf("a reaction to no message: %v, want not_found", err)
	}
	for _, kind := range []hubbub.SanctionKind{hubbub.SanctionMute, hubbub.SanctionBan} {
		if err := h.Sanction(ctx, hub.Actor{Log: "mod"}, hubbub.Sanction{Room: "r", User: "ann", Name: "ann", Kind: kind, Until: time.Now().Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		for _, e := range []hubbub.Entry{
			{Text: "still here"},
			{Kind: hubbub.KindEdit, Target: m.Seq, Text: "edited"},
			{Kind: hubbub.KindReaction, Target: m.Seq, Emoji: "👍"},
			{Kind: hubbub.KindDelete, Target: m.Seq},
		} {
			e.Room, e.From = "r", "ann"
			if _, _, err := h.Send(ctx, &e); err == nil || hubbub.ErrorCode(err) != hubbub.ECodeMuted && hubbub.ErrorCode(err) != hubbub.ECodeBanned {
				t.Errorf("%s ann sends a %q entry: %v, want refused", kind, e.Kind, err)
			}
		}
		if err := h.Sanction(ctx, hub.Actor{Log: "mod"}, hubbub.Sanction{Room: "r", User: "ann", Name: "ann", Kind: kind}); err != nil {
			t.Fatal(err)
		}
	}
}

// History pages and threads mark the reactions that are the viewer's own, and only those.
func TestHistoryAndThreadMarkTheViewersReactions(t *testing.T) {
	h, _, _ := newHub(t, hub.Config{})
	ctx := context.Background()
	send := func(e hubbub.Entry) hubbub.Entry {
		t.Helper()
		e.Room = "r"
		stored, _, err := h.Send(ctx, &e)
		if err != nil {
			t.Fatalf("send %+v: %v", e, err)
		}
		return *stored
	}
	parent := send(hubbub.Entry{From: "ann", Text: "a question"})
	reply := send(hubbub.Entry{From: "bob", Text: "an answer", ReplyTo: parent.Seq})
	send(hubbub.Entry{From: "bob", Text: "another", ReplyTo: parent.Seq})
	for _, e := range []hubbub.Entry{
		{From: "ann", Target: parent.Seq, Emoji: "👍"},
		{From: "bob", Target: parent.Seq, Emoji: "🎉"},
		{From: "ann", Target: reply.Seq, Emoji: "🎉"},
	} {
		e.Kind = hubbub.KindReaction
		send(e)
	}
	mine := func(msgs []hubbub.Entry) map[string]bool {
		got := map[string]bool{}
		for _, m := range msgs {
			for _, r := range m.Reactions {
				got[fmt.Sprintf("%d %s", m.Seq, r.Emoji)] = r.Me
			}
		}
		return got
	}
	for viewer, want := range map[string]map[string]bool{
		"ann": {"1 👍": true, "1 🎉": false, "2 🎉": true},
		"bob": {"1 👍": false, "1 🎉": true, "2 🎉": false},
		"":    {"1 👍": false, "1 🎉": false, "2 🎉": false},
	} {
		msgs, more, err := h.History(ctx, "r", 0, 10, viewer)
		if err != nil || more || len(msgs) != 3 {
			t.Fatalf("history for %q: %d messages, more %v, %v", viewer, len(msgs), more, err)
		}
		if got := mine(msgs); !reflect.DeepEqual(got, want) {
			t.Errorf("history for %q marks %v, want %v", viewer, got, want)
		}
		if msgs[0].ReplyCount != 2 {
			t.Errorf("the parent shows %d replies, want 2", msgs[0].ReplyCount)
		}
		thread, more, err := h.Thread(ctx, "r", parent.Seq, 0, 1, viewer)
		if err != nil || !more || len(thread) != 1 || thread[0].Seq != reply.Seq {
			t.Fatalf("thread for %q: %+v, more %v, %v; want the first reply and more", viewer, thread, more, err)
		}
		if got, want := mine(thread), map[string]bool{"2 🎉": want["2 🎉"]}; !reflect.DeepEqual(got, want) {
			t.Errorf("thread for %q marks %v, want %v", viewer, got, want)
		}
	}
	revs, found, err := h.Revisions(ctx, "r", parent.Seq)
	if err != nil || !found || len(revs) != 1 || revs[0].Text != "a question" {
		t.Errorf("revisions: %+v, %v, %v", revs, found, err)
	}
}
