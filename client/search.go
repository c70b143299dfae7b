package client

import (
	"context"
	"fmt"
	"strconv"
	"sync/atomic"

	"hubbub/internal/wire"
)

// Search returns a page of the messages whose text matches req.Q (docs/protocol.md, Search):
// in req.Room, or in every room of the user's without one, narrowed by req.From, Since and
// Until, newest first or by relevance (req.Order). The next page is asked for with the
// answer's Next as req.Cursor. req.Type is filled in, and req.ID when empty (an ID given must be
// one no other search on the connection is waiting with). A refused search returns the server's
// *Error (its Code empty, too_long, bad_field, forbidden, rate_limited or unavailable).
func (c *Conn) Search(ctx context.Context, req SearchRequest) (*SearchResults, error) {
	req.Type = wire.TypeSearch
	if req.ID == "" {
		// The answer is matched to its request by the id it echoes, so that searches made at
		// once, on one room or several, each get their own.
		req.ID = "search-" + strconv.FormatUint(searchIDs.Add(1), 10)
	}
	f, err := c.request(ctx, reqKey(wire.TypeSearch, req.Room, req.ID), req)
	if err != nil {
		return nil, fmt.Errorf("client: search: %w", err)
	}
	return f.(*wire.SearchResults), nil
}

// searchIDs numbers the searches of the process, for their ids.
var searchIDs atomic.Uint64

// Search searches on the session's current connection (see Conn.Search).
func (s *Session) Search(ctx context.Context, req SearchRequest) (*SearchResults, error) {
	c, err := s.ready()
	if err != nil {
		return nil, fmt.Errorf("client: search: %w", err)
	}
	return c.Search(ctx, req)
}
