package hubbub

import (
	"context"
	"errors"
	"time"
)

// Store keeps the history of every room, owns the numbering of its messages, and keeps the
// moderation state that must outlive a process and hold on every node (bans, mutes, deleted
// messages). Every store does all of it: the hub calls these methods directly and no method
// is optional.
//
// Contract, which internal/storetest checks on every implementation:
//   - Append makes the message durable before it returns: after a nil error the message
//     survives a crash of the process (kill -9) and of the store's own connection.
//   - Append assigns Seq = (highest Seq ever stored in the room) + 1, with no gap and no repeat,
//     even when many goroutines (or nodes, for a shared store) append to one room at once.
//     Seqs are never reused, not even after retention removed the messages.
//   - Append assigns ID (unique) and Time (the store's clock, UTC, millisecond precision).
//   - If m.ClientID is not empty and a message with the same Room, From and ClientID is already
//     stored, Append stores nothing and returns that message with duplicate set to true.
//   - Since and Before return messages in ascending Seq order and at most limit of them.
//   - SetSanction replaces any sanction of the same Kind on the same Room and Name; a zero or
//     past Until removes it.
//   - Sanctions returns the sanctions of room still in force now (Until in the future), each
//     with Until at millisecond precision, UTC.
//   - DeleteMessage empties the text of the message with that seq and marks it Deleted, so
//     that Since and Before return it with Deleted true and Text "". It reports found false if
//     no such message is stored; deleting twice is not an error, and the second call (or every
//     call but one of several at once) reports already true, so that only one caller tells
//     the members. Append of a duplicate ClientID returns the tombstone. The seq stays taken.
//   - Rooms lists the rooms that hold or held a message, in ascending byte order of their
//     names, those after the cursor only, at most limit of them, each with LastSeq and
//     LastActivity (the Time of the message numbered LastSeq, zero once retention removed it).
//   - Check returns nil while the store answers, and an error once it is closed.
//   - All methods are safe for concurrent use, honour ctx, and fail after Close.
type Store interface {
	// Append stores m (Room, From, Text and optionally ClientID are read) and returns the
	// stored message with Seq, ID and Time filled in.
	Append(ctx context.Context, m Message) (stored Message, duplicate bool, err error)
	// Since returns up to limit messages of room with Seq > after, oldest first.
	Since(ctx context.Context, room string, after uint64, limit int) ([]Message, error)
	// Before returns the up to limit newest messages of room with Seq < before, oldest first.
	// before == 0 means "the newest messages".
	Before(ctx context.Context, room string, before uint64, limit int) ([]Message, error)
	// LastSeq returns the highest Seq ever assigned in room, or 0 if the room has none.
	LastSeq(ctx context.Context, room string) (uint64, error)
	// Prune applies the retention policy the store was opened with and returns how many
	// messages it removed. The server calls it periodically; Append may also prune.
	Prune(ctx context.Context) (removed int64, err error)

	// SetSanction stores, replaces or (with a zero or past Until) lifts a ban or mute, so
	// that it holds on every node and after a restart.
	SetSanction(ctx context.Context, s Sanction) error
	// Sanctions returns the sanctions of room in force now.
	Sanctions(ctx context.Context, room string) ([]Sanction, error)
	// DeleteMessage turns message seq of room into a tombstone. found is false if room has no
	// message seq; already is true if it was a tombstone before this call, which changed
	// nothing.
	DeleteMessage(ctx context.Context, room string, seq uint64) (found, already bool, err error)

	// Rooms returns up to limit rooms with a name greater than after ("" = from the first),
	// in ascending byte order of names: every room a message was ever appended to, on every
	// node sharing the store. It reads an index, never the messages of every room.
	Rooms(ctx context.Context, after string, limit int) ([]RoomInfo, error)

	// Check reports whether the store can serve requests right now (for /readyz): nil, or
	// why not. A Store is therefore always a HealthChecker.
	Check(ctx context.Context) error
	// Close releases the store's resources. Calls after Close fail.
	Close() error
}

// RoomInfo is a room as the Store knows it.
type RoomInfo struct {
	// Name is the room's name.
	Name string
	// LastSeq is the highest Seq ever assigned in the room.
	LastSeq uint64
	// LastActivity is the Time of the room's last message (the one numbered LastSeq, deleted
	// or not), or the zero time if retention has removed it.
	LastActivity time.Time
}

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
