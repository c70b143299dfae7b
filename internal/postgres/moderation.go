package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"hubbub"
	"hubbub/internal/sqlstore"
)

// SetSanction stores s, replacing the sanction of its kind on its room and user (its name if
// it has no user id, as sanctions before users); a zero or past Until lifts it. It writes directly through the pool (moderation is rare, so it needs
// no group commit). See hubbub.Store.
func (s *Store) SetSanction(ctx context.Context, sn hubbub.Sanction) error {
	if err := s.guard.Begin(ctx, sqlstore.OpSetSanction); err != nil {
		return err
	}
	if sn.User == "" {
		sn.User = sn.Name
	}
	for _, v := range []string{sn.Room, sn.User, sn.Name, sn.By, sn.Reason} {
		if !textFits(v) {
			return s.guard.Wrap(sqlstore.OpSetSanction, errors.New("a field is not valid UTF-8 without NUL bytes"))
		}
	}
	var err error
	if !sn.Active(time.Now()) {
		_, err = s.pool.Exec(ctx, `DELETE FROM sanctions WHERE room = $1 AND user_id = $2 AND kind = $3`,
			sn.Room, sn.User, string(sn.Kind))
	} else {
		_, err = s.pool.Exec(ctx, `INSERT INTO sanctions (room, user_id, name, kind, until_at, by_name, reason)
			VALUES ($1, $2, $3, $4, $5, $6, $7)
			ON CONFLICT (room, user_id, kind) DO UPDATE SET name = excluded.name, until_at = excluded.until_at,
				by_name = excluded.by_name, reason = excluded.reason`,
			sn.Room, sn.User, sn.Name, string(sn.Kind), sqlstore.MsTime(sn.Until.UnixMilli()), sn.By, sn.Reason)
	}
	return s.guard.Wrap(sqlstore.OpSetSanction, err)
}

// Sanctions returns room's sanctions still in force. See hubbub.Store.
func (s *Store) Sanctions(ctx context.Context, room string) ([]hubbub.Sanction, error) {
	return sqlstore.Read(ctx, &s.guard, sqlstore.OpSanctions, func() ([]hubbub.Sanction, error) {
		rows, err := s.pool.Query(ctx, `SELECT user_id, name, kind, until_at, by_name, reason FROM sanctions
			WHERE room = $1 AND until_at > $2 ORDER BY name, kind`, room, time.Now())
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		return sqlstore.ReadSanctions(rows, room, scanSanction)
	})
}

// scanSanction reads a row of the sanctions table (but its room) into sn.
func scanSanction(rows pgx.Rows, sn *hubbub.Sanction) error {
	var kind string
	if err := rows.Scan(&sn.User, &sn.Name, &kind, &sn.Until, &sn.By, &sn.Reason); err != nil {
		return err
	}
	sn.Kind, sn.Until = hubbub.SanctionKind(kind), sn.Until.UTC()
	return nil
}
