package sqlite

import (
	"context"
	"database/sql"
	"errors"

	"hubbub"
	"hubbub/internal/sqlstore"
)

// readStmts are the queries of the read-only pool, prepared once; database/sql prepares each
// again on every connection of the pool as it first uses it there.
type readStmts struct {
	since, before, lastSeq, rooms *sql.Stmt
}

const messageColumns = `seq, id, client_id, sender, text, created_ms, deleted`

func prepareReads(ctx context.Context, db *sql.DB) (readStmts, error) {
	var r readStmts
	var err error
	prep := func(query string) *sql.Stmt {
		if err != nil {
			return nil
		}
		var st *sql.Stmt
		st, err = db.PrepareContext(ctx, query)
		return st
	}
	// Both range scans walk the (room, seq) primary key; Before walks it backwards.
	r.since = prep(`SELECT ` + messageColumns + ` FROM messages WHERE room = ? AND seq > ? ORDER BY seq LIMIT ?`)
	r.before = prep(`SELECT ` + messageColumns + ` FROM messages WHERE room = ? AND seq < ? ORDER BY seq DESC LIMIT ?`)
	r.lastSeq = prep(`SELECT last_seq FROM rooms WHERE name = ?`)
	// A range of the rooms table's primary key (names compare as bytes, SQLite's BINARY
	// collation), and for each room one lookup of its last message by (room, seq).
	r.rooms = prep(`SELECT r.name, r.last_seq, m.created_ms FROM rooms r
		LEFT JOIN messages m ON m.room = r.name AND m.seq = r.last_seq
		WHERE r.name > ? AND r.last_seq > 0 ORDER BY r.name LIMIT ?`)
	if err != nil {
		_ = r.close()
		return readStmts{}, err
	}
	return r, nil
}

func (r readStmts) close() error {
	var errs []error
	for _, st := range []*sql.Stmt{r.since, r.before, r.lastSeq, r.rooms} {
		if st != nil {
			errs = append(errs, st.Close())
		}
	}
	return errors.Join(errs...)
}

// readMessages runs st, a range scan of room (since or before) from seq, and returns its
// messages oldest first; newestFirst says that st walks the room backwards.
func (s *Store) readMessages(ctx context.Context, st *sql.Stmt, room string, seq int64, limit int, newestFirst bool) ([]hubbub.Entry, error) {
	rows, err := st.QueryContext(ctx, room, seq, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return sqlstore.ReadMessages(rows, room, limit, newestFirst, scanMessage)
}

// scanMessage reads a row of messageColumns into m. Times are stored as Unix milliseconds.
func scanMessage(rows *sql.Rows, m *hubbub.Entry) error {
	var seq, ms int64
	if err := rows.Scan(&seq, &m.ID, &m.ClientID, &m.From, &m.Text, &ms, &m.Deleted); err != nil {
		return err
	}
	m.Seq, m.Time = uint64(seq), sqlstore.MsTime(ms)
	return nil
}

// Rooms returns up to limit rooms named after after, in byte order. See hubbub.Store.
func (s *Store) Rooms(ctx context.Context, after string, limit int) ([]hubbub.RoomInfo, error) {
	if err := s.guard.Begin(ctx, sqlstore.OpRooms); err != nil {
		return nil, err
	}
	limit, ok := sqlstore.RoomsLimit(limit)
	if !ok {
		return nil, nil
	}
	rows, err := s.reads.rooms.QueryContext(ctx, after, limit)
	if err != nil {
		return nil, s.guard.Wrap(sqlstore.OpRooms, err)
	}
	defer rows.Close()
	var out []hubbub.RoomInfo
	for rows.Next() {
		var ri hubbub.RoomInfo
		var seq int64
		var ms sql.NullInt64 // NULL once retention removed the last message
		if err := rows.Scan(&ri.Name, &seq, &ms); err != nil {
			return nil, s.guard.Wrap(sqlstore.OpRooms, err)
		}
		ri.LastSeq = uint64(seq)
		if ms.Valid {
			ri.LastActivity = sqlstore.MsTime(ms.Int64)
		}
		out = append(out, ri)
	}
	if err := rows.Err(); err != nil {
		return nil, s.guard.Wrap(sqlstore.OpRooms, err)
	}
	return out, nil
}
