package sqlite

import (
	"context"

	"hubbub"
	"hubbub/internal/sqlstore"
)

// Generations reads the counts the triggers of migrations/0014_generations.sql move. See
// hubbub.Generations.
func (s *Store) Generations(ctx context.Context) (hubbub.Generations, error) {
	return sqlstore.Read(ctx, &s.guard, sqlstore.OpGenerations, func() (hubbub.Generations, error) {
		rows, err := s.reads.generations.QueryContext(ctx)
		if err != nil {
			return hubbub.Generations{}, unreadable(err)
		}
		defer rows.Close()
		g, err := sqlstore.ReadGenerations(rows)
		return g, unreadable(err)
	})
}
