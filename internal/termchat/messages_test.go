package termchat

import (
	"testing"
	"time"

	"hubbub/internal/wire"
)

// What a message's line shows follows the log as a fresh join would read the message after
// it: an emoji no one holds any more goes, and one added again comes last; a fresh join's
// message keeps the replies it counts, a live one counts those that come; mine are marked.
func TestShownMessagesFollowTheLog(t *testing.T) {
	var s shownMessages
	label := new(roomTitles).label
	s.saw(&wire.Message{Room: "r", Seq: 1, From: "bob", ReplyCount: 2,
		Reactions: []wire.Reaction{{Emoji: "👍", Count: 1}, {Emoji: "🎉", Count: 2, Me: true}}}, true)
	s.saw(&wire.Message{Room: "r", Seq: 5, From: "cy", ReplyTo: 1, ReplyCount: 4}, false)
	s.saw(&wire.Message{Room: "r", Seq: 6, From: "cy", ReplyTo: 5}, false)
	s.reacted(&wire.Reacted{Room: "r", Changes: []wire.ReactionChange{
		{Seq: 1, Emoji: "👍", From: "bob", Count: 0},
		{Seq: 1, Emoji: "👀", From: "ann", Added: true, Count: 1},
		{Seq: 1, Emoji: "👍", From: "ann", Added: true, Count: 1},
		{Seq: 1, Emoji: "🎉", From: "ann", Count: 1},
	}}, "ann")
	for _, c := range []struct {
		seq  uint64
		want string
	}{
		{1, "[r] #1 bob: x (edited) (3 replies) [🎉 1 👀 1 👍 1]"},
		{5, "[r] #5 cy ↪ #1: x (edited) (1 reply)"},
	} {
		m, ok := s.edited(&wire.Edited{Room: "r", Seq: c.seq, From: "bob", Text: "x", Time: wire.Time{Time: time.Unix(1, 0)}})
		if !ok {
			t.Fatalf("#%d unknown", c.seq)
		}
		if got := messageLine(m, label); got != c.want {
			t.Errorf("#%d edited reads %q, want %q", c.seq, got, c.want)
		}
	}
	mine, _ := s.reactions("R", 1) // the room in another case is the same room
	var held []string
	for _, r := range mine {
		if r.Me {
			held = append(held, r.Emoji)
		}
	}
	if len(held) != 2 || held[0] != "👀" || held[1] != "👍" {
		t.Errorf("I hold %q, want 👀 and 👍 (🎉 taken back)", held)
	}
	if _, ok := s.edited(&wire.Edited{Room: "r", Seq: 9}); ok {
		t.Error("an edit of a message never printed was known")
	}
}
