package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"

	"hubbub"
)

// The search index's writes (migration 0013): after a batch's appends, in its transaction,
// the writer gives each room appended to a number, indexes the room's messages after its
// search_rooms.indexed, all in one statement sorted by rowid (FTS5 then keeps them in memory
// and writes one segment at the commit), and moves indexed on. ?1 is a JSON array of rooms.
const (
	searchNewRoomsSQL = `INSERT INTO search_rooms (room, num, indexed)
		SELECT value, coalesce((SELECT max(num) FROM search_rooms), 0) + row_number() OVER (ORDER BY value), 0
		FROM json_each(?1) WHERE value NOT IN (SELECT room FROM search_rooms)`
	searchIndexSQL = `INSERT INTO search_fts (rowid, body)
		SELECT r.num * 68719476736 + m.seq, hubbub_search_text(m.text)
		FROM search_rooms r JOIN messages m ON m.room = r.room AND m.seq > r.indexed AND m.seq < 68719476736
		WHERE r.room IN (SELECT value FROM json_each(?1)) AND m.deleted = 0
		ORDER BY 1`
	searchIndexedSQL = `UPDATE search_rooms SET indexed = coalesce((SELECT max(seq) FROM messages
		WHERE messages.room = search_rooms.room AND messages.seq < 68719476736), indexed)
		WHERE room IN (SELECT value FROM json_each(?1))`
	// The rooms with messages the index does not hold yet: none, unless something other
	// than the writer inserted messages (a test, a tool, an import).
	searchBehindSQL = `SELECT name FROM rooms WHERE NOT EXISTS (SELECT 1 FROM search_rooms WHERE room = name)
			AND EXISTS (SELECT 1 FROM messages WHERE room = name AND seq < 68719476736)
		UNION ALL
		SELECT room FROM search_rooms r
		WHERE EXISTS (SELECT 1 FROM messages m WHERE m.room = r.room AND m.seq > r.indexed AND m.seq < 68719476736)`
)

// searchIndexStmts are the writer's prepared statements of the search index.
type searchIndexStmts struct {
	newRooms, index, indexed *sql.Stmt
}

// indexRooms indexes the messages of rooms that the index does not hold yet, in the open
// transaction. A failure leaves the transaction to be rolled back.
func (st searchIndexStmts) indexRooms(ctx context.Context, rooms []string) error {
	js, err := json.Marshal(rooms)
	if err != nil {
		return err
	}
	for _, s := range []*sql.Stmt{st.newRooms, st.index, st.indexed} {
		if _, err := s.ExecContext(ctx, string(js)); err != nil {
			return fmt.Errorf("search index: %w", err)
		}
	}
	return nil
}

// appendedRooms returns the rooms, each once, of the messages that reqs stored.
func appendedRooms(reqs []*request) []string {
	var rooms []string
	for _, r := range reqs {
		if r.batch == nil && r.res.err == nil && !r.res.dup && r.res.msg.Kind == hubbub.KindMessage {
			rooms = append(rooms, r.res.msg.Room)
		}
	}
	slices.Sort(rooms)
	return slices.Compact(rooms)
}

// catchUpSearch indexes, in one transaction on conn, the messages of every room that the
// index does not hold: none when only the store wrote the file. It runs at Open, so that
// messages inserted by something else are found from then on.
func catchUpSearch(ctx context.Context, conn *sql.Conn) (err error) {
	var rooms []string
	rows, err := conn.QueryContext(ctx, searchBehindSQL)
	if err != nil {
		return fmt.Errorf("search index: %w", err)
	}
	for rows.Next() {
		var r string
		if err := rows.Scan(&r); err != nil {
			rows.Close()
			return err
		}
		rooms = append(rooms, r)
	}
	if err := rows.Close(); err != nil {
		return fmt.Errorf("search index: %w", err)
	}
	if len(rooms) == 0 {
		return nil
	}
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_, _ = conn.ExecContext(context.Background(), "ROLLBACK")
		}
	}()
	js, err := json.Marshal(rooms)
	if err != nil {
		return err
	}
	for _, q := range []string{searchNewRoomsSQL, searchIndexSQL, searchIndexedSQL} {
		if _, err := conn.ExecContext(ctx, q, string(js)); err != nil {
			return fmt.Errorf("search index: %w", err)
		}
	}
	_, err = conn.ExecContext(ctx, "COMMIT")
	return err
}
