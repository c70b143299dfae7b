package postgres

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"hubbub"
	"hubbub/internal/fulltext"
	"hubbub/internal/sqlstore"
)

// The search index (migration 0006): message_search holds each message's tokens as
// fulltext.TSVector makes them. The append batch keeps it in step (queueSearch), prune deletes
// it with the messages, and Search reads it through its GIN index.
const (
	upsertSearch = `INSERT INTO message_search (room, seq, created_at, user_id, doc)
		SELECT room, seq, created_at, user_id, doc::tsvector
		FROM unnest($1::text[], $2::bigint[], $3::timestamptz[], $4::text[], $5::text[]) AS u(room, seq, created_at, user_id, doc)
		ON CONFLICT (room, seq) DO UPDATE SET doc = excluded.doc`
	deleteSearch = `DELETE FROM message_search WHERE (room, seq) IN (SELECT * FROM unnest($1::text[], $2::bigint[]))`
	pruneSearch  = `DELETE FROM message_search WHERE room = $1 AND seq < $2`
)

// searchIndexOff, set only by BenchmarkAppendSearchIndex, leaves the index out of every
// batch, for comparing the cost of an append without it.
var searchIndexOff atomic.Bool

// scopeRooms is how many rooms a search names in its tsquery: up to it, the GIN index
// intersects the words' rows with the rooms' lexemes; beyond it, the rooms' rows would cost
// more than the words', and the filter on the room alone keeps the hits in them.
const scopeRooms = 64

// searchDoc returns the tsvector literal of message text in room.
func searchDoc(room, text string) string {
	return fulltext.TSVector(text, fulltext.RoomLexeme(room))
}

// queueSearch writes the index rows of what the batch did: a new message's, an edited one's
// (replaced), and none for a deleted one.
func (p *plan) queueSearch(b *pgx.Batch) {
	var up struct {
		room, user, doc []string
		seq             []int64
		at              []time.Time
	}
	var gone struct {
		room []string
		seq  []int64
	}
	add := func(room string, e *hubbub.Entry, at time.Time) {
		user := e.User
		if user == "" {
			user = e.From
		}
		up.room, up.seq, up.at = append(up.room, room), append(up.seq, int64(e.Seq)), append(up.at, at)
		up.user, up.doc = append(up.user, user), append(up.doc, searchDoc(room, e.Text))
	}
	for _, st := range p.newMsgs {
		if !st.e.Deleted {
			add(st.e.Room, &st.e, p.now)
		}
	}
	for mk, st := range p.msgs {
		switch {
		case !st.dirty:
		case st.deletedNow:
			gone.room, gone.seq = append(gone.room, mk.room), append(gone.seq, mk.seq)
		case st.edited && !st.e.Deleted:
			add(mk.room, &st.e, st.e.Time) // an upsert of the doc only: the row has the time
		}
	}
	if len(gone.room) > 0 {
		b.Queue(deleteSearch, gone.room, gone.seq)
	}
	if len(up.room) > 0 {
		b.Queue(upsertSearch, up.room, up.seq, up.at, up.user, up.doc)
	}
}

// backfillSearch indexes the messages stored before migration 0006, a thousand per
// statement, once: a message appended meanwhile is indexed by its batch already (ON CONFLICT
// keeps that row), and one deleted or pruned meanwhile is never a hit (Search joins messages).
func backfillSearch(ctx context.Context, pool *pgxpool.Pool) error {
	var done bool
	if err := pool.QueryRow(ctx, `SELECT done FROM search_backfill`).Scan(&done); err != nil || done {
		return err
	}
	room, seq := "", int64(-1)
	for {
		rows, _ := pool.Query(ctx, `SELECT room, seq, created_at, user_id, text FROM messages WHERE NOT deleted AND (room, seq) > ($1, $2)
			ORDER BY room, seq LIMIT 1000`, room, seq)
		var rs, users, docs []string
		var seqs []int64
		var ats []time.Time
		var text, user string
		var at time.Time
		_, err := pgx.ForEachRow(rows, []any{&room, &seq, &at, &user, &text}, func() error {
			rs, seqs, ats, users = append(rs, room), append(seqs, seq), append(ats, at), append(users, user)
			docs = append(docs, searchDoc(room, text))
			return nil
		})
		if err != nil {
			return fmt.Errorf("search backfill: %w", err)
		}
		if len(rs) == 0 {
			break
		}
		if _, err := pool.Exec(ctx, `INSERT INTO message_search (room, seq, created_at, user_id, doc)
			SELECT room, seq, created_at, user_id, doc::tsvector
			FROM unnest($1::text[], $2::bigint[], $3::timestamptz[], $4::text[], $5::text[]) AS u(room, seq, created_at, user_id, doc)
			ON CONFLICT (room, seq) DO NOTHING`, rs, seqs, ats, users, docs); err != nil {
			return fmt.Errorf("search backfill: %w", err)
		}
	}
	_, err := pool.Exec(ctx, `UPDATE search_backfill SET done = true`)
	return err
}

// Search returns one page of the messages of q.Rooms that match q.Text (hubbub.Searcher): the
// GIN index finds the matching rows (of the rooms, when they are few), each joined to its
// message by its primary key for the filters and the current state; the page is the first
// Limit after the cursor's key in the order, ranked by ts_rank (normalized by the log of the
// message's length) when q asks for relevance.
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
	for _, r := range append(rooms, q.User) {
		if !textFits(r) { // no stored room or user is named by what text cannot hold
			return hubbub.SearchPage{}, nil
		}
	}
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	// By relevance, every match of the rooms is ranked: the rooms' lexemes let the GIN index
	// intersect them with the words'. Newest first, each room's rows are read by time and the
	// room is no question for the index (a room lexeme there would only make the planner
	// think a common word rare).
	var lexemes []string
	if p.Relevance && len(rooms) <= scopeRooms {
		for _, r := range rooms {
			lexemes = append(lexemes, fulltext.RoomLexeme(r))
		}
	}
	match := arg(p.TSQuery(lexemes...))
	filter := ""
	if q.User != "" {
		filter += ` AND s.user_id = ` + arg(q.User)
	}
	if !q.Since.IsZero() {
		filter += ` AND s.created_at >= ` + arg(time.UnixMilli(p.SinceMS)) + `::timestamptz`
	}
	if !q.Until.IsZero() {
		filter += ` AND s.created_at < ` + arg(time.UnixMilli(p.UntilMS)) + `::timestamptz`
	}
	rank := "0::float8"
	if p.Relevance {
		rank = `-ts_rank(s.doc, ` + arg(p.TSQuery()) + `::tsquery, 1)::float8`
	}
	after := ""
	if k := p.After; k != nil {
		t, r := arg(time.UnixMilli(k.TimeMS)), arg(k.Room)
		after = `(s.created_at < ` + t + `::timestamptz OR s.created_at = ` + t + `::timestamptz AND (s.room COLLATE "C" > ` + r +
			` OR s.room = ` + r + ` AND s.seq < ` + arg(int64(k.Seq)) + `))`
		if p.Relevance {
			k := arg(k.Rank)
			after = `(` + rank + ` > ` + k + `::float8 OR ` + rank + ` = ` + k + `::float8 AND ` + after + `)`
		}
		after = ` AND ` + after
	}
	if !p.Relevance {
		page, err := s.searchNewest(ctx, q, p, rooms, args, match, filter+after)
		if err != nil {
			return hubbub.SearchPage{}, s.guard.Wrap(sqlstore.OpSearch, err)
		}
		return page, nil
	}
	limit := arg(p.Limit + 1)
	// By relevance, every match is ranked.
	hits := `SELECT s.room AS hroom, s.seq AS hseq, ` + rank + ` AS hrank FROM message_search s
		WHERE s.doc @@ ` + match + `::tsquery AND s.room = ANY(` + arg(rooms) + `::text[])` + filter + after
	query := `SELECT hroom, hrank, ` + messageRow + ` FROM (` + hits + `) AS hits
		JOIN messages m ON m.room = hroom AND m.seq = hseq
	WHERE NOT m.deleted
	ORDER BY hrank, m.created_at DESC, hroom COLLATE "C", m.seq DESC LIMIT ` + limit
	page, err := s.search(ctx, query, args, q, p)
	if err != nil {
		return hubbub.SearchPage{}, s.guard.Wrap(sqlstore.OpSearch, err)
	}
	return page, nil
}

// searchScanRows is how many of a room's newest rows (after the filters) a search newest
// first reads in time order before it asks the GIN index instead: a word in one message of
// searchScanRows / Limit or more fills a page from them, a rarer one in a larger room is
// found through the index.
var searchScanRows = 1000 // a variable for tests only

// searchNewest is Search newest first. Each room's rows are read newest first, the match
// tested on each (not through the GIN index), up to a page of hits or searchScanRows rows: a
// common word fills the page at once. A room that has more rows than that and not a page of
// hits among them is then searched through the GIN index, all those rooms in one query, their
// matches sorted. The page is the first Limit of all rooms' hits; args already holds $1…
// (match, the filters and the cursor's bounds), which filter uses.
func (s *Store) searchNewest(ctx context.Context, q hubbub.SearchQuery, p fulltext.Plan, rooms []string, base []any, match, filter string) (hubbub.SearchPage, error) {
	// Each statement takes base ($1 the match, then the filters' and the cursor's values) and
	// its own after them.
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	var keys []fulltext.Key
	perRoom := map[string]int{}
	collect := func(query string) error {
		rows, _ := s.pool.Query(ctx, query, append([]any{pgx.QueryExecModeExec}, args...)...)
		var room string
		var seq int64
		var at time.Time
		_, err := pgx.ForEachRow(rows, []any{&room, &seq, &at}, func() error {
			keys = append(keys, fulltext.Key{TimeMS: at.UnixMilli(), Room: room, Seq: uint64(seq)})
			perRoom[room]++
			return nil
		})
		return err
	}
	// The subquery's LIMIT keeps the match test out of it, so the room's index is read in
	// time order and stops as soon as the page is full.
	args = slices.Clone(base)
	limit, scanRows := arg(p.Limit+1), arg(searchScanRows)
	if err := collect(`SELECT x.hroom, x.hseq, x.hat FROM unnest(` + arg(rooms) + `::text[]) AS r(room) CROSS JOIN LATERAL (
		SELECT c.room AS hroom, c.seq AS hseq, c.created_at AS hat FROM (
			SELECT s.room, s.seq, s.created_at, s.doc FROM message_search s WHERE s.room = r.room` + filter + `
			ORDER BY s.created_at DESC, s.seq DESC LIMIT ` + scanRows + `) AS c
		WHERE c.doc @@ ` + match + `::tsquery ORDER BY c.created_at DESC, c.seq DESC LIMIT ` + limit + `) AS x`); err != nil {
		return hubbub.SearchPage{}, err
	}
	var short []string
	for _, r := range rooms {
		if perRoom[r] <= p.Limit {
			short = append(short, r)
		}
	}
	if len(short) > 0 {
		// Which of the rooms short of a page have more rows than were read (index only).
		args = slices.Clone(base)
		scanRows := arg(searchScanRows)
		rows, _ := s.pool.Query(ctx, `SELECT r.room FROM unnest(`+arg(short)+`::text[]) AS r(room)
			WHERE `+match+`::tsquery IS NOT NULL AND (SELECT count(*) FROM (SELECT 1 FROM message_search s WHERE s.room = r.room`+filter+`
				LIMIT `+scanRows+` + 1) AS z) > `+scanRows, append([]any{pgx.QueryExecModeExec}, args...)...)
		big, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return hubbub.SearchPage{}, err
		}
		if len(big) > 0 {
			// Drop what the scan found in them: the index finds all of it.
			keys = slices.DeleteFunc(keys, func(k fulltext.Key) bool { return slices.Contains(big, k.Room) })
			var lexemes []string
			if len(big) <= scopeRooms {
				for _, r := range big {
					lexemes = append(lexemes, fulltext.RoomLexeme(r))
				}
			}
			args = slices.Clone(base)
			if err := collect(`SELECT s.room, s.seq, s.created_at FROM message_search s
				WHERE s.doc @@ ` + match + `::tsquery AND s.doc @@ ` + arg(p.TSQuery(lexemes...)) + `::tsquery
					AND s.room = ANY(` + arg(big) + `::text[])` + filter + `
				ORDER BY s.created_at DESC, s.room COLLATE "C", s.seq DESC LIMIT ` + arg(p.Limit+1)); err != nil {
				return hubbub.SearchPage{}, err
			}
		}
	}
	slices.SortFunc(keys, func(a, b fulltext.Key) int {
		switch {
		case a.Before(b, false):
			return -1
		case b.Before(a, false):
			return 1
		}
		return 0
	})
	if len(keys) > p.Limit+1 {
		keys = keys[:p.Limit+1]
	}
	// The messages of the page, in their current state, in the page's order.
	krooms, kseqs := make([]string, len(keys)), make([]int64, len(keys))
	for i, k := range keys {
		krooms[i], kseqs[i] = k.Room, int64(k.Seq)
	}
	query := `SELECT k.kroom, 0::float8, ` + messageRow + ` FROM unnest($1::text[], $2::bigint[]) WITH ORDINALITY AS k(kroom, kseq, i)
		JOIN messages m ON m.room = k.kroom AND m.seq = k.kseq WHERE NOT m.deleted ORDER BY k.i`
	return s.search(ctx, query, []any{krooms, kseqs}, q, p)
}

func (s *Store) search(ctx context.Context, query string, args []any, q hubbub.SearchQuery, p fulltext.Plan) (hubbub.SearchPage, error) {
	// Planned for its own arguments every time (not a cached generic plan): whether a word is in
	// most messages or few decides between reading each room by time and the GIN index.
	rows, _ := s.pool.Query(ctx, query, append([]any{pgx.QueryExecModeExec}, args...)...) // the error comes with rows.Err
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
		if err := scanLogRowFrom(rows, &e, &e.Room, &rank); err != nil {
			return hubbub.SearchPage{}, err
		}
		page.Hits = append(page.Hits, hubbub.SearchHit{Message: e, Snippet: fulltext.Snippet(e.Text, p.Query)})
		last = fulltext.Key{Rank: rank, TimeMS: e.Time.UnixMilli(), Room: e.Room, Seq: e.Seq}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return hubbub.SearchPage{}, err
	}
	return page, nil
}
