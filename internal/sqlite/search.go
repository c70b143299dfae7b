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

// The SQL function of the search index's triggers (migration 0007): the folded text of a
// message, computed by internal/fulltext so that SQLite indexes what
// every store indexes. Registered on the driver, so every connection this process opens has
// it, the migration's included.
func init() {
	sqlite.MustRegisterDeterministicScalarFunction("hubbub_search_text", 1, func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
		return fulltext.Fold(textArg(args[0])), nil
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

// searchRoomSpan is the span of FTS5 rowids of one room: a message's row is
// num * searchRoomSpan + seq (migration 0007).
const searchRoomSpan = 1 << 36

// The search of one room, newest first: FTS5 reads the room's range of rowids backwards, so
// seqs descending, each match joined to its message by primary key for the filters, and stops
// at the page. (Within a room, seq order is time order: one writer stamps them together.)
const searchRoomNewestSQL = `SELECT ` + messageColumns + `, 0.0 FROM search_fts
	JOIN messages ON messages.room = ?1 AND messages.seq = search_fts.rowid - ?2
	WHERE search_fts MATCH ?3 AND search_fts.rowid > ?2 AND search_fts.rowid <= ?4
		AND deleted = 0 AND (?5 = '' OR user_id = ?5) AND created_ms >= ?6 AND created_ms < ?7
		AND (?8 = 0 OR created_ms < ?9 OR created_ms = ?9 AND (?1 > ?10 OR ?1 = ?10 AND seq < ?11))
	ORDER BY search_fts.rowid DESC LIMIT ?12`

// The search of one room by relevance: every match of the room ranked by bm25 (MATERIALIZED
// keeps bm25 in the query over search_fts, where FTS5 can compute it).
const searchRoomRelevanceSQL = `WITH h AS MATERIALIZED (SELECT rowid AS hrow, bm25(search_fts) AS hrank
		FROM search_fts WHERE search_fts MATCH ?3 AND rowid > ?2 AND rowid <= ?4)
	SELECT ` + messageColumns + `, hrank FROM h JOIN messages ON messages.room = ?1 AND messages.seq = hrow - ?2
	WHERE deleted = 0 AND (?5 = '' OR user_id = ?5) AND created_ms >= ?6 AND created_ms < ?7
		AND (?8 = 0 OR hrank > ?13 OR hrank = ?13 AND (created_ms < ?9 OR created_ms = ?9 AND (?1 > ?10 OR ?1 = ?10 AND seq < ?11)))
	ORDER BY hrank, created_ms DESC, seq DESC LIMIT ?12`

// Search returns one page of the messages of q.Rooms that match q.Text (hubbub.Searcher). It
// searches each room for its first Limit+1 hits in the order (one range of the FTS5 index,
// read newest first, or ranked by bm25 for relevance) and keeps the first Limit+1 of them all:
// a word in most messages costs a page per room, not every message it is in. A search of many
// rooms costs one short query per room.
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
	page, err := s.search(ctx, q, p, rooms)
	if err != nil {
		return hubbub.SearchPage{}, s.guard.Wrap(sqlstore.OpSearch, unreadable(err))
	}
	return page, nil
}

// searchHit is a hit with its place in the order.
type searchHit struct {
	key fulltext.Key
	e   hubbub.Entry
}

func (s *Store) search(ctx context.Context, q hubbub.SearchQuery, p fulltext.Plan, rooms []string) (hubbub.SearchPage, error) {
	conn, err := s.rdb.Conn(ctx)
	if err != nil {
		return hubbub.SearchPage{}, err
	}
	defer conn.Close()
	roomsJSON, err := json.Marshal(rooms)
	if err != nil {
		return hubbub.SearchPage{}, err
	}
	type room struct {
		name string
		num  int64
	}
	var nums []room
	rows, err := conn.QueryContext(ctx, `SELECT room, num FROM search_rooms WHERE room IN (SELECT value FROM json_each(?)) ORDER BY room`, string(roomsJSON))
	if err != nil {
		return hubbub.SearchPage{}, err
	}
	for rows.Next() {
		var r room
		if err := rows.Scan(&r.name, &r.num); err != nil {
			rows.Close()
			return hubbub.SearchPage{}, err
		}
		nums = append(nums, r)
	}
	if err := rows.Close(); err != nil {
		return hubbub.SearchPage{}, err
	}
	query := searchRoomNewestSQL
	if p.Relevance {
		query = searchRoomRelevanceSQL
	}
	st, err := conn.PrepareContext(ctx, query)
	if err != nil {
		return hubbub.SearchPage{}, err
	}
	defer st.Close()
	match := p.FTS5("body")
	var after fulltext.Key
	hasAfter := 0
	if p.After != nil {
		after, hasAfter = *p.After, 1
	}
	var hits []searchHit
	for _, r := range nums {
		if err := ctx.Err(); err != nil {
			return hubbub.SearchPage{}, err
		}
		base := r.num * searchRoomSpan
		hi := base + searchRoomSpan - 1
		if hasAfter == 1 && !p.Relevance && r.name == after.Room {
			hi = base + int64(after.Seq) - 1 // the room's hits after the cursor's are older
		}
		rows, err := st.QueryContext(ctx, r.name, base, match, hi, q.User, p.SinceMS, p.UntilMS,
			hasAfter, after.TimeMS, after.Room, int64(after.Seq), p.Limit+1, after.Rank)
		if err != nil {
			return hubbub.SearchPage{}, err
		}
		for rows.Next() {
			h := searchHit{e: hubbub.Entry{Room: r.name}}
			if err := scanEntryAnd(rows, &h.e, &h.key.Rank); err != nil {
				rows.Close()
				return hubbub.SearchPage{}, err
			}
			h.key.TimeMS, h.key.Room, h.key.Seq = h.e.Time.UnixMilli(), r.name, h.e.Seq
			hits = append(hits, h)
		}
		if err := rows.Close(); err != nil {
			return hubbub.SearchPage{}, err
		}
	}
	return searchPage(q, p, hits), nil
}

// searchPage sorts the hits of every room into the query's order and makes the page of the
// first p.Limit, with the cursor of the next if there are more.
func searchPage(q hubbub.SearchQuery, p fulltext.Plan, hits []searchHit) hubbub.SearchPage {
	slices.SortFunc(hits, func(a, b searchHit) int {
		switch {
		case a.key.Before(b.key, p.Relevance):
			return -1
		case b.key.Before(a.key, p.Relevance):
			return 1
		}
		return 0
	})
	var page hubbub.SearchPage
	for i, h := range hits {
		if i == p.Limit {
			page.Next = fulltext.EncodeCursor(q, hits[i-1].key)
			break
		}
		page.Hits = append(page.Hits, hubbub.SearchHit{Message: h.e, Snippet: fulltext.Snippet(h.e.Text, p.Query)})
	}
	return page
}
