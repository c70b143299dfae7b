package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"hubbub"
	"hubbub/internal/sqlstore"
)

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

// SanctionsPage returns a page of room's sanctions still in force, by user id. See
// hubbub.Store. user_id is COLLATE "C" (0005_people), so its comparison and order are bytes
// whatever the database's collation, and the primary key (room, user_id, kind) serves the
// page as one range.
func (s *Store) SanctionsPage(ctx context.Context, room, after string, limit int) ([]hubbub.Sanction, error) {
	return sqlstore.Read(ctx, &s.guard, sqlstore.OpSanctionsPage, func() ([]hubbub.Sanction, error) {
		if limit <= 0 {
			return nil, nil
		}
		rows, err := s.pool.Query(ctx, `SELECT user_id, name, kind, until_at, by_name, reason FROM sanctions
			WHERE room = $1 AND user_id > $2 AND until_at > $3 ORDER BY user_id, kind LIMIT $4`,
			room, after, time.Now(), limit)
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
