package postgres

import (
	"context"
	"fmt"
	"math"
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

// The search index (migrations 0006, 0010, 0013 and 0016): message_search holds each message's
// tokens as fulltext.TSVectorIn makes them, every lexeme led by its room's key
// (fulltext.RoomKey). The indexer writes a new message's row behind the appends
// (searchindex.go); the append batch keeps an indexed message's row in step when it edits or
// deletes it (queueSearch), prune deletes the rows with the messages, and Search reads them
// in time order (its primary key, room, created_at, seq) or through the GIN index. A row is
// named by its room, time and seq (the key), never by room and seq alone: the time is the
// message's, which never changes.
const (
	// upsertSearch indexes edited messages again: an upsert, since the indexer (or the
	// backfill) may not have reached an old one yet, and then writes the row it finds.
	upsertSearch = `INSERT INTO message_search (room, seq, created_at, user_id, doc)
		SELECT room, seq, created_at, user_id, doc
		FROM unnest($1::text[], $2::bigint[], $3::timestamptz[], $4::text[], $5::tsvector[]) AS u(room, seq, created_at, user_id, doc)
		ON CONFLICT (room, created_at, seq) DO UPDATE SET doc = excluded.doc`
	deleteSearch = `DELETE FROM message_search WHERE (room, created_at, seq) IN (SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::bigint[]))`
	// pruneSearch deletes the rows of the messages a prune deletes (seq below $2), before
	// they go: "seq below the cut" alone is no range of the key (room, created_at, seq), and
	// read every row the room kept (a prune a minute per room under retention). Each row has
	// its message's time, so none is later than the latest of those messages: the key's
	// range up to that time holds them all, and little else.
	pruneSearch = `DELETE FROM message_search WHERE room = $1 AND seq < $2
		AND created_at <= (SELECT max(created_at) FROM messages WHERE room = $1 AND seq < $2)`
)

// searchIndexOff, set only by BenchmarkAppendSearchIndex, leaves the index out: no batch
// keeps it in step and no indexer is told of the appends, for comparing the cost of an
// append without it.
var searchIndexOff atomic.Bool

// searchDoc returns the tsvector of message text in room, in binary (tsvectorBinary).
func searchDoc(room, text string) tsvectorBinary {
	return fulltext.TSVectorBinary(fulltext.RoomKey(room), text)
}

// queueSearch keeps the index rows of the messages the batch edited (replaced) or deleted
// in step, holding their rooms' watermarks FOR SHARE (searchindex.go); a new message's row
// is the indexer's.
func (p *plan) queueSearch(b *pgx.Batch, rooms []string) {
	var edited searchRows
	var gone struct {
		room []string
		at   []time.Time
		seq  []int64
	}
	for mk, st := range p.msgs {
		switch {
		case !st.dirty:
		case st.deletedNow:
			gone.room, gone.at, gone.seq = append(gone.room, mk.room), append(gone.at, st.e.Time), append(gone.seq, mk.seq)
		case st.edited && !st.e.Deleted:
			edited.add(mk.room, &st.e, st.e.Time) // an upsert of the doc only: the row has the time
		}
	}
	if len(gone.room) == 0 && len(edited.room) == 0 {
		return
	}
	b.Queue(ensureSearchRooms, rooms)
	b.Queue(shareSearchRooms, rooms)
	if len(gone.room) > 0 {
		b.Queue(deleteSearch, gone.room, gone.at, gone.seq)
	}
	if len(edited.room) > 0 {
		b.Queue(upsertSearch, edited.room, edited.seq, edited.at, edited.user, edited.doc)
	}
}

// searchRows are index rows for insertSearch or upsertSearch, one array per column.
type searchRows struct {
	room, user []string
	doc        []tsvectorBinary
	seq        []int64
	at         []time.Time
}

// add adds the row of message e of room, at time at.
func (r *searchRows) add(room string, e *hubbub.Entry, at time.Time) {
	user := e.User
	if user == "" {
		user = e.From
	}
	r.room, r.seq, r.at = append(r.room, room), append(r.seq, int64(e.Seq)), append(r.at, at)
	r.user, r.doc = append(r.user, user), append(r.doc, searchDoc(room, e.Text))
}

// backfillSearch indexes the messages stored before migration 0006 (or 0010, which empties
// the index of lexemes without their room's key), a thousand per statement, once: a message
// appended meanwhile is indexed by its batch already (ON CONFLICT keeps that row), and one
// deleted or pruned meanwhile is never a hit (Search joins messages).
func backfillSearch(ctx context.Context, pool *pgxpool.Pool) error {
	var done bool
	if err := pool.QueryRow(ctx, `SELECT done FROM search_backfill`).Scan(&done); err != nil || done {
		return err
	}
	room, seq := "", int64(-1)
	for {
		rows, _ := pool.Query(ctx, `SELECT room, seq, created_at, user_id, text FROM messages WHERE NOT deleted AND (room, seq) > ($1, $2)
			ORDER BY room, seq LIMIT 1000`, room, seq)
		var rs, users []string
		var docs []tsvectorBinary
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
		// indexWaiting: a row there already (the indexer's, or an edit's) is its message's
		// current state.
		if _, err := pool.Exec(ctx, indexWaiting, rs, seqs, ats, users, docs); err != nil {
			return fmt.Errorf("search backfill: %w", err)
		}
	}
	_, err := pool.Exec(ctx, `UPDATE search_backfill SET done = true`)
	return err
}

// Search returns one page of the messages of q.Rooms that match q.Text (hubbub.Searcher).
// Each room is searched with its own tsquery (its key before every word, see searchDoc); the
// page is the first Limit of the rooms' hits, each read from messages in its current state.
// Newest first, each room's first Limit+1 hits are found: its newest rows are read in time
// order while they are dense in hits, and for a word too rare for that the room's hits come
// from the GIN index, which reads only that room's entries of the words (a prefix expands
// into that room's words alone) (searchNewest). By relevance, the rooms' hits are read one
// length class at a time through the GIN index, shortest first, until a page is found
// (searchRelevance).
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
	for _, r := range append(rooms, q.User) {
		if !textFits(r) { // no stored room or user is named by what text cannot hold
			return hubbub.SearchPage{}, nil
		}
	}
	if err := catchUp(ctx, s.pool, rooms); err != nil { // read your writes, whichever node took them
		return hubbub.SearchPage{}, s.guard.Wrap(sqlstore.OpSearch, err)
	}
	sq := &roomSearch{p: p, rooms: rooms}
	for _, r := range rooms {
		sq.queries = append(sq.queries, p.TSQueryIn(fulltext.RoomKey(r)))
	}
	sq.where(q)
	var keys []fulltext.Key
	if p.Relevance {
		keys, err = s.searchRelevance(ctx, sq)
	} else {
		keys, err = s.searchNewest(ctx, sq)
	}
	if err != nil {
		return hubbub.SearchPage{}, s.guard.Wrap(sqlstore.OpSearch, err)
	}
	slices.SortFunc(keys, func(a, b fulltext.Key) int {
		switch {
		case a.Before(b, p.Relevance):
			return -1
		case b.Before(a, p.Relevance):
			return 1
		}
		return 0
	})
	if len(keys) > p.Limit+1 {
		keys = keys[:p.Limit+1]
	}
	page, err := s.searchPage(ctx, q, p, keys)
	if err != nil {
		return hubbub.SearchPage{}, s.guard.Wrap(sqlstore.OpSearch, err)
	}
	return page, nil
}

// roomSearch is a search being run: its plan, its rooms (sorted) with the tsquery of each,
// and its filters as SQL over message_search s with their arguments ($1…).
type roomSearch struct {
	p       fulltext.Plan
	rooms   []string
	queries []string
	// filter is the conditions on s of the user, the time range and, newest first, the
	// cursor; after is the cursor's condition on z (a row with its rank) by relevance.
	filter, after string
	args          []any
}

// where builds sq's filters from q.
func (sq *roomSearch) where(q hubbub.SearchQuery) {
	p := &sq.p
	if q.User != "" {
		sq.filter += ` AND s.user_id = ` + sq.arg(q.User)
	}
	if !q.Since.IsZero() {
		sq.filter += ` AND s.created_at >= ` + sq.arg(time.UnixMilli(p.SinceMS)) + `::timestamptz`
	}
	if !q.Until.IsZero() {
		sq.filter += ` AND s.created_at < ` + sq.arg(time.UnixMilli(p.UntilMS)) + `::timestamptz`
	}
	k := p.After
	if k == nil {
		return
	}
	after := func(a string) string {
		t, r := sq.arg(time.UnixMilli(k.TimeMS)), sq.arg(k.Room)
		return `(` + a + `.created_at < ` + t + `::timestamptz OR ` + a + `.created_at = ` + t + `::timestamptz AND (` +
			a + `.room COLLATE "C" > ` + r + ` OR ` + a + `.room = ` + r + ` AND ` + a + `.seq < ` + sq.arg(int64(k.Seq)) + `))`
	}
	if !p.Relevance {
		sq.filter += ` AND ` + after("s")
		return
	}
	rank := sq.arg(k.Rank)
	sq.after = ` AND (z.rank > ` + rank + `::float8 OR z.rank = ` + rank + `::float8 AND ` + after("z") + `)`
}

// arg adds v to sq's arguments and returns its placeholder.
func (sq *roomSearch) arg(v any) string {
	sq.args = append(sq.args, v)
	return "$" + strconv.Itoa(len(sq.args))
}

// statement returns sq's arguments followed by more, and a function adding one of them.
func (sq *roomSearch) statement() (args *[]any, arg func(v any) string) {
	a := append([]any{pgx.QueryExecModeExec}, sq.args...)
	return &a, func(v any) string {
		a = append(a, v)
		return "$" + strconv.Itoa(len(a)-1)
	}
}

// allRooms returns the indexes 0…n-1.
func allRooms(n int) []int {
	ix := make([]int, n)
	for i := range ix {
		ix[i] = i
	}
	return ix
}

// The newest-first search reads each room's newest rows in time order, searchProbeRows per
// hit of a page, and stops at a page of hits: a common word fills it at once. A room that
// has more rows and fewer hits among them goes on in time order when its hits are dense
// enough (at least one in searchDenseRows rows), for as many rows as they promise a page in
// (with some to spare, up to searchScanRows), and is searched through the GIN index
// otherwise, or when that did not fill its page either.
var (
	searchProbeRows = 2    // a variable for tests only
	searchDenseRows = 8    // rows per hit, at most, to go on reading in time order
	searchScanRows  = 2000 // rows of a room read in time order, at most
)

// searchNewest returns up to Limit+1 keys of the newest hits of each room of sq, or of as
// many rooms as can still reach the page: a room short of a page whose unread rows all come
// after Limit+1 hits found already (newest first) is left as it is (beyondPage).
func (s *Store) searchNewest(ctx context.Context, sq *roomSearch) ([]fulltext.Key, error) {
	want := sq.p.Limit + 1
	probe := min(want*searchProbeRows, searchScanRows)
	caps := make([]int, len(sq.rooms))
	for i := range caps {
		caps[i] = probe
	}
	keys, hits, last, err := s.searchInOrder(ctx, sq, allRooms(len(sq.rooms)), caps)
	if err != nil {
		return nil, err
	}
	var again, index []int
	caps = caps[:0]
	for i := range sq.rooms {
		switch h := hits[i]; {
		case h >= want || last[i] == nil: // a page, or every row of the room
		case beyondPage(keys, *last[i], want):
		case h*searchDenseRows >= probe && probe < searchScanRows:
			again = append(again, i)
			caps = append(caps, min(searchScanRows, probe*want*3/(2*h)))
		default:
			index = append(index, i)
		}
	}
	if len(again) > 0 {
		keys = slices.DeleteFunc(keys, func(k fulltext.Key) bool { return inRooms(sq, again, k.Room) }) // read again
		found, hits, last, err := s.searchInOrder(ctx, sq, again, caps)
		if err != nil {
			return nil, err
		}
		keys = append(keys, found...)
		for j, i := range again {
			if hits[j] < want && last[j] != nil {
				index = append(index, i)
			}
		}
		// The rows read again may have found enough hits to leave out a room that goes to the index.
		index = slices.DeleteFunc(index, func(i int) bool {
			j := slices.Index(again, i)
			return j >= 0 && beyondPage(keys, *last[j], want)
		})
	}
	if len(index) == 0 {
		return keys, nil
	}
	// Drop what the reads in time order found in those rooms: the index finds all of it.
	keys = slices.DeleteFunc(keys, func(k fulltext.Key) bool { return inRooms(sq, index, k.Room) })
	found, err := s.searchIndex(ctx, sq, index)
	return append(keys, found...), err
}

// beyondPage reports whether want of keys come before edge, the key of the oldest row a room's
// read in time order reached: every row of that room not read comes after edge, so none of
// them can be in the first want hits, which keys already fill. This spares reading such rooms
// further (through the GIN index, each hit a heap row of its own: a prefix over 20 rooms read
// about a thousand pages, tens of ms, for hits that a busier room's newer ones put off the page).
func beyondPage(keys []fulltext.Key, edge fulltext.Key, want int) bool {
	n := 0
	for _, k := range keys {
		if k.Before(edge, false) {
			if n++; n >= want {
				return true
			}
		}
	}
	return false
}

// inRooms reports whether room is one of the rooms of sq numbered in.
func inRooms(sq *roomSearch, in []int, room string) bool {
	return slices.ContainsFunc(in, func(i int) bool { return sq.rooms[i] == room })
}

// searchInOrder reads the newest rows of the rooms of sq numbered in, caps[j] rows of room
// in[j] at most, and returns the keys of their first Limit+1 hits, the number of hits of each
// room (in in's order), and for each room that has fewer hits than that and more rows than
// were read, the key of the last row read (nil for the others).
func (s *Store) searchInOrder(ctx context.Context, sq *roomSearch, in []int, caps []int) ([]fulltext.Key, []int, []*fulltext.Key, error) {
	rooms, queries := make([]string, len(in)), make([]string, len(in))
	for j, i := range in {
		rooms[j], queries[j] = sq.rooms[i], sq.queries[i]
	}
	args, arg := sq.statement()
	want := arg(sq.p.Limit + 1)
	// The subquery's LIMIT keeps the match test out of it, so the room's rows are read in time
	// order and the read stops at a page of hits; only a room short of one reads the last row
	// read and the one after it (e: two rows if it has more), from the time-ordered index.
	query := `SELECT r.i, coalesce(x.seqs, '{}'), coalesce(x.ats, '{}'), coalesce(e.seqs, '{}'), coalesce(e.ats, '{}')
		FROM unnest(` + arg(rooms) + `::text[], ` + arg(queries) + `::tsquery[], ` + arg(caps) + `::int[]) WITH ORDINALITY AS r(room, q, cap, i)
		CROSS JOIN LATERAL (SELECT array_agg(h.seq) AS seqs, array_agg(h.created_at) AS ats FROM (
			SELECT c.seq, c.created_at FROM (
				SELECT s.seq, s.created_at, s.doc FROM message_search s WHERE s.room = r.room` + sq.filter + `
				ORDER BY s.created_at DESC, s.seq DESC LIMIT r.cap) AS c
			WHERE c.doc @@ r.q ORDER BY c.created_at DESC, c.seq DESC LIMIT ` + want + `) AS h) AS x
		CROSS JOIN LATERAL (SELECT array_agg(z.seq) AS seqs, array_agg(z.created_at) AS ats FROM (
			SELECT s.seq, s.created_at FROM message_search s
			WHERE s.room = r.room` + sq.filter + ` AND coalesce(cardinality(x.seqs), 0) < ` + want + `
			ORDER BY s.created_at DESC, s.seq DESC OFFSET r.cap - 1 LIMIT 2) AS z) AS e`
	rows, _ := s.pool.Query(ctx, query, *args...)
	var keys []fulltext.Key
	hits, last := make([]int, len(in)), make([]*fulltext.Key, len(in))
	var i int64
	var seqs, edge []int64
	var ats, edgeAts []time.Time
	_, err := pgx.ForEachRow(rows, []any{&i, &seqs, &ats, &edge, &edgeAts}, func() error {
		j := int(i) - 1
		for n, seq := range seqs {
			keys = append(keys, fulltext.Key{TimeMS: ats[n].UnixMilli(), Room: rooms[j], Seq: uint64(seq)})
		}
		hits[j] = len(seqs)
		if len(edge) == 2 {
			last[j] = &fulltext.Key{TimeMS: edgeAts[0].UnixMilli(), Room: rooms[j], Seq: uint64(edge[0])}
		}
		return nil
	})
	return keys, hits, last, err
}

// searchIndex returns the keys of the first Limit+1 hits newest first of each room of sq
// numbered in, found through the GIN index (each room's own entries of its tsquery; OFFSET 0
// keeps the room's time-ordered index out of the plan).
func (s *Store) searchIndex(ctx context.Context, sq *roomSearch, in []int) ([]fulltext.Key, error) {
	rooms, queries := make([]string, len(in)), make([]string, len(in))
	for j, i := range in {
		rooms[j], queries[j] = sq.rooms[i], sq.queries[i]
	}
	args, arg := sq.statement()
	query := `SELECT r.room, x.seq, x.created_at
		FROM unnest(` + arg(rooms) + `::text[], ` + arg(queries) + `::tsquery[]) AS r(room, q)
		CROSS JOIN LATERAL (SELECT z.seq, z.created_at FROM (
			SELECT s.room, s.seq, s.created_at FROM message_search s WHERE s.doc @@ r.q` + sq.filter + ` OFFSET 0) AS z
			WHERE z.room = r.room
			ORDER BY z.created_at DESC, z.seq DESC LIMIT ` + arg(sq.p.Limit+1) + `) AS x`
	return s.searchKeys(ctx, query, *args, false)
}

// searchKeys runs query, whose rows are a hit's room, seq and time, and with rank also its
// rank, and returns their keys.
func (s *Store) searchKeys(ctx context.Context, query string, args []any, rank bool) ([]fulltext.Key, error) {
	rows, _ := s.pool.Query(ctx, query, args...)
	var keys []fulltext.Key
	var k fulltext.Key
	var seq int64
	var at time.Time
	dest := []any{&k.Room, &seq, &at, &k.Rank}
	if !rank {
		dest = dest[:3]
	}
	_, err := pgx.ForEachRow(rows, dest, func() error {
		k.Seq, k.TimeMS = uint64(seq), at.UnixMilli()
		keys = append(keys, k)
		return nil
	})
	return keys, err
}

// searchRelevance returns the keys of the first Limit+1 hits by relevance of all the rooms
// of sq. A hit's rank is its message's length class (fulltext.LengthClass: the shorter
// first) less its ts_rank normalized by the log of its length and scaled into [0, 1) (flags
// 1|32): the class first, then ts_rank, which for a word found once in each message mostly
// says the same. Ranking every match would read the heap row of each (a common word: tens
// of rows in every room, each on a page of its own, since a room's rows are spread over the
// table in time order); here the classes are read one at a time, shortest first, each
// room's hits of class c found through the GIN index by the room's tsquery and its class
// lexeme (fulltext.ClassLexeme), and the statement stops once a page of hits is found: the
// classes come in order (the ordered generate_series), so the sort of the hits is an
// Incremental Sort on the class, whose LIMIT ends the loop over the classes. A cursor's rank
// says the class to start from.
func (s *Store) searchRelevance(ctx context.Context, sq *roomSearch) ([]fulltext.Key, error) {
	classes := make([]string, len(sq.rooms))
	for i, r := range sq.rooms {
		cl := fulltext.ClassLexeme(fulltext.RoomKey(r), 0)
		classes[i] = cl[:len(cl)-3] // 'key# — each class adds its two digits and the quote
	}
	first := 1
	if k := sq.p.After; k != nil {
		first = min(max(int(math.Ceil(k.Rank)), 1), fulltext.MaxLengthClass)
	}
	args, arg := sq.statement()
	query := `SELECT z.room, z.seq, z.created_at, z.rank
		FROM (SELECT c FROM generate_series(` + arg(first) + `::int, ` + arg(fulltext.MaxLengthClass) + `::int) AS c ORDER BY c) AS cc
		CROSS JOIN LATERAL (SELECT y.room, y.seq, y.created_at, cc.c - y.t AS rank
			FROM unnest(` + arg(sq.rooms) + `::text[], ` + arg(sq.queries) + `::tsquery[], ` + arg(classes) + `::text[]) AS r(room, q, k)
			CROSS JOIN LATERAL (
				SELECT s.room, s.seq, s.created_at, ts_rank(s.doc, r.q, 33)::float8 AS t FROM message_search s
				WHERE s.doc @@ (r.q && (r.k || lpad(cc.c::text, 2, '0') || '''')::tsquery)` + sq.filter + ` OFFSET 0) AS y
			WHERE y.room = r.room) AS z
		WHERE true` + sq.after + `
		ORDER BY cc.c, z.rank, z.created_at DESC, z.room COLLATE "C", z.seq DESC LIMIT ` + arg(sq.p.Limit+1)
	return s.searchKeys(ctx, query, *args, true)
}

// searchPage reads the messages of keys, in their order and current state, into a page.
func (s *Store) searchPage(ctx context.Context, q hubbub.SearchQuery, p fulltext.Plan, keys []fulltext.Key) (hubbub.SearchPage, error) {
	krooms, kseqs, kranks := make([]string, len(keys)), make([]int64, len(keys)), make([]float64, len(keys))
	for i, k := range keys {
		krooms[i], kseqs[i], kranks[i] = k.Room, int64(k.Seq), k.Rank
	}
	rows, _ := s.pool.Query(ctx, `SELECT k.kroom, k.krank, `+messageRow+`
		FROM unnest($1::text[], $2::bigint[], $3::float8[]) WITH ORDINALITY AS k(kroom, kseq, krank, i)
		JOIN messages m ON m.room = k.kroom AND m.seq = k.kseq WHERE NOT m.deleted ORDER BY k.i`, krooms, kseqs, kranks)
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
