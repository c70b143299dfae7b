package hubbub

import (
	"context"
	"time"
)

// Rooms have metadata (a topic, public or private, who created them and when) and, for
// private rooms and direct messages, a list of members with per-room roles. Changes to the
// metadata and to a private room's members are entries of the room's log (KindTopic,
// KindMember), so members see them in order and a rejoin with since replays them. Joining a
// public room only records it in the user's list of rooms (JoinRoom): it is the reader's
// choice, not a change the room's other members must replay, and presence tells those online.

// RoomRole is a user's role in one room, beside their server-wide Role.
type RoomRole string

// The roles in a room.
const (
	// RoomOwner created the room (or was made owner); may do what a moderator may, and
	// change roles.
	RoomOwner RoomRole = "owner"
	// RoomModerator may invite, remove, kick, ban, mute, delete others' messages and set the
	// topic.
	RoomModerator RoomRole = "moderator"
	// RoomMember may read and post.
	RoomMember RoomRole = "member"
)

// CanModerateRoom reports whether a user with server-wide role and room role may moderate the
// room: an admin or moderator anywhere, or a room's owner or moderator.
func CanModerateRoom(role string, roomRole RoomRole) bool {
	return CanModerate(role) || roomRole == RoomOwner || roomRole == RoomModerator
}

// The actions of a KindMember entry (Entry.Action).
const (
	// MemberInvite invites Entry.Subject to a private room; they become a member by joining.
	MemberInvite = "invite"
	// MemberJoin makes Entry.Subject a member (accepting an invite, or a room's creation).
	MemberJoin = "join"
	// MemberLeave: Entry.Subject left the room of their own accord.
	MemberLeave = "leave"
	// MemberRemove: a moderator removed Entry.Subject (or took back the invite).
	MemberRemove = "remove"
	// MemberRole sets Entry.Subject's room role to Entry.Role.
	MemberRole = "role"
)

// MaxTopicLen is the longest room topic, in bytes.
const MaxTopicLen = 512

// RoomMeta is what a room is, as the directory and a member's room list show it.
type RoomMeta struct {
	// Name is the room's name (ValidateRoom); a DM's is DMRoomName of its members.
	Name string `json:"room"`
	// Topic is the room's topic, "" if none (KindTopic entries change it).
	Topic string `json:"topic,omitempty"`
	// Private rooms can be joined and read by their members only.
	Private bool `json:"private,omitempty"`
	// DM marks a direct message: a private room with exactly its members, none added later.
	DM bool `json:"dm,omitempty"`
	// CreatedBy is the user id of the creator ("" for a room created by a join before rooms
	// had metadata, or by the API).
	CreatedBy string `json:"created_by,omitempty"`
	// Created is when the room was created (zero if unknown).
	Created time.Time `json:"created,omitzero"`
	// Members is how many users are members (public rooms: have joined it at least once and
	// not left; private rooms: members, not invitees).
	Members int `json:"members"`
	// LastSeq is the room's highest seq; LastActivity the time of that entry.
	LastSeq      uint64    `json:"last_seq"`
	LastActivity time.Time `json:"last_activity,omitzero"`
}

// Membership is one user's place in one room.
type Membership struct {
	Room string `json:"room"`
	// User is the user's id, Name their current name.
	User string `json:"user"`
	Name string `json:"name"`
	// Role is their room role.
	Role RoomRole `json:"role"`
	// Invited is true while they are invited and have not joined.
	Invited bool `json:"invited,omitempty"`
	// Since is when they joined (or were invited).
	Since time.Time `json:"since"`
}

// MyRoom is one row of a user's room list: a room they are a member of or invited to, and
// where they are in it.
type MyRoom struct {
	RoomMeta
	// Role is the user's room role; Invited is true for an invitation not yet accepted.
	Role    RoomRole `json:"role"`
	Invited bool     `json:"invited,omitempty"`
	// ReadSeq is the user's read position (SetRead), 0 if never set.
	ReadSeq uint64 `json:"read_seq"`
	// Unread is how many messages after ReadSeq, not deleted and not the user's own, the room
	// holds; Mentions how many of those mention the user (or @room). Both are capped at
	// MaxUnreadCount, so a badge reads "999+" rather than counting a million rows. Both are 0
	// while Banned: a banned member may read nothing of the room, what was said there either.
	Unread   int `json:"unread"`
	Mentions int `json:"mentions"`
	// People are, for a DM, the other members' names (sorted), which the DM shows as its title.
	People []string `json:"people,omitempty"`
	// Banned is true while a ban of the user in the room is in force (a Sanction of theirs of
	// kind SanctionBan): a private room or a DM keeps a banned member a member, who may read
	// nothing of it meanwhile, so a search of all their rooms leaves it out.
	Banned bool `json:"banned,omitempty"`
}

// MaxUnreadCount caps MyRoom.Unread and MyRoom.Mentions.
const MaxUnreadCount = 999

// MaxMembersNamed is how many names one MembersNamed looks up (a message's mentions ask for
// at most 16).
const MaxMembersNamed = 100

// RoomStore keeps room metadata, memberships and read positions. Every Store is one.
//
// Contract, which internal/storetest checks on every implementation:
//   - CreateRoom stores meta (Name, Topic, Private, DM, CreatedBy read; Created set by the
//     store, UTC, to the millisecond) and makes each of members a member with its Role ("":
//     member) since Created, as KindMember join entries of the room (seqs from the store's
//     seq floor + 1, which is 1 before any restore, Store.SkipSeqs; in the
//     order given; each with User = CreatedBy and From = that user's stored name (CreatedBy
//     itself when no user has that id, as the API's), and Subject, SubjectName (the member's
//     stored name, or Membership.Name for an id no user has) and Role of the member). It fails with
//     ECodeExists if the room has metadata or any entry already, or was joined (a DM's creation
//     by two members at once, on one node or two: one wins, the other gets ECodeExists and
//     reads the room); ECodeTooLong for a topic over MaxTopicLen; ECodeBadField for a member
//     with no User or an unknown Role. A refused creation stores nothing. members may be
//     empty: the room then has metadata and no entry. It returns the meta (as RoomMeta reads
//     it) and the entries appended.
//   - A room that holds entries but no metadata (created by a join before rooms had metadata,
//     or by a join of a public room by name) reads as public, no topic, no creator, Created
//     zero; JoinRoom, and a KindTopic or KindMember entry, give it metadata (Created at that
//     time) on first use.
//   - Append of a KindTopic entry sets the topic to Text (≤ MaxTopicLen bytes, else
//     ECodeTooLong; "" clears it); of a KindMember entry applies Action to Subject's membership
//     in the same transaction: invite adds an invitation (ECodeExists if already a member or
//     invited), join makes a member (ECodeExists if one already), leave and remove delete the
//     membership or invitation (ECodeNotFound if none), role sets Role (ECodeNotFound if not a
//     member; an invitee is not one yet). The stored entry's Role is the subject's room role
//     after it: invite Role or member; join the invitation's role, else Role, else member; role
//     Role; leave and remove "". An empty Subject, an unknown Action or Role, or a role change
//     with no Role is ECodeBadField. Refusals take no seq, and a resent entry (same ClientID)
//     is its first outcome before any of these checks, as for every kind. Who may do it is the
//     server's check, not the store's.
//   - A room with an owner keeps one, decided in the transaction that appends (so two owners
//     demoting themselves at once, on one node or two, cannot both succeed). The owners are
//     the members (not invitees) with role owner. A role entry that would leave none (its
//     Subject is the only owner and Role is not owner) is ECodeForbidden, whoever sends it.
//     A leave or remove of the only owner while other members remain appends, right after it
//     (Seq+1, same transaction), a role entry that makes one of them owner (the handover): the
//     moderator who has been a member the longest (smallest Since; ties by ascending user id),
//     else the member who has; invitees never. The handover has Auto set, no ClientID, the
//     departing owner as its actor (User = the leave's Subject, From = its SubjectName, else
//     that user's stored name), Subject and SubjectName the heir, Role owner. Append returns
//     the leave or remove and the handover beside it (and so does a resend of the leave or
//     remove: its first outcome, and the handover that followed it). The only owner leaving
//     a room with no other member leaves it with no owner and nothing appended.
//   - A room that keeps an owner and has none gets its next member as owner: a join (a
//     KindMember join, or JoinRoom) that does not make its subject owner, of a room that keeps
//     an owner (created with one: its metadata's CreatedBy is set, and it is no DM) and has no
//     owner among its members, is followed right after it (Seq+1, same transaction) by a
//     role entry that makes the joiner owner: a handover as above, whose actor and Subject
//     are both the joiner. So an owner who left a room alone gets it back by joining again,
//     and a room left ownerless before rooms kept owners gets one with its next join. A room
//     with no CreatedBy (made by joining it by name, or by the API without an owner) and a DM
//     have no owner to keep, and their joiners get none. CreateRoom's joins are its members
//     as given: no handover follows them.
//   - JoinRoom(room, user) records a public room in the user's room list (a member, role
//     member), with no entry; it is idempotent and keeps an existing membership as it is (an
//     owner stays owner, Since stays). When it makes the user the owner of a room that lost
//     its owner (above), it appends the handover, in its transaction, the room's next seq,
//     and returns it, else nil. LeaveRoom removes it (idempotent); when it takes the only
//     owner out while other members remain it appends the handover (as above, in its
//     transaction, the room's next seq) and returns it, else nil. Both refuse a private room
//     or DM with ECodeForbidden: their members change only by KindMember entries.
//   - Membership returns a user's membership or invitation in a room; Members pages a room's
//     members and invitees in ascending user id order (after a user id, at most limit, none
//     for limit ≤ 0), with current names (the stored user's, else the name given).
//   - MembersNamed returns, in one read, the memberships and invitations in room of the stored
//     users whose name's key (NameKey) is that of one of names, each once, with current names,
//     in no particular order: names that are no valid name, or no stored user's, or a user's
//     who is not in the room, give nothing. A user whose name an older user's took when the
//     keys were recomputed (UserByName finds it by its exact name only) is returned for its
//     exact name, besides the older user. More than MaxMembersNamed names is ECodeLimit.
//   - SetRead stores max(stored, seq) for (user, room) and returns the stored position; a seq
//     above the room's LastSeq is clamped to it (0 in a room with no entries). It does not
//     need a membership.
//   - MyRooms returns every room the user is a member of or invited to, in ascending byte
//     order of names, with meta, counts and positions, in one read of the store (no query per
//     room): Unread counts messages (KindMessage) with Seq > ReadSeq that are not deleted and
//     not sent by the user (Entry.User); Mentions those of them whose Mentions name the user
//     or that mention @room (MentionRoom); both capped at MaxUnreadCount. Invitations are
//     counted the same way. A DM's People are the other members' current names, sorted.
//     Banned says whether a ban of the user in the room (a KindSanction entry's, by user id)
//     is in force now.
//   - MyRoom returns the one row MyRooms would list for room (found false if the user is
//     neither a member of it nor invited), reading that room only: a caller that needs one
//     row (a DM opened again, a partner told of a rename) does not pay for a list of hundreds.
//   - Directory returns public, non-DM rooms (those with entries and no metadata included)
//     whose name or topic contains query literally (no wildcards: "_" and "%" are
//     characters) and case-insensitively (ASCII letters at least; "" matches all), in
//     ascending byte order of names after the cursor, at most limit (none for limit ≤ 0), each
//     as RoomMeta reads it (Members, LastSeq, LastActivity).
//   - RoomMeta returns a room's metadata; found is false for a room with neither metadata nor
//     entries. Members counts members, not invitees; LastSeq and LastActivity are those of
//     Rooms.
//   - ResolveRoom(name) finds the room a request naming name means, room names being one
//     room whatever their case (RoomKey): a room named exactly name (with metadata or an
//     entry, as RoomMeta finds them) if there is one; else the room that holds name's
//     RoomKey (below), the one room of that key that is not a twin; else none (found false,
//     stored ""). A twin is a room that shared its key with another before the store held
//     keys to one room, and that the upgrade did not choose (the SQL stores chose, for each
//     key, the room with the most entries, then the first in byte order, when names were
//     folded; and the first in byte order of rooms a race made in two spellings after that,
//     as ResolveRoom had answered): it stays readable and writable by its exact name, and a
//     request in another case goes to the room chosen. It reads one or two rows of an index,
//     never the rooms.
//   - A key holds one room (twins aside): Append, CreateRoom and JoinRoom naming a room that
//     does not exist yet (RoomMeta finds none) whose key a room holds refuse with
//     RoomCase(name, that room) — ECodeRoomCase, StoredRoom the name ResolveRoom answers —
//     and store nothing. The server resolves a name before it creates a room; the store
//     decides the race that check leaves open, so that of two first uses of one new name in
//     two spellings at the same instant (on one node or two) one makes the room and the
//     other is refused as if it had come a moment later. The SQL stores enforce it with a
//     unique index on the lowered names of the rooms that are not twins.
//   - CountRooms returns how many rooms the store holds (those RoomMeta finds: with metadata
//     or an entry, DMs included), counting at most limit (none for limit ≤ 0): it stops once
//     it has counted limit, so a caller comparing it with a cap pays for the cap, not for the
//     rooms beyond it.
//   - A second store opened on the same data (another node, or after a restart) sees all of
//     it: storetest.RunSharedStoreTests.
type RoomStore interface {
	// CreateRoom creates a room with its first members.
	CreateRoom(ctx context.Context, meta RoomMeta, members []Membership) (RoomMeta, []Entry, error)
	// RoomMeta returns a room's metadata and counts.
	RoomMeta(ctx context.Context, room string) (meta RoomMeta, found bool, err error)
	// ResolveRoom returns the stored name of the room a request naming name means, whatever
	// its case; found is false when there is none yet.
	ResolveRoom(ctx context.Context, name string) (stored string, found bool, err error)
	// JoinRoom records a public room in a user's list of rooms, and returns the entry that
	// made the user its owner if the room had lost its owner (nil otherwise).
	JoinRoom(ctx context.Context, room, user string) (handover *Entry, err error)
	// LeaveRoom takes a public room out of a user's list of rooms, and returns the entry that
	// handed the room's ownership over if the user was its only owner (nil otherwise).
	LeaveRoom(ctx context.Context, room, user string) (handover *Entry, err error)
	// Membership returns user's membership or invitation in room.
	Membership(ctx context.Context, room, user string) (m Membership, found bool, err error)
	// Members pages room's members and invitees in ascending user id order.
	Members(ctx context.Context, room, after string, limit int) ([]Membership, error)
	// MembersNamed returns the memberships in room of the users named names, in one read.
	MembersNamed(ctx context.Context, room string, names []string) ([]Membership, error)
	// SetRead moves user's read position in room forward to seq and returns it.
	SetRead(ctx context.Context, user, room string, seq uint64) (uint64, error)
	// MyRooms returns the user's room list with counts, in one read.
	MyRooms(ctx context.Context, user string) ([]MyRoom, error)
	// MyRoom returns the row of the user's room list for room, reading that room only.
	MyRoom(ctx context.Context, user, room string) (row MyRoom, found bool, err error)
	// Directory lists public rooms matching query, paged by name.
	Directory(ctx context.Context, query, after string, limit int) ([]RoomMeta, error)
	// CountRooms counts the rooms the store holds, up to limit.
	CountRooms(ctx context.Context, limit int) (int, error)
}
