package termchat

import (
	"slices"
	"sync"

	"hubbub"
	"hubbub/internal/wire"
)

// maxMessages is how many of the messages it printed a chat remembers (shownMessages).
const maxMessages = 10000

// shownMessages remembers what the line of each message the chat printed shows besides its
// text — who wrote it, the bot badge, the reply marker, the replies, the reactions and the
// files — and keeps it up to date with the room's log as the printer prints it. An edit
// carries only the new text: printed with what the edit frame holds, the line of a reply, a
// bot's message or a message with reactions read otherwise than the line history prints for
// it after the edit ("#7 carol: x (edited)" for "#7 carol (bot) ↪ #5: x (edited) [👍 2]").
// A deletion says from it whose message it was, and /react which spellings of an emoji I hold
// (reactions[].me). It keeps the last maxMessages messages, without their text; an older
// message's edit prints what the edit says, its deletion names no author, and /react asks the
// server. The printer writes it; the input reads it.
type shownMessages struct {
	mu    sync.Mutex
	by    map[messageKey]*wire.Message
	order []messageKey // oldest first: the next to forget
}

type messageKey struct {
	room string // hubbub.RoomKey
	seq  uint64
}

func keyOf(room string, seq uint64) messageKey { return messageKey{hubbub.RoomKey(room), seq} }

// saw records message m as printed. A snapshot (a fresh join's history: the message in its
// current state) carries its replies as they stand; an entry of the log (live, or replayed to a
// rejoin) counts none of its own, since the replies after it arrive as entries too, and a reply
// among them adds one to its parent's count (docs/protocol.md, "reply_count").
func (s *shownMessages) saw(m *wire.Message, snapshot bool) {
	kept := wire.Message{Room: m.Room, Seq: m.Seq, From: m.From, Bot: m.Bot, Deleted: m.Deleted,
		ReplyTo: m.ReplyTo, EditedAt: m.EditedAt, ReplyCount: m.ReplyCount, Attachments: m.Attachments}
	for _, r := range m.Reactions {
		kept.Reactions = append(kept.Reactions, wire.Reaction{Emoji: r.Emoji, Count: r.Count, Me: r.Me})
	}
	if !snapshot {
		kept.ReplyCount = 0
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.by == nil {
		s.by = make(map[messageKey]*wire.Message)
	}
	k := keyOf(m.Room, m.Seq)
	if _, ok := s.by[k]; !ok {
		s.order = append(s.order, k)
	}
	s.by[k] = &kept
	if p := s.by[keyOf(m.Room, m.ReplyTo)]; !snapshot && m.ReplyTo > 0 && p != nil {
		p.ReplyCount++
	}
	if len(s.order) > maxMessages {
		delete(s.by, s.order[0])
		s.order = s.order[1:]
	}
}

// edited applies edit e and returns the message as history now shows it, with e's text; false
// if the chat does not know the message.
func (s *shownMessages) edited(e *wire.Edited) (*wire.Message, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.by[keyOf(e.Room, e.Seq)]
	if m == nil || m.Deleted {
		return nil, false
	}
	m.EditedAt = e.Time
	now := *m
	now.Room, now.Text = e.Room, e.Text // the room as this frame names it
	return &now, true
}

// deleted applies deletion d and returns who wrote the message, "" if the chat does not know.
func (s *shownMessages) deleted(d *wire.Deleted) (author string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.by[keyOf(d.Room, d.Seq)]
	if m == nil {
		return ""
	}
	m.Deleted, m.Reactions, m.Attachments = true, nil, nil
	return m.From
}

// reacted applies the reactions toggled in r: each emoji's count is the one the change led to,
// an emoji no one holds any more goes, and a new one comes last (reactions are in the order
// each emoji was first added). A change of me's (this chat's user) says whether I hold it.
func (s *shownMessages) reacted(r *wire.Reacted, me string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range r.Changes {
		m := s.by[keyOf(r.Room, c.Seq)]
		if m == nil {
			continue
		}
		i := slices.IndexFunc(m.Reactions, func(x wire.Reaction) bool { return x.Emoji == c.Emoji })
		switch {
		case c.Count <= 0:
			if i >= 0 {
				m.Reactions = slices.Delete(m.Reactions, i, i+1)
			}
			continue
		case i < 0:
			m.Reactions = append(m.Reactions, wire.Reaction{Emoji: c.Emoji})
			i = len(m.Reactions) - 1
		}
		m.Reactions[i].Count = c.Count
		if me != "" && hubbub.SameName(c.From, me) {
			m.Reactions[i].Me = c.Added
		}
	}
}

// reactions returns the reactions of message seq of room as the chat printed them, with the
// ones I hold marked (Reaction.Me); false if the chat does not know the message.
func (s *shownMessages) reactions(room string, seq uint64) ([]wire.Reaction, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.by[keyOf(room, seq)]
	if m == nil {
		return nil, false
	}
	return slices.Clone(m.Reactions), true
}
