package sqlite

import (
	"context"
	"errors"

	"hubbub"
)

// TODO(room log): placeholders so that the tree builds while the room log lands; the store's
// implementation replaces this file, and nothing may land with it.

var errPending = errors.New("sqlite: room log not implemented yet")

// Replies implements hubbub.Store.
func (s *Store) Replies(ctx context.Context, room string, parent, after uint64, limit int) ([]hubbub.Entry, error) {
	return nil, errPending
}

// Revisions implements hubbub.Store.
func (s *Store) Revisions(ctx context.Context, room string, seq uint64) ([]hubbub.Revision, bool, error) {
	return nil, false, errPending
}

// ReactedBy implements hubbub.Store.
func (s *Store) ReactedBy(ctx context.Context, room, name string, from, to uint64) ([]hubbub.ReactionKey, error) {
	return nil, errPending
}
