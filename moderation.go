package hubbub

import "time"

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

// Sanction is a timed ban or mute of a user in a room. It is keyed by User (the user id), so
// it follows the user across a change of name; Name is the name they had, for display.
type Sanction struct {
	Room string `json:"room"`
	// User is the sanctioned user's id. Sanctions stored before users existed carry their
	// name here.
	User string       `json:"user"`
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
