package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"go.uber.org/goleak"
)

// The tests need a PostgreSQL server; .ci/postgres.sh prepares one and prints these.
const (
	// urlEnv holds the URL of a database the tests may create schemas in.
	urlEnv = "HUBBUB_TEST_POSTGRES"
	// requireEnv set to 1 turns a missing urlEnv from a skip into a failure (CI sets it).
	requireEnv = "HUBBUB_REQUIRE_POSTGRES"
)

// TestMain fails the package if any test leaves a goroutine behind, such as a writer or a
// pool that Close did not stop.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// serverURL returns the test server's URL, or skips t (fails it if requireEnv is 1).
func serverURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv(urlEnv)
	if u == "" {
		if os.Getenv(requireEnv) == "1" {
			t.Fatalf("%s=1 but %s is not set", requireEnv, urlEnv)
		}
		t.Skipf("PostgreSQL tests skipped: set %s to a database URL, e.g. "+
			"postgres://hubbub:hubbub@127.0.0.1:5432/hubbub?sslmode=disable (.ci/postgres.sh prepares one)", urlEnv)
	}
	return u
}

// freshSchema creates an empty schema of its own for t, drops it with everything in it when
// t ends, and returns the server URL with search_path set to it: stores opened on that URL
// see only t's rows, and tests may run again and in parallel.
func freshSchema(t testing.TB) string {
	t.Helper()
	base := serverURL(t)
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "hubbub_test_" + hex.EncodeToString(b[:])
	adminExec(t, base, "CREATE SCHEMA "+schema)
	t.Cleanup(func() { adminExec(t, base, "DROP SCHEMA "+schema+" CASCADE") })
	return withParam(base, "search_path", schema)
}

// adminExec runs sql on a connection of its own to the database at dbURL.
func adminExec(t testing.TB, dbURL, sql string, args ...any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second) // also runs in Cleanup
	defer cancel()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatalf("connect to the test server: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// withParam adds a connection parameter to a URL or key=value connection string.
func withParam(dbURL, key, value string) string {
	if strings.HasPrefix(dbURL, "postgres://") || strings.HasPrefix(dbURL, "postgresql://") {
		u, err := url.Parse(dbURL)
		if err == nil {
			q := u.Query()
			q.Set(key, value)
			u.RawQuery = q.Encode()
			return u.String()
		}
	}
	return dbURL + " " + key + "=" + value
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

// openTest opens a store in a fresh schema and returns it with the schema's URL.
func openTest(t testing.TB, o Options) (*Store, string) {
	t.Helper()
	u := freshSchema(t)
	return openAt(t, u, o), u
}
