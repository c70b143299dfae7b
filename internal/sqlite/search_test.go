package sqlite

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"hubbub"
	"hubbub/internal/fulltext"
	"hubbub/internal/testwait"
)

// searchWords is the vocabulary of the generated messages: a few common words, many rarer
// ones, some with diacritics, and CJK text.
var searchWords = func() []string {
	w := strings.Fields("the a deploy deployed release meeting lunch today tomorrow café naïve 聊天室 東京 チャット")
	for i := range 400 {
		w = append(w, fmt.Sprintf("word%03d", i))
	}
	return w
}()

// genText returns the i-th generated message: 3 to 12 words, the first words (common) more
// often than the rest.
func genText(r *rand.Rand) string {
	n := 3 + r.IntN(10)
	ws := make([]string, n)
	for i := range ws {
		if r.IntN(3) == 0 {
			ws[i] = searchWords[r.IntN(14)]
		} else {
			ws[i] = searchWords[r.IntN(len(searchWords))]
		}
	}
	return strings.Join(ws, " ")
}

// TestSearchManyMessages searches a real file of 100,000 messages in 100 rooms, indexed by
// the statements that index a batch of appends (inserted in one transaction, as
// fillSearchFile does: 100,000 appends take minutes under the race detector), and checks each
// query's hits against fulltext's own matching of every message: the same messages, each
// once, newest first. The store's own append path is what the contract cases check. Under
// the race detector it takes 20,000 (the 100,000 took 4–8 minutes there, the package's
// longest test by far); CI runs the 100,000 without it too.
func TestSearchManyMessages(t *testing.T) {
	rooms, total := 100, 100_000
	if raceDetector {
		total = 20_000
	}
	if testing.Short() {
		t.Skip("100,000 messages; CI runs it without -short")
	}
	path := filepath.Join(t.TempDir(), "hubbub.db")
	gen := func() func() string {
		r := rand.New(rand.NewPCG(17, 17))
		return func() string { return genText(r) }
	}
	fillSearchFile(t, path, rooms, total, gen())
	s := openAt(t, path, Options{})
	next := gen()
	stored := make([]hubbub.Entry, total)
	for i := range stored {
		stored[i] = hubbub.Entry{Room: fmt.Sprintf("room%04d", i%rooms), Seq: uint64(i/rooms + 1), Text: next()}
	}

	var all []string
	for i := range rooms {
		all = append(all, fmt.Sprintf("room%04d", i))
	}
	type key struct {
		room string
		seq  uint64
	}
	for _, c := range []struct {
		text  string
		rooms []string
	}{
		{"word123", all},           // rare, every room (more than scopeRooms: no room tokens)
		{"word12", all[:20]},       // a prefix, 20 rooms: searched as its 11 words
		{"word1", all[30:32]},      // a prefix of 111 words (over maxPrefixWords): searched as a prefix
		{"聊天", all[:1]},            // CJK inside a word, one room
		{"cafe deploy", all[5:10]}, // diacritics, two words
		{`"deploy the"`, all[:64]}, // a phrase
		{"deploy", all[42:43]},     // common, one room
		{"東京 チャット", all[90:]},      // CJK runs
	} {
		q, err := fulltext.Parse(c.text)
		if err != nil {
			t.Fatal(err)
		}
		want := map[key]bool{}
		for _, e := range stored {
			if ok, _, _ := q.Match(e.Text); ok && slices.Contains(c.rooms, e.Room) {
				want[key{e.Room, e.Seq}] = true
			}
		}
		n := len(want)
		query := hubbub.SearchQuery{Rooms: c.rooms, Text: c.text, Limit: hubbub.MaxSearchLimit}
		var prev hubbub.Entry
		for {
			p, err := s.Search(t.Context(), query)
			if err != nil {
				t.Fatalf("search %q: %v", c.text, err)
			}
			for _, h := range p.Hits {
				k := key{h.Message.Room, h.Message.Seq}
				if !want[k] {
					t.Fatalf("search %q: hit %v is not a match, or came twice", c.text, k)
				}
				delete(want, k)
				if h.Message.Time.After(prev.Time) && !prev.Time.IsZero() {
					t.Fatalf("search %q: %s/%d after an older hit", c.text, k.room, k.seq)
				}
				prev = h.Message
			}
			if p.Next == "" {
				break
			}
			query.Cursor = p.Next
		}
		if len(want) > 0 || n == 0 {
			t.Errorf("search %q in %d rooms: missed %d of %d hits", c.text, len(c.rooms), len(want), n)
		}
		t.Logf("search %q in %d rooms: %d hits", c.text, len(c.rooms), n)
	}
}

// TestUpgradeToSearch: a file of schema 6 (before the search index) opens with its messages
// indexed by migration 0007, a tombstone not, and an edit and a delete of an old message
// change the index as of a new one.
func TestUpgradeToSearch(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "v6.db")
	ms, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	db := rawDB(t, path)
	for _, m := range ms[:6] {
		if _, err := db.Exec(m.SQL); err != nil {
			t.Fatalf("%s: %v", m.Name, err)
		}
	}
	for _, q := range []string{
		`PRAGMA user_version = 6`,
		`INSERT INTO rooms (name, last_seq, msgs) VALUES ('r', 3, 3)`,
		`INSERT INTO messages (room, seq, id, sender, user_id, text, created_ms, deleted, ord) VALUES
			('r', 1, 'id1', 'alice', 'alice', 'Café au lait', 1700000000001, 0, 1),
			('r', 2, 'id2', 'bob', 'bob', '', 1700000000002, 1, 2),
			('r', 3, 'id3', 'alice', 'alice', '我们在聊天室见面', 1700000000003, 0, 3)`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	db.Close()

	s := openAt(t, path, Options{})
	find := func(text string) []uint64 {
		t.Helper()
		p, err := s.Search(ctx, hubbub.SearchQuery{Rooms: []string{"r"}, Text: text})
		if err != nil {
			t.Fatalf("search %q: %v", text, err)
		}
		var seqs []uint64
		for _, h := range p.Hits {
			seqs = append(seqs, h.Message.Seq)
		}
		return seqs
	}
	if got := find("cafe"); !slices.Equal(got, []uint64{1}) {
		t.Errorf("an old message: %v", got)
	}
	if got := find("聊天"); !slices.Equal(got, []uint64{3}) {
		t.Errorf("an old CJK message: %v", got)
	}
	if _, _, _, err := s.Append(ctx, &hubbub.Entry{Room: "r", From: "alice", Kind: hubbub.KindEdit, Target: 1, Text: "tea"}); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := s.Append(ctx, &hubbub.Entry{Room: "r", From: "alice", Kind: hubbub.KindDelete, Target: 3}); err != nil {
		t.Fatal(err)
	}
	if got := find("cafe"); len(got) != 0 {
		t.Errorf("an old message's text before its edit: %v", got)
	}
	if got := find("tea"); !slices.Equal(got, []uint64{1}) {
		t.Errorf("an old message's edit: %v", got)
	}
	if got := find("聊天"); len(got) != 0 {
		t.Errorf("an old message deleted: %v", got)
	}
}

// searchSeqs returns the room/seq of each hit of text in rooms, newest first, failing on a
// hit that comes twice.
func searchSeqs(t *testing.T, s *Store, rooms []string, text string) []string {
	t.Helper()
	p, err := s.Search(t.Context(), hubbub.SearchQuery{Rooms: rooms, Text: text})
	if err != nil {
		t.Fatalf("search %q: %v", text, err)
	}
	var got []string
	for _, h := range p.Hits {
		k := fmt.Sprintf("%s/%d", h.Message.Room, h.Message.Seq)
		if slices.Contains(got, k) {
			t.Errorf("search %q: %s twice", text, k)
		}
		got = append(got, k)
	}
	return got
}

// TestSearchIndexSharesABatch: the messages of a batch are indexed when its appends are done
// (searchindex.go), so a message edited or deleted in the batch that appended it is found by
// its last text only, or not at all, once; an edit of a message indexed by an earlier batch
// changes the index at once; a refused edit changes nothing.
func TestSearchIndexSharesABatch(t *testing.T) {
	s, path := openTest(t, Options{})
	release, first := blockWriter(t, s, path, "r") // r/1 "first", in a batch of its own
	queue := []hubbub.Entry{
		text("r", "alice", "apple pie"),            // r/2
		edit("r", "alice", 2, "banana split"),      // r/3 edits r/2 in its own batch
		text("r", "alice", "cherry tart"),          // r/4
		del("r", "alice", 4, false),                // r/5 deletes r/4 in its own batch
		text("r2", "bob", "apple crumble"),         // r2/1, a room new to the index
		edit("r", "first", 1, "durian"),            // r/6 edits r/1, indexed by the first batch
		edit("r", "bob", 2, "not bob's to edit"),   // refused
		text("r", "carol", "elderberry and apple"), // r/7
	}
	var results []<-chan result
	for i, e := range queue {
		results = append(results, appendAsync(t.Context(), s, e))
		testwait.Until(t, "the append queues", func() bool { return s.w.q.Len() == i+1 })
	}
	release()
	if res := <-first; res.err != nil {
		t.Fatal(res.err)
	}
	for i, ch := range results {
		if res := <-ch; (res.err != nil) != (i == 6) {
			t.Fatalf("%+v: %v", queue[i], res.err)
		}
	}
	if b := s.w.batches.Load(); b != 2 {
		t.Fatalf("%d commits, want 2 (the first alone, then the queue together)", b)
	}
	rooms := []string{"r", "r2"}
	for text, want := range map[string][]string{
		"apple":  {"r/7", "r2/1"},
		"banana": {"r/2"},
		"pie":    nil,
		"cherry": nil,
		"first":  nil,
		"durian": {"r/1"},
		"bob":    nil,
	} {
		got := searchSeqs(t, s, rooms, text)
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("search %q: %v, want %v", text, got, want)
		}
	}
	checkSearchIndex(t, s)
	for _, w := range []string{"banana", "split", "durian"} { // each indexed once, in one message
		var docs, n int
		if err := s.w.conn.QueryRowContext(t.Context(), `SELECT doc, cnt FROM search_vocab WHERE term = ?`, w).Scan(&docs, &n); err != nil || docs != 1 || n != 1 {
			t.Errorf("the index holds %q in %d rows, %d times (%v), want once", w, docs, n, err)
		}
	}
	// Later batches edit and delete what this one indexed.
	add(t, s, edit("r", "alice", 2, "fig roll"))
	add(t, s, del("r", "carol", 7, false))
	for text, want := range map[string][]string{"banana": nil, "fig": {"r/2"}, "apple": {"r2/1"}, "elderberry": nil} {
		if got := searchSeqs(t, s, rooms, text); !slices.Equal(got, want) {
			t.Errorf("after the edit and delete, search %q: %v, want %v", text, got, want)
		}
	}
}

// TestSearchCatchesUpAtOpen: messages that something other than the store inserted into the
// file (a tool, an import) are indexed when the store next opens it, in a room the index
// knew and in a new one, and the store's own appends after them are found too.
func TestSearchCatchesUpAtOpen(t *testing.T) {
	s, path := openTest(t, Options{})
	add(t, s, text("r", "alice", "apple one"))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	db := rawDB(t, path)
	for _, q := range []string{
		`UPDATE rooms SET last_seq = 2, msgs = 2 WHERE name = 'r'`,
		`INSERT INTO rooms (name, last_seq, msgs) VALUES ('new', 1, 1)`,
		`INSERT INTO messages (room, seq, id, sender, user_id, text, created_ms, ord) VALUES
			('r', 2, 'id2', 'bob', 'bob', 'apple two', 1700000000002, 2),
			('new', 1, 'id3', 'bob', 'bob', 'apple three', 1700000000003, 1)`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	s = openAt(t, path, Options{})
	add(t, s, text("new", "carol", "apple four"))
	got := searchSeqs(t, s, []string{"r", "new"}, "apple")
	slices.Sort(got)
	if want := []string{"new/1", "new/2", "r/1", "r/2"}; !slices.Equal(got, want) {
		t.Errorf("search: %v, want %v", got, want)
	}
}

// checkSearchIndex runs FTS5's integrity check of the search index, which finds a row
// indexed twice among others.
func checkSearchIndex(t *testing.T, s *Store) {
	t.Helper()
	if _, err := s.w.conn.ExecContext(t.Context(), `INSERT INTO search_fts (search_fts, rank) VALUES ('integrity-check', 0)`); err != nil {
		t.Errorf("the search index: %v", err)
	}
}
