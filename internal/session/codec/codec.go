// Package codec holds the hub.Codecs of the server's two protocols: each encodes a room's
// event once per protocol, and every member's connection of that protocol is sent the same
// bytes. The hubbub.v1 frames themselves are internal/wire's.
package codec

import (
	"strconv"
	"time"

	"hubbub"
	"hubbub/internal/hub"
	"hubbub/internal/wire"
)

// JSONCodec encodes room events as hubbub.v1 frames.
type JSONCodec struct {
	// FilesURL is the base of attachments' URLs ("" for the server's own origin): the same
	// for every reader, as the frame is encoded once for all of them.
	FilesURL string
}

var _ hub.Codec = JSONCodec{}

// Slot implements hub.Codec.
func (JSONCodec) Slot() int { return 0 }

// Encode implements hub.Codec. A burst of reactions (Envelope.Reactions, set by the room's
// batching) is one reacted frame listing every change, so a popular message in a big room costs
// a frame per member per burst, not per reaction.
func (c JSONCodec) Encode(e *hub.Envelope) []byte {
	if len(e.Reactions) > 0 {
		return wire.Encode(wire.NewReacted(e.Reactions))
	}
	return hubbub.Visit(e.Event, jsonFrames{files: c.FilesURL})
}

// jsonFrames is the hubbub.v1 frame of each kind of event, nil for the kinds only nodes see;
// files is the base of attachments' URLs.
type jsonFrames struct{ files string }

var _ hubbub.EventVisitor[[]byte] = jsonFrames{}

// EntryAppended is the frame of each kind of log entry: a message as it is, the changes to a
// message as edited, deleted and reacted frames whose seq names the message and whose log_seq
// is the entry's own, and the changes to the room as topic_changed, member_changed and
// sanction_changed.
func (j jsonFrames) EntryAppended(_ hubbub.Event, b hubbub.EntryAppended) []byte {
	if f := wire.NewEntryFrame(b.Entry, j.files); f != nil {
		return wire.Encode(f)
	}
	return nil // a kind this server does not know yet: older clients would ignore its frame too
}

func (jsonFrames) MemberJoined(ev hubbub.Event, b hubbub.MemberJoined) []byte {
	return wire.Encode(wire.NewPresenceState(ev.Room, b.Name, b.State))
}

func (jsonFrames) MemberLeft(ev hubbub.Event, b hubbub.MemberLeft) []byte {
	p := wire.NewPresence(ev.Room, b.Name, "leave")
	p.Renamed = b.Renamed
	p.Moderation, p.By, p.API, p.SanctionSeq = b.Moderation, b.By, b.API, b.Sanction
	return wire.Encode(p)
}

func (jsonFrames) MemberTyping(ev hubbub.Event, b hubbub.MemberTyping) []byte {
	return wire.Encode(wire.NewTyping(ev.Room, b.Name))
}

func (jsonFrames) PresenceReported(hubbub.Event, hubbub.PresenceReported) []byte   { return nil }
func (jsonFrames) PresenceRequested(hubbub.Event, hubbub.PresenceRequested) []byte { return nil }
func (jsonFrames) PresenceQueried(hubbub.Event, hubbub.PresenceQueried) []byte     { return nil }
func (jsonFrames) AbsenceReported(hubbub.Event, hubbub.AbsenceReported) []byte     { return nil }
func (jsonFrames) NodeAnnounced(hubbub.Event, hubbub.NodeAnnounced) []byte         { return nil }

// MemberKicked is the kicked member's error kicked: the sentence its message has always been,
// and who (a moderator's name, or api for the server API), until when (a ban) and why apart,
// for a client to say it its own way.
func (jsonFrames) MemberKicked(ev hubbub.Event, b hubbub.MemberKicked) []byte {
	f := wire.Error{Type: wire.TypeError, Code: hubbub.ECodeKicked, Message: kickText(ev.Room, b.Why(), b.API), Room: ev.Room,
		By: b.By, Reason: b.Reason, API: b.API}
	if !b.Until.IsZero() {
		f.Until = wire.FormatTime(b.Until)
	}
	return wire.Encode(f)
}

// SanctionChanged is the frame of a ban, mute or lift from a node of the version before
// sanctions were entries of the log (this version's come as entries: EntryAppended), which
// the room queues only to the members who watch its sanctions (hub.WatchSanctions: moderators
// whose members page lists them); a ban reaches its target as a kick, a mute as the error of
// its next send.
func (jsonFrames) SanctionChanged(ev hubbub.Event, b hubbub.SanctionChanged) []byte {
	return wire.Encode(wire.NewSanctionChanged(ev.Room, b.Sanction, time.Now()))
}

// BotChanged is no client's: the sessions act on it (it never reaches a connection's queue).
func (jsonFrames) BotChanged(hubbub.Event, hubbub.BotChanged) []byte { return nil }

// StoreChanged is no client's: internal/storecache acts on it.
func (jsonFrames) StoreChanged(hubbub.Event, hubbub.StoreChanged) []byte { return nil }

// UserNotified is the frame of a user's notice: room (a room added to or changed in their
// list), unroom (taken out) or read (a read position moved).
func (jsonFrames) UserNotified(_ hubbub.Event, b hubbub.UserNotified) []byte {
	switch {
	case b.Listed != nil:
		return wire.Encode(wire.Room{Type: wire.TypeRoom, MyRoom: wire.NewMyRoom(b.Listed)})
	case b.Unlisted:
		return wire.Encode(wire.Unroom{Type: wire.TypeUnroom, Room: b.Room})
	case b.Read > 0:
		return wire.Encode(wire.Read{Type: wire.TypeRead, Room: b.Room, Seq: b.Read})
	case b.Notice != nil:
		return wire.Encode(wire.NewNotice(b.Notice))
	}
	return nil
}

// kickText tells a kicked member why, and who: a moderator, or a server admin when the server
// API did it (api).
func kickText(room, reason string, api bool) string {
	who := "a moderator"
	if api {
		who = "a server admin"
	}
	s := "you were removed from room " + strconv.Quote(room) + " by " + who
	if reason != "" {
		s += ": " + reason
	}
	return s
}

// TextCodec encodes room events for the original text protocol: a message becomes
// "name: text", an edit "name (edit): text", a topic change "* name set the topic: text";
// deletes, reactions, membership changes and the rest are not shown. A message's files follow
// its text, each as "[file: name url]".
type TextCodec struct {
	// FilesURL is the base of attachments' URLs, as JSONCodec's.
	FilesURL string
}

var _ hub.Codec = TextCodec{}

// Slot implements hub.Codec.
func (TextCodec) Slot() int { return 1 }

// Encode implements hub.Codec.
func (c TextCodec) Encode(e *hub.Envelope) []byte {
	if len(e.Reactions) > 0 {
		return nil
	}
	return hubbub.Visit(e.Event, textFrames{files: c.FilesURL})
}

// textFrames is the text-protocol line of each kind of event: a message and a kick notice;
// nil for every other kind, which the original chat room did not show.
type textFrames struct{ files string }

var _ hubbub.EventVisitor[[]byte] = textFrames{}

// EntryAppended shows a message as "name: text" (a bot's as "name (bot): text") and an edit
// as "name (edit): text": a text
// client cannot go back to change a line, so it reads the new text as a line of its own. A
// topic change is a notice in the style of IRC's, "* name set the topic: text" or "* name
// cleared the topic". Deletes, reactions and membership changes (which happen in private rooms,
// where text clients never are) are not shown.
func (t textFrames) EntryAppended(_ hubbub.Event, b hubbub.EntryAppended) []byte {
	m := b.Entry
	var tag string
	switch m.Kind {
	case hubbub.KindMessage:
		tag = ": "
		if m.Bot {
			tag = " (bot): "
		}
	case hubbub.KindEdit:
		tag = " (edit): "
	case hubbub.KindTopic:
		if m.Text == "" {
			return flatten([]byte("* " + m.From + " cleared the topic"))
		}
		return flatten([]byte("* " + m.From + " set the topic: " + m.Text))
	default:
		return nil
	}
	line := make([]byte, 0, len(m.From)+len(tag)+len(m.Text))
	line = append(line, m.From...)
	line = append(line, tag...)
	line = append(line, m.Text...)
	if m.Kind == hubbub.KindMessage {
		for _, a := range m.Attachments {
			if len(line) > 0 && line[len(line)-1] != ' ' {
				line = append(line, ' ')
			}
			line = append(line, "[file: "+a.Name+" "+wire.FileURL(t.files, a.ID, a.Name)+"]"...)
		}
	}
	return flatten(line)
}

// flatten turns the line breaks of line into spaces, in place, and returns it.
func flatten(line []byte) []byte {
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
	return []byte("error: " + kickText(ev.Room, b.Why(), b.API))
}

func (textFrames) MemberJoined(hubbub.Event, hubbub.MemberJoined) []byte           { return nil }
func (textFrames) MemberLeft(hubbub.Event, hubbub.MemberLeft) []byte               { return nil }
func (textFrames) MemberTyping(hubbub.Event, hubbub.MemberTyping) []byte           { return nil }
func (textFrames) PresenceReported(hubbub.Event, hubbub.PresenceReported) []byte   { return nil }
func (textFrames) PresenceRequested(hubbub.Event, hubbub.PresenceRequested) []byte { return nil }
func (textFrames) PresenceQueried(hubbub.Event, hubbub.PresenceQueried) []byte     { return nil }
func (textFrames) AbsenceReported(hubbub.Event, hubbub.AbsenceReported) []byte     { return nil }
func (textFrames) NodeAnnounced(hubbub.Event, hubbub.NodeAnnounced) []byte         { return nil }
func (textFrames) SanctionChanged(hubbub.Event, hubbub.SanctionChanged) []byte     { return nil }
func (textFrames) UserNotified(hubbub.Event, hubbub.UserNotified) []byte           { return nil }
func (textFrames) BotChanged(hubbub.Event, hubbub.BotChanged) []byte               { return nil }
func (textFrames) StoreChanged(hubbub.Event, hubbub.StoreChanged) []byte           { return nil }
