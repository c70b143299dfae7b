package storetest_test

import (
	"context"

	"hubbub"
)

// The generations of memStore (hubbub.Generations): moved where the SQL stores' triggers move
// them, under the store's lock.

// usersChanged moves the users' generation. Bug "genusers": a new user does not move it.
func (s *memStore) usersChanged() {
	if s.bug != "genusers" {
		s.gens.Users++
	}
}

func (s *memStore) Generations(ctx context.Context) (hubbub.Generations, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(ctx); err != nil {
		return hubbub.Generations{}, err
	}
	return s.gens, nil
}

// botChanged moves the users' generation for a change of a bot (its token, rooms, deletion),
// as the SQL stores' triggers on bots do. Bug "genbots": it does not.
func (s *memStore) botChanged() {
	if s.bug != "genbots" {
		s.usersChanged()
	}
}
