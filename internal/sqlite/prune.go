package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"hubbub/internal/sqlstore"
)

// prune applies the retention policy in one transaction on the writer's connection: for each
// room, it finds the cut (sqlstore.LogCut) and deletes below it, ranges of primary keys: the
// messages, their reactions, the entries older than the cut, and the entries newer than it
// that change a message it deletes (a range of entries_target). The oldest message young
// enough to keep is found by walking the room from its oldest message, the oldest message
// MaxPerRoom keeps by skipping the ones it deletes (the room holds last_seq - other_seqs
// messages: migration 0004), so a prune costs
// what it deletes plus a row or two per room. rooms.last_seq is untouched, so seqs are never
// reused.
func (w *writer) prune(ctx context.Context) (removed int64, err error) {
	if sqlstore.KeepsAll(w.ret) {
		return 0, nil
	}
	if _, err := w.conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		return 0, fmt.Errorf("begin: %w", err)
	}
	defer func() {
		if err != nil {
			_, _ = w.stmts.rollback.ExecContext(context.Background())
		}
	}()
	rooms, err := w.roomSeqs(ctx)
	if err != nil {
		return 0, err
	}
	cutoff := w.now().Add(-w.ret.MaxAge).UnixMilli()
	for _, rm := range rooms {
		var firstKept int64
		if skip := sqlstore.Excess(w.ret, rm.kept); skip > 0 {
			err := w.conn.QueryRowContext(ctx, `SELECT seq FROM messages WHERE room = ? ORDER BY seq LIMIT 1 OFFSET ?`,
				rm.name, skip).Scan(&firstKept)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return 0, fmt.Errorf("find cut of %q: %w", rm.name, err)
			}
		}
		firstYoung := rm.last + 1
		if w.ret.MaxAge > 0 {
			err := w.conn.QueryRowContext(ctx, `SELECT seq FROM messages
				WHERE room = ? AND created_ms >= ? ORDER BY seq LIMIT 1`, rm.name, cutoff).Scan(&firstYoung)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return 0, fmt.Errorf("find cut of %q: %w", rm.name, err)
			}
		}
		cut := sqlstore.LogCut(w.ret, firstKept, firstYoung) // delete seq < cut
		if cut <= 1 {
			continue
		}
		n, err := w.cut(ctx, rm.name, cut)
		if err != nil {
			return 0, fmt.Errorf("delete from %q: %w", rm.name, err)
		}
		removed += n
	}
	if _, err := w.stmts.commit.ExecContext(ctx); err != nil {
		return 0, fmt.Errorf("commit: %w", err)
	}
	if removed > 0 {
		w.log.Info("sqlite: pruned messages", "removed", removed, "rooms", len(rooms))
	}
	return removed, nil
}

// cut deletes what room holds below seq cut, and the entries changing the messages it
// deletes, and returns how many messages went.
func (w *writer) cut(ctx context.Context, room string, cut int64) (int64, error) {
	res, err := w.conn.ExecContext(ctx, `DELETE FROM messages WHERE room = ? AND seq < ?`, room, cut)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, err
	}
	for _, q := range []string{
		`DELETE FROM entries WHERE room = ? AND seq < ?`,
		`DELETE FROM entries WHERE room = ? AND target < ?`,
		`DELETE FROM reactions WHERE room = ? AND seq < ?`,
		`DELETE FROM mentions WHERE room = ? AND seq < ?`,
		// The files of the messages it deletes become collectable (files_message).
		`UPDATE files SET gone = 1 WHERE room = ? AND seq > 0 AND seq < ? AND gone = 0`,
	} {
		if _, err := w.conn.ExecContext(ctx, q, room, cut); err != nil {
			return 0, err
		}
	}
	_, err = w.conn.ExecContext(ctx, `UPDATE rooms SET other_seqs = other_seqs + ? WHERE name = ?`, n, room)
	return n, err
}

type roomSeq struct {
	name       string
	last, kept int64
}

// roomSeqs lists every room with its last seq and how many messages it holds. It reads them
// all before deleting anything, so no statement is left open across the deletes.
func (w *writer) roomSeqs(ctx context.Context) ([]roomSeq, error) {
	rows, err := w.conn.QueryContext(ctx, `SELECT name, last_seq, last_seq - other_seqs FROM rooms`)
	if err != nil {
		return nil, fmt.Errorf("list rooms: %w", err)
	}
	defer rows.Close()
	var rooms []roomSeq
	for rows.Next() {
		var r roomSeq
		if err := rows.Scan(&r.name, &r.last, &r.kept); err != nil {
			return nil, fmt.Errorf("list rooms: %w", err)
		}
		rooms = append(rooms, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list rooms: %w", err)
	}
	return rooms, nil
}
