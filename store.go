package hubbub

import (
	"context"
	"errors"
	"strconv"
	"time"
)

// Store keeps the log of every room, owns the numbering of its entries, keeps each message's
// current state beside the log, and keeps the moderation state that must outlive a process and
// hold on every node (bans, mutes), and the people: users with their sessions and invites
// (UserStore), rooms' metadata, members and read positions (RoomStore), and the metadata of
// uploaded files that messages carry (FileStore), the registered slash commands
// (CommandStore), the webhooks, outbox and deliveries of the integrations (OutboxStore), and
// bots and incoming webhooks (BotStore). Every store does all of it: the hub calls these
// methods directly and no method is optional.
//
// A room's history is one log of entries (Entry): messages, and the edits, deletes and
// reactions that change them, numbered together. The log is what Since replays, so a client that
// was away learns every change from the entries after its last seq. Beside it the store keeps
// each message's current state (text after edits, tombstone, reactions, reply count), so that
// Before and Replies read one index range and never fold the log.
//
// Contract, which internal/storetest checks on every implementation:
//   - Append makes the entry durable before it returns: after a nil error the entry survives a
//     crash of the process (kill -9) and of the store's own connection.
//   - Append assigns Seq = (highest Seq ever stored in the room) + 1, with no gap and no repeat,
//     even when many goroutines (or nodes, for a shared store) append to one room at once, and
//     whatever the entries' kinds. Seqs are never reused, not even after retention. The first
//     entry of a room that holds none yet (a new room, or one with metadata alone, CreateRoom's
//     joins included) is numbered the store's seq floor + 1: 1 until SkipSeqs raised the floor.
//   - Append's outcome is StoredFirst for the entry it stored as the first of its room's log
//     (numbered the seq floor + 1, in a room that held no entry), Stored for any other entry
//     it stored, and Duplicate when it stored nothing (a resend, below): at most one Append
//     of a room reports StoredFirst, however many run at once, and none if CreateRoom's joins
//     began the log. The caller learns so that the room may have just come into being (the
//     hub counts it toward its cap of stored rooms) without knowing the floor, which another
//     node's SkipSeqs may have raised since it started.
//   - Append assigns ID (unique) and Time (the store's clock, UTC, millisecond precision).
//   - Append reads e.User, the actor's user id, and keys by it what belongs to the actor:
//     idempotency, authorship, reactions. From is only the name the actor had at the time, for
//     display. An entry with an empty User is stored with User = From, as the rows stored
//     before users existed were migrated, so that it is keyed by its name.
//   - If e.ClientID is not empty and an entry with the same Room, User and ClientID is already
//     stored (of any kind), Append stores nothing and returns that entry (as Since would return
//     it) with the outcome Duplicate: two users who both send "c-1" in one room both have their
//     entry stored, and a user who renamed still finds the entry sent under the old name. This
//     holds before any check below: a resend after the target changed still returns the first
//     outcome.
//   - Append refuses an entry with a *Error whose code says why (ECodeNotFound,
//     ECodeForbidden, ECodeLimit below; ECodeBadField for a Kind it does not know;
//     ECodeRoomCase for the first entry of a room whose key another room holds, RoomStore); a
//     refused entry stores nothing and takes no seq. The checks of a kind come in the order
//     listed.
//   - A message (KindMessage) with ReplyTo > 0 needs ReplyTo to be a message of the room (a
//     tombstone will do), else ECodeNotFound; it adds one to the parent's ReplyCount. Mentions,
//     MentionRoom and Bot are stored as given, and Bot is read back with the message by Since,
//     Before and Replies (other kinds do not keep it).
//   - An edit (KindEdit) needs Target to be a message of the room that is not deleted
//     (ECodeNotFound) and was sent by e.User (ECodeForbidden): the same user, whatever name
//     either carries; another user who took the sender's old name may not. It replaces the message's Text,
//     Mentions and MentionRoom with the edit's, sets its EditedAt to the entry's Time, and keeps
//     the previous text as a revision (Revisions).
//   - A delete (KindDelete) needs Target to be a message of the room (ECodeNotFound) sent by
//     e.User unless e.Moderator (ECodeForbidden). It empties the message's Text, Mentions and
//     MentionRoom, its revisions, and the same of the edits of it (nothing of what the message
//     said stays), and marks it Deleted; its reactions, ReplyTo, ReplyCount and EditedAt stay.
//     Deleting a tombstone (when e.From may) stores nothing and returns the delete entry that
//     made it, with the outcome Duplicate, so that only one of several deletes tells the members.
//   - A reaction (KindReaction) needs Target to be a message of the room that is not deleted
//     (ECodeNotFound). It toggles e.User's reaction e.Emoji on the message (a user holds a
//     reaction across a change of name): Added reports whether it was added or removed, Count
//     how many users have that reaction now. Adding an
//     emoji the message does not carry yet when it carries MaxReactionsPerMessage others fails
//     with ECodeLimit; removing never fails for the limit.
//   - Since returns the entries of every kind with Seq > after, ascending, at most limit; a
//     message comes in its current state (text after edits, tombstone, reactions, reply count),
//     and the other kinds as stored (an edit's Text emptied once its message is deleted).
//   - Before returns messages only (no other kinds), in their current state, ascending, the
//     newest limit of those with Seq < before (before == 0: the newest). Replies returns
//     messages only, in their current state, those with ReplyTo == parent and Seq > after,
//     ascending, the oldest limit of them (a page of a thread, paged forward by after).
//   - A message's Reactions list each emoji with Count > 0 in the order it was added since its
//     Count was last zero (an emoji keeps its place while anyone holds it; one that every holder
//     removed goes last when added again), with the first MaxReactionNames names of those who
//     hold it, in the order of their reactions (one who removes and adds again goes last),
//     each the name (From) its holder had when reacting. Stores never set Reaction.Me.
//   - ReactedBy lists the reactions user (a user id) holds on messages in the range,
//     tombstones included, in no particular order.
//   - Retention (Prune, and Append where it prunes) removes messages (MaxPerRoom counts
//     messages, not entries), and with them the entries that change them, their reactions and
//     revisions, and every entry older than the oldest message it keeps. Seqs stay taken.
//   - Sanctions returns the sanctions of room still in force now (Until in the future), each
//     with User, Name (as last set) and Until at millisecond precision, UTC.
//     SanctionsPage returns the same sanctions, those with User > after only (in byte
//     order, as Go compares strings, whatever the database's collation), ordered by User
//     and then Kind, at most limit of them (limit ≤ 0: none). It reads an index range of the
//     room's sanctions, never the room's whole list.
//   - KindTopic and KindMember entries change the room's metadata and members as the
//     RoomStore contract says, in the transaction that appends them.
//   - A KindSanction entry (SanctionEntry) changes the room's sanctions in the transaction
//     that appends it; it is the only way a sanction is stored, so the room's log tells of
//     every one. A ban or mute (Action) of Subject until Until, named SubjectName, by From,
//     for reason Text, replaces the one of that kind on that user in the room, whatever its
//     name (a ban follows the user across a change of name, and does not pass to whoever
//     takes the old name); an unban or unmute removes it. It needs Subject, an Action of the
//     four and, for a ban or mute, a non-zero Until (ECodeBadField); an Until already past is
//     stored as it is and lifts. Since returns it with Until at millisecond precision, UTC.
//     Sanctions live in their own rows, so retention's removal of the entry leaves the
//     sanction in force. A sanction stored before users existed is keyed by its name, as
//     the stores' migration left it (SanctionEntry gives a sanction without a user its Name
//     as its Subject).
//   - Rooms lists the rooms that hold or held an entry, in ascending byte order of their
//     names, those after the cursor only, at most limit of them, each with LastSeq and
//     LastActivity (the Time of the entry numbered LastSeq, zero once retention removed it).
//   - SkipSeqs(gap) moves every room's numbering on by gap, as if gap entries had been
//     appended and removed: each room that holds or held an entry gets LastSeq + gap as its
//     LastSeq, and its next entry LastSeq + gap + 1; nothing else changes (the entries, the
//     messages a room holds for MaxPerRoom, unread counts, read positions). In the same
//     transaction it raises the seq floor to max(floor, the highest LastSeq of any room before
//     the move) + gap, and records the restore (Restore), which LastRestore returns from then
//     on. So every room with no entry then numbers its first entry above the floor, whether it
//     has metadata already or is made later, on every node: a room made after the backup,
//     lost with the part after it and made again under its name, handed out seqs up to the
//     floor of its time + the entries it took, which the new floor passes. It returns the
//     record: Rooms counts the rooms with entries it moved and those with metadata alone. A
//     gap of 0 or above MaxSeqGap is refused with ECodeBadField, and one that would take a
//     room's LastSeq or the floor past MaxSeq with ECodeLimit, changing nothing. It is for a
//     store restored from a backup, before any server uses it (hubbub restore): the seqs the
//     lost part handed out are then never handed out again.
//   - LastRestore returns the latest Restore SkipSeqs recorded, found false if none did.
//   - Check returns nil while the store answers, and an error once it is closed.
//   - All methods are safe for concurrent use, honour ctx, and fail after Close.
type Store interface {
	UserStore
	RoomStore
	Searcher
	FileStore
	CommandStore
	OutboxStore
	BotStore

	// Append stores *e (Room, From, Kind and the fields of its kind, and optionally ClientID,
	// are read) and returns the stored entry with Seq, ID and Time filled in, and for a
	// reaction Added and Count. handover is the entry the store appended itself right after
	// it, in its transaction, to keep the room an owner (Entry.Auto; RoomStore says when),
	// nil if none: the caller announces both, and needs no read of the log to learn of it.
	// For a duplicate it is the handover that followed the first outcome, if any. outcome
	// says whether the entry was stored, as its room's first or not, or was a duplicate
	// (AppendOutcome). Append does not change *e, and it does not keep e after it returns;
	// the entries it returns are new ones, the caller's. They are pointers because an Entry
	// is ~400 bytes: copied by value at each step of a send's path, it pushed the goroutine
	// handling a socket past its first stack (docs/benchmarks/ingress.md).
	Append(ctx context.Context, e *Entry) (stored, handover *Entry, outcome AppendOutcome, err error)
	// Since returns up to limit entries of room with Seq > after, oldest first.
	Since(ctx context.Context, room string, after uint64, limit int) ([]Entry, error)
	// Before returns the up to limit newest messages of room with Seq < before, oldest first,
	// in their current state. before == 0 means "the newest messages".
	Before(ctx context.Context, room string, before uint64, limit int) ([]Entry, error)
	// Notices returns the room's notices with after < Seq ≤ upto: its KindTopic, KindMember
	// and KindSanction entries, the changes to the room that a reader sees as lines among its
	// messages. It returns the newest limit of them, oldest first (a page of messages reads
	// the notices of its own span; the newest are the ones nearest what a reader sees first).
	// Edits, deletes and reactions are not notices: Before folds them into the messages'
	// state. It reads an index of the room's entries, never the messages of the span.
	Notices(ctx context.Context, room string, after, upto uint64, limit int) ([]Entry, error)
	// Replies returns up to limit messages of room that reply to message parent and have
	// Seq > after, oldest first, in their current state: a thread.
	Replies(ctx context.Context, room string, parent, after uint64, limit int) ([]Entry, error)
	// Revisions returns the texts message seq of room has had, oldest first, the current one
	// last (one revision if it was never edited). found is false if room has no message seq;
	// a deleted message has no revisions left.
	Revisions(ctx context.Context, room string, seq uint64) (revs []Revision, found bool, err error)
	// ReactedBy returns the reactions user (a user id) holds on the messages of room with
	// from ≤ Seq ≤ to, so that a page of messages can show which reactions are the reader's.
	ReactedBy(ctx context.Context, room, user string, from, to uint64) ([]ReactionKey, error)
	// LastSeq returns the highest Seq ever assigned in room, or 0 if the room has none.
	LastSeq(ctx context.Context, room string) (uint64, error)
	// SkipSeqs moves the numbering of every room on by gap and raises the seq floor that
	// rooms with no entry yet number from (see the contract above), and returns the restore
	// as it recorded it: after a restore from a backup, the seqs handed out since the backup
	// was taken are never handed out again, so a client that kept one as its since still
	// gets every later entry. Run it with no server on the store.
	SkipSeqs(ctx context.Context, gap uint64) (Restore, error)
	// LastRestore returns the latest restore SkipSeqs recorded (found false if none), for an
	// operator to see that the store was restored, when, and from which seq new rooms number.
	LastRestore(ctx context.Context) (r Restore, found bool, err error)
	// Prune applies the retention policy the store was opened with and returns how many
	// messages it removed. The server calls it periodically; Append may also prune.
	Prune(ctx context.Context) (removed int64, err error)

	// Sanctions returns the sanctions of room in force now: those that its KindSanction
	// entries imposed and did not lift (Append), which hold on every node and after a
	// restart.
	Sanctions(ctx context.Context, room string) ([]Sanction, error)
	// SanctionsPage returns up to limit of the sanctions of room in force now whose User is
	// greater than after ("" = from the first), ordered by User (bytes) and then Kind: a page
	// of a list that a room of many bans holds too long for one answer (the API's and a
	// moderator's). A user's ban and mute may fall on two pages; the caller that keeps them
	// together asks for one more.
	SanctionsPage(ctx context.Context, room, after string, limit int) ([]Sanction, error)

	// Rooms returns up to limit rooms with a name greater than after ("" = from the first),
	// in ascending byte order of names: every room an entry was ever appended to, on every
	// node sharing the store. It reads an index, never the entries of every room.
	Rooms(ctx context.Context, after string, limit int) ([]RoomInfo, error)

	// Generations returns the store's counts of the changes that nodes cache (Generations).
	// It reads one small row set, so a node can ask it several times a second.
	Generations(ctx context.Context) (Generations, error)

	// Check reports whether the store can serve requests right now (for /readyz): nil, or
	// why not. A Store is therefore always a HealthChecker.
	Check(ctx context.Context) error
	// Close releases the store's resources. Calls after Close fail.
	Close() error
}

// Generations counts the changes to what a node caches of the store, one count per kind. The
// store moves a count in the same transaction as the change (SQLite and PostgreSQL by
// triggers on their tables), so every writer moves it — this server, another node, or
// `hubbub user add` writing the file directly — and a node that reads a count unchanged knows
// that nothing of that kind changed since it last read it (internal/storecache). Counts only
// grow; they start at 0.
//
// Contract, which internal/storetest checks on every store:
//   - Users grows when a user is created (CreateUser, ClaimGuest or ExternalUser creating one,
//     RedeemInvite, CreateBot) or a user's name, kind, role or disabled flag changes; not for
//     a password, a new session or SeenAt. A sign-out moves it (DeleteSession of a session
//     that exists, DeleteSessions: the user's SignOuts). A bot's change moves it too
//     (UpdateBot of its token or rooms, DeleteBot), so that every node's bot cache forgets it
//     however it was made — the users' count rather than one of its own, which a node of an
//     older build would read as an error (SQLite migration 0023, PostgreSQL 0024).
//   - Commands grows when a slash command is created, changed or deleted.
//   - Rooms grows when a room's metadata is created (CreateRoom, a first KindTopic or
//     KindMember entry, JoinRoom of a room without it) or its private or DM flag changes; not
//     for a topic, a member count or an entry.
type Generations struct {
	Users    uint64
	Commands uint64
	Rooms    uint64
}

// AppendOutcome is what Store.Append did with an entry it did not refuse. It is not part of
// the entry (Entry travels between nodes and to clients; this is the appending caller's
// alone), and the zero value, Stored, is the common case.
type AppendOutcome uint8

// The outcomes of Store.Append.
const (
	// Stored: the entry was stored, numbered after the room's last entry.
	Stored AppendOutcome = iota
	// StoredFirst: the entry was stored as the first of its room's log: the room held no
	// entry before it (a new room, or one with metadata alone), and it is numbered the seq
	// floor + 1 (1 before any restore). The room may have come into being with it.
	StoredFirst
	// Duplicate: nothing was stored; the entry returned is the one that holds the
	// ClientID, or, for a delete of a tombstone, the delete that made it.
	Duplicate
)

// String names the outcome, for logs and tests.
func (o AppendOutcome) String() string {
	switch o {
	case Stored:
		return "stored"
	case StoredFirst:
		return "stored first"
	case Duplicate:
		return "duplicate"
	}
	return "AppendOutcome(" + strconv.Itoa(int(o)) + ")"
}

// RoomInfo is a room as the Store knows it.
type RoomInfo struct {
	// Name is the room's name.
	Name string
	// LastSeq is the highest Seq ever assigned in the room.
	LastSeq uint64
	// LastActivity is the Time of the room's last entry (the one numbered LastSeq, of any
	// kind), or the zero time if retention has removed it.
	LastActivity time.Time
}

// Restore is a restore from a backup as the store recorded it (Store.SkipSeqs, which hubbub
// restore runs): kept in the store itself, so that every node and every later operator can
// tell that the numbering jumped, by how much, and where new rooms start.
type Restore struct {
	// At is when SkipSeqs ran: the store's clock, UTC, at millisecond precision.
	At time.Time
	// Gap is how far it moved every room's numbering on.
	Gap uint64
	// Floor is the seq floor from then on: a room with no entry numbers its first Floor + 1.
	Floor uint64
	// Rooms is how many rooms it moved: those with entries, by Gap, and those with metadata
	// alone, by the Floor.
	Rooms int64
}

// MaxSeqGap is the largest gap Store.SkipSeqs takes at once: a billion seqs, more than any
// room numbers between two backups.
const MaxSeqGap = 1_000_000_000

// MaxSeq is the highest seq Store.SkipSeqs takes a room or the seq floor to: 2^36 - 1. The
// SQLite store's search index keys a message by its room and seq in one integer, with 36 bits
// for the seq, and does not index messages past it; clients in JavaScript hold seqs as
// numbers, exact to 2^53.
const MaxSeq = 1<<36 - 1

// Retention says which messages a Store may forget. The zero value keeps everything.
type Retention struct {
	// MaxPerRoom keeps only the newest MaxPerRoom messages of each room (0 = no cap).
	MaxPerRoom int
	// MaxAge removes messages older than MaxAge (0 = no age limit).
	MaxAge time.Duration
}

// ErrUnreadable is wrapped by a Store's read error when the stored data itself is damaged (a
// corrupt database file), so that reading again cannot help: the hub then replays what it can
// and marks the replay truncated instead of refusing the room.
var ErrUnreadable = errors.New("stored messages are damaged and cannot be read")

// HealthChecker is implemented by whatever can tell whether its backend answers right now;
// /readyz asks it. Every Store is one (Store.Check). A Broker may be: the in-process broker has
// no backend to lose and is not, and a Broker without it is taken to be healthy while it works.
type HealthChecker interface {
	// Check returns nil if the backend is reachable, or why not.
	Check(ctx context.Context) error
}
