package postgres

import (
	"errors"

	"github.com/jackc/pgx/v5/pgconn"

	"hubbub"
)

// A room name's key holds one room (hubbub.RoomStore). rooms.room_key is the lowered name of
// each row that is a room and no twin, NULL otherwise, under a unique index
// (migrations/0020_room_key.sql). Whatever locks a room's row to write it (lockRoom,
// lockRoomMeta) reads, for a row that is no room yet, the room that holds the name's key
// (keyHolderOfNew): an append, CreateRoom or JoinRoom that would make a second room of the key
// is refused room_case naming it before anything is written. That read sees what was
// committed when it ran: two transactions making rooms of one key at once (two nodes, or two
// writers of one node) both pass it, and the index refuses the second's row once the first
// commits (unique_violation on rooms_key). The second then runs again, and its lock finds the
// first: the batch writer retries (retryable), CreateRoom and JoinRoom try once more
// (roomKeyRetries).

// keyHolderOfNew, in the RETURNING of a statement that locks the row of room $1, is the room
// holding $1's key when the row is no room yet (nothing numbered, no metadata), else the empty string. Its
// subquery runs only then: the hot path of an existing room's append pays nothing.
const keyHolderOfNew = `CASE WHEN rooms.last_seq = 0 AND rooms.created IS NULL
		THEN coalesce((SELECT o.name FROM rooms o WHERE o.room_key = lower($1)), '') ELSE '' END`

// seqFloorOfNew, in the RETURNING of a statement that locks a room's row, is the seq floor in
// force (hubbub.Store.SkipSeqs; migrations/0022_restores.sql) when the room has no entry yet,
// whose first entry plan.take numbers floor + 1; else 0. As keyHolderOfNew's, its subquery
// runs only then (an InitPlan, evaluated when the CASE first reaches it), and every node reads
// the floor the database holds.
const seqFloorOfNew = `CASE WHEN rooms.last_seq = 0 THEN (SELECT coalesce(max(floor), 0) FROM restores) ELSE 0 END`

// roomKeyRetries is how often CreateRoom and JoinRoom run again after rooms_key refused the
// room they made: once finds the room another transaction made meanwhile; more covers a
// third spelling arriving in between.
const roomKeyRetries = 3

// isRoomKeyConflict reports whether err is rooms_key refusing a room of a key another room
// holds.
func isRoomKeyConflict(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505" && pe.ConstraintName == "rooms_key"
}

// roomKeys decides, in one batch, the appends to rooms that were no room when the batch
// locked them: one whose key a stored room holds is refused room_case naming that room
// (lockRoom read it), and of several such new rooms sharing a key, the first to take an entry
// in the batch's order takes the key and the others are refused naming it, as they would be
// by a later batch.
type roomKeys struct {
	isNew   map[string]bool   // the batch's rooms that were no room when locked
	holders map[string]string // of those, each one's key holder, if a stored room holds the key
	claims  map[string]string // the keys the batch's new rooms took, by the room that took each
}

// locked records what lockRoom read of room: whether it is a room, and its key's holder.
func (k *roomKeys) locked(room string, isRoom bool, holder string) {
	if isRoom {
		return
	}
	if k.isNew == nil {
		k.isNew = map[string]bool{}
	}
	k.isNew[room] = true
	if holder != "" {
		if k.holders == nil {
			k.holders = map[string]string{}
		}
		k.holders[room] = holder
	}
}

// refusal returns why an append to room may not make it, or nil.
func (k *roomKeys) refusal(room string) error {
	if !k.isNew[room] {
		return nil
	}
	if holder := k.holders[room]; holder != "" {
		return hubbub.RoomCase(room, holder)
	}
	if by, ok := k.claims[hubbub.RoomKey(room)]; ok && by != room {
		return hubbub.RoomCase(room, by)
	}
	return nil
}

// applied records the outcome of an append to room: a new entry makes a new room a room, and
// its key the room's.
func (k *roomKeys) applied(room string, res result) {
	if !k.isNew[room] || res.err != nil || res.dup {
		return
	}
	if k.claims == nil {
		k.claims = map[string]string{}
	}
	k.claims[hubbub.RoomKey(room)] = room
}

// unmade returns the batch's rooms that were no room when locked and took no entry: every
// append to them was refused (room_case, or a change of something a new room does not hold).
// Their rows are lockRoom's, made only to lock them, which the batch deletes again
// (deleteUnmade) rather than leave behind one per name ever refused.
func (k *roomKeys) unmade() []string {
	var out []string
	for room := range k.isNew {
		if k.claims[hubbub.RoomKey(room)] != room {
			out = append(out, room)
		}
	}
	return out
}
