package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"slices"

	"hubbub"
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

// scanMessages reads rows of messageColumns from room and closes rows. reverse turns a
// descending scan into the ascending order the contract promises.
func scanMessages(rows *sql.Rows, room string, limit int, reverse bool) ([]hubbub.Message, error) {
	defer rows.Close()
	msgs := make([]hubbub.Message, 0, min(limit, 64))
	for rows.Next() {
		m := hubbub.Message{Room: room}
		var seq, ms int64
		if err := rows.Scan(&seq, &m.ID, &m.ClientID, &m.From, &m.Text, &ms, &m.Deleted); err != nil {
			return nil, err
		}
		m.Seq, m.Time = uint64(seq), msTime(ms)
		msgs = append(msgs, m)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if reverse {
		slices.Reverse(msgs)
	}
	return msgs, nil
}
