package postgres

import (
	"context"

	"hubbub"
	"hubbub/internal/sqlstore"
)

// Generations reads the counts the triggers of migrations/0014_generations.sql move. See
// hubbub.Generations.
func (s *Store) Generations(ctx context.Context) (hubbub.Generations, error) {
	return sqlstore.Read(ctx, &s.guard, sqlstore.OpGenerations, func() (hubbub.Generations, error) {
		rows, err := s.pool.Query(ctx, sqlstore.GenerationsSQL)
		if err != nil {
			return hubbub.Generations{}, err
		}
		defer rows.Close()
		return sqlstore.ReadGenerations(rows)
	})
}
