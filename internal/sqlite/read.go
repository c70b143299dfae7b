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
	since, before, lastSeq *sql.Stmt
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
	if err != nil {
		_ = r.close()
		return readStmts{}, err
	}
	return r, nil
}

func (r readStmts) close() error {
	var errs []error
	for _, st := range []*sql.Stmt{r.since, r.before, r.lastSeq} {
		if st != nil {
			errs = append(errs, st.Close())
		}
	}
	return errors.Join(errs...)
}

// readMessages runs st, a range scan of room (since or before) from seq, and returns its
// messages oldest first; newestFirst says that st walks the room backwards.
func (s *Store) readMessages(ctx context.Context, st *sql.Stmt, room string, seq int64, limit int, newestFirst bool) ([]hubbub.Message, error) {
	rows, err := st.QueryContext(ctx, room, seq, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return sqlstore.ReadMessages(rows, room, limit, newestFirst, scanMessage)
}

// scanMessage reads a row of messageColumns into m. Times are stored as Unix milliseconds.
func scanMessage(rows *sql.Rows, m *hubbub.Message) error {
	var seq, ms int64
	if err := rows.Scan(&seq, &m.ID, &m.ClientID, &m.From, &m.Text, &ms, &m.Deleted); err != nil {
		return err
	}
	m.Seq, m.Time = uint64(seq), sqlstore.MsTime(ms)
	return nil
}
