package wire

import (
	"encoding/json"
	"reflect"
)

// Client → server frames, one struct per type. Clients send these (the client package's methods
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
	// Notices, when Since is nil, asks for the room's notices (topic_changed, member_changed
	// and sanction_changed frames) among the replayed messages, in seq order: those from the
	// oldest message replayed to last_seq, at most the server's --notice-limit.
	Notices bool `json:"notices,omitempty"`
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
	// Attachments are the ids of files the sender uploaded (POST /upload), at most the
	// server's max_attachments; a message with attachments may have an empty text.
	Attachments []string `json:"attachments,omitempty"`
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
	// Notices asks for the room's notices of the page's span (History.Notices); not read on
	// a thread page.
	Notices bool `json:"notices,omitempty"`
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

// KickRequest removes every connection of Name (or of user User) from Room (moderators and admins only).
type KickRequest struct {
	Type   string `json:"type"`
	Room   string `json:"room"`
	Name   string `json:"name"`
	Reason string `json:"reason,omitempty"`
	// User, instead of Name, is the id of the user to kick (a message's user, a member's): the
	// server acts on whoever has it, whatever their name is now. Set, it is used and Name is
	// not read; a server older than the field reads Name alone, so a client sends both.
	User string `json:"user,omitempty"`
}

// BanRequest kicks Name and refuses its joins and sends in Room for Duration.
type BanRequest struct {
	Type string `json:"type"`
	Room string `json:"room"`
	Name string `json:"name"`
	// User, instead of Name, is the id of the user to ban, as kick's.
	User string `json:"user,omitempty"`
	// Duration is a Go duration such as "10m" or "24h", or days such as "7d", at most 366
	// days; or "forever": until lifted (the answer's until is then 9999-12-31T00:00:00.000Z).
	Duration string `json:"duration"`
	Reason   string `json:"reason,omitempty"`
}

// UnbanRequest lifts a ban.
type UnbanRequest struct {
	Type string `json:"type"`
	Room string `json:"room"`
	Name string `json:"name"`
	// User, instead of Name, is the id of the user to unban, as kick's.
	User string `json:"user,omitempty"`
}

// MuteRequest refuses Name's sends in Room for Duration.
type MuteRequest struct {
	Type string `json:"type"`
	Room string `json:"room"`
	Name string `json:"name"`
	// User, instead of Name, is the id of the user to mute, as kick's.
	User string `json:"user,omitempty"`
	// Duration is a Go duration such as "10m" or "24h", or days such as "7d", at most 366
	// days; or "forever": until lifted (the answer's until is then 9999-12-31T00:00:00.000Z).
	Duration string `json:"duration"`
	Reason   string `json:"reason,omitempty"`
}

// UnmuteRequest lifts a mute.
type UnmuteRequest struct {
	Type string `json:"type"`
	Room string `json:"room"`
	Name string `json:"name"`
	// User, instead of Name, is the id of the user to unmute, as kick's.
	User string `json:"user,omitempty"`
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

// CreateRequest creates room Room with its metadata, the sender its owner.
type CreateRequest struct {
	Type  string `json:"type"`
	Room  string `json:"room"`
	Topic string `json:"topic,omitempty"`
	// Private rooms can be joined and read by their members only; members are invited.
	Private bool `json:"private,omitempty"`
}

// DMRequest opens the direct message between the sender and the users Names (created on first
// use, found again after).
type DMRequest struct {
	Type  string   `json:"type"`
	Names []string `json:"names"`
}

// InviteRequest invites user Name to private room Room (its owner and moderators).
type InviteRequest struct {
	Type string `json:"type"`
	Room string `json:"room"`
	Name string `json:"name"`
	// ID is the client-chosen idempotency key, as for send.
	ID string `json:"id,omitempty"`
}

// RemoveRequest removes user Name (a member or an invitee) from private room Room (its owner
// and moderators).
type RemoveRequest struct {
	Type string `json:"type"`
	Room string `json:"room"`
	Name string `json:"name"`
	// ID is the client-chosen idempotency key, as for send.
	ID string `json:"id,omitempty"`
}

// PartRequest leaves room Room for good: it leaves the sender's list of rooms, on every
// connection (leave only stops this connection following the room).
type PartRequest struct {
	Type string `json:"type"`
	Room string `json:"room"`
	// ID is the client-chosen idempotency key, as for send.
	ID string `json:"id,omitempty"`
}

// TopicRequest sets the topic of room Room ("" clears it).
type TopicRequest struct {
	Type  string `json:"type"`
	Room  string `json:"room"`
	Topic string `json:"topic"`
	// ID is the client-chosen idempotency key, as for send.
	ID string `json:"id,omitempty"`
}

// RoleRequest sets the room role of member Name of room Room: owner, moderator or member
// (the room's owner, or a server admin).
type RoleRequest struct {
	Type string `json:"type"`
	Room string `json:"room"`
	Name string `json:"name"`
	Role string `json:"role"`
	// ID is the client-chosen idempotency key, as for send.
	ID string `json:"id,omitempty"`
}

// RoomsRequest asks for the sender's list of rooms (answered with rooms).
type RoomsRequest struct {
	Type string `json:"type"`
}

// DirectoryRequest asks for a page of the public rooms whose name or topic contains Query.
type DirectoryRequest struct {
	Type  string `json:"type"`
	Query string `json:"query,omitempty"`
	// After is the next field of the previous page ("" for the first).
	After string `json:"after,omitempty"`
	// Limit is the page size (0 = the server's default, 50; at most 200).
	Limit int `json:"limit,omitempty"`
}

// MembersRequest asks for a page of the members and invitees of room Room.
type MembersRequest struct {
	Type string `json:"type"`
	Room string `json:"room"`
	// After is the next field of the previous page ("" for the first).
	After string `json:"after,omitempty"`
}

// ReadRequest moves the sender's read position in Room forward to Seq; the sender's other
// connections are told (read), the sender is not answered.
type ReadRequest struct {
	Type string `json:"type"`
	Room string `json:"room"`
	Seq  uint64 `json:"seq"`
}

// CommandRequest uses slash command /Name with Args in Room (a room the connection has
// joined): the server posts it to the command's URL, and the answer comes as a message of the
// command's bot user, or as a notice to this connection alone. Nothing of it is stored.
type CommandRequest struct {
	Type string `json:"type"`
	Room string `json:"room"`
	// Name is the command's name, without its slash.
	Name string `json:"name"`
	// Args is what follows the name (at most 2,000 bytes; may be empty).
	Args string `json:"args,omitempty"`
	// ID is the client's id of this use: notices about it carry it back.
	ID string `json:"id,omitempty"`
}

// CommandsRequest asks for the registered slash commands (answered with commands).
type CommandsRequest struct {
	Type string `json:"type"`
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
	Since   *Since  `json:"since,omitempty"`
	History int     `json:"history,omitempty"`
	Notices bool    `json:"notices,omitempty"`
	Before  uint64  `json:"before,omitempty"`
	Limit   int     `json:"limit,omitempty"`
	ID      string  `json:"id,omitempty"`
	Text    *string `json:"text,omitempty"`
	// Reason, Duration ("10m", "2h", "7d" or "forever": BanRequest) and Seq are read by the
	// moderation frames.
	Reason   string `json:"reason,omitempty"`
	Duration string `json:"duration,omitempty"`
	Seq      uint64 `json:"seq,omitempty"`
	// ReplyTo is read by send; Emoji by react; Thread and After by history (After also by
	// directory and members, as a string).
	ReplyTo uint64 `json:"reply_to,omitempty"`
	Emoji   string `json:"emoji,omitempty"`
	Thread  uint64 `json:"thread,omitempty"`
	After   Cursor `json:"after,omitzero"`
	// Attachments is read by send: file ids.
	Attachments []string `json:"attachments,omitempty"`
	// Topic is read by create and topic (nil: absent); Private by create; Names by dm; Role by
	// role; Query by directory.
	Topic   *string  `json:"topic,omitempty"`
	Private bool     `json:"private,omitempty"`
	Names   []string `json:"names,omitempty"`
	Role    string   `json:"role,omitempty"`
	Query   string   `json:"query,omitempty"`
	// Level is read by notify.
	Level string `json:"level,omitempty"`
	// Q, From, Until, Order and Cursor are read by search (Since too, as a time).
	Q      string `json:"q,omitempty"`
	From   string `json:"from,omitempty"`
	Until  string `json:"until,omitempty"`
	Order  string `json:"order,omitempty"`
	Cursor string `json:"cursor,omitempty"`
	// Args is read by command (its Name is the command's).
	Args string `json:"args,omitempty"`
	// User is read by kick, ban, unban, mute and unmute: the id of the user they name, read
	// before Name.
	User string `json:"user,omitempty"`
}

// Cursor is a request's paging position, its "after" field: a seq (a JSON number) for a
// thread page of history, a room name or user id (a JSON string) for directory and members.
// Decode refuses the kind a frame's type does not take.
type Cursor struct {
	// Seq is the number, Key the string; IsKey says which was sent.
	Seq   uint64
	Key   string
	IsKey bool
}

// UnmarshalJSON reads a number ≥ 0 or a string; null leaves the cursor zero.
func (c *Cursor) UnmarshalJSON(b []byte) error {
	switch {
	case string(b) == "null":
		return nil
	case len(b) > 0 && b[0] == '"':
		c.IsKey = true
		return json.Unmarshal(b, &c.Key)
	}
	if err := json.Unmarshal(b, &c.Seq); err != nil {
		return &json.UnmarshalTypeError{Value: "number " + string(b), Type: reflect.TypeFor[uint64](), Field: "after"}
	}
	return nil
}

// MarshalJSON writes the cursor as it was read: the string, or the number.
func (c Cursor) MarshalJSON() ([]byte, error) {
	if c.IsKey {
		return json.Marshal(c.Key)
	}
	return json.Marshal(c.Seq)
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
	TypeKick:      {KickRequest{}, []string{"room", "name|user"}},
	TypeBan:       {BanRequest{}, []string{"room", "name|user", "duration"}},
	TypeUnban:     {UnbanRequest{}, []string{"room", "name|user"}},
	TypeMute:      {MuteRequest{}, []string{"room", "name|user", "duration"}},
	TypeUnmute:    {UnmuteRequest{}, []string{"room", "name|user"}},
	TypeDelete:    {DeleteRequest{}, []string{"room", "seq"}},
	TypeEdit:      {EditRequest{}, []string{"room", "seq", "text"}},
	TypeReact:     {ReactRequest{}, []string{"room", "seq", "emoji"}},
	TypeRevisions: {RevisionsRequest{}, []string{"room", "seq"}},
	TypeCreate:    {CreateRequest{}, []string{"room"}},
	TypeDM:        {DMRequest{}, []string{"names"}},
	TypeInvite:    {InviteRequest{}, []string{"room", "name"}},
	TypeRemove:    {RemoveRequest{}, []string{"room", "name"}},
	TypePart:      {PartRequest{}, []string{"room"}},
	TypeTopic:     {TopicRequest{}, []string{"room", "topic"}},
	TypeRole:      {RoleRequest{}, []string{"room", "name", "role"}},
	TypeRooms:     {RoomsRequest{}, nil},
	TypeDirectory: {DirectoryRequest{}, nil},
	TypeMembers:   {MembersRequest{}, []string{"room"}},
	TypeRead:      {ReadRequest{}, []string{"room", "seq"}},
	TypeSearch:    {SearchRequest{}, nil},
	TypeNotify:    {NotifyRequest{}, []string{"room"}},
	TypeCommand:   {CommandRequest{}, []string{"room", "name"}},
	TypeCommands:  {CommandsRequest{}, nil},
}
