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
// batch (appendPlain), so a plain message never makes a room: the first entry of a room goes
// through appendOne, whose numbering statement meets rooms_key as every other kind's does, in
// the batch's order, so two spellings in one batch go as they would one after the other.

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
