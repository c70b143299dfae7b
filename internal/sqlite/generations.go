package sqlite

import (
	"context"

	"hubbub"
	"hubbub/internal/sqlstore"
)

// Generations reads the counts the triggers of migrations/0014_generations.sql move. See
// hubbub.Generations.
func (s *Store) Generations(ctx context.Context) (hubbub.Generations, error) {
	if err := s.guard.Begin(ctx, sqlstore.OpGenerations); err != nil {
		return hubbub.Generations{}, err
	}
	g, err := s.generations(ctx)
	if err != nil {
		return hubbub.Generations{}, s.guard.Wrap(sqlstore.OpGenerations, unreadable(err))
	}
	return g, nil
}

func (s *Store) generations(ctx context.Context) (hubbub.Generations, error) {
	rows, err := s.reads.generations.QueryContext(ctx)
	if err != nil {
		return hubbub.Generations{}, err
	}
	defer rows.Close()
	return sqlstore.ReadGenerations(rows)
}
