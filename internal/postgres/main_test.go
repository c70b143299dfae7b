package postgres

import (
	"log/slog"
	"testing"

	"go.uber.org/goleak"

	"hubbub/internal/pgtest"
)

// TestMain fails the package if any test leaves a goroutine behind, such as a writer or a
// pool that Close did not stop.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

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

// openTest opens a store in a fresh schema and returns it with the schema's URL.
func openTest(t testing.TB, o Options) (*Store, string) {
	t.Helper()
	u := freshSchema(t)
	return openAt(t, u, o), u
}
