package session_test

import (
	"slices"
	"testing"

	"hubbub/internal/hub"
	"hubbub/internal/servertest"
)

// noticeTypes are the frames of a room's notices: the entries a fresh join and a history page
// carry beside the messages when asked (notices: true).
var noticeTypes = []string{"topic_changed", "member_changed", "sanction_changed"}

// logSeq is the place in the room's log of an entry's frame: a message's seq, another's log_seq.
func logSeq(f servertest.Frame) uint64 {
	if f.Type() == "message" {
		return f.Num("seq")
	}
	return f.Num("log_seq")
}

// replayOf sends join and returns its joined frame and the entries' frames that follow it up
// to the message numbered last, which ends the room's log.
func replayOf(t *testing.T, c *servertest.JSONClient, join servertest.Frame, last uint64) (servertest.Frame, []servertest.Frame) {
	t.Helper()
	c.Send(join)
	joined := c.Await("joined")
	var out []servertest.Frame
	for {
		f := c.AwaitFunc("the replay's entries", func(f servertest.Frame) bool {
			return f.Type() == "message" || slices.Contains(noticeTypes, f.Type()) || f.Type() == "reacted" || f.Type() == "edited"
		})
		out = append(out, f)
		if f.Type() == "message" && f.Num("seq") == last {
			return joined, out
		}
	}
}

// seqsOf lists the log seqs of frames, each with its type, for a failure's message.
func framesSeqs(fs []servertest.Frame) []uint64 {
	out := make([]uint64, len(fs))
	for i, f := range fs {
		out[i] = logSeq(f)
	}
	return out
}

// A room's notices — its topic changes, invitations and joins, its bans — read the same after
// a reload: a fresh join that asks for them (notices: true) gets them among its messages, in
// the log's order, as a live client or a rejoin with since gets them, and a history page that
// asks for them carries those of its span, so that paging back from the join shows each once.
// At most the hub's NoticeLimit per page, the newest, and the answer says when it left some
// out. Without the field nothing changes. Before, a fresh join and a history page held
// messages only: after a reload the browser showed no "ann set the topic", "ann invited bob"
// or "eve was banned by ann" line.
func TestNoticesInFreshJoinAndHistory(t *testing.T) {
	onEveryStore(t, func(t *testing.T, opts servertest.Options) {
		opts.Hub = hub.Config{NoticeLimit: 3}
		testNoticesInFreshJoinAndHistory(t, opts)
	})
}

func testNoticesInFreshJoinAndHistory(t *testing.T, opts servertest.Options) {
	s := servertest.Start(t, opts)
	ann, _ := dial(t, s, "ann")
	bob, _ := dial(t, s, "bob")
	dial(t, s, "eve")
	create(t, ann, "plans", true) // 1: ann's join
	ann.Join("plans", nil)
	first := ann.Say("plans", "m-1", "first")
	wantAck(t, "the topic", request(ann, servertest.Frame{"type": "topic", "room": "plans", "topic": "launch", "id": "t-1"}), first.Num("seq")+1, 0)
	second := ann.Say("plans", "m-2", "second")
	request(ann, servertest.Frame{"type": "invite", "room": "plans", "name": "bob", "id": "i-1"})
	if f := bob.Join("plans", nil); f.Type() != "joined" {
		t.Fatalf("bob's join: %v", f)
	}
	react(ann, "plans", second.Num("seq"), "r-1", "👍")
	if f := ask(ann, servertest.Frame{"type": "ban", "room": "plans", "name": "eve", "duration": "1h"}, "moderated"); f.Type() != "moderated" {
		t.Fatalf("the ban of eve: %v", f)
	}
	third := ann.Say("plans", "m-3", "third")
	last := third.Num("seq")

	// The log as a rejoin with since 0 replays it: its notices are what a fresh join shows.
	reader, _ := dial(t, s, "ann")
	_, log := replayOf(t, reader, servertest.Frame{"type": "join", "room": "plans", "since": 0}, last)
	var notices []uint64
	for _, f := range log {
		if slices.Contains(noticeTypes, f.Type()) {
			notices = append(notices, logSeq(f))
		}
	}
	if len(notices) < 5 {
		t.Fatalf("the log holds notices %v (frames %v), want ann's join, the topic, the invitation, bob's join and the ban", notices, framesSeqs(log))
	}

	// Without notices: the messages alone, as before.
	c, _ := dial(t, s, "ann")
	joined, got := replayOf(t, c, servertest.Frame{"type": "join", "room": "plans"}, last)
	if want := []uint64{first.Num("seq"), second.Num("seq"), last}; !slices.Equal(framesSeqs(got), want) || joined.Num("replay") != 3 ||
		joined["notices_truncated"] != nil {
		t.Errorf("a fresh join without notices replayed %v (joined %v), want the messages %v alone", framesSeqs(got), joined, want)
	}

	// With notices and room for two messages: the span from the oldest of them, the second, to
	// the end: three notices, all of them.
	c, _ = dial(t, s, "ann")
	joined, got = replayOf(t, c, servertest.Frame{"type": "join", "room": "plans", "history": 2, "notices": true}, last)
	var want []uint64
	for _, f := range log {
		if seq := logSeq(f); seq >= second.Num("seq") && (f.Type() == "message" || slices.Contains(notices, seq) && seq > second.Num("seq")) {
			want = append(want, seq)
		}
	}
	if !slices.Equal(framesSeqs(got), want) || joined["truncated"] != true || joined["notices_truncated"] != nil {
		t.Fatalf("a fresh join of 2 messages with notices replayed %v (joined %v), want %v", framesSeqs(got), joined, want)
	}
	sanctions := 0
	for _, f := range got {
		if f.Type() == "sanction_changed" {
			sanctions++
			if f.Str("action") != "ban" || f.Str("name") != "eve" || f.Str("from") != "ann" {
				t.Errorf("the ban replayed as %v", f)
			}
		}
		if f.Type() == "topic_changed" {
			t.Errorf("the topic, before the oldest message replayed, came in its replay: %v", f)
		}
	}
	if joined.Num("replay") != uint64(len(got)-sanctions) {
		t.Errorf("joined says replay %v for %d frames, %d of them sanction_changed (not counted, as with since)", joined["replay"], len(got), sanctions)
	}

	// The page before it: the first message, and the notices from the room's first entry
	// (no older message remains) to the page's end: ann's join and the topic.
	page, msgs := historyOf(c, "plans", servertest.Frame{"before": second.Num("seq"), "notices": true})
	var pageNotices []uint64
	ns, _ := page["notices"].([]any)
	for _, n := range ns {
		f := servertest.Frame(n.(map[string]any))
		if !slices.Contains(noticeTypes, f.Type()) || f.Str("room") != "plans" {
			t.Errorf("the page's notice %v is not a notice frame of the room", f)
		}
		pageNotices = append(pageNotices, logSeq(f))
	}
	if len(msgs) != 1 || page["more"] != false || !slices.Equal(pageNotices, []uint64{notices[0], notices[1]}) {
		t.Errorf("the page before %d holds messages %v and notices %v, want the first message and notices %v",
			second.Num("seq"), framesSeqs(msgs), pageNotices, notices[:2])
	}
	// Without the field, a page holds no notices, as before.
	if page, _ := historyOf(c, "plans", servertest.Frame{"before": second.Num("seq")}); page["notices"] != nil {
		t.Errorf("a page not asking for notices carries %v", page["notices"])
	}

	// The whole room: five notices, past the limit of 3: the newest 3, and it says so.
	c, _ = dial(t, s, "ann")
	joined, got = replayOf(t, c, servertest.Frame{"type": "join", "room": "plans", "notices": true}, last)
	var gotNotices []uint64
	for _, f := range got {
		if f.Type() != "message" {
			gotNotices = append(gotNotices, logSeq(f))
		}
	}
	if !slices.Equal(gotNotices, notices[len(notices)-3:]) || joined["notices_truncated"] != true {
		t.Errorf("a fresh join of the whole room with notices replayed notices %v (joined %v), want the newest 3 of %v and notices_truncated",
			gotNotices, joined, notices)
	}
	page, _ = historyOf(c, "plans", servertest.Frame{"notices": true})
	if ns, _ := page["notices"].([]any); len(ns) != 3 || page["notices_truncated"] != true {
		t.Errorf("the newest page with notices carries %d of them, notices_truncated %v; want 3 and true", len(ns), page["notices_truncated"])
	}
}
