package sqlite

import (
	"context"
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"slices"

	"hubbub"
	"hubbub/internal/fulltext"
	"hubbub/internal/sqlstore"

	"modernc.org/sqlite"
)

// The SQL functions of the search index's triggers (migration 0007): the folded text of a
// message and the token of its room, computed by internal/fulltext so that SQLite indexes what
// every store indexes. Registered on the driver, so every connection this process opens has
// them, the migration's included.
func init() {
	sqlite.MustRegisterDeterministicScalarFunction("hubbub_search_text", 1, func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
		return fulltext.Fold(textArg(args[0])), nil
	})
	sqlite.MustRegisterDeterministicScalarFunction("hubbub_search_room", 1, func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
		return fulltext.RoomToken(textArg(args[0])), nil
	})
}

// textArg returns an SQL function's argument as text ("" for NULL).
func textArg(v driver.Value) string {
	switch v := v.(type) {
	case string:
		return v
	case []byte:
		return string(v)
	case nil:
		return ""
	}
	return fmt.Sprint(v)
}

// scopeRooms is how many rooms a search names in its MATCH expression: up to it, FTS5
// intersects the words' rows with the rooms' tokens; beyond it, reading the rooms' rows would
// cost more than the words', and the join to the rooms alone keeps the hits in them.
const scopeRooms = 64

// Search returns one page of the messages of q.Rooms that match q.Text (hubbub.Searcher). The
// FTS5 index finds the matching rows (of the rooms, when they are few), each joined to its
// message by its primary key for the filters and the current state; the page is the first
// Limit after the cursor's key in the order, ranked by bm25 when q asks for relevance.
func (s *Store) Search(ctx context.Context, q hubbub.SearchQuery) (hubbub.SearchPage, error) {
	if err := s.guard.Begin(ctx, sqlstore.OpSearch); err != nil {
		return hubbub.SearchPage{}, err
	}
	p, err := fulltext.Prepare(q)
	if err != nil {
		return hubbub.SearchPage{}, s.guard.Wrap(sqlstore.OpSearch, err)
	}
	rooms := slices.Compact(slices.Sorted(slices.Values(q.Rooms)))
	if len(rooms) == 0 {
		return hubbub.SearchPage{}, nil
	}
	match := p.FTS5("body")
	if len(rooms) <= scopeRooms {
		tokens := make([]string, len(rooms))
		for i, r := range rooms {
			tokens[i] = fulltext.RoomToken(r)
		}
		match += " AND " + fulltext.FTS5Any("scope", slices.Compact(slices.Sorted(slices.Values(tokens))))
	}
	roomsJSON, err := json.Marshal(rooms)
	if err != nil {
		return hubbub.SearchPage{}, s.guard.Wrap(sqlstore.OpSearch, err)
	}
	rank := "0.0"
	if p.Relevance {
		rank = "bm25(search_fts, 1.0, 0.0)" // the scope column does not rank
	}
	args := []any{match, string(roomsJSON), q.User, p.SinceMS, p.UntilMS, p.Limit + 1}
	var after string
	if k := p.After; k != nil {
		args = append(args, k.Rank, k.TimeMS, k.Room, int64(k.Seq))
		after = ` AND (created_ms < ?8 OR created_ms = ?8 AND (hroom > ?9 OR hroom = ?9 AND seq < ?10))`
		if p.Relevance {
			after = ` AND (hrank > ?7 OR hrank = ?7` + after + `)`
		}
	}
	// MATERIALIZED keeps bm25 in the query over search_fts, where FTS5 can compute it.
	query := `WITH hits AS MATERIALIZED (
		SELECT d.room AS hroom, d.seq AS hseq, ` + rank + ` AS hrank
		FROM search_fts JOIN search_docs d ON d.id = search_fts.rowid WHERE search_fts MATCH ?1)
	SELECT ` + messageColumns + `, hroom, hrank FROM hits JOIN messages ON messages.room = hroom AND messages.seq = hseq
	WHERE hroom IN (SELECT value FROM json_each(?2)) AND deleted = 0 AND (?3 = '' OR user_id = ?3)
		AND created_ms >= ?4 AND created_ms < ?5` + after + `
	ORDER BY hrank, created_ms DESC, hroom, seq DESC LIMIT ?6`
	page, err := s.search(ctx, query, args, q, p)
	if err != nil {
		return hubbub.SearchPage{}, s.guard.Wrap(sqlstore.OpSearch, unreadable(err))
	}
	return page, nil
}

func (s *Store) search(ctx context.Context, query string, args []any, q hubbub.SearchQuery, p fulltext.Plan) (hubbub.SearchPage, error) {
	rows, err := s.rdb.QueryContext(ctx, query, args...)
	if err != nil {
		return hubbub.SearchPage{}, err
	}
	defer rows.Close()
	var page hubbub.SearchPage
	var last fulltext.Key
	for rows.Next() {
		if len(page.Hits) == p.Limit {
			page.Next = fulltext.EncodeCursor(q, last)
			break
		}
		var e hubbub.Entry
		var rank float64
		if err := scanEntryAnd(rows, &e, &e.Room, &rank); err != nil {
			return hubbub.SearchPage{}, err
		}
		page.Hits = append(page.Hits, hubbub.SearchHit{Message: e, Snippet: fulltext.Snippet(e.Text, p.Query)})
		last = fulltext.Key{Rank: rank, TimeMS: e.Time.UnixMilli(), Room: e.Room, Seq: e.Seq}
	}
	if err := rows.Err(); err != nil {
		return hubbub.SearchPage{}, err
	}
	return page, rows.Close()
}
