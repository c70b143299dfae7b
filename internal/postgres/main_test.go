package postgres

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"go.uber.org/goleak"

	"hubbub/internal/pgtest"
)

// TestMain fails the package if any test leaves a goroutine behind, such as a writer or a
// pool that Close did not stop. It drops the schemas of emptySchemas once the tests have run.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(emptySchemas.DropAfter(m))
}

// emptySchemas gives the tests migrated schemas to open stores in, reset between tests
// rather than each migrated anew (see pgtest.Schemas): the contract suites' ~160 stores, and
// the package's other tests, took most of its time migrating and dropping their schemas.
var emptySchemas = pgtest.NewSchemas(func(ctx context.Context, url string) error {
	s, err := Open(ctx, url, Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return err
	}
	return s.Close()
})

// The tests need a PostgreSQL server: internal/pgtest gives each test a schema of its own
// (HUBBUB_TEST_POSTGRES; .ci/postgres.sh prepares one).
var (
	serverURL   = pgtest.ServerURL
	freshSchema = pgtest.FreshSchema
	withParam   = pgtest.WithParam
)

// adminExec runs sql on the database at dbURL, as a test's own statements (not a store's)
// around the store under test, failing t on error. The statements of one test at one URL
// share a connection, made at the first and closed when t ends: a migration test's dozen
// statements took a connection each, and a new connection (a backend forked, SCRAM, cold
// catalog caches) cost 0.15 s on a busy machine, more than most statements.
func adminExec(t testing.TB, dbURL, sql string, args ...any) {
	t.Helper()
	c := adminConn(t, dbURL)
	c.mu.Lock() // a test may run a statement from a store's goroutine (TestClientIDRaceRetried)
	defer c.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := c.conn.Exec(ctx, sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// adminConns holds each running test's connections of adminExec, by test and URL.
var adminConns = struct {
	sync.Mutex
	m map[adminKey]*lockedConn
}{m: map[adminKey]*lockedConn{}}

type adminKey struct {
	t   testing.TB
	url string
}

type lockedConn struct {
	mu   sync.Mutex
	conn *pgx.Conn
}

// adminConn returns t's connection to dbURL, connecting first if t has none.
func adminConn(t testing.TB, dbURL string) *lockedConn {
	t.Helper()
	adminConns.Lock()
	defer adminConns.Unlock()
	k := adminKey{t, dbURL}
	if c := adminConns.m[k]; c != nil {
		return c
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatalf("connect to the test database: %v", err)
	}
	c := &lockedConn{conn: conn}
	adminConns.m[k] = c
	// Registered after the schema's cleanup (freshSchema), so it runs before: the connection
	// is closed before its schema is dropped.
	t.Cleanup(func() {
		adminConns.Lock()
		delete(adminConns.m, k)
		adminConns.Unlock()
		c.mu.Lock()
		defer c.mu.Unlock()
		_ = c.conn.Close(context.Background())
	})
	return c
}

// testLogger logs warnings and errors to t's output.
func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// openAt opens a store on dbURL and closes it when t ends. Logs go to the test's output.
func openAt(t testing.TB, dbURL string, o Options) *Store {
	t.Helper()
	if o.Logger == nil {
		o.Logger = testLogger(t)
	}
	s, err := Open(t.Context(), dbURL, o)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() }) // may be the second Close
	return s
}

// openTest opens a store in an empty, migrated schema of t's own (emptySchemas) and returns
// it with the schema's URL. A schema another test used has the pages and the planner's
// statistics that test left: benchmarks, and tests that count pages read or assert a plan,
// use openNew.
func openTest(t testing.TB, o Options) (*Store, string) {
	t.Helper()
	u := emptySchemas.Schema(t)
	return openAt(t, u, o), u
}

// openNew opens a store in a new schema, which it migrates, and returns it with the schema's
// URL.
func openNew(t testing.TB, o Options) (*Store, string) {
	t.Helper()
	u := freshSchema(t)
	return openAt(t, u, o), u
}

// schemaAt returns the URL of a fresh schema at version n, as a store of that version left
// it: the first n migrations applied and recorded in schema_migrations, for a test of the
// migrations after n. next, if not empty, is the name migration n+1 must have, so a test of
// that migration fails plainly when the migrations are renumbered.
func schemaAt(t testing.TB, n int, next string) string {
	t.Helper()
	u := freshSchema(t)
	ms, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	if next != "" && (len(ms) <= n || ms[n].Name != next) {
		t.Fatalf("migration %d is not %q", n+1, next)
	}
	// All in one transaction, as migrate applies them: the steps made one by one, each
	// committed, took 5-7 s for a schema at 15 on a busy machine, most of a migration test.
	var b strings.Builder
	b.WriteString(`CREATE TABLE schema_migrations (version integer NOT NULL PRIMARY KEY, name text NOT NULL,
		applied_at timestamptz NOT NULL DEFAULT now());` + "\n")
	for _, m := range ms[:n] {
		// The step's last line may be a comment: the semicolon goes on a line of its own.
		fmt.Fprintf(&b, "%s\n;\nINSERT INTO schema_migrations (version, name) VALUES (%d, '%s');\n",
			m.SQL, m.Version, strings.ReplaceAll(m.Name, "'", "''"))
	}
	adminExec(t, u, "BEGIN;\n"+b.String()+"COMMIT;")
	return u
}

// untilStopped runs step(0), step(1), … in a goroutine of wg until stop is closed or step
// returns false: the load a test keeps on a store while it does something else to it.
func untilStopped(wg *sync.WaitGroup, stop <-chan struct{}, step func(i int) bool) {
	wg.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if !step(i) {
				return
			}
		}
	})
}
