package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"hubbub/internal/storetest"
)

// searchBenchRooms and searchBenchMessages size the search benchmark's file.
const searchBenchRooms, searchBenchMessages = 1000, 1_000_000

// searchBenchFile returns the path of a file holding searchBenchMessages messages from
// storetest.SearchCorpus in searchBenchRooms rooms, building it on first use (minutes) at
// $HUBBUB_BENCH_SEARCH_SQLITE or in the temporary folder, and reusing it after. The messages
// are inserted and indexed as fillSearchFile says.
func searchBenchFile(b *testing.B) string {
	path := os.Getenv("HUBBUB_BENCH_SEARCH_SQLITE")
	if path == "" {
		path = filepath.Join(os.TempDir(), "hubbub-search-1m.db")
	}
	if _, err := os.Stat(path); err == nil {
		return path
	}
	tmp := path + ".building"
	_ = os.Remove(tmp)
	fillSearchFile(b, tmp, searchBenchRooms, searchBenchMessages, storetest.SearchCorpus(17))
	if err := os.Rename(tmp, path); err != nil {
		b.Fatal(err)
	}
	return path
}

// fillSearchFile makes a store's file at path holding total messages, message i in room
// storetest.SearchBenchRoom(i % rooms) with seq i / rooms + 1 and the i-th text of gen, one
// Time apart in that order. They are inserted in one transaction, 10,000 to a statement, then
// indexed when the store opens the file again (catchUpSearch: the statements that index a
// batch of appends).
func fillSearchFile(tb testing.TB, path string, rooms, total int, gen func() string) {
	tb.Helper()
	s := openAt(tb, path, Options{})
	if err := s.Close(); err != nil {
		tb.Fatal(err)
	}
	db := rawDB(tb, path)
	tx, err := db.Begin()
	if err != nil {
		tb.Fatal(err)
	}
	for start := 0; start < total; start += 10_000 {
		texts := make([]string, 0, 10_000)
		for range min(10_000, total-start) {
			texts = append(texts, gen())
		}
		js, err := json.Marshal(texts)
		if err != nil {
			tb.Fatal(err)
		}
		if _, err := tx.Exec(`INSERT INTO messages (room, seq, id, sender, user_id, text, created_ms, ord)
			SELECT printf('room%04d', i % ?2), i / ?2 + 1, 'id' || i, 'ann', 'u_ann', t.value, 1700000000000 + i, i / ?2 + 1
			FROM (SELECT ?1 + key AS i, value FROM json_each(?3)) AS t`, start, rooms, string(js)); err != nil {
			tb.Fatal(err)
		}
	}
	per := (total + rooms - 1) / rooms
	if _, err := tx.Exec(`WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ?1 - 1)
		INSERT INTO rooms (name, last_seq, msgs) SELECT printf('room%04d', i), ?2, ?2 FROM n`, rooms, per); err != nil {
		tb.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		tb.Fatal(err)
	}
	if _, err := db.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		tb.Fatal(err)
	}
	if err := db.Close(); err != nil {
		tb.Fatal(err)
	}
	if err := openAt(tb, path, Options{}).Close(); err != nil {
		tb.Fatal(err)
	}
}

// BenchmarkSearch times the query mix of storetest.BenchmarkSearch over a million messages in
// a thousand rooms (searchBenchFile).
func BenchmarkSearch(b *testing.B) {
	s := openAt(b, searchBenchFile(b), Options{})
	storetest.BenchmarkSearch(b, s, searchBenchRooms)
}

// BenchmarkAppendSearchIndex compares the cost of an append with the search index as the
// writer keeps it ("index": behind the appends, Options.SearchLag messages at a time), with
// the index written in each batch's transaction as before ("inbatch": SearchLag -1) and
// without it ("noindex": the writer's indexing off, the triggers dropped), in one run,
// alternated: parallel appenders of corpus texts, each reporting CPU per append as well as
// appends/s. The messages still waiting to be indexed at the end are indexed before the
// clock stops, so the index's whole cost is counted.
func BenchmarkAppendSearchIndex(b *testing.B) {
	for range 3 { // alternated: a busy machine drifts
		for _, name := range []string{"index", "inbatch", "noindex"} {
			b.Run(name, func(b *testing.B) {
				o := Options{}
				if name == "inbatch" {
					o.SearchLag = -1
				}
				s, _ := openTest(b, o)
				if name == "noindex" {
					s.w.searchOff.Store(true)
					for _, tr := range []string{"search_update", "search_delete"} {
						if _, err := s.w.conn.ExecContext(b.Context(), "DROP TRIGGER "+tr); err != nil {
							b.Fatal(err)
						}
					}
				}
				storetest.BenchmarkAppendCostSettled(b, s, s.w.batches.Load, func() {
					if _, err := s.exec(b.Context(), func(ctx context.Context, _ *sql.Conn) (int64, error) {
						return 0, s.w.indexLagging(ctx, nil)
					}); err != nil {
						b.Fatal(err)
					}
				})
			})
		}
	}
}
