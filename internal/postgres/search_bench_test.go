package postgres

import (
	"bytes"
	"cmp"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"hubbub/internal/fulltext"
	"hubbub/internal/storetest"
)

// searchBenchRooms and searchBenchMessages size the search benchmark's data.
const searchBenchRooms, searchBenchMessages = 1000, 1_000_000

// searchBenchSchema is the schema that keeps the search benchmark's data between runs, named
// after the index's format (lexemes led by their room's key, and a length class: migration
// 0012; the schemas hubbub_search_bench and hubbub_search_bench_keyed of the formats before
// may be dropped).
const searchBenchSchema = "hubbub_search_bench_classed"

// searchBenchURL returns the URL of a schema holding searchBenchMessages messages from
// storetest.SearchCorpus in searchBenchRooms rooms, indexed as the append batch indexes them,
// building it on first use (minutes; DROP SCHEMA hubbub_search_bench_classed CASCADE to build again).
// HUBBUB_BENCH_SEARCH_SCHEMA names another schema, e.g. a copy of it for a binary whose
// migrations would change it.
func searchBenchURL(b *testing.B) string {
	base := serverURL(b)
	schema := cmp.Or(os.Getenv("HUBBUB_BENCH_SEARCH_SCHEMA"), searchBenchSchema)
	u := withParam(base, "search_path", schema)
	adminExec(b, base, "CREATE SCHEMA IF NOT EXISTS "+pgx.Identifier{schema}.Sanitize())
	s := openAt(b, u, Options{})
	ctx := b.Context()
	var n int64
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM rooms`).Scan(&n); err != nil {
		b.Fatal(err)
	}
	if n == searchBenchRooms {
		return u
	}
	if _, err := s.pool.Exec(ctx, `TRUNCATE messages, message_search, rooms, search_rooms`); err != nil { // a build cut short
		b.Fatal(err)
	}
	gen := storetest.SearchCorpus(17)
	const chunk = 10_000
	for start := 0; start < searchBenchMessages; start += chunk {
		var rooms, ids, texts, docs []string
		var seqs, times []int64
		for i := start; i < start+chunk; i++ {
			room, text := storetest.SearchBenchRoom(i%searchBenchRooms), gen()
			rooms, ids, texts, docs = append(rooms, room), append(ids, fmt.Sprint("id", i)), append(texts, text), append(docs, fulltext.TSVectorIn(fulltext.RoomKey(room), text))
			seqs, times = append(seqs, int64(i/searchBenchRooms+1)), append(times, 1700000000000+int64(i))
		}
		if _, err := s.pool.Exec(ctx, `INSERT INTO messages (room, seq, id, sender, user_id, text, created_at, message_no)
			SELECT room, seq, id, 'ann', 'u_ann', text, to_timestamp(ms / 1000.0), seq
			FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::bigint[]) AS u(room, seq, id, text, ms)`,
			rooms, seqs, ids, texts, times); err != nil {
			b.Fatal(err)
		}
		if _, err := s.pool.Exec(ctx, `INSERT INTO message_search (room, seq, created_at, user_id, doc)
			SELECT room, seq, to_timestamp(ms / 1000.0), 'u_ann', doc::tsvector
			FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::text[]) AS u(room, seq, ms, doc)`,
			rooms, seqs, times, docs); err != nil {
			b.Fatal(err)
		}
	}
	per := searchBenchMessages / searchBenchRooms
	if _, err := s.pool.Exec(ctx, `INSERT INTO rooms (name, last_seq, last_message_no)
		SELECT 'room' || lpad(n::text, 4, '0'), $1, $1 FROM generate_series(0, $2 - 1) AS n`, per, searchBenchRooms); err != nil {
		b.Fatal(err)
	}
	if _, err := s.pool.Exec(ctx, `INSERT INTO search_rooms (room, indexed) SELECT name, last_seq FROM rooms`); err != nil { // all indexed above
		b.Fatal(err)
	}
	if _, err := s.pool.Exec(ctx, `VACUUM ANALYZE`); err != nil {
		b.Fatal(err)
	}
	return u
}

// BenchmarkSearch times the query mix of storetest.BenchmarkSearch over a million messages in
// a thousand rooms (searchBenchURL).
func BenchmarkSearch(b *testing.B) {
	s := openAt(b, searchBenchURL(b), Options{})
	storetest.BenchmarkSearch(b, s, searchBenchRooms)
}

// BenchmarkAppendSearchIndex compares the cost of an append with the search index and
// without it (searchIndexOff), in one run: parallel appenders of corpus texts, each
// reporting the client process's CPU per append and the CPU of the store's PostgreSQL
// backends per append (srv-cpu-µs/append) as well as appends/s. With the index, what the
// indexer left waiting at the end is indexed, and the GIN index's pending list merged into
// the index, before the clock stops, so that the whole cost of the index is counted,
// whenever it would be paid. HUBBUB_BENCH_GIN_OPTIONS, if set, are storage parameters of the
// GIN index for the run (ALTER INDEX message_search_doc SET (…)).
func BenchmarkAppendSearchIndex(b *testing.B) {
	for i, index := range []bool{true, false, true, false, true, false} { // alternated: a busy machine drifts
		name := "index"
		if !index {
			name = "noindex"
		}
		b.Run(name, func(b *testing.B) {
			searchIndexOff.Store(!index)
			defer searchIndexOff.Store(false)
			app := fmt.Sprintf("hubbub_bench_%d_%d", os.Getpid(), i)
			s := openAt(b, withParam(freshSchema(b), "application_name", app), Options{})
			if gin := os.Getenv("HUBBUB_BENCH_GIN_OPTIONS"); gin != "" { // e.g. gin_pending_list_limit=65536, or fastupdate=off
				if _, err := s.pool.Exec(b.Context(), `ALTER INDEX message_search_doc SET (`+gin+`)`); err != nil {
					b.Fatal(err)
				}
			}
			srv := backendCPU(b, s, app)
			storetest.BenchmarkAppendCostSettled(b, s, s.w.batches.Load, func() {
				if err := s.idx.indexNoted(b.Context()); err != nil {
					b.Fatal(err)
				}
				if _, err := s.pool.Exec(b.Context(), `SELECT gin_clean_pending_list('message_search_doc'::regclass)`); err != nil {
					b.Fatal(err)
				}
			})
			b.ReportMetric(float64(srv().Microseconds())/float64(b.N), "srv-cpu-µs/append")
		})
	}
}

// backendCPU returns a function that reports the CPU time (user and system) the PostgreSQL
// backends of application name app have used since backendCPU was called: those of s's
// pool, which serve its appends and its indexer. It reads /proc, so the server must run on
// this machine; elsewhere it reports 0.
func backendCPU(b *testing.B, s *Store, app string) func() time.Duration {
	pids := func() []int32 {
		rows, _ := s.pool.Query(b.Context(), `SELECT pid FROM pg_stat_activity WHERE application_name = $1`, app)
		ps, err := pgx.CollectRows(rows, pgx.RowTo[int32])
		if err != nil {
			b.Fatal(err)
		}
		return ps
	}
	used := func(pid int32) time.Duration {
		raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			return 0
		}
		f := strings.Fields(string(raw[bytes.LastIndexByte(raw, ')')+1:]))
		if len(f) < 13 {
			return 0
		}
		ut, _ := strconv.ParseInt(f[11], 10, 64)
		st, _ := strconv.ParseInt(f[12], 10, 64)
		return time.Duration(ut+st) * time.Second / 100 // clock ticks (USER_HZ, 100 on Linux)
	}
	start := map[int32]time.Duration{}
	for _, p := range pids() {
		start[p] = used(p)
	}
	return func() time.Duration {
		var d time.Duration
		for _, p := range pids() {
			d += used(p) - start[p]
		}
		return d
	}
}
