package wire

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
	// TypeSanctionChanged tells a room's members of a ban, mute or lift (SanctionChanged).
	TypeSanctionChanged = "sanction_changed"
	TypeEdited          = "edited"
	TypeReacted         = "reacted"
	// Conversations (and rooms, directory, members and read, in both directions).
	TypeRoom          = "room"
	TypeUnroom        = "unroom"
	TypeTopicChanged  = "topic_changed"
	TypeMemberChanged = "member_changed"
	// Search (search.go).
	TypeSearchResults = "search_results"
	// Slash commands.
	TypeNotice = "notice"
	// The user's name changed while connected.
	TypeRenamed = "renamed"
)

// Server → client frames (server_frames.go). The server builds and encodes them (New…,
// Encode); clients decode them (DecodeFrame). Type is the frame's type, filled by both sides.

// Frame is a frame received from the server: *Welcome, *Joined, *Left, *Message, *Ack,
// *History, *Presence, *Typing, *Members, *Pong, *Deleted, *Moderated, *Edited, *Reacted,
// *Revisions, *Room, *Unroom, *Rooms, *Directory, *Read, *TopicChanged, *MemberChanged,
// *SearchResults, *Notify, *Commands, *Notice, *Renamed, *SanctionChanged, *Error or *Unknown.
// (the client package's Session also delivers its own connection events as Frames.)
type Frame interface {
	// FrameType returns the frame's wire type, such as "message".
	FrameType() string
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
func (*SanctionChanged) FrameType() string { return TypeSanctionChanged }

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

// FrameType implements Frame.
func (*Renamed) FrameType() string { return TypeRenamed }
