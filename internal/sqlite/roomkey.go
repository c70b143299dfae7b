package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"hubbub"
)

// A room name's key holds one room (hubbub.RoomStore): rooms_key, a unique index on the
// lowered names of the rooms that are not twins (migrations/0019_room_key.sql), refuses the
// row of a room whose key another room holds. Whatever gives a room its row meets it: an
// entry's numbering (messageSeq, entrySeq) and CreateRoom's and JoinRoom's ensureRoom, each
// a statement whose failure undoes that statement alone, which roomKeyTaken then turns into
// the room_case refusal naming the room that holds the key. The writer holds the file's write
// lock for its whole transaction, so the refusal it reads is the truth until it commits.
//
// A plain message's numbering comes after its row is in, where a failure would cost the whole
// batch (appendPlain), and a group of them is numbered by one statement at the end
// (appendPlains): so a plain message to a room with no row asks first (newRoom), and a group
// claims each new room's key for itself, so that two spellings in one batch go as they would
// one after the other.

// keyRefusal returns the refusal of room, a room with no row yet, when another room holds its
// key; nil when none does; or the error of the read.
func (w *writer) keyRefusal(ctx context.Context, room string) error {
	var holder string
	err := w.stmts.keyHolder.QueryRowContext(ctx, hubbub.RoomKey(room)).Scan(&holder)
	switch {
	case errors.Is(err, sql.ErrNoRows), err == nil && holder == room:
		return nil
	case err != nil:
		return fmt.Errorf("read the room's key: %w", err)
	}
	return hubbub.RoomCase(room, holder)
}

// newRoom checks that room, which has no row yet, may be made: that neither a stored room nor
// another room new in the same group (claims: each key a group of plain messages took, by the
// name that took it; nil outside a group) holds its key. It records room's claim, and returns
// the refusal, or the error of the read.
func (w *writer) newRoom(ctx context.Context, room string, claims map[string]string) error {
	key := hubbub.RoomKey(room)
	if by, ok := claims[key]; ok && by != room {
		return hubbub.RoomCase(room, by)
	}
	if err := w.keyRefusal(ctx, room); err != nil {
		return err
	}
	if claims != nil {
		claims[key] = room
	}
	return nil
}

// roomKeyTaken returns err, the failure of a statement that may have added room's row, as the
// room_case refusal when rooms_key refused the row; any other failure as it is.
func (w *writer) roomKeyTaken(ctx context.Context, room string, err error) error {
	if !isRoomKeyConflict(err) {
		return err
	}
	if refused := w.keyRefusal(ctx, room); refused != nil {
		return refused
	}
	return err
}

// isRoomKeyConflict reports whether err is rooms_key refusing a row.
func isRoomKeyConflict(err error) bool {
	var coded interface{ Code() int }
	return errors.As(err, &coded) && coded.Code() == sqliteConstraintUnique && strings.Contains(err.Error(), "rooms_key")
}

// isRefusal reports whether err is a refusal (a *hubbub.Error) rather than a failure.
func isRefusal(err error) bool {
	var refused *hubbub.Error
	return errors.As(err, &refused)
}
