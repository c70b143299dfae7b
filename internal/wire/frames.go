package wire

import (
	"encoding/json"
	"hubbub"
	"time"
)

// Frame types: the "type" field of every hubbub.v1 frame. history and typing name a frame in
// each direction.
const (
	// Client → server.
	TypeHello   = "hello"
	TypeJoin    = "join"
	TypeLeave   = "leave"
	TypeSend    = "send"
	TypeHistory = "history"
	TypeTyping  = "typing"
	TypeWho     = "who"
	TypePing    = "ping"
	// Moderation (moderators and admins only).
	TypeKick   = "kick"
	TypeBan    = "ban"
	TypeUnban  = "unban"
	TypeMute   = "mute"
	TypeUnmute = "unmute"
	TypeDelete = "delete"
	// The room log: changes to messages.
	TypeEdit      = "edit"
	TypeReact     = "react"
	TypeRevisions = "revisions"

	// Server → client (and history, typing).
	TypeWelcome   = "welcome"
	TypeJoined    = "joined"
	TypeLeft      = "left"
	TypeMessage   = "message"
	TypeAck       = "ack"
	TypePresence  = "presence"
	TypeDeleted   = "deleted"
	TypeMembers   = "members"
	TypePong      = "pong"
	TypeError     = "error"
	TypeModerated = "moderated"
	TypeEdited    = "edited"
	TypeReacted   = "reacted"
)

// Client → server frames, one struct per type. Clients send these (internal/client's methods
// fill Type; code that writes its own frames must set it). The server reads every one of them
// as a ClientFrame, the union of their fields.

// HelloRequest introduces the client; it must be the first frame.
type HelloRequest struct {
	Type string `json:"type"`
	// Name is the user name, 1–32 printable bytes.
	Name string `json:"name"`
	// Key is the client's secret that lets two connections share a name; optional.
	Key string `json:"key,omitempty"`
	// Token is a signed token, for deployments that use them; optional.
	Token string `json:"token,omitempty"`
}

// JoinRequest enters a room.
type JoinRequest struct {
	Type string `json:"type"`
	Room string `json:"room"`
	// Since is the highest seq the client has seen; the server replays everything after it.
	Since *uint64 `json:"since,omitempty"`
	// History is how many recent messages to replay when Since is nil (0 = server default).
	History int `json:"history,omitempty"`
}

// LeaveRequest leaves a room.
type LeaveRequest struct {
	Type string `json:"type"`
	Room string `json:"room"`
}

// SendRequest sends a message to a room.
type SendRequest struct {
	Type string `json:"type"`
	Room string `json:"room"`
	// ID is the client-chosen idempotency key (≤ 64 bytes); resending it stores nothing new.
	ID   string `json:"id,omitempty"`
	Text string `json:"text"`
	// ReplyTo is the seq of the message in the same room this one answers; optional.
	ReplyTo uint64 `json:"reply_to,omitempty"`
}

// EditRequest replaces the text of my message Seq of Room.
type EditRequest struct {
	Type string `json:"type"`
	Room string `json:"room"`
	Seq  uint64 `json:"seq"`
	Text string `json:"text"`
	// ID is the client-chosen idempotency key, as for send.
	ID string `json:"id,omitempty"`
}

// ReactRequest toggles my reaction Emoji on message Seq of Room.
type ReactRequest struct {
	Type string `json:"type"`
	Room string `json:"room"`
	Seq  uint64 `json:"seq"`
	// Emoji is an emoji or a :short_name:, at most 32 bytes (hubbub.ValidateEmoji).
	Emoji string `json:"emoji"`
	// ID is the client-chosen idempotency key, as for send.
	ID string `json:"id,omitempty"`
}

// RevisionsRequest asks for the texts message Seq of Room has had (its sender and moderators
// only).
type RevisionsRequest struct {
	Type string `json:"type"`
	Room string `json:"room"`
	Seq  uint64 `json:"seq"`
}

// HistoryRequest asks for a page of older messages.
type HistoryRequest struct {
	Type string `json:"type"`
	Room string `json:"room"`
	// Before is the seq to page back from; 0 means the newest messages.
	Before uint64 `json:"before,omitempty"`
	// Limit is the page size (0 = server default 50, max 200).
	Limit int `json:"limit,omitempty"`
	// Thread, when set, asks for the replies to message Thread instead: a page of them,
	// oldest first, those with a seq above After.
	Thread uint64 `json:"thread,omitempty"`
	// After pages forward through a thread: the page holds replies with a larger seq.
	After uint64 `json:"after,omitempty"`
}

// TypingRequest tells the other members of a room that the user is typing.
type TypingRequest struct {
	Type string `json:"type"`
	Room string `json:"room"`
}

// WhoRequest asks for the members of a room.
type WhoRequest struct {
	Type string `json:"type"`
	Room string `json:"room"`
}

// PingRequest asks for a pong carrying the same ID.
type PingRequest struct {
	Type string `json:"type"`
	ID   string `json:"id,omitempty"`
}

// KickRequest removes every connection of Name from Room (moderators and admins only).
type KickRequest struct {
	Type   string `json:"type"`
	Room   string `json:"room"`
	Name   string `json:"name"`
	Reason string `json:"reason,omitempty"`
}

// BanRequest kicks Name and refuses its joins and sends in Room for Duration.
type BanRequest struct {
	Type string `json:"type"`
	Room string `json:"room"`
	Name string `json:"name"`
	// Duration is a Go duration such as "10m" or "24h", at most 366 days.
	Duration string `json:"duration"`
	Reason   string `json:"reason,omitempty"`
}

// UnbanRequest lifts a ban.
type UnbanRequest struct {
	Type string `json:"type"`
	Room string `json:"room"`
	Name string `json:"name"`
}

// MuteRequest refuses Name's sends in Room for Duration.
type MuteRequest struct {
	Type string `json:"type"`
	Room string `json:"room"`
	Name string `json:"name"`
	// Duration is a Go duration such as "10m" or "24h", at most 366 days.
	Duration string `json:"duration"`
	Reason   string `json:"reason,omitempty"`
}

// UnmuteRequest lifts a mute.
type UnmuteRequest struct {
	Type string `json:"type"`
	Room string `json:"room"`
	Name string `json:"name"`
}

// DeleteRequest turns message Seq of Room into a tombstone: my own, or anyone's for a
// moderator.
type DeleteRequest struct {
	Type string `json:"type"`
	Room string `json:"room"`
	Seq  uint64 `json:"seq"`
	// ID is the client-chosen idempotency key, as for send.
	ID string `json:"id,omitempty"`
}

// ClientFrame is any client frame as the server reads it (Decode): the union of the request
// structs' fields, each type reading only its own. A field added to a request must be added
// here too, or the server never sees it (TestClientFrameReadsEveryRequestField).
type ClientFrame struct {
	Type    string  `json:"type"`
	Name    string  `json:"name,omitempty"`
	Key     string  `json:"key,omitempty"`
	Token   string  `json:"token,omitempty"`
	Room    string  `json:"room,omitempty"`
	Since   *uint64 `json:"since,omitempty"`
	History int     `json:"history,omitempty"`
	Before  uint64  `json:"before,omitempty"`
	Limit   int     `json:"limit,omitempty"`
	ID      string  `json:"id,omitempty"`
	Text    *string `json:"text,omitempty"`
	// Reason, Duration (a Go duration such as "10m" or "2h") and Seq are read by the
	// moderation frames.
	Reason   string `json:"reason,omitempty"`
	Duration string `json:"duration,omitempty"`
	Seq      uint64 `json:"seq,omitempty"`
	// ReplyTo is read by send; Emoji by react; Thread and After by history.
	ReplyTo uint64 `json:"reply_to,omitempty"`
	Emoji   string `json:"emoji,omitempty"`
	Thread  uint64 `json:"thread,omitempty"`
	After   uint64 `json:"after,omitempty"`
}

// clientFrame is one client frame type: the struct clients send and the fields Decode
// requires.
type clientFrame struct {
	request  any
	required []string
}

// clientFrames is every client → server frame. Decode knows a type by it; the tests compare
// it with ClientFrame and with the browser's table.
var clientFrames = map[string]clientFrame{
	TypeHello:     {HelloRequest{}, []string{"name"}},
	TypeJoin:      {JoinRequest{}, []string{"room"}},
	TypeLeave:     {LeaveRequest{}, []string{"room"}},
	TypeSend:      {SendRequest{}, []string{"room", "text"}},
	TypeHistory:   {HistoryRequest{}, []string{"room"}},
	TypeTyping:    {TypingRequest{}, []string{"room"}},
	TypeWho:       {WhoRequest{}, []string{"room"}},
	TypePing:      {PingRequest{}, nil},
	TypeKick:      {KickRequest{}, []string{"room", "name"}},
	TypeBan:       {BanRequest{}, []string{"room", "name", "duration"}},
	TypeUnban:     {UnbanRequest{}, []string{"room", "name"}},
	TypeMute:      {MuteRequest{}, []string{"room", "name", "duration"}},
	TypeUnmute:    {UnmuteRequest{}, []string{"room", "name"}},
	TypeDelete:    {DeleteRequest{}, []string{"room", "seq"}},
	TypeEdit:      {EditRequest{}, []string{"room", "seq", "text"}},
	TypeReact:     {ReactRequest{}, []string{"room", "seq", "emoji"}},
	TypeRevisions: {RevisionsRequest{}, []string{"room", "seq"}},
}

// Server → client frames. The server builds and encodes them (New…, Encode); clients decode
// them (DecodeFrame). Type is the frame's type, filled by both sides.

// Frame is a frame received from the server: *Welcome, *Joined, *Left, *Message, *Ack,
// *History, *Presence, *Typing, *Members, *Pong, *Deleted, *Moderated, *Error or *Unknown.
// (internal/client's Session also delivers its own connection events as Frames.)
type Frame interface {
	// FrameType returns the frame's wire type, such as "message".
	FrameType() string
}

// Limits is what the welcome frame tells a client about the server's limits.
type Limits struct {
	MaxText  int `json:"max_text"`
	MaxRooms int `json:"max_rooms"`
	// HistoryMax is the most messages a join without since replays (--history).
	HistoryMax int `json:"history_max"`
	// HistoryPageMax is the largest limit a history request is answered with
	// (--history-page-max).
	HistoryPageMax int     `json:"history_page_max"`
	SendRate       float64 `json:"send_rate"`
	SendBurst      int     `json:"send_burst"`
}

// Welcome answers hello.
type Welcome struct {
	Type    string `json:"type"`
	Name    string `json:"name"`
	Server  string `json:"server"`
	Version string `json:"version"`
	// Role is what the connection may do: "admin", "moderator" or "member"; a page shows its
	// moderation controls only to the first two (the server checks every request anyway). It
	// is empty from servers older than the field.
	Role   string `json:"role"`
	Limits Limits `json:"limits"`
}

// Joined answers join; Replay message frames follow it.
type Joined struct {
	Type string `json:"type"`
	Room string `json:"room"`
	// Members are the members' names; in a crowded room (past the server's
	// --presence-limit) only some of them.
	Members []string `json:"members"`
	// MemberCount is the room's size, which may exceed len(Members).
	MemberCount int `json:"member_count"`
	// LastSeq is the highest seq in the room.
	LastSeq uint64 `json:"last_seq"`
	// Replay is how many frames follow now: the messages of a join without since; with since,
	// one frame per log entry missed (message, edited, deleted or reacted).
	Replay int `json:"replay"`
	// Truncated is true if the room holds older messages that the replay left out: without
	// since, more than it replayed; with since, more were missed than the server replays.
	Truncated bool `json:"truncated"`
}

// Left answers leave, and follows a kick.
type Left struct {
	Type string `json:"type"`
	Room string `json:"room,omitempty"`
}

// Time is a time as the wire spells it: RFC 3339 in UTC with milliseconds (TimeFormat).
type Time struct {
	time.Time
}

// Message is a stored message as clients see it: replayed after a join, delivered live, or
// in a history page.
type Message struct {
	Type string `json:"type"`
	Room string `json:"room"`
	Seq  uint64 `json:"seq"`
	// ID is the server's id of the message.
	ID   string `json:"id"`
	From string `json:"from"`
	Text string `json:"text"`
	Time Time   `json:"time"`
	// ClientID is the sender's idempotency key, if it sent one.
	ClientID string `json:"client_id,omitempty"`
	// Deleted marks a deleted message; its Text is then empty.
	Deleted bool `json:"deleted,omitempty"`
	// ReplyTo is the seq of the message this one answers.
	ReplyTo uint64 `json:"reply_to,omitempty"`
	// Mentions are the users the text mentions, as the server resolved them.
	Mentions []hubbub.Mention `json:"mentions,omitempty"`
	// MentionRoom is true if a moderator mentioned everyone (@room).
	MentionRoom bool `json:"mention_room,omitempty"`
	// EditedAt is when the text was last edited; absent if never.
	EditedAt Time `json:"edited_at,omitzero"`
	// Reactions are the message's reactions, each with its count and first names.
	Reactions []Reaction `json:"reactions,omitempty"`
	// ReplyCount is how many messages answer this one.
	ReplyCount int `json:"reply_count,omitempty"`
}

// Reaction is one emoji's reactions on a message.
type Reaction struct {
	Emoji string `json:"emoji"`
	Count int    `json:"count"`
	// Names are the first few who reacted (hubbub.MaxReactionNames).
	Names []string `json:"names"`
	// Me is true if the reader holds this reaction (set in joins and history pages, which are
	// read for one reader).
	Me bool `json:"me,omitempty"`
}

// Edited says that message Seq of Room has a new text: a log entry of its own, LogSeq.
type Edited struct {
	Type string `json:"type"`
	Room string `json:"room"`
	// Seq is the edited message's seq.
	Seq uint64 `json:"seq"`
	// LogSeq is the edit's own place in the room's log, after every entry before it.
	LogSeq uint64 `json:"log_seq"`
	From   string `json:"from"`
	Text   string `json:"text"`
	// Time is when it was edited.
	Time        Time             `json:"time"`
	Mentions    []hubbub.Mention `json:"mentions,omitempty"`
	MentionRoom bool             `json:"mention_room,omitempty"`
	ClientID    string           `json:"client_id,omitempty"`
}

// Reacted carries reactions toggled on messages of Room: one or more consecutive entries of
// the room's log, LogSeq the last of them. A burst of reactions is sent as one frame.
type Reacted struct {
	Type string `json:"type"`
	Room string `json:"room"`
	// LogSeq is the place in the room's log of the last change listed.
	LogSeq  uint64           `json:"log_seq"`
	Changes []ReactionChange `json:"changes"`
}

// ReactionChange is one reaction toggled: From added (Added) or removed Emoji on message Seq,
// which has Count of that emoji after it.
type ReactionChange struct {
	LogSeq uint64 `json:"log_seq"`
	Seq    uint64 `json:"seq"`
	Emoji  string `json:"emoji"`
	From   string `json:"from"`
	Added  bool   `json:"added"`
	Count  int    `json:"count"`
}

// Revisions answers revisions: the texts message Seq has had, oldest first, the current last.
type Revisions struct {
	Type      string     `json:"type"`
	Room      string     `json:"room"`
	Seq       uint64     `json:"seq"`
	Revisions []Revision `json:"revisions"`
}

// Revision is one text a message had.
type Revision struct {
	Text string `json:"text"`
	Time Time   `json:"time"`
}

// Ack confirms that a send is durable.
type Ack struct {
	Type string `json:"type"`
	Room string `json:"room"`
	// ID is the client's idempotency key.
	ID  string `json:"id,omitempty"`
	Seq uint64 `json:"seq"`
	// MsgID is the server's id of the stored entry.
	MsgID string `json:"msg_id"`
	Time  string `json:"time"`
	// Duplicate is true if the ID had been stored before and nothing new was stored.
	Duplicate bool `json:"duplicate"`
	// Target is, for an edit, delete or react, the seq of the message it changed (Seq is then
	// the change's own place in the log).
	Target uint64 `json:"target,omitempty"`
}

// History answers a history request.
type History struct {
	Type string `json:"type"`
	Room string `json:"room"`
	// Messages are oldest first.
	Messages []Message `json:"messages"`
	// More is true if older messages exist (for a thread: later replies).
	More bool `json:"more"`
	// Thread is set when the page holds the replies to message Thread.
	Thread uint64 `json:"thread,omitempty"`
}

// Presence says that Name joined or left Room.
type Presence struct {
	Type string `json:"type"`
	Room string `json:"room,omitempty"`
	Name string `json:"name,omitempty"`
	// Event is "join" or "leave".
	Event string `json:"event,omitempty"`
}

// Typing says that Name is typing in Room.
type Typing struct {
	Type string `json:"type"`
	Room string `json:"room,omitempty"`
	Name string `json:"name,omitempty"`
}

// Members answers who, and lists a room's members in the REST API.
type Members struct {
	Type    string   `json:"type"`
	Room    string   `json:"room"`
	Members []string `json:"members"`
}

// Pong answers ping.
type Pong struct {
	Type string `json:"type"`
	ID   string `json:"id,omitempty"`
}

// Deleted says message Seq of Room was deleted; it stays in history as a tombstone. The
// delete is an entry of the room's log, LogSeq (absent from servers before the room log).
type Deleted struct {
	Type   string `json:"type"`
	Room   string `json:"room"`
	Seq    uint64 `json:"seq"`
	LogSeq uint64 `json:"log_seq,omitempty"`
	// From is who deleted it; Time when.
	From string `json:"from,omitempty"`
	Time Time   `json:"time,omitzero"`
}

// Moderated confirms a moderation request: Action is its type (kick, ban, …).
type Moderated struct {
	Type   string `json:"type"`
	Action string `json:"action"`
	Room   string `json:"room"`
	Name   string `json:"name,omitempty"`
	Seq    uint64 `json:"seq,omitempty"`
	// Until is when a ban or mute ends, in TimeFormat.
	Until string `json:"until,omitempty"`
}

// Error is an error frame: a failed request or a problem with the connection. To a client it
// is also the error a refused request returns, and it unwraps to a *hubbub.Error, so
// hubbub.ErrorCode works on it.
type Error struct {
	Type    string `json:"type"`
	Code    string `json:"code"`
	Message string `json:"message"`
	// Request, Room and ID name the request the error answers, when it answers one.
	Request string `json:"request,omitempty"`
	Room    string `json:"room,omitempty"`
	ID      string `json:"id,omitempty"`
}

// Unknown is a server frame whose type this package does not know; protocol.md allows new
// ones.
type Unknown struct {
	Type string
	// Raw is the whole frame.
	Raw json.RawMessage
}

// serverFrames is every server → client frame: DecodeFrame makes a new one of a frame's type;
// the tests compare it with the browser's table.
var serverFrames = map[string]func() Frame{
	TypeWelcome:   func() Frame { return new(Welcome) },
	TypeJoined:    func() Frame { return new(Joined) },
	TypeLeft:      func() Frame { return new(Left) },
	TypeMessage:   func() Frame { return new(Message) },
	TypeAck:       func() Frame { return new(Ack) },
	TypeHistory:   func() Frame { return new(History) },
	TypePresence:  func() Frame { return new(Presence) },
	TypeTyping:    func() Frame { return new(Typing) },
	TypeMembers:   func() Frame { return new(Members) },
	TypePong:      func() Frame { return new(Pong) },
	TypeDeleted:   func() Frame { return new(Deleted) },
	TypeModerated: func() Frame { return new(Moderated) },
	TypeError:     func() Frame { return new(Error) },
	TypeEdited:    func() Frame { return new(Edited) },
	TypeReacted:   func() Frame { return new(Reacted) },
	TypeRevisions: func() Frame { return new(Revisions) },
}

// FrameType implements Frame.
func (*Welcome) FrameType() string { return TypeWelcome }

// FrameType implements Frame.
func (*Joined) FrameType() string { return TypeJoined }

// FrameType implements Frame.
func (*Left) FrameType() string { return TypeLeft }

// FrameType implements Frame.
func (*Message) FrameType() string { return TypeMessage }

// FrameType implements Frame.
func (*Ack) FrameType() string { return TypeAck }

// FrameType implements Frame.
func (*History) FrameType() string { return TypeHistory }

// FrameType implements Frame.
func (*Presence) FrameType() string { return TypePresence }

// FrameType implements Frame.
func (*Typing) FrameType() string { return TypeTyping }

// FrameType implements Frame.
func (*Members) FrameType() string { return TypeMembers }

// FrameType implements Frame.
func (*Pong) FrameType() string { return TypePong }

// FrameType implements Frame.
func (*Deleted) FrameType() string { return TypeDeleted }

// FrameType implements Frame.
func (*Moderated) FrameType() string { return TypeModerated }

// FrameType implements Frame.
func (*Error) FrameType() string { return TypeError }

// FrameType implements Frame.
func (u *Unknown) FrameType() string { return u.Type }

// FrameType implements Frame.
func (*Edited) FrameType() string { return TypeEdited }

// FrameType implements Frame.
func (*Reacted) FrameType() string { return TypeReacted }

// FrameType implements Frame.
func (*Revisions) FrameType() string { return TypeRevisions }
