package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"time"

	"hubbub"
)

// execFunc is a write that runs on the writer's connection between two batches; it returns
// how many rows it changed.
type execFunc func(ctx context.Context, conn *sql.Conn) (int64, error)

// exec runs fn on the writer, after the batch in progress, in autocommit mode: each statement
// is durable (synchronous=FULL) when it returns.
func (s *Store) exec(ctx context.Context, fn execFunc) (int64, error) {
	if err := s.check(ctx); err != nil {
		return 0, err
	}
	res := s.w.do(ctx, &request{exec: fn, ctx: ctx})
	return res.removed, res.err
}

// SetSanction stores s, replacing the sanction of its kind on its room and name; a zero or
// past Until lifts it. See hubbub.Store.
func (s *Store) SetSanction(ctx context.Context, sn hubbub.Sanction) error {
	_, err := s.exec(ctx, func(ctx context.Context, conn *sql.Conn) (int64, error) {
		if !sn.Active(time.Now()) {
			res, err := conn.ExecContext(ctx, `DELETE FROM sanctions WHERE room = ? AND name = ? AND kind = ?`,
				sn.Room, sn.Name, string(sn.Kind))
			if err != nil {
				return 0, err
			}
			return res.RowsAffected()
		}
		res, err := conn.ExecContext(ctx, `INSERT INTO sanctions (room, name, kind, until_ms, by_name, reason)
			VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (room, name, kind) DO UPDATE SET until_ms = excluded.until_ms,
				by_name = excluded.by_name, reason = excluded.reason`,
			sn.Room, sn.Name, string(sn.Kind), sn.Until.UnixMilli(), sn.By, sn.Reason)
		if err != nil {
			return 0, err
		}
		return res.RowsAffected()
	})
	if err != nil {
		return fmt.Errorf("sqlite: set sanction: %w", err)
	}
	return nil
}

// Sanctions returns room's sanctions still in force. See hubbub.Store.
func (s *Store) Sanctions(ctx context.Context, room string) ([]hubbub.Sanction, error) {
	if err := s.check(ctx); err != nil {
		return nil, fmt.Errorf("sqlite: sanctions: %w", err)
	}
	rows, err := s.rdb.QueryContext(ctx, `SELECT name, kind, until_ms, by_name, reason FROM sanctions
		WHERE room = ? AND until_ms > ? ORDER BY name, kind`, room, time.Now().UnixMilli())
	if err != nil {
		return nil, fmt.Errorf("sqlite: sanctions: %w", err)
	}
	defer rows.Close()
	var out []hubbub.Sanction
	for rows.Next() {
		sn := hubbub.Sanction{Room: room}
		var kind string
		var until int64
		if err := rows.Scan(&sn.Name, &kind, &until, &sn.By, &sn.Reason); err != nil {
			return nil, fmt.Errorf("sqlite: sanctions: %w", err)
		}
		sn.Kind, sn.Until = hubbub.SanctionKind(kind), msTime(until)
		out = append(out, sn)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: sanctions: %w", err)
	}
	return out, nil
}

// DeleteMessage turns the message seq of room into a tombstone. See hubbub.Store.
func (s *Store) DeleteMessage(ctx context.Context, room string, seq uint64) (bool, error) {
	if err := s.check(ctx); err != nil {
		return false, fmt.Errorf("sqlite: delete message: %w", err)
	}
	if seq == 0 || seq > math.MaxInt64 {
		return false, nil
	}
	n, err := s.exec(ctx, func(ctx context.Context, conn *sql.Conn) (int64, error) {
		res, err := conn.ExecContext(ctx, `UPDATE messages SET text = '', deleted = 1 WHERE room = ? AND seq = ?`,
			room, int64(seq))
		if err != nil {
			return 0, err
		}
		return res.RowsAffected()
	})
	if err != nil {
		return false, fmt.Errorf("sqlite: delete message: %w", err)
	}
	return n > 0, nil
}
