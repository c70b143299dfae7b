package servertest

import (
	"context"
	"sync/atomic"

	"hubbub"
)

// SanctionReads is a store that counts the sanctions its reads of them return (Rows): a test
// of a paged listing asserts that a page reads its page, not the room's whole list.
type SanctionReads struct {
	hubbub.Store
	// Rows is how many sanctions Sanctions and SanctionsPage have returned.
	Rows atomic.Int64
}

// Sanctions reads the room's whole list, counting its rows.
func (s *SanctionReads) Sanctions(ctx context.Context, room string) ([]hubbub.Sanction, error) {
	list, err := s.Store.Sanctions(ctx, room)
	s.Rows.Add(int64(len(list)))
	return list, err
}

// SanctionsPage reads a page of the room's list, counting its rows.
func (s *SanctionReads) SanctionsPage(ctx context.Context, room, after string, limit int) ([]hubbub.Sanction, error) {
	list, err := s.Store.SanctionsPage(ctx, room, after, limit)
	s.Rows.Add(int64(len(list)))
	return list, err
}
