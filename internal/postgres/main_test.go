package postgres

import (
	"context"
	"log/slog"
	"sync"
	"testing"

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
	adminExec   = pgtest.Exec
)

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
	adminExec(t, u, `CREATE TABLE schema_migrations (version integer NOT NULL PRIMARY KEY, name text NOT NULL,
		applied_at timestamptz NOT NULL DEFAULT now())`)
	for _, m := range ms[:n] {
		adminExec(t, u, m.SQL)
		adminExec(t, u, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, m.Version, m.Name)
	}
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
