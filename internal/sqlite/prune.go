package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// prune applies the retention policy in one transaction on the writer's connection.
//
// A room's stored messages are always one contiguous range of seqs ending at last_seq:
// appends add at the top and prune only ever cuts a prefix. That makes both limits a range
// delete on the primary key: MaxPerRoom cuts below last_seq-MaxPerRoom+1, MaxAge cuts below
// the oldest message young enough to keep (found by walking from the oldest, so the cost is
// what gets deleted plus one row). rooms.last_seq is untouched, so seqs are never reused.
func (w *writer) prune(ctx context.Context) (removed int64, err error) {
	if w.ret.MaxPerRoom <= 0 && w.ret.MaxAge <= 0 {
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
		var cut int64 // delete seq < cut
		if n := int64(w.ret.MaxPerRoom); n > 0 && rm.last > n {
			cut = rm.last - n + 1
		}
		if w.ret.MaxAge > 0 {
			keep := rm.last + 1
			err := w.conn.QueryRowContext(ctx, `SELECT seq FROM messages
				WHERE room = ? AND created_ms >= ? ORDER BY seq LIMIT 1`, rm.name, cutoff).Scan(&keep)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return 0, fmt.Errorf("find cut of %q: %w", rm.name, err)
			}
			cut = max(cut, keep)
		}
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
