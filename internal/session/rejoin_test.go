package session_test

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"hubbub/internal/hub"
	"hubbub/internal/server"
	"hubbub/internal/servertest"
)

// roomView is what a client shows of a room, built from frames as docs/protocol.md tells a
// client author to: messages by seq, each change applied to the message it names, every entry
// with a seq (or log_seq) at most applied skipped.
type roomView struct {
	me      string
	applied uint64 // the highest seq or log_seq applied: the since of a rejoin
	msgs    map[uint64]*messageView
	// complete is true while applying a fresh join's messages or a history page: their
	// reply_count already counts the replies among them.
	complete bool
}

type messageView struct {
	From, Text, EditedAt string
	Deleted              bool
	ReplyTo              uint64
	ReplyCount           uint64
	Reactions            map[string]reactionView
}

type reactionView struct {
	Count uint64
	Names string
	Me    bool
}

func newRoomView(me string) *roomView { return &roomView{me: me, msgs: map[uint64]*messageView{}} }

// apply applies one frame.
func (v *roomView) apply(f servertest.Frame) {
	switch f.Type() {
	case "message":
		if seq := f.Num("seq"); seq > v.applied {
			v.put(f)
			v.applied = seq
		}
	case "edited":
		if m := v.change(f.Num("seq"), f.Num("log_seq")); m != nil {
			m.Text, m.EditedAt = f.Str("text"), f.Str("time")
		}
	case "deleted":
		if m := v.change(f.Num("seq"), f.Num("log_seq")); m != nil {
			m.Text, m.Deleted = "", true
		}
	case "reacted":
		for _, c := range f["changes"].([]any) {
			c := servertest.Frame(c.(map[string]any))
			m := v.change(c.Num("seq"), c.Num("log_seq"))
			if m == nil {
				continue
			}
			r := m.Reactions[c.Str("emoji")]
			names := strings.Fields(strings.Trim(r.Names, "[]"))
			from := c.Str("from")
			if c["added"] == true && !slices.Contains(names, from) && len(names) < 3 {
				names = append(names, from)
			}
			if c["added"] == false {
				names = slices.DeleteFunc(names, func(n string) bool { return n == from })
			}
			if from == v.me {
				r.Me = c["added"] == true
			}
			r.Count, r.Names = c.Num("count"), fmt.Sprint(names)
			if r.Count == 0 {
				delete(m.Reactions, c.Str("emoji"))
			} else {
				m.Reactions[c.Str("emoji")] = r
			}
		}
	}
}

// put shows message frame f as the state it carries, and counts it into its parent's replies.
func (v *roomView) put(f servertest.Frame) {
	seq := f.Num("seq")
	m := &messageView{From: f.Str("from"), Text: f.Str("text"), EditedAt: f.Str("edited_at"), Deleted: f["deleted"] == true,
		ReplyTo: f.Num("reply_to"), ReplyCount: f.Num("reply_count"), Reactions: map[string]reactionView{}}
	rs, _ := f["reactions"].([]any)
	for _, r := range rs {
		r := servertest.Frame(r.(map[string]any))
		m.Reactions[r.Str("emoji")] = reactionView{Count: r.Num("count"), Names: fmt.Sprint(r["names"]), Me: r["me"] == true}
	}
	if !v.complete {
		// As protocol.md says: a message received as an entry counts its replies from
		// zero, since they all follow it in the log.
		m.ReplyCount = 0
	}
	if p := v.msgs[m.ReplyTo]; p != nil && !v.complete {
		p.ReplyCount++
	}
	v.msgs[seq] = m
}

// change returns the message a change entry numbered logSeq applies to, or nil if the entry
// was applied before (or the message is not shown).
func (v *roomView) change(seq, logSeq uint64) *messageView {
	if logSeq <= v.applied {
		return nil
	}
	v.applied = logSeq
	return v.msgs[seq]
}

// follow applies c's frames of room until the view has applied seq.
func (v *roomView) follow(c *servertest.JSONClient, room string, seq uint64) {
	for v.applied < seq {
		v.apply(c.AwaitFunc("an entry of "+room, func(f servertest.Frame) bool {
			return f.Str("room") == room && slices.Contains([]string{"message", "edited", "deleted", "reacted"}, f.Type())
		}))
	}
}

func (v *roomView) String() string {
	var b strings.Builder
	for _, seq := range slices.Sorted(maps.Keys(v.msgs)) {
		fmt.Fprintf(&b, "%d: %+v\n", seq, *v.msgs[seq])
	}
	return b.String()
}

// A client that was away while messages were edited, deleted, reacted to and answered rejoins
// with since, applies the entries replayed, and shows the room as a fresh join shows it — with
// the replay served from the room's memory, and from the store.
func TestRejoinWithSinceMatchesAFreshJoin(t *testing.T) {
	for _, tc := range []struct {
		name string
		hub  hub.Config
	}{
		{"from memory", hub.Config{}},
		{"from the store", hub.Config{RoomBuffer: 2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := servertest.Start(t, servertest.Options{Hub: tc.hub, Server: server.Config{RoleFor: servertest.Roles("mod")}})
			rejoinMatchesFreshJoin(t, s)
		})
	}
}

func rejoinMatchesFreshJoin(t *testing.T, s *servertest.Server) {
	ann, cy := servertest.DialJSON(t, s, "ann"), servertest.DialJSON(t, s, "cy")
	ann.Join("r", nil)
	cy.Join("r", nil)
	bob := servertest.DialJSON(t, s, "bob")
	bob.Join("r", nil)
	away := newRoomView("bob")
	for i := 1; i <= 4; i++ {
		ann.Say("r", fmt.Sprint("m", i), fmt.Sprint("message ", i))
	}
	react(bob, "r", 1, "b1", "👍")
	react(cy, "r", 4, "c1", "🎉")
	away.follow(bob, "r", 6)
	bob.Conn.Close()

	// While bob is away (another tab of his stays).
	tab := servertest.DialJSON(t, s, "bob")
	tab.Join("r", nil)
	mod := servertest.DialJSON(t, s, "mod")
	wantAck(t, "edit", edit(ann, "r", 1, "e1", "message 1, edited"), 7, 1)
	wantAck(t, "delete", del(ann, "r", 2, "d1"), 8, 2)
	wantAck(t, "react", react(ann, "r", 1, "a1", "👍"), 9, 1)
	wantAck(t, "react", react(tab, "r", 1, "b2", "👍"), 10, 1)      // bob's reaction taken back
	wantAck(t, "react", react(tab, "r", 3, "b3", ":tada:"), 11, 3) // and one added
	wantAck(t, "react", react(cy, "r", 4, "c2", "🎉"), 12, 4)       // cy's taken back
	if f := reply(cy, "r", 3, "c3", "an answer"); f.Num("seq") != 13 {
		t.Fatalf("reply: %v", f)
	}
	ann.Say("r", "m5", "new while away")
	wantAck(t, "react to the new", react(cy, "r", 14, "c4", "👀"), 15, 14)
	wantAck(t, "edit the new", edit(ann, "r", 14, "e2", "new, edited"), 16, 14)
	wantAck(t, "moderator deletes", del(mod, "r", 4, "md"), 17, 4)
	if f := reply(cy, "r", 14, "c5", "on the new"); f.Num("seq") != 18 {
		t.Fatalf("reply: %v", f)
	}

	back := servertest.DialJSON(t, s, "bob")
	since := away.applied
	j := back.Join("r", &since)
	if j.Num("last_seq") != 18 || j.Num("replay") != 18-since || j["truncated"] != false {
		t.Fatalf("joined with since %d: %v, want last_seq 18 and one frame per entry missed", since, j)
	}
	away.follow(back, "r", 18)

	// A fresh join, and history pages back from its first message, as a client shows the room.
	fresh := newRoomView("bob")
	fresh.complete = true
	c := servertest.DialJSON(t, s, "bob")
	j = c.Join("r", nil)
	msgs := c.Messages("r", int(j.Num("replay")))
	for _, m := range msgs {
		fresh.apply(m)
	}
	if fresh.applied > j.Num("last_seq") {
		t.Fatalf("a fresh join replayed seq %d past its last_seq %d", fresh.applied, j.Num("last_seq"))
	}
	for before := msgs[0].Num("seq"); ; {
		page, older := historyOf(c, "r", servertest.Frame{"before": before})
		for _, m := range older {
			fresh.put(m)
		}
		if page["more"] != true || len(older) == 0 {
			break
		}
		before = older[0].Num("seq")
	}
	if away.String() != fresh.String() {
		t.Fatalf("after a rejoin with since the client shows\n%s\na fresh join shows\n%s", away, fresh)
	}
	// And the view holds what was done: the check above could pass on two empty views.
	want := map[uint64]string{1: "message 1, edited", 2: "", 3: "message 3", 4: "", 13: "an answer", 14: "new, edited", 18: "on the new"}
	for seq, text := range want {
		if m := fresh.msgs[seq]; m == nil || m.Text != text {
			t.Errorf("message %d: %+v, want text %q", seq, m, text)
		}
	}
	if len(fresh.msgs) != len(want) {
		t.Errorf("fresh view holds %d messages, want %d:\n%s", len(fresh.msgs), len(want), fresh)
	}
	if r := fresh.msgs[1].Reactions["👍"]; r.Count != 1 || r.Me || r.Names != "[ann]" {
		t.Errorf("message 1's 👍: %+v, want ann's alone", r)
	}
	if r := fresh.msgs[3].Reactions[":tada:"]; r.Count != 1 || !r.Me {
		t.Errorf("message 3's :tada:: %+v, want bob's", r)
	}
	if fresh.msgs[3].ReplyCount != 1 || fresh.msgs[14].ReplyCount != 1 || fresh.msgs[1].EditedAt == "" || !fresh.msgs[4].Deleted {
		t.Errorf("fresh view:\n%s", fresh)
	}
}
