package postgres

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"
	"unicode/utf8"

	"hubbub"
)

// SetSanction stores s, replacing the sanction of its kind on its room and name; a zero or
// past Until lifts it. It writes directly through the pool (moderation is rare, so it needs
// no group commit). See hubbub.Store.
func (s *Store) SetSanction(ctx context.Context, sn hubbub.Sanction) error {
	if err := s.check(ctx); err != nil {
		return fmt.Errorf("postgres: set sanction: %w", err)
	}
	for _, v := range []string{sn.Room, sn.Name, sn.By, sn.Reason} {
		if !utf8.ValidString(v) || strings.IndexByte(v, 0) >= 0 {
			return fmt.Errorf("postgres: set sanction: a field is not valid UTF-8 without NUL bytes")
		}
	}
	var err error
	if !sn.Active(time.Now()) {
		_, err = s.pool.Exec(ctx, `DELETE FROM sanctions WHERE room = $1 AND name = $2 AND kind = $3`,
			sn.Room, sn.Name, string(sn.Kind))
	} else {
		_, err = s.pool.Exec(ctx, `INSERT INTO sanctions (room, name, kind, until_at, by_name, reason)
			VALUES ($1, $2, $3, $4, $5, $6)
			ON CONFLICT (room, name, kind) DO UPDATE SET until_at = excluded.until_at,
				by_name = excluded.by_name, reason = excluded.reason`,
			sn.Room, sn.Name, string(sn.Kind), msTime(sn.Until.UnixMilli()), sn.By, sn.Reason)
	}
	if err != nil {
		return fmt.Errorf("postgres: set sanction: %w", err)
	}
	return nil
}

// Sanctions returns room's sanctions still in force. See hubbub.Store.
func (s *Store) Sanctions(ctx context.Context, room string) ([]hubbub.Sanction, error) {
	if err := s.check(ctx); err != nil {
		return nil, fmt.Errorf("postgres: sanctions: %w", err)
	}
	rows, err := s.pool.Query(ctx, `SELECT name, kind, until_at, by_name, reason FROM sanctions
		WHERE room = $1 AND until_at > $2 ORDER BY name, kind`, room, time.Now())
	if err != nil {
		return nil, fmt.Errorf("postgres: sanctions: %w", err)
	}
	defer rows.Close()
	var out []hubbub.Sanction
	for rows.Next() {
		sn := hubbub.Sanction{Room: room}
		var kind string
		if err := rows.Scan(&sn.Name, &kind, &sn.Until, &sn.By, &sn.Reason); err != nil {
			return nil, fmt.Errorf("postgres: sanctions: %w", err)
		}
		sn.Kind, sn.Until = hubbub.SanctionKind(kind), sn.Until.UTC()
		out = append(out, sn)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: sanctions: %w", err)
	}
	return out, nil
}

// DeleteMessage turns the message seq of room into a tombstone. See hubbub.Store.
func (s *Store) DeleteMessage(ctx context.Context, room string, seq uint64) (bool, error) {
	if err := s.check(ctx); err != nil {
		return false, fmt.Errorf("postgres: delete message: %w", err)
	}
	if seq == 0 || seq > math.MaxInt64 {
		return false, nil
	}
	tag, err := s.pool.Exec(ctx, `UPDATE messages SET text = '', deleted = true WHERE room = $1 AND seq = $2`,
		room, int64(seq))
	if err != nil {
		return false, fmt.Errorf("postgres: delete message: %w", err)
	}
	return tag.RowsAffected() > 0, nil
}
