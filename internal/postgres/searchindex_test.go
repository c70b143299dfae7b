package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"hubbub"
	"hubbub/internal/fulltext"
	"hubbub/internal/storetest"
)

// behind is the Options of a store whose indexer indexes nothing on its own: only a search,
// Close or the next Open does.
var behind = Options{SearchLag: MaxSearchLag, SearchDelay: -1}

// indexRows returns how many rows message_search holds for room.
func indexRows(t *testing.T, s *Store, room string) int {
	t.Helper()
	var n int
	if err := s.pool.QueryRow(t.Context(), `SELECT count(*) FROM message_search WHERE room = $1`, room).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// searchIDs returns the ids of every hit of text in rooms, newest first.
func searchIDs(t *testing.T, s *Store, text string, rooms ...string) []string {
	t.Helper()
	p, err := s.Search(t.Context(), hubbub.SearchQuery{Rooms: rooms, Text: text, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, h := range p.Hits {
		ids = append(ids, h.Message.ID)
	}
	return ids
}

// TestSearchBehindAppends: the index is written behind the appends, and a search right after
// an append finds it (it indexes its rooms first), of this node or of another on the same
// database; an edit and a delete before the message is indexed leave it indexed as it then
// is (the new text only) or not at all.
func TestSearchBehindAppends(t *testing.T) {
	a, u := openTest(t, behind)
	b := openAt(t, u, behind)
	ctx := t.Context()
	m, _, _, err := a.Append(ctx, &hubbub.Entry{Room: "r", From: "ann", Text: "needle one"})
	if err != nil {
		t.Fatal(err)
	}
	if n := indexRows(t, a, "r"); n != 0 {
		t.Fatalf("%d index rows right after the append: the index is not behind", n)
	}
	if ids := searchIDs(t, b, "needle", "r"); len(ids) != 1 || ids[0] != m.ID {
		t.Errorf("another store's search right after the append: %v, want [%s]", ids, m.ID)
	}

	edit, _, _, err := a.Append(ctx, &hubbub.Entry{Room: "r", From: "ann", Text: "needle old"})
	if err != nil {
		t.Fatal(err)
	}
	gone, _, _, err := a.Append(ctx, &hubbub.Entry{Room: "r", From: "ann", Text: "needle gone"})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := b.Append(ctx, &hubbub.Entry{Room: "r", From: "ann", Kind: hubbub.KindEdit, Target: edit.Seq, Text: "haystack new"}); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := b.Append(ctx, &hubbub.Entry{Room: "r", From: "ann", Kind: hubbub.KindDelete, Target: gone.Seq}); err != nil {
		t.Fatal(err)
	}
	if n := indexRows(t, a, "r"); n != 2 { // "needle one", and the edit's row
		t.Errorf("%d index rows before the search, want 2", n)
	}
	if ids := searchIDs(t, a, "needle", "r"); len(ids) != 1 || ids[0] != m.ID {
		t.Errorf("needle after an edit and a delete before indexing: %v, want [%s]", ids, m.ID)
	}
	if ids := searchIDs(t, a, "haystack", "r"); len(ids) != 1 || ids[0] != edit.ID {
		t.Errorf("the edited text: %v, want [%s]", ids, edit.ID)
	}
	if n := indexRows(t, a, "r"); n != 2 {
		t.Errorf("%d index rows after the search, want 2 (the deleted message has none)", n)
	}
}

// TestSearchIndexCloseOpen: Close indexes what its store left waiting, and Open what a store
// that stopped without it (a crash) left.
func TestSearchIndexCloseOpen(t *testing.T) {
	a, u := openTest(t, behind)
	ctx := t.Context()
	for i := range 3 {
		if _, _, _, err := a.Append(ctx, &hubbub.Entry{Room: "r", From: "ann", Text: fmt.Sprint("needle ", i)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	b := openAt(t, u, behind)
	if n := indexRows(t, b, "r"); n != 3 {
		t.Errorf("%d index rows after Close, want 3", n)
	}
	// What a crash leaves: the messages stored, their rows not written, the watermark behind.
	adminExec(t, u, `DELETE FROM message_search`)
	adminExec(t, u, `UPDATE search_rooms SET indexed = 0`)
	c := openAt(t, u, behind)
	if n := indexRows(t, c, "r"); n != 3 {
		t.Errorf("%d index rows after Open, want 3", n)
	}
}

// TestSearchIndexLagDelay: the indexer indexes on its own once Options.SearchLag entries
// of a room wait, or once the first has waited Options.SearchDelay.
func TestSearchIndexLagDelay(t *testing.T) {
	for _, c := range []struct {
		name string
		o    Options
		n    int
	}{
		{"lag", Options{SearchLag: 3, SearchDelay: -1}, 3},
		{"delay", Options{SearchLag: MaxSearchLag, SearchDelay: 10 * time.Millisecond}, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			s, _ := openTest(t, c.o)
			for i := range c.n {
				if _, _, _, err := s.Append(t.Context(), &hubbub.Entry{Room: "r", From: "ann", Text: fmt.Sprint("needle ", i)}); err != nil {
					t.Fatal(err)
				}
			}
			for deadline := time.Now().Add(20 * time.Second); indexRows(t, s, "r") != c.n; time.Sleep(5 * time.Millisecond) {
				if time.Now().After(deadline) {
					t.Fatalf("%d of %d messages indexed after 20s", indexRows(t, s, "r"), c.n)
				}
			}
		})
	}
}

// TestSearchIndexLagPerRoom: the lag counts each room's entries: a room whose entries reach
// it is indexed, while the rooms with fewer wait for the delay (here none), a search of
// them, or Close — a node appending to many rooms indexes several messages of each at once.
func TestSearchIndexLagPerRoom(t *testing.T) {
	s, _ := openTest(t, Options{SearchLag: 3, SearchDelay: -1})
	ctx := t.Context()
	for i, room := range []string{"quiet", "busy", "quiet", "busy", "busy"} {
		if _, _, _, err := s.Append(ctx, &hubbub.Entry{Room: room, From: "ann", Text: fmt.Sprint("needle ", i)}); err != nil {
			t.Fatal(err)
		}
	}
	for deadline := time.Now().Add(20 * time.Second); indexRows(t, s, "busy") != 3; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d of the busy room's 3 messages indexed after 20s", indexRows(t, s, "busy"))
		}
	}
	if n := indexRows(t, s, "quiet"); n != 0 {
		t.Errorf("the quiet room, 2 entries of a lag of 3, has %d rows; want 0 until its lag or a search", n)
	}
	if p, err := s.Search(ctx, hubbub.SearchQuery{Rooms: []string{"quiet"}, Text: "needle"}); err != nil || len(p.Hits) != 2 {
		t.Fatalf("search of the quiet room: %d hits, %v; want 2", len(p.Hits), err)
	}
}

// TestSearchIndexTwoStores: two stores on one database append to, edit, delete in and
// search the same rooms at once, each indexing behind its appends and before its searches:
// in the end every message is indexed once, in its final state (its row's vector is that of
// its current text), every deleted one not at all, and each room's watermark is its last seq.
func TestSearchIndexTwoStores(t *testing.T) {
	a, u := openTest(t, Options{SearchLag: 5, SearchDelay: time.Millisecond})
	b := openAt(t, u, Options{SearchLag: 7, SearchDelay: time.Millisecond})
	ctx := t.Context()
	rooms := []string{"x", "y", "z"}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for w, s := range []*Store{a, b, a, b} {
		untilStopped(&wg, stop, func(i int) bool {
			room := rooms[(w+i)%len(rooms)]
			m, _, _, err := s.Append(ctx, &hubbub.Entry{Room: room, From: "ann", Text: fmt.Sprintf("needle %d %d", w, i)})
			if err != nil {
				t.Error(err)
				return false
			}
			var e hubbub.Entry
			switch i % 4 {
			case 1:
				e = hubbub.Entry{Room: room, From: "ann", Kind: hubbub.KindEdit, Target: m.Seq, Text: fmt.Sprintf("edited %d %d", w, i)}
			case 2:
				e = hubbub.Entry{Room: room, From: "ann", Kind: hubbub.KindDelete, Target: m.Seq}
			default:
				return true
			}
			if _, _, _, err := s.Append(ctx, &e); err != nil {
				t.Error(err)
				return false
			}
			return true
		})
	}
	for _, s := range []*Store{a, b} {
		untilStopped(&wg, stop, func(i int) bool {
			if _, err := s.Search(ctx, hubbub.SearchQuery{Rooms: rooms[i%2 : i%2+2], Text: "needle"}); err != nil {
				t.Error(err)
				return false
			}
			return true
		})
	}
	time.Sleep(2 * time.Second)
	close(stop)
	wg.Wait()
	if t.Failed() {
		return
	}
	if _, err := a.Search(ctx, hubbub.SearchQuery{Rooms: rooms, Text: "needle"}); err != nil { // the last appends, indexed
		t.Fatal(err)
	}
	var messages, stale, missing, extra, marks int
	if err := a.pool.QueryRow(ctx, `SELECT count(*) FROM messages WHERE NOT deleted`).Scan(&messages); err != nil {
		t.Fatal(err)
	}
	rows, err := a.pool.Query(ctx, `SELECT m.room, m.text, s.doc::text, s.room IS NULL FROM messages m
		LEFT JOIN message_search s ON s.room = m.room AND s.seq = m.seq WHERE NOT m.deleted`)
	if err != nil {
		t.Fatal(err)
	}
	var docs []struct{ room, text, doc string }
	for rows.Next() {
		var room, text string
		var doc *string
		var none bool
		if err := rows.Scan(&room, &text, &doc, &none); err != nil {
			t.Fatal(err)
		}
		if none {
			missing++
			continue
		}
		docs = append(docs, struct{ room, text, doc string }{room, text, *doc})
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	for _, d := range docs {
		var same bool
		if err := a.pool.QueryRow(ctx, `SELECT $1::tsvector = $2::tsvector`, d.doc, searchDoc(d.room, d.text)).Scan(&same); err != nil {
			t.Fatal(err)
		}
		if !same {
			stale++
		}
	}
	if err := a.pool.QueryRow(ctx, `SELECT count(*) FROM message_search s LEFT JOIN messages m ON m.room = s.room AND m.seq = s.seq
		WHERE m.seq IS NULL OR m.deleted`).Scan(&extra); err != nil {
		t.Fatal(err)
	}
	if err := a.pool.QueryRow(ctx, `SELECT count(*) FROM rooms r JOIN search_rooms s ON s.room = r.name AND s.indexed = r.last_seq`).Scan(&marks); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d messages", messages)
	if messages < 10 || missing != 0 || stale != 0 || extra != 0 || marks != len(rooms) {
		t.Errorf("%d messages: %d not indexed, %d indexed in an old state, %d rows of deleted messages; %d of %d watermarks at the last seq",
			messages, missing, stale, extra, marks, len(rooms))
	}
}

// TestMigrateToSearchBehind: a database of schema 12, whose messages the batches indexed,
// starts each room's watermark at its last seq (migration 0013), so that nothing is
// indexed again, and a message appended after is found.
func TestMigrateToSearchBehind(t *testing.T) {
	u := schemaAt(t, 12, "0013_search_behind.sql")
	adminExec(t, u, `INSERT INTO rooms (name, last_seq, last_message_no) VALUES ('old', 1, 1)`)
	adminExec(t, u, `INSERT INTO messages (room, seq, id, sender, user_id, text, created_at, deleted, message_no)
		VALUES ('old', 1, 'a', 'ann', 'ann', 'needle', '2026-01-02T00:00:01Z', false, 1)`)
	adminExec(t, u, `INSERT INTO message_search (room, seq, created_at, user_id, doc)
		VALUES ('old', 1, '2026-01-02T00:00:01Z', 'ann', $1::tsvector)`, fulltext.TSVectorIn(fulltext.RoomKey("old"), "needle"))
	adminExec(t, u, `UPDATE search_backfill SET done = true`)
	adminExec(t, u, `DELETE FROM message_search`) // were it indexed again, Open would bring it back

	s := openAt(t, u, behind)
	var indexed int64
	if err := s.pool.QueryRow(t.Context(), `SELECT indexed FROM search_rooms WHERE room = 'old'`).Scan(&indexed); err != nil || indexed != 1 {
		t.Errorf("the old room's watermark: %d, %v; want 1", indexed, err)
	}
	if n := indexRows(t, s, "old"); n != 0 {
		t.Errorf("%d rows indexed again", n)
	}
	m, _, _, err := s.Append(t.Context(), &hubbub.Entry{Room: "old", From: "ann", Text: "needle new"})
	if err != nil {
		t.Fatal(err)
	}
	if ids := searchIDs(t, s, "needle", "old"); len(ids) != 1 || ids[0] != m.ID {
		t.Errorf("after the migration: %v, want [%s] (the old row was deleted by the test)", ids, m.ID)
	}
}

// TestSearchIndexOff: a store opened with NoSearchIndex indexes nothing and refuses every
// search; the next Open with the index indexes what was appended meanwhile (storetest).
func TestSearchIndexOff(t *testing.T) {
	u := emptySchemas.Schema(t)
	storetest.RunSearchIndexOff(t, func(t *testing.T, index bool) hubbub.Store {
		return openAt(t, u, Options{SearchDelay: -1, NoSearchIndex: !index})
	})
}

// TestMigrateToOneSearchKey: a database of schema 15, with messages indexed under the two
// B-trees of message_search, keeps them (migration 0016 leaves one, the primary key on room,
// time and seq): they are found, an edit is found by its new text only, a deleted message
// not at all, and a message appended after is found.
func TestMigrateToOneSearchKey(t *testing.T) {
	u := schemaAt(t, 15, "0016_search_one_btree.sql")
	adminExec(t, u, `INSERT INTO rooms (name, last_seq, last_message_no) VALUES ('old', 3, 3)`)
	for seq, text := range []string{"", "needle one", "needle two", "needle three"} {
		if seq == 0 {
			continue
		}
		at := fmt.Sprintf("2026-01-02T00:00:0%dZ", seq)
		adminExec(t, u, `INSERT INTO messages (room, seq, id, sender, user_id, text, created_at, deleted, message_no)
			VALUES ('old', $1, $2, 'ann', 'ann', $3, $4, false, $1)`, seq, fmt.Sprint("m", seq), text, at)
		adminExec(t, u, `INSERT INTO message_search (room, seq, created_at, user_id, doc)
			VALUES ('old', $1, $2, 'ann', $3::tsvector)`, seq, at, fulltext.TSVectorIn(fulltext.RoomKey("old"), text))
	}
	adminExec(t, u, `UPDATE search_backfill SET done = true`)
	adminExec(t, u, `INSERT INTO search_rooms (room, indexed) VALUES ('old', 3)`)

	s := openAt(t, u, behind)
	ctx := t.Context()
	rows, _ := s.pool.Query(ctx, `SELECT indexname FROM pg_indexes WHERE tablename = 'message_search' AND indexdef NOT LIKE '%USING gin%'
		AND schemaname = current_schema() ORDER BY 1`)
	btrees, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil || !slices.Equal(btrees, []string{"message_search_pkey"}) {
		t.Errorf("message_search's B-trees: %q, %v; want the primary key alone", btrees, err)
	}
	texts := func(q string) []string {
		t.Helper()
		p, err := s.Search(ctx, hubbub.SearchQuery{Rooms: []string{"old"}, Text: q})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, h := range p.Hits {
			got = append(got, h.Message.Text)
		}
		return got
	}
	if got := texts("needle"); !slices.Equal(got, []string{"needle three", "needle two", "needle one"}) {
		t.Fatalf("after the migration, needle finds %q; want the three, newest first", got)
	}
	for _, e := range []hubbub.Entry{
		{Room: "old", From: "ann", Kind: hubbub.KindEdit, Target: 1, Text: "haystack one"},
		{Room: "old", From: "ann", Kind: hubbub.KindDelete, Target: 2},
		{Room: "old", From: "ann", Text: "needle four"},
	} {
		if _, _, _, err := s.Append(ctx, &e); err != nil {
			t.Fatal(err)
		}
	}
	if got := texts("needle"); !slices.Equal(got, []string{"needle four", "needle three"}) {
		t.Errorf("after an edit, a delete and an append, needle finds %q; want four and three", got)
	}
	if got := texts("haystack"); !slices.Equal(got, []string{"haystack one"}) {
		t.Errorf("the edited message: haystack finds %q", got)
	}
	if n := indexRows(t, s, "old"); n != 3 {
		t.Errorf("%d index rows, want 3 (one each of the edited, the untouched and the new message)", n)
	}
}

// TestPruneSearchReadsWhatItDeletes: a prune of a room's oldest messages deletes their rows
// of message_search, and only those, reading about as many of its pages as it deletes rows —
// not the whole room's range of the key (room, created_at, seq), through which "seq below the
// cut" alone would have read every row the room kept, at every prune (one a minute under
// retention).
func TestPruneSearchReadsWhatItDeletes(t *testing.T) {
	s, u := openNew(t, behind)
	ctx := t.Context()
	const n, cut = 50000, 11
	adminExec(t, u, `INSERT INTO rooms (name, last_seq, last_message_no) VALUES ('big', $1, $1)`, n)
	adminExec(t, u, `INSERT INTO messages (room, seq, id, sender, user_id, text, created_at, deleted, message_no)
		SELECT 'big', g, 'm' || g, 'ann', 'ann', 'hay', timestamptz '2026-01-01T00:00:00Z' + g * interval '1 second', false, g
		FROM generate_series(1, $1::bigint) AS g`, n)
	adminExec(t, u, `INSERT INTO message_search (room, seq, created_at, user_id, doc)
		SELECT room, seq, created_at, user_id, 'hay'::tsvector FROM messages WHERE room = 'big'`)
	adminExec(t, u, `INSERT INTO search_rooms (room, indexed) VALUES ('big', $1)`, n)
	adminExec(t, u, `ANALYZE messages`)
	adminExec(t, u, `ANALYZE message_search`)

	tx, err := s.pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	var out string
	if err := tx.QueryRow(ctx, `EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) `+pruneSearch, "big", cut).Scan(&out); err != nil {
		t.Fatal(err)
	}
	var plan []struct {
		Plan map[string]any `json:"Plan"` // a node's blocks count its children's
	}
	if err := json.Unmarshal([]byte(out), &plan); err != nil || len(plan) != 1 {
		t.Fatalf("EXPLAIN gave %s: %v", out, err)
	}
	hit, _ := plan[0].Plan["Shared Hit Blocks"].(float64)
	read, _ := plan[0].Plan["Shared Read Blocks"].(float64)
	if blocks := hit + read; blocks > 100 {
		t.Errorf("pruneSearch read %v pages to delete %d of %d rows; want a few dozen:\n%s", blocks, cut-1, n, out)
	}
	var below, left int
	if err := tx.QueryRow(ctx, `SELECT count(*) FILTER (WHERE seq < $1), count(*) FROM message_search WHERE room = 'big'`, cut).Scan(&below, &left); err != nil {
		t.Fatal(err)
	}
	if below != 0 || left != n-(cut-1) {
		t.Errorf("after pruneSearch below seq %d: %d rows below it, %d in all; want 0 and %d", cut, below, left, n-(cut-1))
	}
}

// TestIndexerPlansJoinTheRooms: the statements that name an indexing transaction's rooms (up
// to searchIndexRooms of them) read each room's rows as a join with the array, in the plan
// PostgreSQL keeps for a prepared statement after its first executions (the generic plan) —
// never a scan of every room's row testing it against each element of the array, which cost
// 5–7 ms of the database's CPU for 256 rooms of a thousand.
func TestIndexerPlansJoinTheRooms(t *testing.T) {
	s, _ := openNew(t, behind)
	ctx := t.Context()
	if _, err := s.pool.Exec(ctx, `INSERT INTO rooms (name, last_seq, last_message_no) SELECT 'room' || lpad(n::text, 4, '0'), 2, 2 FROM generate_series(0, 999) AS n`); err != nil {
		t.Fatal(err)
	}
	if _, err := s.pool.Exec(ctx, `INSERT INTO search_rooms (room, indexed) SELECT name, 1 FROM rooms`); err != nil {
		t.Fatal(err)
	}
	if _, err := s.pool.Exec(ctx, `ANALYZE rooms; ANALYZE search_rooms`); err != nil {
		t.Fatal(err)
	}
	var names []string
	for i := range searchIndexRooms {
		names = append(names, fmt.Sprintf("room%04d", 100+i))
	}
	array := "'{" + strings.Join(names, ",") + "}'"
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SET plan_cache_mode = force_generic_plan`); err != nil {
		t.Fatal(err)
	}
	defer conn.Exec(context.Background(), `RESET plan_cache_mode; DEALLOCATE ALL`)
	for i, c := range []struct{ name, sql, args string }{
		{"lockSearchRooms", lockSearchRooms, array},
		{"shareSearchRooms", shareSearchRooms, array},
		{"readWaiting", readWaiting, array + ", 1024"},
		{"behindRooms", behindRooms, array},
	} {
		types := "text[]"
		if c.name == "readWaiting" {
			types += ", int"
		}
		stmt := fmt.Sprint("zz_plan_", i)
		if _, err := conn.Exec(ctx, `PREPARE `+stmt+` (`+types+`) AS `+c.sql, pgx.QueryExecModeSimpleProtocol); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		rows, _ := conn.Query(ctx, `EXPLAIN EXECUTE `+stmt+`(`+c.args+`)`, pgx.QueryExecModeSimpleProtocol)
		plan, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		for _, line := range plan {
			if strings.Contains(line, "Filter:") && strings.Contains(line, "ANY") {
				t.Errorf("%s's generic plan tests every row against the array:\n%s", c.name, strings.Join(plan, "\n"))
				break
			}
		}
	}
}

// TestTSVectorBinaryIsTheLiteral: the vector the index's rows are sent as (searchDoc, in
// binary) is the one its literal (fulltext.TSVectorIn) parses to, lexemes and positions, for
// a corpus of chat and the odd texts: none, quotes and backslashes, CJK, a token repeated past
// the 256 positions kept, many distinct tokens, the most tokens indexed. Sent over the simple
// protocol (as text), it is the same vector too.
func TestTSVectorBinaryIsTheLiteral(t *testing.T) {
	s, _ := openTest(t, behind)
	ctx := t.Context()
	texts := []string{"", "!!", "it's a 'quoted' \\back\\slash", "Café café au LAIT", "我们聊天 ok",
		strings.Repeat("x ", 300), strings.Repeat("ab abc a ", 5000), strings.Repeat("long", 100)}
	var many []string
	for i := range 400 {
		many = append(many, fmt.Sprint("w", i%150, " z", i))
	}
	texts = append(texts, strings.Join(many, " "))
	gen := storetest.SearchCorpus(3)
	for range 2000 {
		texts = append(texts, gen())
	}
	var rooms []string
	var docs []tsvectorBinary
	var literals []string
	for i, text := range texts {
		room := fmt.Sprint("room", i%37)
		rooms, docs = append(rooms, room), append(docs, searchDoc(room, text))
		literals = append(literals, fulltext.TSVectorIn(fulltext.RoomKey(room), text))
	}
	const differ = `SELECT u.i, u.b::text, u.l FROM unnest($1::tsvector[], $2::text[]) WITH ORDINALITY AS u(b, l, i)
		WHERE u.b IS DISTINCT FROM u.l::tsvector OR u.b::text IS DISTINCT FROM u.l::tsvector::text LIMIT 3`
	for _, mode := range []pgx.QueryExecMode{pgx.QueryExecModeCacheStatement, pgx.QueryExecModeSimpleProtocol} {
		rows, _ := s.pool.Query(ctx, differ, mode, docs, literals)
		var i int
		var got, want string
		n, err := pgx.ForEachRow(rows, []any{&i, &got, &want}, func() error {
			t.Errorf("%v: text %q: sent as\n%s\nwant\n%s", mode, texts[i-1], got, want)
			return nil
		})
		if err != nil {
			t.Fatalf("%v: %v", mode, err)
		}
		if n.RowsAffected() != 0 {
			t.Errorf("%v: %d vectors differ (at most 3 shown)", mode, n.RowsAffected())
		}
	}
}
