package hubbub

import (
	"context"
	"time"
)

// SanctionKind is what a Sanction forbids.
type SanctionKind string

// The sanctions a moderator can put on a name in a room.
const (
	// SanctionBan keeps the name out of the room: it is kicked, and joins and sends are refused.
	SanctionBan SanctionKind = "ban"
	// SanctionMute lets the name stay and read, but refuses its sends.
	SanctionMute SanctionKind = "mute"
)

// Roles a member may have (from a token). An empty role means RoleMember.
const (
	RoleAdmin     = "admin"
	RoleModerator = "moderator"
	RoleMember    = "member"
)

// CanModerate reports whether role may kick, ban, mute and delete in any room.
func CanModerate(role string) bool { return role == RoleAdmin || role == RoleModerator }

// Sanction is a timed ban or mute of a name in a room.
type Sanction struct {
	Room string       `json:"room"`
	Name string       `json:"name"`
	Kind SanctionKind `json:"kind"`
	// Until is when the sanction ends (UTC). A zero or past Until lifts it.
	Until time.Time `json:"until"`
	// By is who imposed it (a moderator's name, or "api"), for the record.
	By string `json:"by,omitempty"`
	// Reason is the moderator's explanation, if any.
	Reason string `json:"reason,omitempty"`
}

// Active reports whether s is in force at now.
func (s Sanction) Active(now time.Time) bool { return s.Until.After(now) }

// Moderation is implemented by the Stores that keep moderation state, so that bans and mutes
// hold on every node and survive a restart, and deleted messages stay deleted.
//
// Contract, which internal/storetest checks on every implementation:
//   - SetSanction replaces any sanction of the same Kind on the same Room and Name; a zero or
//     past Until removes it.
//   - Sanctions returns the sanctions of room still in force now (Until in the future), each
//     with Until at millisecond precision, UTC.
//   - DeleteMessage empties the text of the message with that seq and marks it Deleted, so
//     that Since and Before return it with Deleted true and Text "". It reports found false if
//     no such message is stored; deleting twice is not an error. Append of a duplicate ClientID
//     returns the tombstone. The seq stays taken.
//   - All methods are safe for concurrent use, honour ctx, and fail after Close.
type Moderation interface {
	// SetSanction stores, replaces or (with a zero or past Until) lifts a ban or mute.
	SetSanction(ctx context.Context, s Sanction) error
	// Sanctions returns the sanctions of room in force now.
	Sanctions(ctx context.Context, room string) ([]Sanction, error)
	// DeleteMessage turns message seq of room into a tombstone.
	DeleteMessage(ctx context.Context, room string, seq uint64) (found bool, err error)
}
