package wire

import (
	"encoding/json"
	"time"

	"hubbub"
)

// TimeFormat is how times appear on the wire: RFC 3339, UTC, milliseconds.
const TimeFormat = "2006-01-02T15:04:05.000Z07:00"

// FormatTime formats t as the wire does.
func FormatTime(t time.Time) string { return t.UTC().Format(TimeFormat) }

// MarshalJSON writes t in TimeFormat. (Reading accepts any RFC 3339 time: time.Time's
// UnmarshalJSON.)
func (t Time) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, len(TimeFormat)+2)
	b = append(b, '"')
	b = t.UTC().AppendFormat(b, TimeFormat)
	return append(b, '"'), nil
}

// NewMessage converts a stored message to its wire form.
func NewMessage(m *hubbub.Entry) Message {
	return Message{Type: TypeMessage, Room: m.Room, Seq: m.Seq, ID: m.ID, From: m.From,
		Text: m.Text, Time: Time{Time: m.Time}, ClientID: m.ClientID, Deleted: m.Deleted}
}

// NewAck returns the ack for a stored message.
func NewAck(m *hubbub.Entry, dup bool) Ack {
	return Ack{Type: TypeAck, Room: m.Room, ID: m.ClientID, Seq: m.Seq, MsgID: m.ID, Time: FormatTime(m.Time), Duplicate: dup}
}

// NewError returns the error frame for err answering request f (f may be nil).
func NewError(err error, f *ClientFrame) Error {
	e := Error{Type: TypeError, Code: hubbub.ErrorCode(err), Message: hubbub.ErrorMessage(err)}
	if f != nil {
		e.Request, e.Room, e.ID = f.Type, f.Room, f.ID
		if len(e.Request) > 32 {
			e.Request = ""
		}
	}
	return e
}

// NewLeft answers leave.
func NewLeft(room string) Left { return Left{Type: TypeLeft, Room: room} }

// NewPong answers ping.
func NewPong(id string) Pong { return Pong{Type: TypePong, ID: id} }

// NewTyping says name is typing in room.
func NewTyping(room, name string) Typing { return Typing{Type: TypeTyping, Room: room, Name: name} }

// NewPresence says name joined or left room (event "join" or "leave").
func NewPresence(room, name, event string) Presence {
	return Presence{Type: TypePresence, Room: room, Name: name, Event: event}
}

// Encode marshals a frame. Frames hold only strings, numbers, times and slices of them, so
// marshalling cannot fail; a failure would be a bug and panics in tests.
func Encode(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic("wire: encode frame: " + err.Error())
	}
	return b
}
