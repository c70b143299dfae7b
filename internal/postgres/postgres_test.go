package postgres

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"hubbub"
	"hubbub/internal/storetest"
	"hubbub/internal/testwait"
)

// TestStoreContract runs the hubbub.Store contract suite, each subtest in a schema of its own,
// empty and migrated.
func TestStoreContract(t *testing.T) {
	serverURL(t)
	storetest.RunStoreTests(t, func(t *testing.T, ret hubbub.Retention) hubbub.Store {
		s, _ := openTest(t, Options{Retention: ret})
		return s
	})
}

// TestTwoNodes: two independent stores on one database, as two hubbub nodes, append
// concurrently and together get exactly the seqs 1..N of each room, without a retry:
// the room locks, taken in name order, neither race nor deadlock.
func TestTwoNodes(t *testing.T) {
	for _, tc := range []struct {
		name  string
		rooms []string
	}{
		{"OneRoom", []string{"busy"}},
		// Every batch touches several rooms, in every order of arrival.
		{"ManyRooms", []string{"a", "b", "c", "d", "e"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u := emptySchemas.Schema(t)
			nodes := []*Store{openAt(t, u, Options{}), openAt(t, u, Options{})}
			const workers, perWorker = 8, 60
			var (
				wg     sync.WaitGroup
				stored [2][]hubbub.Entry
			)
			for n, s := range nodes {
				wg.Go(func() {
					stored[n] = storetest.AppendConcurrently(t, s, fmt.Sprint("node", n, "/"), workers, perWorker, func(w, i int) string {
						return tc.rooms[(w*7+i+n)%len(tc.rooms)]
					})
				})
			}
			wg.Wait()
			if t.Failed() {
				return
			}
			all := append(stored[0], stored[1]...)
			want := map[string]int{}
			for _, m := range all {
				want[m.Room]++
			}
			for _, s := range nodes { // both nodes read back exactly 1..n of every room
				storetest.CheckRoomSeqs(t, s, all, want)
			}
			if n := 2 * workers * perWorker; len(all) != n {
				t.Errorf("%d messages stored, want %d", len(all), n)
			}
			for n, s := range nodes {
				if r := s.w.retries.Load(); r != 0 {
					t.Errorf("node %d retried %d batches, want none", n, r)
				}
				t.Logf("node %d: %d appends in %d transactions", n, len(stored[n]), s.w.batches.Load())
			}
		})
	}
}

// TestTwoNodesClientIDRace: retries of one key racing on two nodes store one message, and
// every racer on either node gets it back; no duplicate takes a seq.
func TestTwoNodesClientIDRace(t *testing.T) {
	u := emptySchemas.Schema(t)
	nodes := []*Store{openAt(t, u, Options{}), openAt(t, u, Options{})}
	const keys, racersPerNode = 20, 6
	for k := range keys {
		msg := hubbub.Entry{Room: "r", From: "alice", ClientID: fmt.Sprint("key-", k), Text: fmt.Sprint("text ", k)}
		var (
			wg   sync.WaitGroup
			mu   sync.Mutex
			got  []hubbub.Entry
			news int
		)
		for _, s := range nodes {
			for range racersPerNode {
				wg.Go(func() {
					m, _, outcome, err := s.Append(t.Context(), &msg)
					dup := outcome == hubbub.Duplicate
					if err != nil {
						t.Errorf("key %d: %v", k, err)
						return
					}
					mu.Lock()
					defer mu.Unlock()
					got = append(got, *m)
					if !dup {
						news++
					}
				})
			}
		}
		wg.Wait()
		if news != 1 {
			t.Fatalf("key %d: %d racers stored a new message, want exactly 1", k, news)
		}
		for _, m := range got {
			if !reflect.DeepEqual(m, got[0]) {
				t.Fatalf("key %d: racers got different messages: %+v and %+v", k, m, got[0])
			}
		}
		if got[0].Seq != uint64(k+1) {
			t.Fatalf("key %d stored with seq %d, want %d", k, got[0].Seq, k+1)
		}
	}
	if last, err := nodes[1].LastSeq(t.Context(), "r"); err != nil || last != keys {
		t.Errorf("LastSeq = %d, %v; want %d", last, err, keys)
	}
	// The lookup after the room lock sees the other node's commit, so the unique index
	// never has to catch a race.
	for n, s := range nodes {
		if r := s.w.retries.Load(); r != 0 {
			t.Errorf("node %d retried %d batches, want none", n, r)
		}
	}
}

// TestClientIDRaceRetried: a message with the batch's key that appears between the key
// lookup and the insert (written by something that does not take the room lock) makes the
// unique index fail the batch; the retry then finds it and reports a duplicate, and the
// rest of the batch is stored without a gap.
func TestClientIDRaceRetried(t *testing.T) {
	s, u := openTest(t, Options{})
	ctx := t.Context()
	first, _, _, err := s.Append(ctx, &hubbub.Entry{Room: "r", From: "bob", Text: "first"})
	if err != nil {
		t.Fatal(err)
	}
	s.w.afterLookup = func(attempt int) {
		if attempt == 1 {
			adminExec(t, u, `INSERT INTO messages (room, seq, id, client_id, sender, user_id, text, created_at)
				VALUES ('r', 1000, 'sneaked-in', 'k', 'alice', 'alice', 'sneaked in', now())`)
		}
	}
	m, _, outcome, err := s.Append(ctx, &hubbub.Entry{Room: "r", From: "alice", ClientID: "k", Text: "mine"})
	dup := outcome == hubbub.Duplicate
	if err != nil {
		t.Fatal(err)
	}
	if !dup || m.ID != "sneaked-in" || m.Seq != 1000 {
		t.Errorf("Append = %+v, dup %v; want the sneaked-in message as a duplicate", m, dup)
	}
	if r := s.w.retries.Load(); r != 1 {
		t.Errorf("%d retries, want 1", r)
	}
	s.w.afterLookup = nil
	next, _, _, err := s.Append(ctx, &hubbub.Entry{Room: "r", From: "bob", Text: "next"})
	if err != nil || next.Seq != first.Seq+1 {
		t.Errorf("next Append = seq %d, %v; want %d: the failed attempt took a seq", next.Seq, err, first.Seq+1)
	}
}

// TestMigrationsIdempotent: nodes opening one database together apply each migration once;
// opening again changes nothing; a schema from a newer build is refused.
func TestMigrationsIdempotent(t *testing.T) {
	ms, err := loadMigrations()
	if err != nil || len(ms) == 0 {
		t.Fatalf("loadMigrations = %d migrations, %v", len(ms), err)
	}
	u := freshSchema(t)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			s, err := Open(t.Context(), u, Options{Logger: testLogger(t)})
			if err != nil {
				t.Errorf("concurrent Open: %v", err)
				return
			}
			s.Close()
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}

	s := openAt(t, u, Options{})
	schema := func() (versions []int, objects string) {
		t.Helper()
		rows, _ := s.pool.Query(t.Context(), `SELECT version FROM schema_migrations ORDER BY version`)
		for rows.Next() {
			var v int
			if err := rows.Scan(&v); err != nil {
				t.Fatal(err)
			}
			versions = append(versions, v)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		err := s.pool.QueryRow(t.Context(), `SELECT string_agg(c.relkind::text || ' ' || c.relname, ', ' ORDER BY c.relname)
			FROM pg_class c WHERE c.relnamespace = current_schema()::regnamespace`).Scan(&objects)
		if err != nil {
			t.Fatal(err)
		}
		return versions, objects
	}
	versions, objects := schema()
	if want := span(1, len(ms)); !slices.Equal(versions, want) {
		t.Fatalf("schema_migrations holds versions %v, want %v", versions, want)
	}
	if !strings.Contains(objects, "r messages") || !strings.Contains(objects, "i messages_client_id") || !strings.Contains(objects, "r rooms") {
		t.Fatalf("schema lacks the tables or the client id index: %s", objects)
	}
	for i := range 2 {
		if err := openAt(t, u, Options{}).Close(); err != nil {
			t.Fatal(err)
		}
		if v, o := schema(); !slices.Equal(v, versions) || o != objects {
			t.Fatalf("open #%d changed the schema: versions %v, objects %s", i+2, v, o)
		}
	}

	adminExec(t, u, `INSERT INTO schema_migrations (version, name) VALUES (999, '0999_future.sql')`)
	if s, err := Open(t.Context(), u, Options{Logger: testLogger(t)}); err == nil || !strings.Contains(err.Error(), "newer") {
		if s != nil {
			s.Close()
		}
		t.Errorf("Open of a schema from the future: %v, want an error saying it is newer", err)
	}
}

func span(lo, hi int) []int {
	var s []int
	for i := lo; i <= hi; i++ {
		s = append(s, i)
	}
	return s
}

// TestMaxAgeWithClock checks MaxAge against the injected clock (storetest.MaxAgeWithClock).
func TestMaxAgeWithClock(t *testing.T) {
	storetest.MaxAgeWithClock(t, func(t *testing.T, now func() time.Time, ret hubbub.Retention) hubbub.Store {
		s, _ := openTest(t, Options{Now: now, Retention: ret})
		return s
	})
}

// TestServerClock: without Options.Now, times come from the server's clock, in UTC to the
// millisecond, and never go back within a room even across nodes.
func TestServerClock(t *testing.T) {
	u := emptySchemas.Schema(t)
	nodes := []*Store{openAt(t, u, Options{}), openAt(t, u, Options{})}
	var wg sync.WaitGroup
	for n, s := range nodes {
		wg.Go(func() {
			storetest.AppendConcurrently(t, s, fmt.Sprint("node", n, "/"), 4, 25, func(int, int) string { return "r" })
		})
	}
	wg.Wait()
	msgs, err := nodes[0].Since(t.Context(), "r", 0, 1000)
	if err != nil || len(msgs) != 200 {
		t.Fatalf("Since = %d messages, %v; want 200", len(msgs), err)
	}
	for i := 1; i < len(msgs); i++ {
		if msgs[i].Time.Before(msgs[i-1].Time) {
			t.Fatalf("seq %d has time %v, before seq %d's %v", msgs[i].Seq, msgs[i].Time, msgs[i-1].Seq, msgs[i-1].Time)
		}
	}
}

// TestUnstorableStrings: text PostgreSQL cannot hold is refused on its own, without failing
// the appends that would have shared its batch.
func TestUnstorableStrings(t *testing.T) {
	s, _ := openTest(t, Options{})
	ctx := t.Context()
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			if _, _, _, err := s.Append(ctx, &hubbub.Entry{Room: "r", From: "u", Text: fmt.Sprint("ok ", i)}); err != nil {
				t.Errorf("valid append %d: %v", i, err)
			}
		})
	}
	for _, bad := range []hubbub.Entry{
		{Room: "r", From: "u", Text: "nul \x00 byte"},
		{Room: "r", From: "u", Text: "bad \xff utf-8"},
		{Room: "r", From: "u\x00", Text: "x"},
		{Room: "r\xfe", From: "u", Text: "x"},
		{Room: "r", From: "u", ClientID: "k\x00", Text: "x"},
		{Room: "", From: "u", Text: "no room"},
	} {
		if _, _, _, err := s.Append(ctx, &bad); err == nil || !strings.HasPrefix(err.Error(), "postgres: append: ") {
			t.Errorf("Append(%q) = %v, want an error", fmt.Sprintf("%+v", bad), err)
		}
	}
	wg.Wait()
	if last, err := s.LastSeq(ctx, "r"); err != nil || last != 8 {
		t.Errorf("LastSeq = %d, %v; want 8", last, err)
	}
}

// TestSessionSettings: a database or URL with synchronous_commit=off does not make Append
// return before the commit is flushed, and the server ends a session that idles in a
// transaction for TxTimeout (unless the URL says otherwise).
func TestSessionSettings(t *testing.T) {
	u := emptySchemas.Schema(t)
	show := func(s *Store, setting string) string {
		t.Helper()
		var v string
		if err := s.pool.QueryRow(t.Context(), `SELECT current_setting($1)`, setting).Scan(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	s := openAt(t, withParam(u, "synchronous_commit", "off"), Options{MaxConns: 2, TxTimeout: 3 * time.Second})
	if v := show(s, "synchronous_commit"); v != "on" {
		t.Errorf("the store's sessions run with synchronous_commit=%s, want on", v)
	}
	if v := show(s, "idle_in_transaction_session_timeout"); v != "3s" {
		t.Errorf("idle_in_transaction_session_timeout = %s, want 3s (TxTimeout)", v)
	}
	s = openAt(t, withParam(u, "idle_in_transaction_session_timeout", "1min"), Options{MaxConns: 2})
	if v := show(s, "idle_in_transaction_session_timeout"); v != "1min" {
		t.Errorf("idle_in_transaction_session_timeout = %s, want the URL's 1min", v)
	}
}

// TestLongTxTimeout: a TxTimeout longer than PostgreSQL's largest
// idle_in_transaction_session_timeout (2^31-1 ms, some 24 days), which --postgres-tx-timeout
// accepts, opens a store that appends, the sessions' timeout being that largest one, instead
// of every connection failing at start.
func TestLongTxTimeout(t *testing.T) {
	s, _ := openTest(t, Options{MaxConns: 2, TxTimeout: 30 * 24 * time.Hour})
	appendOK(t, s, hubbub.Entry{Room: "general", From: "ann", Text: "hello"})
	var v string
	if err := s.pool.QueryRow(t.Context(), `SELECT current_setting('idle_in_transaction_session_timeout')`).Scan(&v); err != nil {
		t.Fatal(err)
	}
	if v != "2147483647ms" {
		t.Errorf("idle_in_transaction_session_timeout = %s, want the largest, 2147483647ms", v)
	}
}

// TestCheckAndClose: Check pings while the store is open; after Close every call, Close
// included, fails with ErrClosed.
func TestCheckAndClose(t *testing.T) {
	s, _ := openTest(t, Options{})
	ctx := t.Context()
	if err := s.Check(ctx); err != nil {
		t.Fatalf("Check: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); !errors.Is(err, ErrClosed) {
		t.Errorf("second Close = %v, want ErrClosed", err)
	}
	if err := s.Check(ctx); !errors.Is(err, ErrClosed) {
		t.Errorf("Check after Close = %v, want ErrClosed", err)
	}
	if _, _, _, err := s.Append(ctx, &hubbub.Entry{Room: "r"}); !errors.Is(err, ErrClosed) {
		t.Errorf("Append after Close = %v, want ErrClosed", err)
	}
}

// TestOpenErrors: Open says what failed, and never shows the password. It needs no server.
func TestOpenErrors(t *testing.T) {
	for _, c := range []struct{ url, want string }{
		{"postgres://hubbub:s3cret@127.0.0.1:1/hubbub?sslmode=disable&connect_timeout=5", "connect"},
		{"postgres://hubbub:s3cret@127.0.0.1:5432/hubbub?sslmode=bogus", "sslmode"},
		{"host=127.0.0.1 port=1 user=hubbub password=s3cret sslmode=disable connect_timeout=5", "connect"},
	} {
		s, err := Open(t.Context(), c.url, Options{Logger: testLogger(t)})
		if err == nil {
			s.Close()
			t.Errorf("Open(%q) succeeded", c.url)
			continue
		}
		msg := err.Error()
		if !strings.HasPrefix(msg, "postgres: open: ") || !strings.Contains(msg, c.want) {
			t.Errorf("Open(%q) = %q, want it to start with the operation and mention %q", c.url, msg, c.want)
		}
		if strings.Contains(msg, "s3cret") {
			t.Errorf("Open(%q) error shows the password: %q", c.url, msg)
		}
	}
}

// TestOpenSaysTheSchemaIsMissing: a URL whose search_path names a schema that does not exist
// (a typo, or one not created yet: docs/deploy.md keeps hubbub in a schema of its own that
// way) stopped the node with PostgreSQL's "no schema has been selected to create in", which
// names neither the search_path nor what to do.
func TestOpenSaysTheSchemaIsMissing(t *testing.T) {
	u := withParam(serverURL(t), "search_path", "hubbub_no_such_schema")
	s, err := Open(t.Context(), u, Options{Logger: testLogger(t)})
	if err == nil {
		s.Close()
		t.Fatal("Open on a search_path naming no schema succeeded")
	}
	if msg := err.Error(); !strings.Contains(msg, "search_path names no schema that exists") || !strings.Contains(msg, "CREATE SCHEMA") {
		t.Errorf("Open on a search_path naming no schema: %q, want it to name the search_path and CREATE SCHEMA", msg)
	}
}

// TestConnectionsKilled: while appends run, the server ends the store's sessions again and
// again. Appends may fail then, but every one that succeeded is stored, the room stays
// gap-free, and the store recovers by itself.
func TestConnectionsKilled(t *testing.T) {
	app := fmt.Sprint("hubbub_kill_", time.Now().UnixNano()) // picks this test's sessions
	u := withParam(emptySchemas.Schema(t), "application_name", app)
	s := openAt(t, u, Options{})
	ctx := t.Context()

	stop := make(chan struct{})
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		acked  []hubbub.Entry
		failed int
	)
	for w := range 4 {
		untilStopped(&wg, stop, func(i int) bool {
			m, _, _, err := s.Append(ctx, &hubbub.Entry{Room: "r", From: fmt.Sprint("w", w), Text: fmt.Sprint(i)})
			mu.Lock()
			if err != nil {
				failed++
			} else {
				acked = append(acked, *m)
			}
			mu.Unlock()
			return true
		})
	}
	for range 5 {
		time.Sleep(100 * time.Millisecond)
		adminExec(t, serverURL(t), `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1`, app)
	}
	time.Sleep(100 * time.Millisecond)
	close(stop)
	wg.Wait()
	t.Logf("%d appends acknowledged, %d failed, %d batch retries", len(acked), failed, s.w.retries.Load())

	m, _, _, err := s.Append(ctx, &hubbub.Entry{Room: "r", From: "after", Text: "after the kills"})
	if err != nil {
		t.Fatalf("Append after the kills: %v", err)
	}
	stored, err := s.Since(ctx, "r", 0, 1_000_000)
	if err != nil {
		t.Fatal(err)
	}
	if uint64(len(stored)) != m.Seq || stored[len(stored)-1].ID != m.ID {
		t.Fatalf("room holds %d messages, last %+v; want seqs 1..%d ending in %+v", len(stored), stored[len(stored)-1], m.Seq, m)
	}
	for i, got := range stored {
		if got.Seq != uint64(i+1) {
			t.Fatalf("seq %d at position %d: the room has a gap", got.Seq, i)
		}
	}
	for _, a := range acked {
		if a.Seq == 0 || a.Seq > uint64(len(stored)) {
			t.Errorf("acknowledged %+v, but the room ends at seq %d", a, len(stored))
		} else if got := stored[a.Seq-1]; !reflect.DeepEqual(got, a) {
			t.Errorf("acknowledged %+v, but seq %d holds %+v", a, a.Seq, got)
		}
	}
}

// TestMigrationsOfOtherSchemasDoNotWait: a node migrating one schema does not hold up a store
// opening in another schema of the same database, and still holds up one opening in its own.
// One lock for the whole database made every test suite, each test in a schema of its own,
// queue behind one another's migrations.
func TestMigrationsOfOtherSchemasDoNotWait(t *testing.T) {
	mine, other := freshSchema(t), emptySchemas.Schema(t)
	// A node of mine migrating: its transaction holds the lock migrate takes.
	holder, err := pgx.Connect(t.Context(), mine)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close(context.Background())
	tx, err := holder.Begin(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(context.Background())
	if _, err := tx.Exec(t.Context(), lockMigrationsSQL); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(t.Context(), testwait.StartTimeout)
	defer cancel()
	s, err := Open(ctx, other, Options{Logger: testLogger(t)})
	if err != nil {
		t.Fatalf("Open in another schema while one migrates: %v (it waited for that schema's lock)", err)
	}
	s.Close()

	// A second node of mine waits for the first, then finds the schema migrated.
	opened := make(chan error, 1)
	go func() {
		s, err := Open(context.Background(), mine, Options{Logger: testLogger(t)})
		if err == nil {
			s.Close()
		}
		opened <- err
	}()
	var key int64 // the lock's key, as pg_locks shows a bigint key: its halves in classid and objid
	if err := holder.QueryRow(t.Context(), `SELECT hashtextextended('hubbub.migrate:' || current_schema(), 0)`).Scan(&key); err != nil {
		t.Fatal(err)
	}
	testwait.Until(t, "the second node of the schema to wait for the migration lock", func() bool {
		var waiting int
		err := holder.QueryRow(t.Context(), `SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted
			AND objsubid = 1 AND ((classid::bigint << 32) | objid::bigint) = $1`, key).Scan(&waiting)
		return err == nil && waiting > 0
	})
	select {
	case err := <-opened:
		t.Fatalf("Open in the schema being migrated returned (%v) while the lock was held", err)
	default:
	}
	if err := tx.Rollback(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := <-opened; err != nil {
		t.Fatalf("Open after the lock was released: %v", err)
	}
}
