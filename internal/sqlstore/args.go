package sqlstore

import (
	"errors"
	"math"

	"hubbub"
)

// ErrNoRoom is Append's error, wrapped, for an entry without a room.
var ErrNoRoom = errors.New("entry has no room")

// CheckAppend returns why e cannot be appended in any store, or nil. A store may refuse more
// (PostgreSQL's text holds no NUL byte). A change of message 0, or of a seq beyond the
// databases' columns, names no message: ECodeNotFound, before any query.
func CheckAppend(e *hubbub.Entry) error {
	if e.Room == "" {
		return ErrNoRoom
	}
	switch e.Kind {
	case hubbub.KindMessage:
		return CheckAttachments(e)
	case hubbub.KindEdit, hubbub.KindDelete, hubbub.KindReaction:
	case hubbub.KindTopic, hubbub.KindMember:
		return checkRoomChange(e)
	case hubbub.KindSanction:
		return checkSanction(e)
	default:
		return hubbub.Errorf(hubbub.ECodeBadField, "unknown entry kind %q", e.Kind)
	}
	if e.Kind == hubbub.KindReaction && e.Emoji == "" {
		return hubbub.Errorf(hubbub.ECodeBadField, "a reaction needs an emoji")
	}
	if _, ok := SeqArg(e.Target); !ok {
		return noMessage(e.Target)
	}
	return nil
}

// Outcome is hubbub.Store.Append's outcome of an append its store found a duplicate (dup),
// or stored as the first entry of its room's log (first).
func Outcome(dup, first bool) hubbub.AppendOutcome {
	switch {
	case dup:
		return hubbub.Duplicate
	case first:
		return hubbub.StoredFirst
	}
	return hubbub.Stored
}

// Seqs are uint64 in hubbub and signed 64-bit integers in both databases, so no stored seq
// exceeds math.MaxInt64. The functions below turn a method's arguments into its query's, and
// report ok false when no message can match, so that the method answers without a query.

// SinceArgs returns the after of a query for Since(after, limit): messages with a greater
// seq, at most limit.
func SinceArgs(after uint64, limit int) (int64, bool) {
	if limit <= 0 || after >= math.MaxInt64 {
		return 0, false
	}
	return int64(after), true
}

// BeforeArgs returns the before of a query for Before(before, limit): the newest messages
// with a smaller seq, at most limit. before 0 means the newest messages of all.
func BeforeArgs(before uint64, limit int) (int64, bool) {
	if limit <= 0 {
		return 0, false
	}
	if before == 0 || before > math.MaxInt64 {
		return math.MaxInt64, true
	}
	return int64(before), true
}

// NoticesArgs returns the after and upto of a query for Notices(after, upto, limit): the
// notices with after < seq ≤ upto, at most limit; ok false if none can match.
func NoticesArgs(after, upto uint64, limit int) (from, to int64, ok bool) {
	upto = min(upto, math.MaxInt64)
	if limit <= 0 || after >= upto {
		return 0, 0, false
	}
	return int64(after), int64(upto), true
}

// SeqArg returns seq as a query's argument for one message (a target, a parent); ok false if no
// message can have it.
func SeqArg(seq uint64) (int64, bool) {
	if seq == 0 || seq > math.MaxInt64 {
		return 0, false
	}
	return int64(seq), true
}

// RoomsLimit returns the limit of a query for Rooms(after, limit); ok false if limit asks for
// no room, so that the method answers without a query.
func RoomsLimit(limit int) (int, bool) {
	return limit, limit > 0
}

// RepliesArgs returns the parent and after of a query for Replies(parent, after, limit); ok
// false if no message can match.
func RepliesArgs(parent, after uint64, limit int) (p, a int64, ok bool) {
	p, ok = SeqArg(parent)
	if !ok || limit <= 0 || after >= math.MaxInt64 {
		return 0, 0, false
	}
	return p, int64(after), true
}

// RangeArgs returns the bounds of a query for the seqs from ≤ seq ≤ to (ReactedBy), clamped
// to the columns' range; ok false if the range is empty.
func RangeArgs(from, to uint64) (lo, hi int64, ok bool) {
	from = max(from, 1)
	to = min(to, math.MaxInt64)
	if from > to {
		return 0, 0, false
	}
	return int64(from), int64(to), true
}

// checkSanction returns why KindSanction entry e cannot be appended in any store, or nil.
func checkSanction(e *hubbub.Entry) error {
	if e.Subject == "" {
		return hubbub.Errorf(hubbub.ECodeBadField, "a sanction needs a subject")
	}
	switch e.Action {
	case hubbub.SanctionActionBan, hubbub.SanctionActionMute:
		if e.Until.IsZero() {
			return hubbub.Errorf(hubbub.ECodeBadField, "a %s needs its end", e.Action)
		}
		return nil
	case hubbub.SanctionActionUnban, hubbub.SanctionActionUnmute:
		return nil
	}
	return hubbub.Errorf(hubbub.ECodeBadField, "unknown sanction action %q", e.Action)
}
