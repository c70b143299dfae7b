package postgres

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"hubbub"
	"hubbub/internal/fulltext"
)

// TestMigrateToSearch: a database of schema 5 (before the search index) has its messages
// indexed by the first Open after migration 0006, more than one backfill statement's worth of
// them, a tombstone not; an edit and a delete of an old message change the index.
func TestMigrateToSearch(t *testing.T) {
	u := schemaAt(t, 5, "")
	adminExec(t, u, `INSERT INTO rooms (name, last_seq, last_message_no) VALUES ('old', 2503, 2503)`)
	adminExec(t, u, `INSERT INTO messages (room, seq, id, sender, user_id, text, created_at, deleted, message_no)
		SELECT 'old', n, 'id' || n, 'ann', 'ann', 'filler number ' || n, '2026-01-01T00:00:00Z'::timestamptz + n * interval '1 ms', false, n
		FROM generate_series(1, 2500) AS n`)
	adminExec(t, u, `INSERT INTO messages (room, seq, id, sender, user_id, text, created_at, deleted, message_no) VALUES
		('old', 2501, 'a', 'ann', 'ann', 'Café au lait', '2026-01-02T00:00:01Z', false, 2501),
		('old', 2502, 'b', 'bob', 'bob', '', '2026-01-02T00:00:02Z', true, 2502),
		('old', 2503, 'c', 'ann', 'ann', '我们在聊天室见面', '2026-01-02T00:00:03Z', false, 2503)`)

	s := openAt(t, u, Options{})
	ctx := t.Context()
	find := func(text string) []uint64 {
		t.Helper()
		var seqs []uint64
		q := hubbub.SearchQuery{Rooms: []string{"old"}, Text: text, Limit: hubbub.MaxSearchLimit}
		for {
			p, err := s.Search(ctx, q)
			if err != nil {
				t.Fatalf("search %q: %v", text, err)
			}
			for _, h := range p.Hits {
				seqs = append(seqs, h.Message.Seq)
			}
			if p.Next == "" {
				return seqs
			}
			q.Cursor = p.Next
		}
	}
	if got := find("filler"); len(got) != 2500 {
		t.Errorf("old messages found: %d, want 2500", len(got))
	}
	if got := find("cafe"); !slices.Equal(got, []uint64{2501}) {
		t.Errorf("an old message: %v", got)
	}
	if got := find("聊天"); !slices.Equal(got, []uint64{2503}) {
		t.Errorf("an old CJK message: %v", got)
	}
	if _, _, _, err := s.Append(ctx, &hubbub.Entry{Room: "old", From: "ann", Kind: hubbub.KindEdit, Target: 2501, Text: "tea"}); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := s.Append(ctx, &hubbub.Entry{Room: "old", From: "ann", Kind: hubbub.KindDelete, Target: 2503}); err != nil {
		t.Fatal(err)
	}
	if got := find("cafe"); len(got) != 0 {
		t.Errorf("an old message's text before its edit: %v", got)
	}
	if got := find("tea"); !slices.Equal(got, []uint64{2501}) {
		t.Errorf("an old message's edit: %v", got)
	}
	if got := find("聊天"); len(got) != 0 {
		t.Errorf("an old message deleted: %v", got)
	}
	// A second Open does not index again.
	var done bool
	if err := s.pool.QueryRow(ctx, `SELECT done FROM search_backfill`).Scan(&done); err != nil || !done {
		t.Errorf("backfill done = %v, %v", done, err)
	}
}

// TestMigrateToRoomKeys: a database whose index holds lexemes without their room's key
// (schema 9) has it emptied by migration 0010 and rebuilt by the first Open after it: an old
// message is found by its words, not by the old lexemes.
func TestMigrateToRoomKeys(t *testing.T) {
	u := schemaAt(t, 9, "0010_search_rooms.sql")
	adminExec(t, u, `INSERT INTO rooms (name, last_seq, last_message_no) VALUES ('old', 1, 1)`)
	adminExec(t, u, `INSERT INTO messages (room, seq, id, sender, user_id, text, created_at, deleted, message_no)
		VALUES ('old', 1, 'a', 'ann', 'ann', 'Café au lait', '2026-01-02T00:00:01Z', false, 1)`)
	adminExec(t, u, `INSERT INTO message_search (room, seq, created_at, user_id, doc)
		VALUES ('old', 1, '2026-01-02T00:00:01Z', 'ann', '''cafe'':1 ''au'':2 ''lait'':3 ''#r0123456789abcdef'':16383')`)
	adminExec(t, u, `UPDATE search_backfill SET done = true`)

	s := openAt(t, u, Options{})
	for _, order := range []hubbub.SearchOrder{hubbub.SearchNewest, hubbub.SearchRelevance} {
		p, err := s.Search(t.Context(), hubbub.SearchQuery{Rooms: []string{"old"}, Text: "caf lait", Order: order})
		if err != nil || len(p.Hits) != 1 || p.Hits[0].Message.ID != "a" {
			t.Errorf("%s: an old message after the migration: %+v, %v", order, p, err)
		}
	}
	var old int
	if err := s.pool.QueryRow(t.Context(), `SELECT count(*) FROM message_search WHERE doc @@ '''cafe'''::tsquery`).Scan(&old); err != nil || old != 0 {
		t.Errorf("rows of the old format left: %d, %v", old, err)
	}
}

// TestSearchQueriesAccepted: whatever the user types, the tsquery made of it is one
// PostgreSQL accepts (fulltext quotes every lexeme), and the search finds what it should.
func TestSearchQueriesAccepted(t *testing.T) {
	s, _ := openTest(t, Options{})
	ctx := t.Context()
	if _, _, _, err := s.Append(ctx, &hubbub.Entry{Room: "r", From: "ann", Text: `it's a back\slash: "quoted" & (grouped) | !not <-> x:* 'q'`}); err != nil {
		t.Fatal(err)
	}
	for _, text := range []string{
		`'`, `\`, `''`, `\'`, `it's`, `back\slash`, `"quoted"`, `&`, `a & b`, `(grouped)`, `!not`, `<->`, `x:*`, `:*`,
		`'q'`, `'; DROP TABLE messages; --`, `"unclosed`, `a:A`, `a:*B`, `@@`, "\x00", "a\u0000b", `$1`, `#r0123456789abcdef`,
		`NULL`, `* OR 1=1`, `𝓯𝓪𝓷𝓬𝔂`, `ﷺ`, `ǅ`, "\u200b", "a\u0301",
	} {
		_, err := s.Search(ctx, hubbub.SearchQuery{Rooms: []string{"r"}, Text: text})
		if err != nil && hubbub.ErrorCode(err) != hubbub.ECodeEmpty {
			t.Errorf("search %q: %v", text, err)
		}
	}
	for _, q := range []hubbub.SearchQuery{{Rooms: []string{"r\x00"}, Text: "x"}, {Rooms: []string{"r"}, Text: "x", User: "\xff"}} {
		if p, err := s.Search(ctx, q); err != nil || len(p.Hits) != 0 {
			t.Errorf("search in room %q by user %q: %+v, %v", q.Rooms[0], q.User, p, err)
		}
	}
	p, err := s.Search(ctx, hubbub.SearchQuery{Rooms: []string{"r"}, Text: `it's back\slash "quoted" not x q`})
	if err != nil || len(p.Hits) != 1 {
		t.Errorf("search of every word: %+v, %v", p, err)
	}
}

// needleAdder returns a function that appends a message of ann's to a room and, if its text
// holds "needle", adds its id to want (oldest first).
func needleAdder(t *testing.T, s *Store, want *[]string) func(room, text string) {
	return func(room, text string) {
		t.Helper()
		e, _, _, err := s.Append(t.Context(), &hubbub.Entry{Room: room, From: "ann", Text: text})
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(text, "needle") {
			*want = append(*want, e.ID)
		}
	}
}

// TestSearchNewestRoutes: newest first, a room's hits are found whichever way its rows are
// read — in time order at once (a room full of hits, a small room), in time order again for
// more rows (hits dense enough), or through the GIN index (a larger room with few hits
// among its newest rows) —, newest first, each once across pages, with the other rooms'
// hits, whatever the page size and the thresholds between the ways.
func TestSearchNewestRoutes(t *testing.T) {
	defer func(p, d, n int) { searchProbeRows, searchDenseRows, searchScanRows = p, d, n }(searchProbeRows, searchDenseRows, searchScanRows)
	s, _ := openTest(t, Options{})
	ctx := t.Context()
	var want []string
	add := needleAdder(t, s, &want)
	add("big", "needle one")
	add("small", "needle small")
	add("big", "needle two")
	for i := range 6 {
		add("big", fmt.Sprint("hay ", i))
	}
	for i := range 12 { // a hit in every third row
		if i%3 == 0 {
			add("sparse", fmt.Sprint("needle sparse ", i))
		} else {
			add("sparse", fmt.Sprint("hay sparse ", i))
		}
	}
	add("full", "needle a")
	add("full", "needle b")
	add("full", "needle c")
	slices.Reverse(want) // newest first
	for _, c := range []struct{ probe, dense, scan int }{{2, 8, 2000}, {1, 8, 2000}, {1, 3, 4}, {1, 1, 3}, {2, 8, 3}, {1, 100, 5}} {
		searchProbeRows, searchDenseRows, searchScanRows = c.probe, c.dense, c.scan
		for _, limit := range []int{1, 2, 3, 10} {
			var got []string
			q := hubbub.SearchQuery{Rooms: []string{"big", "small", "sparse", "full"}, Text: "needle", Limit: limit}
			for range 30 {
				p, err := s.Search(ctx, q)
				if err != nil {
					t.Fatal(err)
				}
				for _, h := range p.Hits {
					got = append(got, h.Message.ID)
				}
				if p.Next == "" {
					break
				}
				q.Cursor = p.Next
			}
			if !slices.Equal(got, want) {
				t.Errorf("%+v, limit %d: hits %v, want %v", c, limit, got, want)
			}
		}
	}
}

// TestSearchNewestBeyondPage: newest first, a room whose newest rows hold no hit is left
// unread only when the hits found already fill the page and the one after it: a room with
// one newer hit leaves the older room's hit for the next page, found there.
func TestSearchNewestBeyondPage(t *testing.T) {
	s, _ := openTest(t, Options{})
	ctx := t.Context()
	var want []string
	add := needleAdder(t, s, &want)
	add("quiet", "needle old")
	for i := range 10 {
		add("quiet", fmt.Sprint("hay ", i))
	}
	add("busy", "needle new")
	slices.Reverse(want)
	for _, limit := range []int{1, 2} {
		var got []string
		q := hubbub.SearchQuery{Rooms: []string{"quiet", "busy"}, Text: "needle", Limit: limit}
		for range 5 {
			p, err := s.Search(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			for _, h := range p.Hits {
				got = append(got, h.Message.ID)
			}
			if p.Next == "" {
				break
			}
			q.Cursor = p.Next
		}
		if !slices.Equal(got, want) {
			t.Errorf("limit %d: hits %v, want %v", limit, got, want)
		}
	}
}

// TestSearchRelevanceClasses: by relevance the hits come by length class, shortest first
// (one class per length up to 16 tokens, then bands, the longest past 128 tokens), within a
// class the word twice before once, each hit once across pages whatever the page size, with
// and without a filter, across rooms.
func TestSearchRelevanceClasses(t *testing.T) {
	s, _ := openTest(t, Options{})
	ctx := t.Context()
	type hit struct{ id, from string }
	var all []hit
	add := func(room, from string, tokens int, twice bool) {
		t.Helper()
		words := []string{"needle"}
		if twice {
			words = append(words, "needle")
		}
		for len(words) < tokens {
			words = append(words, fmt.Sprint("hay", len(words)))
		}
		e, _, _, err := s.Append(ctx, &hubbub.Entry{Room: room, From: from, Text: strings.Join(words, " ")})
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, hit{e.ID, from})
		if _, _, _, err := s.Append(ctx, &hubbub.Entry{Room: room, From: from, Text: "hay only"}); err != nil {
			t.Fatal(err)
		}
	}
	for _, n := range []int{40, 3, 200, 17, 5, 3, 1, 70, 16, 20, 2, 130, 9} {
		add([]string{"a", "b", "c"}[n%3], []string{"ann", "bob"}[n%2], n, false)
	}
	add("a", "ann", 3, true) // the word twice in 3 tokens: first of its class
	class := func(text string) int { return fulltext.LengthClass(len(fulltext.Tokens(text))) }
	for _, limit := range []int{1, 2, 5, 50} {
		for _, user := range []string{"", "ann"} {
			q := hubbub.SearchQuery{Rooms: []string{"a", "b", "c"}, Text: "needle", Order: hubbub.SearchRelevance, Limit: limit, User: user}
			var got []hubbub.SearchHit
			for range 40 {
				p, err := s.Search(ctx, q)
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, p.Hits...)
				if p.Next == "" {
					break
				}
				q.Cursor = p.Next
			}
			want := map[string]bool{}
			for _, h := range all {
				if user == "" || h.from == user {
					want[h.id] = true
				}
			}
			seen := map[string]bool{}
			for i, h := range got {
				if seen[h.Message.ID] || !want[h.Message.ID] {
					t.Errorf("limit %d, user %q: hit %q twice or not a match", limit, user, h.Message.Text)
				}
				seen[h.Message.ID] = true
				if i == 0 {
					continue
				}
				a, b := got[i-1].Message.Text, h.Message.Text
				if ca, cb := class(a), class(b); ca > cb || ca == cb && strings.Count(b, "needle") > strings.Count(a, "needle") {
					t.Errorf("limit %d, user %q: %q (class %d) before %q (class %d)", limit, user, a, ca, b, cb)
				}
			}
			if len(seen) != len(want) {
				t.Errorf("limit %d, user %q: %d hits, want %d", limit, user, len(seen), len(want))
			}
		}
	}
}

// TestMigrateToLengthClass: a database whose vectors lack the length class's lexeme (schema
// 11) has its index emptied by migration 0012 and rebuilt by the first Open after it: an old
// message is found by relevance, and its vector holds its class.
func TestMigrateToLengthClass(t *testing.T) {
	u := schemaAt(t, 11, "0012_search_length_class.sql")
	key := fulltext.RoomKey("old")
	adminExec(t, u, `INSERT INTO rooms (name, last_seq, last_message_no) VALUES ('old', 1, 1)`)
	adminExec(t, u, `INSERT INTO messages (room, seq, id, sender, user_id, text, created_at, deleted, message_no)
		VALUES ('old', 1, 'a', 'ann', 'ann', 'Café au lait', '2026-01-02T00:00:01Z', false, 1)`)
	adminExec(t, u, `INSERT INTO message_search (room, seq, created_at, user_id, doc)
		VALUES ('old', 1, '2026-01-02T00:00:01Z', 'ann', $1::tsvector)`, "'"+key+".cafe':1 '"+key+".au':2 '"+key+".lait':3")
	adminExec(t, u, `UPDATE search_backfill SET done = true`)

	s := openAt(t, u, Options{})
	p, err := s.Search(t.Context(), hubbub.SearchQuery{Rooms: []string{"old"}, Text: "caf lait", Order: hubbub.SearchRelevance})
	if err != nil || len(p.Hits) != 1 || p.Hits[0].Message.ID != "a" {
		t.Errorf("an old message by relevance after the migration: %+v, %v", p, err)
	}
	var classed bool
	if err := s.pool.QueryRow(t.Context(), `SELECT doc @@ $1::tsquery FROM message_search`, fulltext.ClassLexeme(key, 3)).Scan(&classed); err != nil || !classed {
		t.Errorf("the rebuilt vector holds its class: %v, %v", classed, err)
	}
}
