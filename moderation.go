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

// UntilLifted is the Until of a ban or mute with no end, in force until a moderator lifts
// it: a time that never comes, stored and sent as any other end (so a client that knows no
// better shows "until 31 Dec 9999"), in every store's and browser's range of times.
var UntilLifted = time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)

// IsUntilLifted reports whether until is a sanction's end that never comes (UntilLifted).
func IsUntilLifted(until time.Time) bool { return !until.Before(UntilLifted) }

// UntilText is a sanction's end in a sentence: "until 2026-12-05T15:49:00Z" (RFC 3339, UTC),
// or "until lifted" for one with no end.
func UntilText(until time.Time) string {
	if IsUntilLifted(until) {
		return "until lifted"
	}
	return "until " + until.UTC().Format(time.RFC3339)
}

// Active reports whether s is in force at now.
func (s Sanction) Active(now time.Time) bool { return s.Until.After(now) }

// The actions of a KindSanction entry (Entry.Action): a ban or mute imposed (or its end moved),
// or lifted.
const (
	SanctionActionBan    = "ban"
	SanctionActionMute   = "mute"
	SanctionActionUnban  = "unban"
	SanctionActionUnmute = "unmute"
)

// APIActor is the server API as the actor of the entries it makes (a sanction, an invitation,
// a moderator's delete): their From and their User. The API stamps both; an entry it made
// before it stamped User read back with it all the same, as a Store keeps an entry made
// without a user under its From (the user the migrations gave the rows from before users
// existed). No user's id is "api": ids are "u_…", and "anon:…" for a keyless name.
const APIActor = "api"

// MadeByAPI reports whether the server API made e: its User is APIActor. A client names
// nobody for it ("a server admin"), as nobody in the room is behind it. An entry without a
// user is not the API's by that alone: a DM's joins made by CreateRoom without a creator and
// an entry not read back from a Store have none either, and are nobody's in particular. An
// entry stored before users existed, by a name "api", reads as the API's; no sanction,
// invitation or moderator's delete is one (they became entries after users existed).
func (e *Entry) MadeByAPI() bool { return e.User == APIActor }

// SanctionEntry returns the KindSanction entry that imposes sn, or lifts it if it is not in
// force at now (a zero or past Until), made by from (a name) and user (their id; "" for a
// caller that knows no users, such as the server API): the change a Store makes to the room's
// sanctions when it appends it (Store.Append). sn.By is not kept: the entry's actor is.
func SanctionEntry(sn Sanction, from, user string, now time.Time) Entry {
	e := Entry{Room: sn.Room, Kind: KindSanction, From: from, User: user, Subject: sn.User, SubjectName: sn.Name,
		Action: string(sn.Kind), Text: sn.Reason}
	if e.Subject == "" {
		e.Subject = sn.Name // keyed by its name, as a sanction stored before users existed
	}
	if sn.Active(now) {
		e.Until = sn.Until.UTC().Truncate(time.Millisecond)
	} else {
		e.Action, e.Text = "un"+e.Action, ""
	}
	return e
}

// Sanction returns the sanction KindSanction entry e imposes, or for a lift (unban, unmute)
// the sanction it lifts, with a zero Until; ok is false for an entry of another kind or an
// action hubbub does not know.
func (e *Entry) Sanction() (sn Sanction, ok bool) {
	if e.Kind != KindSanction {
		return Sanction{}, false
	}
	sn = Sanction{Room: e.Room, User: e.Subject, Name: e.SubjectName, By: e.From}
	switch e.Action {
	case SanctionActionBan, SanctionActionMute:
		sn.Kind, sn.Until, sn.Reason = SanctionKind(e.Action), e.Until, e.Text
	case SanctionActionUnban, SanctionActionUnmute:
		sn.Kind = SanctionKind(e.Action[len("un"):])
	default:
		return Sanction{}, false
	}
	return sn, true
}
