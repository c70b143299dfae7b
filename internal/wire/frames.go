package wire

import (
	"encoding/json"
	"reflect"
	"time"

	"hubbub"
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
	// Conversations: rooms with metadata, private rooms, direct messages, read positions.
	TypeCreate    = "create"
	TypeDM        = "dm"
	TypeInvite    = "invite"
	TypeRemove    = "remove"
	TypePart      = "part"
	TypeTopic     = "topic"
	TypeRole      = "role"
	TypeRooms     = "rooms"
	TypeDirectory = "directory"
	TypeRead      = "read"
	// Search (search.go).
	TypeSearch = "search"
	// Notifications for people who are away (notify.go), in both directions.
	TypeNotify = "notify"
	// Slash commands (and commands, in both directions).
	TypeCommand  = "command"
	TypeCommands = "commands"

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
	// Conversations (and rooms, directory, members and read, in both directions).
	TypeRoom          = "room"
	TypeUnroom        = "unroom"
	TypeTopicChanged  = "topic_changed"
	TypeMemberChanged = "member_changed"
	// Search (search.go).
	TypeSearchResults = "search_results"
	// Slash commands.
	TypeNotice = "notice"
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
	Before  uint64  `json:"before,omitempty"`
	Limit   int     `json:"limit,omitempty"`
	ID      string  `json:"id,omitempty"`
	Text    *string `json:"text,omitempty"`
	// Reason, Duration (a Go duration such as "10m" or "2h") and Seq are read by the
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
	TypeKick:      {KickRequest{}, []string{"room", "name"}},
	TypeBan:       {BanRequest{}, []string{"room", "name", "duration"}},
	TypeUnban:     {UnbanRequest{}, []string{"room", "name"}},
	TypeMute:      {MuteRequest{}, []string{"room", "name", "duration"}},
	TypeUnmute:    {UnmuteRequest{}, []string{"room", "name"}},
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

// Server → client frames. The server builds and encodes them (New…, Encode); clients decode
// them (DecodeFrame). Type is the frame's type, filled by both sides.

// Frame is a frame received from the server: *Welcome, *Joined, *Left, *Message, *Ack,
// *History, *Presence, *Typing, *Members, *Pong, *Deleted, *Moderated, *Edited, *Reacted,
// *Revisions, *Room, *Unroom, *Rooms, *Directory, *Read, *TopicChanged, *MemberChanged,
// *SearchResults, *Notify, *Commands, *Notice, *Error or *Unknown.
// (the client package's Session also delivers its own connection events as Frames.)
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
	// MaxAttachments is the most files one send may carry (--max-attachments).
	MaxAttachments int `json:"max_attachments,omitempty"`
	// Frame is the largest frame the server reads, in bytes (--read-limit): it closes the
	// connection of a client that sends a larger one with 1009, with no error frame, so a
	// client that resends it on reconnect is closed again. A client refuses such a request
	// itself instead of sending it. 0 from servers older than the field.
	Frame int `json:"frame,omitempty"`
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
	// User is the user the connection acts for (nil from servers older than users): every
	// connection of one user, on any device, gets the same id.
	User *UserInfo `json:"user,omitempty"`
	// Commands are the registered slash commands, by name (absent when there are none, and
	// from servers older than commands); a commands request asks for them again.
	Commands []CommandInfo `json:"commands,omitempty"`
	// SearchOff says every search is refused with "disabled" (the server runs without its
	// search index, --search-index=false), so that a client hides its search box instead of
	// offering one that only fails. Absent (false) from servers that search, and from servers
	// older than the field, which answer a search they cannot run with that error too.
	SearchOff bool `json:"search_off,omitempty"`
}

// UserInfo is a user as a client sees it.
type UserInfo struct {
	// ID is the user's stable id ("u_…"; "anon:…" for a keyless connection's user, which is
	// not stored).
	ID string `json:"id"`
	// Name is the user's name, theirs server-wide.
	Name string `json:"name"`
	// Kind is how the user signs in: "guest", "account", "app" (a host application's token)
	// or "anonymous".
	Kind string `json:"kind"`
	// Role is the server-wide role: "admin", "moderator" or "member".
	Role string `json:"role"`
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
	// Bot is true for a message a bot posted (a bot user, an incoming webhook, a slash
	// command's answer); clients mark it as a bot's.
	Bot bool `json:"bot,omitempty"`
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
	// Attachments are the files the message carries, in the order sent; none once deleted.
	Attachments []Attachment `json:"attachments,omitempty"`
}

// Attachment is a file a message carries: its metadata, and where to download it.
type Attachment struct {
	// ID is the file's id.
	ID string `json:"id"`
	// Name is the file's name as uploaded (cleaned).
	Name string `json:"name"`
	// Type is the media type the server found from the content.
	Type string `json:"type"`
	// Size is the file's length in bytes.
	Size int64 `json:"size"`
	// Width and Height are an image's dimensions in pixels; absent for other files.
	Width  int `json:"width,omitempty"`
	Height int `json:"height,omitempty"`
	// Thumb is true if a thumbnail is served at ThumbURL.
	Thumb bool `json:"thumb,omitempty"`
	// URL is where the file is served: <files base>/files/<id>/<name>, the base empty (this
	// origin) unless the server sets --files-url.
	URL string `json:"url"`
	// ThumbURL is where its thumbnail is served (<files base>/files/<id>/thumb), if Thumb.
	ThumbURL string `json:"thumb_url,omitempty"`
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
	// Event is "join", "leave" or "state" (the member's presence changed).
	Event string `json:"event,omitempty"`
	// State is the member's presence: "online" for a join; "away" or "online" for a state.
	State string `json:"state,omitempty"`
}

// Typing says that Name is typing in Room.
type Typing struct {
	Type string `json:"type"`
	Room string `json:"room,omitempty"`
	Name string `json:"name,omitempty"`
}

// Members answers who and members, and lists a room's members in the REST API. In the
// answer to who (and from servers before users) each member is a bare name, a JSON string; in
// the answer to members, an object with the user's id and room role.
type Members struct {
	Type    string       `json:"type"`
	Room    string       `json:"room"`
	Members []RoomMember `json:"members"`
	// Next, when set, is the after of the next page (members only).
	Next string `json:"next,omitempty"`
}

// NewWho answers who: the names of a room's members.
func NewWho(room string, names []string) Members {
	m := Members{Type: TypeMembers, Room: room, Members: make([]RoomMember, len(names))}
	for i, n := range names {
		m.Members[i] = RoomMember{Name: n}
	}
	return m
}

// Names returns the members' names, in order.
func (m *Members) Names() []string {
	names := make([]string, len(m.Members))
	for i, rm := range m.Members {
		names[i] = rm.Name
	}
	return names
}

// RoomMember is one member of a room in a members frame: a user who is a member, or invited.
// A member with no User (an answer to who) is written as its name alone, a JSON string, as
// clients before users read it; a string is read back as such a member.
type RoomMember struct {
	// User is the user's id, Name their current name.
	User string `json:"user"`
	Name string `json:"name"`
	// Role is their room role: owner, moderator or member.
	Role string `json:"role,omitempty"`
	// Invited is true for an invitee who has not joined yet.
	Invited bool `json:"invited,omitempty"`
	// State is online, away or offline; LastSeen, for offline users, when they were last
	// connected (absent if unknown).
	State    string `json:"state,omitempty"`
	LastSeen Time   `json:"last_seen,omitzero"`
}

// roomMemberFields is RoomMember without its methods, for their own encoding.
type roomMemberFields RoomMember

// MarshalJSON writes a member without a user as its name alone.
func (m RoomMember) MarshalJSON() ([]byte, error) {
	if m.User == "" {
		return json.Marshal(m.Name)
	}
	return json.Marshal(roomMemberFields(m))
}

// UnmarshalJSON reads a name alone or a member object.
func (m *RoomMember) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		*m = RoomMember{}
		return json.Unmarshal(b, &m.Name)
	}
	return json.Unmarshal(b, (*roomMemberFields)(m))
}

// RoomMeta is a room as the directory lists it (hubbub.RoomMeta).
type RoomMeta struct {
	Room    string `json:"room"`
	Topic   string `json:"topic,omitempty"`
	Private bool   `json:"private,omitempty"`
	// DM marks a direct message: a private room with exactly its members.
	DM bool `json:"dm,omitempty"`
	// CreatedBy is the creator's user id; Created when (both absent if unknown).
	CreatedBy string `json:"created_by,omitempty"`
	Created   Time   `json:"created,omitzero"`
	// Members is how many users are members (not counting invitees).
	Members int `json:"members"`
	// LastSeq is the room's highest seq, LastActivity the time of that entry.
	LastSeq      uint64 `json:"last_seq"`
	LastActivity Time   `json:"last_activity,omitzero"`
}

// MyRoom is one room of a user's list (hubbub.MyRoom): a room they are a member of or
// invited to, and where they are in it.
type MyRoom struct {
	RoomMeta
	// Role is the user's room role; Invited is true for an invitation not yet accepted.
	Role    string `json:"role"`
	Invited bool   `json:"invited,omitempty"`
	// ReadSeq is the user's read position; Unread how many messages after it are not their
	// own, Mentions how many of those mention them (both capped at 999).
	ReadSeq  uint64 `json:"read_seq"`
	Unread   int    `json:"unread"`
	Mentions int    `json:"mentions"`
	// People are, for a DM, the other members' names, sorted: the DM's title.
	People []string `json:"people,omitempty"`
}

// Room says a room is in the user's list now, or changed there: the answer to create and
// dm, and sent unasked to every connection of a user invited to a room or added to a DM.
type Room struct {
	Type string `json:"type"`
	MyRoom
}

// Unroom says room Room left the user's list (part on another connection, or a moderator's
// remove); the connection is no longer in it.
type Unroom struct {
	Type string `json:"type"`
	Room string `json:"room"`
}

// Rooms is the user's list of rooms: the answer to rooms, and sent unasked after welcome to
// every stored user.
type Rooms struct {
	Type  string   `json:"type"`
	Rooms []MyRoom `json:"rooms"`
}

// Directory answers directory: a page of public rooms in ascending name order.
type Directory struct {
	Type  string     `json:"type"`
	Rooms []RoomMeta `json:"rooms"`
	// Next, when set, is the after of the next page.
	Next string `json:"next,omitempty"`
}

// Read is the user's read position in Room, sent to their other connections when one of them
// moves it.
type Read struct {
	Type string `json:"type"`
	Room string `json:"room"`
	Seq  uint64 `json:"seq"`
}

// TopicChanged says the topic of Room is Topic now: a log entry, LogSeq, replayed by since.
type TopicChanged struct {
	Type   string `json:"type"`
	Room   string `json:"room"`
	LogSeq uint64 `json:"log_seq"`
	// From is who changed it (their name), User their user id.
	From  string `json:"from"`
	User  string `json:"user,omitempty"`
	Topic string `json:"topic"`
	Time  Time   `json:"time"`
}

// MemberChanged says the membership of user Subject (named SubjectName) in Room changed by
// Action (invite, join, leave, remove, role): a log entry, LogSeq, replayed by since.
type MemberChanged struct {
	Type   string `json:"type"`
	Room   string `json:"room"`
	LogSeq uint64 `json:"log_seq"`
	// From is who made the change (their name), User their user id.
	From        string `json:"from"`
	User        string `json:"user,omitempty"`
	Subject     string `json:"subject"`
	SubjectName string `json:"subject_name"`
	Action      string `json:"action"`
	// Role is the subject's room role after a join or a role change.
	Role string `json:"role,omitempty"`
	Time Time   `json:"time"`
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

// Commands lists the registered slash commands, by name: the answer to commands (welcome
// lists them too). A client sends a line "/name args" as a command frame when name is
// listed here, and as a message otherwise.
type Commands struct {
	Type     string        `json:"type"`
	Commands []CommandInfo `json:"commands"`
}

// CommandInfo is one slash command as clients see it.
type CommandInfo struct {
	// Name is what follows the slash.
	Name string `json:"name"`
	// Description says what it does ("" if the admin gave none).
	Description string `json:"description,omitempty"`
}

// NewCommands lists cmds for clients (no URL, bot or secret).
func NewCommands(cmds []hubbub.Command) Commands {
	out := Commands{Type: TypeCommands, Commands: make([]CommandInfo, len(cmds))}
	for i, c := range cmds {
		out.Commands[i] = CommandInfo{Name: c.Name, Description: c.Description}
	}
	return out
}

// Notice is what a slash command shows only to the user who used it, not stored: its answer
// when it said "ephemeral" (kind "answer"), that it has not answered yet ("working"; the
// answer may come later), or why it failed ("failed").
type Notice struct {
	Type string `json:"type"`
	// Room is where the command was used; Command its name; ID the id of the command frame.
	Room    string `json:"room"`
	Command string `json:"command"`
	ID      string `json:"id,omitempty"`
	// Kind is "answer", "working" or "failed".
	Kind string `json:"kind"`
	// Text is the answer, or what the client shows for the other kinds.
	Text string `json:"text"`
	// From is the name of the command's bot user.
	From string `json:"from,omitempty"`
}

// NewNotice is the notice frame of n.
func NewNotice(n *hubbub.CommandNotice) Notice {
	return Notice{Type: TypeNotice, Room: n.Room, Command: n.Command, ID: n.ID, Kind: n.Kind, Text: n.Text, From: n.From}
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

	TypeRoom:          func() Frame { return new(Room) },
	TypeUnroom:        func() Frame { return new(Unroom) },
	TypeRooms:         func() Frame { return new(Rooms) },
	TypeDirectory:     func() Frame { return new(Directory) },
	TypeRead:          func() Frame { return new(Read) },
	TypeTopicChanged:  func() Frame { return new(TopicChanged) },
	TypeMemberChanged: func() Frame { return new(MemberChanged) },
	TypeSearchResults: func() Frame { return new(SearchResults) },
	TypeNotify:        func() Frame { return new(Notify) },
	TypeCommands:      func() Frame { return new(Commands) },
	TypeNotice:        func() Frame { return new(Notice) },
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

// FrameType implements Frame.
func (*Room) FrameType() string { return TypeRoom }

// FrameType implements Frame.
func (*Unroom) FrameType() string { return TypeUnroom }

// FrameType implements Frame.
func (*Rooms) FrameType() string { return TypeRooms }

// FrameType implements Frame.
func (*Directory) FrameType() string { return TypeDirectory }

// FrameType implements Frame.
func (*Read) FrameType() string { return TypeRead }

// FrameType implements Frame.
func (*TopicChanged) FrameType() string { return TypeTopicChanged }

// FrameType implements Frame.
func (*MemberChanged) FrameType() string { return TypeMemberChanged }

// FrameType implements Frame.
func (*Commands) FrameType() string { return TypeCommands }

// FrameType implements Frame.
func (*Notice) FrameType() string { return TypeNotice }
