package hubbub

import (
	"context"
	"errors"
	"time"
)

// Store keeps the history of every room and owns the numbering of its messages.
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
//   - All methods are safe for concurrent use and honour ctx.
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
	// Close releases the store's resources. Calls after Close fail.
	Close() error
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

// HealthChecker is implemented by a Store or Broker that can tell whether its backend answers
// right now; /readyz asks it. A dependency without it is taken to be healthy while it works.
type HealthChecker interface {
	// Check returns nil if the backend is reachable, or why not.
	Check(ctx context.Context) error
}
