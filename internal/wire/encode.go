package wire

import (
	"cmp"
	"encoding/json"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

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

// NewMessageAt converts a stored message, in the state the Store read it in, to its wire form,
// with the URLs of its attachments under filesURL, the base the server serves /files/ at (""
// for its own origin). There is no variant without the base: every message the server sends
// must link where its files are served.
func NewMessageAt(m *hubbub.Entry, filesURL string) Message {
	msg := Message{Type: TypeMessage, Room: m.Room, Seq: m.Seq, ID: m.ID, From: m.From, User: m.User,
		Text: m.Text, Time: Time{Time: m.Time}, Bot: m.Bot, ClientID: m.ClientID, Deleted: m.Deleted,
		ReplyTo: m.ReplyTo, Mentions: m.Mentions, MentionRoom: m.MentionRoom,
		EditedAt: Time{Time: m.EditedAt}, ReplyCount: m.ReplyCount}
	if len(m.Reactions) > 0 {
		msg.Reactions = make([]Reaction, len(m.Reactions))
		for i, r := range m.Reactions {
			msg.Reactions[i] = Reaction{Emoji: r.Emoji, Count: r.Count, Names: r.Names, Me: r.Me}
		}
	}
	if len(m.Attachments) > 0 {
		msg.Attachments = make([]Attachment, len(m.Attachments))
		for i, a := range m.Attachments {
			msg.Attachments[i] = NewAttachment(a, filesURL)
		}
	}
	return msg
}

// NewAttachment is a's frame, its URLs under filesURL ("" for the server's own origin).
func NewAttachment(a hubbub.Attachment, filesURL string) Attachment {
	out := Attachment{ID: a.ID, Name: a.Name, Type: a.Type, Size: a.Size, Width: a.Width, Height: a.Height,
		Thumb: a.Thumb, URL: FileURL(filesURL, a.ID, a.Name)}
	if a.Thumb {
		out.ThumbURL = ThumbURL(filesURL, a.ID)
	}
	return out
}

// FileURL is where file id, named name, is served under the files base filesURL:
// filesURL/files/<id>/<name>, each path segment escaped. The name is only for the browser's
// sake (a download's file name); the server finds the file by id.
func FileURL(filesURL, id, name string) string {
	if name == "" {
		name = "file"
	}
	return strings.TrimSuffix(filesURL, "/") + "/files/" + url.PathEscape(id) + "/" + url.PathEscape(name)
}

// ThumbURL is where the thumbnail of file id is served under the files base filesURL.
func ThumbURL(filesURL, id string) string {
	return strings.TrimSuffix(filesURL, "/") + "/files/" + url.PathEscape(id) + "/thumb"
}

// NewEdited converts an edit entry to the frame that tells members: message e.Target has the
// text e.Text, and the edit is entry e.Seq of the log.
func NewEdited(e *hubbub.Entry) Edited {
	return Edited{Type: TypeEdited, Room: e.Room, Seq: e.Target, LogSeq: e.Seq, From: e.From, Text: e.Text,
		Time: Time{Time: e.Time}, Mentions: e.Mentions, MentionRoom: e.MentionRoom, ClientID: e.ClientID}
}

// NewDeleted converts a delete entry to the frame that tells members: message e.Target is a
// tombstone now, and the delete is entry e.Seq of the log.
func NewDeleted(e *hubbub.Entry) Deleted {
	return Deleted{Type: TypeDeleted, Room: e.Room, Seq: e.Target, LogSeq: e.Seq, From: e.From, Time: Time{Time: e.Time},
		API: e.MadeByAPI(), Author: e.Subject, AuthorName: e.SubjectName}
}

// NewReacted converts consecutive reaction entries of one room, in log order, to one frame
// listing each change; its log_seq is the last entry's. es must not be empty.
func NewReacted(es []*hubbub.Entry) Reacted {
	last := es[len(es)-1]
	r := Reacted{Type: TypeReacted, Room: last.Room, LogSeq: last.Seq, Changes: make([]ReactionChange, len(es))}
	for i, e := range es {
		r.Changes[i] = ReactionChange{LogSeq: e.Seq, Seq: e.Target, Emoji: e.Emoji, From: e.From, Added: e.Added, Count: e.Count}
	}
	return r
}

// NewTopicChanged converts a topic entry to the frame that tells members the room's topic.
func NewTopicChanged(e *hubbub.Entry) TopicChanged {
	return TopicChanged{Type: TypeTopicChanged, Room: e.Room, LogSeq: e.Seq, From: e.From, User: e.User, Topic: e.Text,
		Time: Time{Time: e.Time}, ClientID: e.ClientID}
}

// NewMemberChanged converts a member entry to the frame that tells members whose membership
// changed, and how.
func NewMemberChanged(e *hubbub.Entry) MemberChanged {
	return MemberChanged{Type: TypeMemberChanged, Room: e.Room, LogSeq: e.Seq, From: e.From, User: e.User,
		Subject: e.Subject, SubjectName: e.SubjectName, Action: e.Action, Role: string(e.Role), Auto: e.Auto, Time: Time{Time: e.Time},
		ClientID: e.ClientID, API: e.MadeByAPI()}
}

// NewRoomMeta converts a room's metadata to its wire form.
func NewRoomMeta(m *hubbub.RoomMeta) RoomMeta {
	return RoomMeta{Room: m.Name, Topic: m.Topic, Private: m.Private, DM: m.DM, CreatedBy: m.CreatedBy,
		Created: Time{Time: m.Created}, Members: m.Members, LastSeq: m.LastSeq, LastActivity: Time{Time: m.LastActivity}}
}

// NewMyRoom converts one room of a user's list to its wire form.
func NewMyRoom(r *hubbub.MyRoom) MyRoom {
	role := string(r.Role)
	if role == "" {
		role = string(hubbub.RoomMember)
	}
	return MyRoom{RoomMeta: NewRoomMeta(&r.RoomMeta), Role: role, Invited: r.Invited, ReadSeq: r.ReadSeq,
		Unread: r.Unread, Mentions: r.Mentions, People: r.People}
}

// NewRooms converts a user's list of rooms to the rooms frame.
func NewRooms(rs []hubbub.MyRoom) Rooms {
	out := Rooms{Type: TypeRooms, Rooms: make([]MyRoom, len(rs))}
	for i := range rs {
		out.Rooms[i] = NewMyRoom(&rs[i])
	}
	return out
}

// NewRevisions answers a revisions request for message seq of room.
func NewRevisions(room string, seq uint64, revs []hubbub.Revision) Revisions {
	r := Revisions{Type: TypeRevisions, Room: room, Seq: seq, Revisions: make([]Revision, len(revs))}
	for i, rev := range revs {
		r.Revisions[i] = Revision{Text: rev.Text, Time: Time{Time: rev.Time}}
	}
	return r
}

// NewAck returns the ack for a stored entry: seq is the entry's place in the log, and for an
// edit, delete or reaction target is the message it changed.
func NewAck(e *hubbub.Entry, dup bool) Ack {
	return Ack{Type: TypeAck, Room: e.Room, ID: e.ClientID, Seq: e.Seq, MsgID: e.ID, Time: FormatTime(e.Time),
		Duplicate: dup, Target: e.Target}
}

// NewError returns the error frame for err answering request f (f may be nil).
func NewError(err error, f *ClientFrame) Error {
	e := Error{Type: TypeError, Code: hubbub.ErrorCode(err), Message: hubbub.ErrorMessage(err), StoredRoom: hubbub.ErrorStoredRoom(err)}
	if d := hubbub.ErrorRetryAfter(err); d > 0 {
		e.RetryAfterMs = int64((d + time.Millisecond - 1) / time.Millisecond)
	}
	if f != nil {
		e.Request, e.Room, e.ID = f.Type, EchoRoom(f.Room), EchoID(f.ID)
		if len(e.Request) > 32 {
			e.Request = ""
		}
	}
	return e
}

// EchoID is the id an error frame echoes: the request's id as sent, or, for one longer than
// any valid id (hubbub.MaxClientIDLen bytes, so refused bad_id), its first MaxClientIDLen
// bytes, to the end of the character there, and "…": a bounded echo (an id could be most of
// a frame) that is still longer than MaxClientIDLen, so it never equals a valid id a client
// is waiting on. A client that matches errors to its requests by id cuts its ids the same way
// (cutting twice is cutting once).
func EchoID(id string) string { return echoCut(id, hubbub.MaxClientIDLen) }

// EchoRoom is the room an error frame echoes: the request's room as sent, or, for one longer
// than any valid room name (hubbub.MaxRoomLen bytes, so refused bad_room), its first
// MaxRoomLen bytes, to the end of the character there, and "…": bounded (a room could be
// most of a frame), and never a valid room name, being too long and not ASCII. A client that
// matches errors to its requests by room cuts its rooms the same way (cutting twice is
// cutting once).
func EchoRoom(room string) string { return echoCut(room, hubbub.MaxRoomLen) }

// echoCut returns s if it has at most limit bytes, else its first limit bytes, to the end of the
// character there, and "…".
func echoCut(s string, limit int) string {
	if len(s) <= limit {
		return s
	}
	n := limit
	for n < len(s) && !utf8.RuneStart(s[n]) {
		n++
	}
	if n == len(s) {
		return s
	}
	return s[:n] + "…"
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

// NewPresenceState returns the presence frame of a member who joined (state "") or whose
// presence changed to state ("away", "online").
func NewPresenceState(room, name, state string) Presence {
	if state == "" {
		return Presence{Type: TypePresence, Room: room, Name: name, Event: "join", State: "online"}
	}
	return Presence{Type: TypePresence, Room: room, Name: name, Event: "state", State: state}
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

// NewSanctionEntry is the frame of KindSanction entry e: the ban, mute or lift, with its
// place in the room's log, and whether the server API made it.
func NewSanctionEntry(e *hubbub.Entry) SanctionChanged {
	return SanctionChanged{Type: TypeSanctionChanged, Room: e.Room, LogSeq: e.Seq, Action: e.Action, User: e.Subject,
		Name: e.SubjectName, Until: Time{Time: e.Until}, From: e.From, Reason: e.Text, Time: Time{Time: e.Time},
		API: e.MadeByAPI()}
}

// NewSanctionChanged is the frame of a node of the version before sanctions were entries,
// which tells a room's moderators of sn, imposed or (not in force at now) lifted.
func NewSanctionChanged(room string, sn hubbub.Sanction, now time.Time) SanctionChanged {
	f := SanctionChanged{Type: TypeSanctionChanged, Room: room, Action: string(sn.Kind), User: cmp.Or(sn.User, sn.Name), Name: sn.Name}
	if sn.Active(now) {
		f.Until = Time{Time: sn.Until}
	} else {
		f.Action = "un" + f.Action
	}
	return f
}
