// Package codec holds the hub.Codecs of the server's two protocols: each encodes a room's
// event once per protocol, and every member's connection of that protocol is sent the same
// bytes. The hubbub.v1 frames themselves are internal/wire's.
package codec

import (
	"strconv"

	"hubbub"
	"hubbub/internal/hub"
	"hubbub/internal/wire"
)

// JSONCodec encodes room events as hubbub.v1 frames.
type JSONCodec struct{}

var _ hub.Codec = JSONCodec{}

// Slot implements hub.Codec.
func (JSONCodec) Slot() int { return 0 }

// Encode implements hub.Codec. A burst of reactions (Envelope.Reactions, set by the room's
// batching) is one reacted frame listing every change, so a popular message in a big room costs
// a frame per member per burst, not per reaction.
func (JSONCodec) Encode(e *hub.Envelope) []byte {
	if len(e.Reactions) > 0 {
		return wire.Encode(wire.NewReacted(e.Reactions))
	}
	return hubbub.Visit(e.Event, jsonFrames{})
}

// jsonFrames is the hubbub.v1 frame of each kind of event, nil for the kinds only nodes see.
type jsonFrames struct{}

var _ hubbub.EventVisitor[[]byte] = jsonFrames{}

// EntryAppended is the frame of each kind of log entry: a message as it is, and the changes
// to a message as edited, deleted and reacted frames whose seq names the message and whose
// log_seq is the entry's own.
func (jsonFrames) EntryAppended(_ hubbub.Event, b hubbub.EntryAppended) []byte {
	e := b.Entry
	switch e.Kind {
	case hubbub.KindMessage:
		return wire.Encode(wire.NewMessage(e))
	case hubbub.KindEdit:
		return wire.Encode(wire.NewEdited(e))
	case hubbub.KindDelete:
		return wire.Encode(wire.NewDeleted(e))
	case hubbub.KindReaction:
		return wire.Encode(wire.NewReacted([]*hubbub.Entry{e}))
	}
	return nil // a kind this server does not know yet: older clients would ignore its frame too
}

func (jsonFrames) MemberJoined(ev hubbub.Event, b hubbub.MemberJoined) []byte {
	return wire.Encode(wire.NewPresence(ev.Room, b.Name, "join"))
}

func (jsonFrames) MemberLeft(ev hubbub.Event, b hubbub.MemberLeft) []byte {
	return wire.Encode(wire.NewPresence(ev.Room, b.Name, "leave"))
}

func (jsonFrames) MemberTyping(ev hubbub.Event, b hubbub.MemberTyping) []byte {
	return wire.Encode(wire.NewTyping(ev.Room, b.Name))
}

func (jsonFrames) PresenceReported(hubbub.Event, hubbub.PresenceReported) []byte   { return nil }
func (jsonFrames) PresenceRequested(hubbub.Event, hubbub.PresenceRequested) []byte { return nil }

func (jsonFrames) MemberKicked(ev hubbub.Event, b hubbub.MemberKicked) []byte {
	return wire.Encode(wire.Error{Type: wire.TypeError, Code: hubbub.ECodeKicked, Message: kickText(ev.Room, b.Reason), Room: ev.Room})
}

// SanctionChanged has no frame: a ban reaches its target as a kick, a mute as the error of
// its next send.
func (jsonFrames) SanctionChanged(hubbub.Event, hubbub.SanctionChanged) []byte { return nil }

// kickText tells a kicked member why.
func kickText(room, reason string) string {
	s := "you were removed from room " + strconv.Quote(room) + " by a moderator"
	if reason != "" {
		s += ": " + reason
	}
	return s
}

// TextCodec encodes room events for the original text protocol: a message becomes
// "name: text", an edit "name (edit): text"; deletes, reactions and the rest are not shown.
type TextCodec struct{}

var _ hub.Codec = TextCodec{}

// Slot implements hub.Codec.
func (TextCodec) Slot() int { return 1 }

// Encode implements hub.Codec.
func (TextCodec) Encode(e *hub.Envelope) []byte {
	if len(e.Reactions) > 0 {
		return nil
	}
	return hubbub.Visit(e.Event, textFrames{})
}

// textFrames is the text-protocol line of each kind of event: a message and a kick notice;
// nil for every other kind, which the original chat room did not show.
type textFrames struct{}

var _ hubbub.EventVisitor[[]byte] = textFrames{}

// EntryAppended shows a message as "name: text" and an edit as "name (edit): text": a text
// client cannot go back to change a line, so it reads the new text as a line of its own.
// Deletes and reactions are not shown.
func (textFrames) EntryAppended(_ hubbub.Event, b hubbub.EntryAppended) []byte {
	m := b.Entry
	var tag string
	switch m.Kind {
	case hubbub.KindMessage:
	case hubbub.KindEdit:
		tag = " (edit)"
	default:
		return nil
	}
	line := make([]byte, 0, len(m.From)+len(tag)+2+len(m.Text))
	line = append(line, m.From...)
	line = append(line, tag...)
	line = append(line, ": "...)
	line = append(line, m.Text...)
	// Text clients split frames on '\n', so a multi-line message from a hubbub.v1 client
	// is shown on one line, as the original flattened its own input.
	for i, c := range line {
		if c == '\n' {
			line[i] = ' '
		}
	}
	return line
}

func (textFrames) MemberKicked(ev hubbub.Event, b hubbub.MemberKicked) []byte {
	return []byte("error: " + kickText(ev.Room, b.Reason))
}

func (textFrames) MemberJoined(hubbub.Event, hubbub.MemberJoined) []byte           { return nil }
func (textFrames) MemberLeft(hubbub.Event, hubbub.MemberLeft) []byte               { return nil }
func (textFrames) MemberTyping(hubbub.Event, hubbub.MemberTyping) []byte           { return nil }
func (textFrames) PresenceReported(hubbub.Event, hubbub.PresenceReported) []byte   { return nil }
func (textFrames) PresenceRequested(hubbub.Event, hubbub.PresenceRequested) []byte { return nil }
func (textFrames) SanctionChanged(hubbub.Event, hubbub.SanctionChanged) []byte     { return nil }
