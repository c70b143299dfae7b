package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"unicode/utf8"

	"hubbub"
	"hubbub/internal/fulltext"
	"hubbub/internal/sqlstore"

	"modernc.org/sqlite"
)

// The SQL function of the search index's writes (the writer's, searchindex.go, and the
// triggers of migrations 0007 and 0013): the folded text of a message, computed by
// internal/fulltext so that SQLite indexes what every store indexes. Registered on the
// driver, so every connection this process opens has it, the migrations' included.
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

// The search by relevance, of every room at once: one FTS5 query over the span of rowids from
// the first room's to the last's, keeping the rows of the rooms searched (?4, their numbers),
// each ranked by bm25 (MATERIALIZED keeps bm25 in the query over search_fts, where FTS5 can
// compute it, and computes it only for the rows kept). A ranking must see every match of the
// rooms anyway; in one query FTS5 merges a prefix's words and counts each term's rows for
// bm25 once, where a query per room did both again for every room.
const searchRelevanceSQL = `WITH h AS MATERIALIZED (SELECT rowid AS hrow, bm25(search_fts) AS hrank
		FROM search_fts WHERE search_fts MATCH ?1 AND rowid >= ?2 AND rowid <= ?3
			AND rowid / 68719476736 IN (SELECT value FROM json_each(?4)))
	SELECT ` + messageColumns + `, hrank, r.room FROM h
	JOIN search_rooms r ON r.num = h.hrow / 68719476736
	JOIN messages ON messages.room = r.room AND messages.seq = h.hrow % 68719476736
	WHERE deleted = 0 AND (?5 = '' OR user_id = ?5) AND created_ms >= ?6 AND created_ms < ?7
		AND (?8 = 0 OR hrank > ?13 OR hrank = ?13 AND (created_ms < ?9 OR created_ms = ?9 AND (r.room > ?10 OR r.room = ?10 AND seq < ?11)))
	ORDER BY hrank, created_ms DESC, r.room, seq DESC LIMIT ?12`

// searchVocabSQL lists the words of the index that begin with a prefix (?1 ≤ term < ?2),
// from the fts5vocab table of migration 0012.
const searchVocabSQL = `SELECT term FROM search_vocab WHERE term >= ?1 AND term < ?2 LIMIT ?3`

// maxPrefixWords is how many words a prefix may stand for and still be searched as those
// words (see expandPrefixes); a prefix of more is searched as a prefix.
const maxPrefixWords = 64

// Search returns one page of the messages of q.Rooms that match q.Text (hubbub.Searcher).
// Newest first, it searches each room for its first Limit+1 hits (one range of the FTS5 index,
// read newest first) and keeps the first Limit+1 of them all: a word in most messages costs a
// page per room, not every message it is in. By relevance, one query ranks every match of the
// rooms.
func (s *Store) Search(ctx context.Context, q hubbub.SearchQuery) (hubbub.SearchPage, error) {
	if err := s.guard.Begin(ctx, sqlstore.OpSearch); err != nil {
		return hubbub.SearchPage{}, err
	}
	if s.noIndex {
		return hubbub.SearchPage{}, s.guard.Wrap(sqlstore.OpSearch, hubbub.SearchOffError())
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

// searchRoom is a room searched, with its number in the index (search_rooms).
type searchRoom struct {
	name string
	num  int64
}

func (s *Store) search(ctx context.Context, q hubbub.SearchQuery, p fulltext.Plan, rooms []string) (hubbub.SearchPage, error) {
	// Every message appended before the search began is found: the writer first indexes
	// the rooms' messages that the index does not hold yet (at most Options.SearchLag).
	if lagging := s.w.lag.lagging(rooms); len(lagging) > 0 {
		if _, err := s.exec(ctx, func(ctx context.Context, _ *sql.Conn) (int64, error) {
			return 0, s.w.indexLagging(ctx, lagging)
		}); err != nil {
			return hubbub.SearchPage{}, err
		}
	}
	conn, err := s.rdb.Conn(ctx)
	if err != nil {
		return hubbub.SearchPage{}, err
	}
	defer conn.Close()
	roomsJSON, err := json.Marshal(rooms)
	if err != nil {
		return hubbub.SearchPage{}, err
	}
	var nums []searchRoom
	rows, err := conn.QueryContext(ctx, `SELECT room, num FROM search_rooms WHERE room IN (SELECT value FROM json_each(?)) ORDER BY room`, string(roomsJSON))
	if err != nil {
		return hubbub.SearchPage{}, err
	}
	for rows.Next() {
		var r searchRoom
		if err := rows.Scan(&r.name, &r.num); err != nil {
			rows.Close()
			return hubbub.SearchPage{}, err
		}
		nums = append(nums, r)
	}
	if err := rows.Close(); err != nil {
		return hubbub.SearchPage{}, err
	}
	if len(nums) == 0 {
		return hubbub.SearchPage{}, nil
	}
	var hits []searchHit
	if p.Relevance {
		hits, err = searchRelevance(ctx, conn, q, p, nums)
	} else {
		hits, err = searchNewest(ctx, conn, q, p, nums)
	}
	if err != nil {
		return hubbub.SearchPage{}, err
	}
	return searchPage(q, p, hits), nil
}

// cursorArgs returns whether p has a cursor (1) or not (0), and its key.
func cursorArgs(p fulltext.Plan) (int, fulltext.Key) {
	if p.After == nil {
		return 0, fulltext.Key{}
	}
	return 1, *p.After
}

// searchNewest returns the first p.Limit+1 hits of each room, newest first, with one query
// per room.
func searchNewest(ctx context.Context, conn *sql.Conn, q hubbub.SearchQuery, p fulltext.Plan, nums []searchRoom) ([]searchHit, error) {
	match, ok, err := expandPrefixes(ctx, conn, p.Query)
	if err != nil || !ok {
		return nil, err
	}
	st, err := conn.PrepareContext(ctx, searchRoomNewestSQL)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	hasAfter, after := cursorArgs(p)
	var hits []searchHit
	for _, r := range nums {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		base := r.num * searchRoomSpan
		hi := base + searchRoomSpan - 1
		if hasAfter == 1 && r.name == after.Room {
			hi = base + int64(after.Seq) - 1 // the room's hits after the cursor's are older
		}
		rows, err := st.QueryContext(ctx, r.name, base, match, hi, q.User, p.SinceMS, p.UntilMS,
			hasAfter, after.TimeMS, after.Room, int64(after.Seq), p.Limit+1)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			h := searchHit{e: hubbub.Entry{Room: r.name}}
			if err := scanEntryAnd(rows, &h.e, &h.key.Rank); err != nil {
				rows.Close()
				return nil, err
			}
			h.key.TimeMS, h.key.Room, h.key.Seq = h.e.Time.UnixMilli(), r.name, h.e.Seq
			hits = append(hits, h)
		}
		if err := rows.Close(); err != nil {
			return nil, err
		}
	}
	return hits, nil
}

// searchRelevance returns the first p.Limit+1 hits of all the rooms by relevance, in one
// query (searchRelevanceSQL).
func searchRelevance(ctx context.Context, conn *sql.Conn, q hubbub.SearchQuery, p fulltext.Plan, nums []searchRoom) ([]searchHit, error) {
	ns := make([]int64, len(nums))
	lo, hi := int64(math.MaxInt64), int64(0)
	for i, r := range nums {
		ns[i] = r.num
		lo, hi = min(lo, r.num*searchRoomSpan+1), max(hi, r.num*searchRoomSpan+searchRoomSpan-1)
	}
	numsJSON, err := json.Marshal(ns)
	if err != nil {
		return nil, err
	}
	hasAfter, after := cursorArgs(p)
	rows, err := conn.QueryContext(ctx, searchRelevanceSQL, p.FTS5("body"), lo, hi, string(numsJSON), q.User,
		p.SinceMS, p.UntilMS, hasAfter, after.TimeMS, after.Room, int64(after.Seq), p.Limit+1, after.Rank)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var hits []searchHit
	for rows.Next() {
		var h searchHit
		if err := scanEntryAnd(rows, &h.e, &h.key.Rank, &h.e.Room); err != nil {
			return nil, err
		}
		h.key.TimeMS, h.key.Room, h.key.Seq = h.e.Time.UnixMilli(), h.e.Room, h.e.Seq
		hits = append(hits, h)
	}
	return hits, rows.Err()
}

// expandPrefixes renders q as an FTS5 MATCH expression in which each prefix longer than the
// index's prefix indexes (1 to 3 characters) is replaced by the words of the index that it
// begins, found once in the vocabulary: "deploy" becomes ("deploy" OR "deployed"). FTS5 runs a
// prefix by merging the lists of all its words, whatever the range of rowids asked, so a query
// per room paid that merge again in every room; a word's list it seeks to the room's range.
// A prefix of more than maxPrefixWords words stays a prefix. ok is false if a prefix begins
// no word: nothing matches.
func expandPrefixes(ctx context.Context, conn *sql.Conn, q fulltext.Query) (match string, ok bool, err error) {
	var b strings.Builder
	for i, t := range q.Terms {
		if i > 0 {
			b.WriteString(" AND ")
		}
		one := fulltext.Query{Terms: []fulltext.Term{t}}
		if !t.Prefix || len(t.Tokens) != 1 || utf8.RuneCountInString(t.Tokens[0]) <= 3 {
			b.WriteString(one.FTS5("body"))
			continue
		}
		words, err := prefixWords(ctx, conn, t.Tokens[0])
		if err != nil {
			return "", false, err
		}
		switch {
		case len(words) == 0:
			return "", false, nil
		case len(words) > maxPrefixWords:
			b.WriteString(one.FTS5("body"))
		default:
			b.WriteString("body : (")
			for j, w := range words {
				if j > 0 {
					b.WriteString(" OR ")
				}
				b.WriteString(`"` + strings.ReplaceAll(w, `"`, `""`) + `"`)
			}
			b.WriteString(")")
		}
	}
	return b.String(), true, nil
}

// prefixWords returns the words of the index that begin with prefix, up to maxPrefixWords+1
// of them. Every token is letters and digits, so no word that begins with prefix sorts at or
// after prefix followed by U+10FFFF, the last character.
func prefixWords(ctx context.Context, conn *sql.Conn, prefix string) ([]string, error) {
	rows, err := conn.QueryContext(ctx, searchVocabSQL, prefix, prefix+"\U0010FFFF", maxPrefixWords+1)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var words []string
	for rows.Next() {
		var w string
		if err := rows.Scan(&w); err != nil {
			return nil, err
		}
		words = append(words, w)
	}
	return words, rows.Err()
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
