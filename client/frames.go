package client

import "hubbub/internal/wire"

// The frames of hubbub.v1 are declared once, in internal/wire, which the server shares. A
// program outside this module cannot import an internal package, so every wire type this
// package's API hands out or takes is also named here, as an alias: a bot writes
// client.Message and gets exactly wire.Message. TestEveryWireTypeIsNamed keeps the list whole.

// Frame is anything Session.Events or Options.Handler delivers: a server frame (the types
// below, always as a pointer, such as *Message) or one of the session's own events
// (*Connected, *Disconnected). Switch on its type.
type Frame = wire.Frame

// Server → client frames (docs/protocol.md describes each).
type (
	// Welcome answers hello; Connected carries it.
	Welcome = wire.Welcome
	// Joined answers join: the room's last seq and whether its replay was truncated.
	Joined = wire.Joined
	// Left answers leave.
	Left = wire.Left
	// Message is one chat message of a room, with its seq in the room's log.
	Message = wire.Message
	// Ack confirms that a request with an id (send, edit, react, delete, …) was stored.
	Ack = wire.Ack
	// History is a page of a room's messages (History, Thread).
	History = wire.History
	// Presence says that someone joined or left a room.
	Presence = wire.Presence
	// Typing says that a member of a room is typing.
	Typing = wire.Typing
	// Members is the list of a room's members (Who) or a page of its stored members.
	Members = wire.Members
	// Pong answers ping.
	Pong = wire.Pong
	// Deleted says a message became a tombstone.
	Deleted = wire.Deleted
	// Moderated confirms a moderation request (kick, ban, mute, delete, …).
	Moderated = wire.Moderated
	// SanctionChanged tells a room's members of a ban, mute or lift made by anyone: an entry
	// of the room's log (LogSeq), replayed by a join with since.
	SanctionChanged = wire.SanctionChanged
	// Edited carries a message's new text.
	Edited = wire.Edited
	// Reacted carries changes to a message's reactions.
	Reacted = wire.Reacted
	// Revisions lists the texts a message has had.
	Revisions = wire.Revisions
	// Room is a room of the user's list (Create, DM, or sent unasked).
	Room = wire.Room
	// Unroom says a room left the user's list.
	Unroom = wire.Unroom
	// Rooms is the user's list of rooms with read positions and counts.
	Rooms = wire.Rooms
	// Directory is a page of public rooms.
	Directory = wire.Directory
	// Read moves the user's read position in a room (from another connection of the user).
	Read = wire.Read
	// TopicChanged carries a room's new topic.
	TopicChanged = wire.TopicChanged
	// MemberChanged says a user's membership of a room changed (invite, join, leave, remove, role).
	MemberChanged = wire.MemberChanged
	// Error is a refused request; its Code is one of hubbub's error codes (errors.As works on a returned error).
	Error = wire.Error
	// Unknown is a frame of a type this client does not know (from a newer server), kept raw.
	Unknown = wire.Unknown
	// SearchResults answers a search: a page of hits.
	SearchResults = wire.SearchResults
	// Notify is the user's notification level for a room (NotifyLevel).
	Notify = wire.Notify
	// Commands lists the registered slash commands (Session.Commands; the welcome lists them
	// too).
	Commands = wire.Commands
	// Notice is what a slash command shows the caller alone: an ephemeral answer,
	// "working…", or why it failed.
	Notice = wire.Notice
	// Renamed says the user goes by another name now (another device's hello with a new
	// name, an operator's rename); the connection stays. The session says the new name when
	// it reconnects, and Name returns it.
	Renamed = wire.Renamed
)

// Parts of frames.
type (
	// Limits is the server's limits, in the welcome.
	Limits = wire.Limits
	// UserInfo is the user a connection acts for (its stable id and name).
	UserInfo = wire.UserInfo
	// Time is a time as frames spell it (RFC 3339, UTC, milliseconds).
	Time = wire.Time
	// Cursor is a request's paging position (a seq, a room name or a user id).
	Cursor = wire.Cursor
	// Reaction is one emoji's reactions on a message.
	Reaction = wire.Reaction
	// Attachment is a file a message carries, with the URL it is served at.
	Attachment = wire.Attachment
	// ReactionChange is one reaction toggled, in a Reacted frame.
	ReactionChange = wire.ReactionChange
	// Revision is one text a message had.
	Revision = wire.Revision
	// RoomMeta is a room as the directory lists it.
	RoomMeta = wire.RoomMeta
	// MyRoom is one room of the user's list.
	MyRoom = wire.MyRoom
	// RoomMember is one member of a room as Members lists it.
	RoomMember = wire.RoomMember
	// RoomSanction is a ban or mute in force in a room, as Members tells a moderator.
	RoomSanction = wire.RoomSanction
	// SearchHit is one message a search found, with its snippet.
	SearchHit = wire.SearchHit
	// CommandInfo is one slash command as clients see it: its name and description.
	CommandInfo = wire.CommandInfo
	// EntryFrames are the notices a History page carries (SessionOptions.Notices), each
	// decoded as the frame it is: *TopicChanged, *MemberChanged, *SanctionChanged.
	EntryFrames = wire.EntryFrames
)

// Client → server frames, for Conn.WriteFrame (the methods of Conn and Session fill them
// for you; a frame written by hand must set Type).
type (
	// HelloRequest is the hello request.
	HelloRequest = wire.HelloRequest
	// JoinRequest is the join request.
	JoinRequest = wire.JoinRequest
	// LeaveRequest is the leave request.
	LeaveRequest = wire.LeaveRequest
	// SendRequest is the send request.
	SendRequest = wire.SendRequest
	// HistoryRequest is the history request.
	HistoryRequest = wire.HistoryRequest
	// TypingRequest is the typing request.
	TypingRequest = wire.TypingRequest
	// WhoRequest is the who request.
	WhoRequest = wire.WhoRequest
	// PingRequest is the ping request.
	PingRequest = wire.PingRequest
	// KickRequest is the kick request.
	KickRequest = wire.KickRequest
	// BanRequest is the ban request.
	BanRequest = wire.BanRequest
	// UnbanRequest is the unban request.
	UnbanRequest = wire.UnbanRequest
	// MuteRequest is the mute request.
	MuteRequest = wire.MuteRequest
	// UnmuteRequest is the unmute request.
	UnmuteRequest = wire.UnmuteRequest
	// DeleteRequest is the delete request.
	DeleteRequest = wire.DeleteRequest
	// EditRequest is the edit request.
	EditRequest = wire.EditRequest
	// ReactRequest is the react request.
	ReactRequest = wire.ReactRequest
	// RevisionsRequest is the revisions request.
	RevisionsRequest = wire.RevisionsRequest
	// CreateRequest is the create request.
	CreateRequest = wire.CreateRequest
	// DMRequest is the dm request.
	DMRequest = wire.DMRequest
	// InviteRequest is the invite request.
	InviteRequest = wire.InviteRequest
	// RemoveRequest is the remove request.
	RemoveRequest = wire.RemoveRequest
	// PartRequest is the part request.
	PartRequest = wire.PartRequest
	// TopicRequest is the topic request.
	TopicRequest = wire.TopicRequest
	// RoleRequest is the role request.
	RoleRequest = wire.RoleRequest
	// RoomsRequest is the rooms request.
	RoomsRequest = wire.RoomsRequest
	// DirectoryRequest is the directory request.
	DirectoryRequest = wire.DirectoryRequest
	// MembersRequest is the members request.
	MembersRequest = wire.MembersRequest
	// ReadRequest is the read request.
	ReadRequest = wire.ReadRequest
	// SearchRequest is the search request.
	SearchRequest = wire.SearchRequest
	// NotifyRequest is the notify request.
	NotifyRequest = wire.NotifyRequest
	// CommandRequest is the command request (a slash command's use).
	CommandRequest = wire.CommandRequest
	// CommandsRequest is the commands request.
	CommandsRequest = wire.CommandsRequest
)
