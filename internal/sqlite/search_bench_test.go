package sqlite

import (
	"fmt"
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
// are inserted in one transaction through the schema's triggers, which index them as an
// Append would.
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
	s := openAt(b, tmp, Options{})
	if err := s.Close(); err != nil {
		b.Fatal(err)
	}
	db := rawDB(b, tmp)
	tx, err := db.Begin()
	if err != nil {
		b.Fatal(err)
	}
	ins, err := tx.Prepare(`INSERT INTO messages (room, seq, id, sender, user_id, text, created_ms, ord) VALUES (?, ?, ?, 'ann', 'u_ann', ?, ?, ?)`)
	if err != nil {
		b.Fatal(err)
	}
	gen := storetest.SearchCorpus(17)
	for i := range searchBenchMessages {
		seq := i/searchBenchRooms + 1
		if _, err := ins.Exec(storetest.SearchBenchRoom(i%searchBenchRooms), seq, fmt.Sprint("id", i), gen(), 1700000000000+int64(i), seq); err != nil {
			b.Fatal(err)
		}
	}
	per := searchBenchMessages / searchBenchRooms
	for r := range searchBenchRooms {
		if _, err := tx.Exec(`INSERT INTO rooms (name, last_seq, msgs) VALUES (?, ?, ?)`, storetest.SearchBenchRoom(r), per, per); err != nil {
			b.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	if _, err := db.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		b.Fatal(err)
	}
	db.Close()
	if err := os.Rename(tmp, path); err != nil {
		b.Fatal(err)
	}
	return path
}

// BenchmarkSearch times the query mix of storetest.BenchmarkSearch over a million messages in
// a thousand rooms (searchBenchFile).
func BenchmarkSearch(b *testing.B) {
	s := openAt(b, searchBenchFile(b), Options{})
	storetest.BenchmarkSearch(b, s, searchBenchRooms)
}

// BenchmarkAppendSearchIndex compares the cost of an append with the search index and
// without it (its triggers dropped), in one run: parallel appenders of corpus texts, each
// reporting CPU per append as well as appends/s.
func BenchmarkAppendSearchIndex(b *testing.B) {
	for _, index := range []bool{true, false, true, false, true, false} { // alternated: a busy machine drifts
		name := "index"
		if !index {
			name = "noindex"
		}
		b.Run(name, func(b *testing.B) {
			s, _ := openTest(b, Options{})
			if !index {
				for _, tr := range []string{"search_insert", "search_update", "search_delete"} {
					if _, err := s.w.conn.ExecContext(b.Context(), "DROP TRIGGER "+tr); err != nil {
						b.Fatal(err)
					}
				}
			}
			storetest.BenchmarkAppendCost(b, s, s.w.batches.Load)
		})
	}
}
