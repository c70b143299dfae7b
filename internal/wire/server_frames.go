package wire

import (
	"encoding/json"
	"time"

	"hubbub"
)

// Server → client frames (Frame; frames.go has their types).

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
	// UploadsOff says every upload (POST /upload) is refused: the server runs with
	// --upload-max 0, which answers 403 "disabled", or keeps no files at all. A client hides
	// or disables its attach control instead of offering one that only fails. Files uploaded
	// before still download, and messages still carry them. Absent (false) from servers that
	// take uploads, and from servers older than the field, whose refusal comes with the upload.
	UploadsOff bool `json:"uploads_off,omitempty"`
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
	// Replay is how many frames follow now: the messages of a join without since (and with
	// notices, its topic_changed and member_changed frames among them); with since,
	// one frame per log entry missed (message, edited, deleted, reacted, topic_changed or
	// member_changed), the sanction_changed entries replayed among them not counted (clients
	// from before they were entries would wait for them).
	Replay int `json:"replay"`
	// Truncated is true if the room holds older messages that the replay left out: without
	// since, more than it replayed; with since, more were missed than the server replays.
	Truncated bool `json:"truncated"`
	// NoticesTruncated is true when the join asked for notices and the replay left some of
	// its span's out (more than the server's --notice-limit); absent otherwise.
	NoticesTruncated bool `json:"notices_truncated,omitempty"`
	// Away are the names among Members that are away (connected, idle past the server's
	// --away-after) on every node they are connected to; absent when none is.
	Away []string `json:"away,omitempty"`
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
	// Notices, when the request asked for them, are the room's notices of the page's span
	// (from its oldest message, or the room's first entry when More is false, to before):
	// topic_changed, member_changed and sanction_changed frames, each as a live client gets
	// it, oldest first; a client places them among Messages by their log_seq. Absent when
	// there are none. Decoded (DecodeFrame), each is the Frame it is.
	Notices EntryFrames `json:"notices,omitempty"`
	// NoticesTruncated is true when the span held more notices than the server's
	// --notice-limit: Notices are the newest of them.
	NoticesTruncated bool `json:"notices_truncated,omitempty"`
}

// EntryFrames are entry frames carried inside another frame (History.Notices). The server
// fills the list with the frames it encodes; decoded, each is the Frame it would be on its
// own, *TopicChanged, *MemberChanged, *SanctionChanged (an *Unknown of a type this package
// does not know, from a newer server), so that a client handles a page's notices as it does
// the live ones. An element that is no frame (not an object with a type) is left out: the
// page that carries it is still read.
type EntryFrames []any

// UnmarshalJSON decodes each element with DecodeFrame.
func (l *EntryFrames) UnmarshalJSON(b []byte) error {
	var raws []json.RawMessage
	if err := json.Unmarshal(b, &raws); err != nil {
		return err
	}
	if raws == nil { // null
		*l = nil
		return nil
	}
	out := make(EntryFrames, 0, len(raws))
	for _, raw := range raws {
		if f, err := DecodeFrame(raw); err == nil {
			out = append(out, f)
		}
	}
	*l = out
	return nil
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
	// Renamed, on a leave, is the name the member goes by now: they did not leave, their
	// user was renamed (a client shows "ann is now anna", not "ann left"). The new name comes
	// as a state before it unless the room listed it already.
	Renamed string `json:"renamed,omitempty"`
	// Moderation, on a leave, is "kick" or "ban" when a moderator took the member out (a
	// client shows "bob was kicked by carol", not "bob left"); By is then the moderator's
	// name, absent when the server API did it, and API true then. Absent for a leave of
	// their own.
	Moderation string `json:"moderation,omitempty"`
	By         string `json:"by,omitempty"`
	API        bool   `json:"api,omitempty"`
	// SanctionSeq, on a ban's leave, is the log_seq of the ban's sanction_changed entry,
	// which came before it: a client that showed that entry does not say the leave again.
	// Absent for a kick, for a ban the log does not hold (a server node of the version before
	// sanctions were entries), and from servers older than the field. Not an entry: a
	// client's since is not moved by it.
	SanctionSeq uint64 `json:"sanction_seq,omitempty"`
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
	// Sanctions, on the first page of the answer to members and only to one who may
	// moderate the room, are the room's bans and mutes in force: a client offers to lift
	// what is there and to impose what is not. It lists the banned whom the room's members
	// no longer list (a ban in a public room takes the room out of their list). Empty, not
	// absent, when there are none; absent for everyone else, from the API, and from servers
	// older than the field (a client then offers every action, as before).
	Sanctions []RoomSanction `json:"sanctions,omitzero"`
	// SanctionsMore says that Sanctions lists only some of the room's bans and mutes in
	// force: the server lists at most its --sanctions-limit, those of the members on the page
	// first. A client does not conclude that a user it was not told of is free of sanctions
	// (it offers both the action and its lift, as when not told at all). Absent otherwise.
	SanctionsMore bool `json:"sanctions_more,omitzero"`
}

// RoomSanction is a ban or mute in force in a room, as a members frame tells a moderator.
type RoomSanction struct {
	// User is the sanctioned user's id, Name the name they go by now.
	User string `json:"user"`
	Name string `json:"name"`
	// Kind is ban or mute; Until when it ends.
	Kind  string `json:"kind"`
	Until Time   `json:"until"`
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
	// ServerRole is their server-wide role when it lets them moderate (admin or moderator),
	// absent for a member: a client offers to moderate them only to an admin (the rank rule).
	ServerRole string `json:"server_role,omitempty"`
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
	// ClientID is the request's idempotency key, if it sent one: the client that changed it
	// knows the change for its own (as a message's client_id).
	ClientID string `json:"client_id,omitempty"`
}

// MemberChanged says the membership of user Subject (named SubjectName) in Room changed by
// Action (invite, join, leave, remove, role): a log entry, LogSeq, replayed by since.
type MemberChanged struct {
	Type   string `json:"type"`
	Room   string `json:"room"`
	LogSeq uint64 `json:"log_seq"`
	// From is who made the change (their name), User their user id.
	From string `json:"from"`
	User string `json:"user,omitempty"`
	// API is true when the server API made the change (an invitation through POST
	// /api/rooms/{room}/invite; From and User are then "api"): a client says "a server
	// admin". Absent otherwise, and from servers older than the field. A change without a
	// User is not the API's by that alone.
	API         bool   `json:"api,omitempty"`
	Subject     string `json:"subject"`
	SubjectName string `json:"subject_name"`
	Action      string `json:"action"`
	// Role is the subject's room role after a join or a role change.
	Role string `json:"role,omitempty"`
	// Auto is true for the role change the server made when the room's only owner left or
	// was removed (From and User are that owner), or when someone joined a room that had
	// lost its owner (From, User and Subject are the joiner): Subject is the owner now.
	Auto bool `json:"auto,omitempty"`
	Time Time `json:"time"`
	// ClientID is the request's idempotency key, if it sent one (TopicChanged.ClientID).
	ClientID string `json:"client_id,omitempty"`
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
	// API is true when the server API deleted it as a moderator (From is then "api"): a
	// client says "a server admin". Absent otherwise, and from servers older than the field.
	API bool `json:"api,omitempty"`
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
	// Note says what the moderator may not expect: a ban or mute of a name no user holds
	// applies to a keyless client of that name only (a typo's ban keeps nobody out).
	Note string `json:"note,omitempty"`
}

// SanctionChanged says a ban or mute was imposed or lifted in Room, by any moderator, from
// any node or the server API. It is an entry of the room's log, LogSeq, sent to every member
// and replayed by since, as bans are public room state (docs/protocol.md, Moderation); a page
// keeps its members' menus right by it without asking for the members again. A node of the
// version before sanctions were entries (while a cluster is upgraded) still sends it without
// LogSeq, From or Time, to the moderators whose members page listed the room's sanctions
// only. Older clients ignore it, as every frame type they do not know: its log_seq is a gap
// to them.
type SanctionChanged struct {
	Type string `json:"type"`
	Room string `json:"room"`
	// LogSeq is the entry's place in the room's log (absent from a node of the version
	// before).
	LogSeq uint64 `json:"log_seq,omitempty"`
	// Action is ban, mute, unban or unmute, as Moderated's.
	Action string `json:"action"`
	// User is the sanctioned user's id, Name the name they held when it was imposed or lifted.
	User string `json:"user"`
	Name string `json:"name"`
	// Until is when a ban or mute ends; absent on a lift.
	Until Time `json:"until,omitzero"`
	// From is who imposed or lifted it (their name; "api" for the server API), Reason their
	// reason if they gave one, Time when.
	From   string `json:"from,omitempty"`
	Reason string `json:"reason,omitempty"`
	Time   Time   `json:"time,omitzero"`
	// API is true when the server API made it (From is then "api"): a client says "a server
	// admin", since a user may go by the name api, and a room owner so named may ban in
	// their room. Absent otherwise, and from servers older than the field.
	API bool `json:"api,omitempty"`
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
	// RetryAfterMs is how long, in milliseconds, a rate_limited refusal asks the client to
	// wait before it tries again (rounded up); absent when the server does not say.
	RetryAfterMs int64 `json:"retry_after_ms,omitempty"`
	// StoredRoom is, for a room_case refusal, the room's name as stored: the request named it
	// in another case, and is asked again by this name; absent otherwise.
	StoredRoom string `json:"stored_room,omitempty"`
	// By, Until and Reason tell a kicked member (code kicked) who took them out (the
	// moderator's name; absent when the server API did), until when a ban keeps them out
	// (absent for a plain kick: a kick with Until is a ban's), and the moderator's reason
	// alone (Message says it in a sentence). Absent from other errors, and from servers older
	// than the fields.
	By     string `json:"by,omitempty"`
	Until  string `json:"until,omitempty"`
	Reason string `json:"reason,omitempty"`
	// API is true on a kicked error when the server API took the member out (By is then
	// absent): a plain kick's error, with neither until nor reason, could not be told from
	// an older server's without it. Absent otherwise, and from servers older than the field.
	API bool `json:"api,omitempty"`
}

// RetryAfter is RetryAfterMs as a duration: 0 when absent or negative, at most a day (a larger
// figure, which no server of ours sends, would overflow a Duration).
func (e *Error) RetryAfter() time.Duration {
	const most = 24 * time.Hour
	switch ms := e.RetryAfterMs; {
	case ms <= 0:
		return 0
	case ms >= int64(most/time.Millisecond):
		return most
	default:
		return time.Duration(ms) * time.Millisecond
	}
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

// Renamed tells a connection that its user goes by another name from now on: a guest's
// other device said hello with a new name, or an operator renamed the user. The connection
// stays; its rooms show Name in place of Was, and its messages carry Name. A client says
// Name, not the name it had, in its next hello: the old one would rename the user back.
type Renamed struct {
	Type string `json:"type"`
	Name string `json:"name"`
	Was  string `json:"was"`
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
	TypeWelcome:         func() Frame { return new(Welcome) },
	TypeJoined:          func() Frame { return new(Joined) },
	TypeLeft:            func() Frame { return new(Left) },
	TypeMessage:         func() Frame { return new(Message) },
	TypeAck:             func() Frame { return new(Ack) },
	TypeHistory:         func() Frame { return new(History) },
	TypePresence:        func() Frame { return new(Presence) },
	TypeTyping:          func() Frame { return new(Typing) },
	TypeMembers:         func() Frame { return new(Members) },
	TypePong:            func() Frame { return new(Pong) },
	TypeDeleted:         func() Frame { return new(Deleted) },
	TypeModerated:       func() Frame { return new(Moderated) },
	TypeSanctionChanged: func() Frame { return new(SanctionChanged) },
	TypeError:           func() Frame { return new(Error) },
	TypeEdited:          func() Frame { return new(Edited) },
	TypeReacted:         func() Frame { return new(Reacted) },
	TypeRevisions:       func() Frame { return new(Revisions) },

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
	TypeRenamed:       func() Frame { return new(Renamed) },
}
