package protocol

import (
	"encoding/json"
	"strconv"
	"time"

	"hubbub"
	"hubbub/internal/hub"
)

// Limits is what the welcome frame tells a client about the server's limits (hubbub.Limits).
type Limits = hubbub.Limits

// Welcome is the answer to hello.
type Welcome struct {
	Type    string `json:"type"`
	Name    string `json:"name"`
	Server  string `json:"server"`
	Version string `json:"version"`
	// Role is what the connection may do: "admin", "moderator" or "member"; a page shows its
	// moderation controls only to the first two (the server checks every request anyway).
	Role   string `json:"role"`
	Limits Limits `json:"limits"`
}

// Joined is the answer to join.
type Joined struct {
	Type    string   `json:"type"`
	Room    string   `json:"room"`
	Members []string `json:"members"`
	// MemberCount is the room's size; Members may list fewer in a crowded room.
	MemberCount int    `json:"member_count"`
	LastSeq     uint64 `json:"last_seq"`
	Replay      int    `json:"replay"`
	Truncated   bool   `json:"truncated"`
}

// MessageFrame is a stored message as clients see it.
type MessageFrame struct {
	Type     string `json:"type"`
	Room     string `json:"room"`
	Seq      uint64 `json:"seq"`
	ID       string `json:"id"`
	From     string `json:"from"`
	Text     string `json:"text"`
	Time     string `json:"time"`
	ClientID string `json:"client_id,omitempty"`
	// Deleted marks a message a moderator deleted; its Text is then empty.
	Deleted bool `json:"deleted,omitempty"`
}

// Deleted tells every member that a moderator deleted a message of the room.
type Deleted struct {
	Type string `json:"type"`
	Room string `json:"room"`
	Seq  uint64 `json:"seq"`
}

// Moderated confirms a moderation request: Action is its type (kick, ban, …).
type Moderated struct {
	Type   string `json:"type"`
	Action string `json:"action"`
	Room   string `json:"room"`
	Name   string `json:"name,omitempty"`
	Seq    uint64 `json:"seq,omitempty"`
	Until  string `json:"until,omitempty"`
}

// Ack confirms a send once the message is durable.
type Ack struct {
	Type      string `json:"type"`
	Room      string `json:"room"`
	ID        string `json:"id,omitempty"`
	Seq       uint64 `json:"seq"`
	MsgID     string `json:"msg_id"`
	Time      string `json:"time"`
	Duplicate bool   `json:"duplicate"`
}

// HistoryPage answers a history request.
type HistoryPage struct {
	Type     string         `json:"type"`
	Room     string         `json:"room"`
	Messages []MessageFrame `json:"messages"`
	More     bool           `json:"more"`
}

// RoomNames answers who, and (as Type "members") lists a room's members.
type RoomNames struct {
	Type    string   `json:"type"`
	Room    string   `json:"room"`
	Members []string `json:"members"`
}

// ErrorFrame reports a failed request or a problem with the connection.
type ErrorFrame struct {
	Type    string `json:"type"`
	Code    string `json:"code"`
	Message string `json:"message"`
	Request string `json:"request,omitempty"`
	Room    string `json:"room,omitempty"`
	ID      string `json:"id,omitempty"`
}

type simple struct {
	Type  string `json:"type"`
	Room  string `json:"room,omitempty"`
	Name  string `json:"name,omitempty"`
	Event string `json:"event,omitempty"`
	ID    string `json:"id,omitempty"`
}

// TimeFormat is how times appear on the wire: RFC 3339, UTC, milliseconds.
const TimeFormat = "2006-01-02T15:04:05.000Z07:00"

// FormatTime formats t as the wire does.
func FormatTime(t time.Time) string { return t.UTC().Format(TimeFormat) }

// NewMessageFrame converts a stored message to its wire form.
func NewMessageFrame(m *hubbub.Message) MessageFrame {
	return MessageFrame{Type: hubbub.FrameMessage, Room: m.Room, Seq: m.Seq, ID: m.ID, From: m.From,
		Text: m.Text, Time: FormatTime(m.Time), ClientID: m.ClientID, Deleted: m.Deleted}
}

// NewAck returns the ack for a stored message.
func NewAck(m *hubbub.Message, dup bool) Ack {
	return Ack{Type: hubbub.FrameAck, Room: m.Room, ID: m.ClientID, Seq: m.Seq, MsgID: m.ID, Time: FormatTime(m.Time), Duplicate: dup}
}

// NewError returns the error frame for err answering request f (f may be nil).
func NewError(err error, f *ClientFrame) ErrorFrame {
	e := ErrorFrame{Type: hubbub.FrameError, Code: hubbub.ErrorCode(err), Message: hubbub.ErrorMessage(err)}
	if f != nil {
		e.Request, e.Room, e.ID = f.Type, f.Room, f.ID
		if len(e.Request) > 32 {
			e.Request = ""
		}
	}
	return e
}

// Left, Pong answer leave and ping.
func Left(room string) any         { return simple{Type: hubbub.FrameLeft, Room: room} }
func Pong(id string) any           { return simple{Type: hubbub.FramePong, ID: id} }
func Typing(room, name string) any { return simple{Type: hubbub.FrameTyping, Room: room, Name: name} }

// Presence says name joined or left room.
func Presence(room, name, event string) any {
	return simple{Type: hubbub.FramePresence, Room: room, Name: name, Event: event}
}

// Encode marshals a server frame. Server frames hold only strings, numbers and slices of them,
// so marshalling cannot fail; a failure would be a bug and panics in tests.
func Encode(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic("protocol: encode server frame: " + err.Error())
	}
	return b
}

// JSONCodec encodes room events as hubbub.v1 frames.
type JSONCodec struct{}

var _ hub.Codec = JSONCodec{}

// Slot implements hub.Codec.
func (JSONCodec) Slot() int { return 0 }

// Encode implements hub.Codec.
func (JSONCodec) Encode(e *hub.Envelope) []byte { return hubbub.Visit(e.Event, jsonFrames{}) }

// jsonFrames is the hubbub.v1 frame of each kind of event, nil for the kinds only nodes see.
type jsonFrames struct{}

var _ hubbub.EventVisitor[[]byte] = jsonFrames{}

func (jsonFrames) MessagePosted(_ hubbub.Event, b hubbub.MessagePosted) []byte {
	return Encode(NewMessageFrame(b.Message))
}

func (jsonFrames) MemberJoined(ev hubbub.Event, b hubbub.MemberJoined) []byte {
	return Encode(Presence(ev.Room, b.Name, "join"))
}

func (jsonFrames) MemberLeft(ev hubbub.Event, b hubbub.MemberLeft) []byte {
	return Encode(Presence(ev.Room, b.Name, "leave"))
}

func (jsonFrames) MemberTyping(ev hubbub.Event, b hubbub.MemberTyping) []byte {
	return Encode(Typing(ev.Room, b.Name))
}

func (jsonFrames) PresenceReported(hubbub.Event, hubbub.PresenceReported) []byte   { return nil }
func (jsonFrames) PresenceRequested(hubbub.Event, hubbub.PresenceRequested) []byte { return nil }

func (jsonFrames) MemberKicked(ev hubbub.Event, b hubbub.MemberKicked) []byte {
	return Encode(ErrorFrame{Type: hubbub.FrameError, Code: hubbub.ECodeKicked, Message: kickText(ev.Room, b.Reason), Room: ev.Room})
}

// SanctionChanged has no frame: a ban reaches its target as a kick, a mute as the error of
// its next send.
func (jsonFrames) SanctionChanged(hubbub.Event, hubbub.SanctionChanged) []byte { return nil }

func (jsonFrames) MessageDeleted(ev hubbub.Event, b hubbub.MessageDeleted) []byte {
	return Encode(Deleted{Type: hubbub.FrameDeleted, Room: ev.Room, Seq: b.Seq})
}

// kickText tells a kicked member why.
func kickText(room, reason string) string {
	s := "you were removed from room " + strconv.Quote(room) + " by a moderator"
	if reason != "" {
		s += ": " + reason
	}
	return s
}

// TextCodec encodes room events for the original text protocol: a message becomes
// "name: text"; nothing else is shown.
type TextCodec struct{}

var _ hub.Codec = TextCodec{}

// Slot implements hub.Codec.
func (TextCodec) Slot() int { return 1 }

// Encode implements hub.Codec.
func (TextCodec) Encode(e *hub.Envelope) []byte { return hubbub.Visit(e.Event, textFrames{}) }

// textFrames is the text-protocol line of each kind of event: a message and a kick notice;
// nil for every other kind, which the original chat room did not show.
type textFrames struct{}

var _ hubbub.EventVisitor[[]byte] = textFrames{}

func (textFrames) MessagePosted(_ hubbub.Event, b hubbub.MessagePosted) []byte {
	m := b.Message
	line := make([]byte, 0, len(m.From)+2+len(m.Text))
	line = append(line, m.From...)
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
func (textFrames) MessageDeleted(hubbub.Event, hubbub.MessageDeleted) []byte       { return nil }
