package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"hubbub/internal/sqlstore"
)

// prune applies the retention policy in one transaction on the writer's connection: for each
// room, it finds the cut (sqlstore.Cut) and deletes the seqs below it, a range of the primary
// key. The oldest message young enough to keep is found by walking the room from its oldest
// message. rooms.last_seq is untouched, so seqs are never reused.
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
		firstYoung := rm.last + 1
		if w.ret.MaxAge > 0 {
			err := w.conn.QueryRowContext(ctx, `SELECT seq FROM messages
				WHERE room = ? AND created_ms >= ? ORDER BY seq LIMIT 1`, rm.name, cutoff).Scan(&firstYoung)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return 0, fmt.Errorf("find cut of %q: %w", rm.name, err)
			}
		}
		cut := sqlstore.Cut(w.ret, rm.last, firstYoung) // delete seq < cut
		if cut <= 1 {
			continue
		}
		res, err := w.conn.ExecContext(ctx, `DELETE FROM messages WHERE room = ? AND seq < ?`, rm.name, cut)
		if err != nil {
			return 0, fmt.Errorf("delete from %q: %w", rm.name, err)
		}
		n, _ := res.RowsAffected()
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

type roomSeq struct {
	name string
	last int64
}

// roomSeqs lists every room with its last seq. It reads them all before deleting anything,
// so no statement is left open across the deletes.
func (w *writer) roomSeqs(ctx context.Context) ([]roomSeq, error) {
	rows, err := w.conn.QueryContext(ctx, `SELECT name, last_seq FROM rooms`)
	if err != nil {
		return nil, fmt.Errorf("list rooms: %w", err)
	}
	defer rows.Close()
	var rooms []roomSeq
	for rows.Next() {
		var r roomSeq
		if err := rows.Scan(&r.name, &r.last); err != nil {
			return nil, fmt.Errorf("list rooms: %w", err)
		}
		rooms = append(rooms, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list rooms: %w", err)
	}
	return rooms, nil
}
