// Package pgtest gives tests a PostgreSQL schema of their own: a new, empty one (FreshSchema),
// or one already migrated, reset to what the migrations left when the previous test ended
// (Schemas). The server comes from the environment: HUBBUB_TEST_POSTGRES holds the URL of a
// database the tests may create schemas in (.ci/postgres.sh prepares one), and
// HUBBUB_REQUIRE_POSTGRES=1 turns its absence from a skip into a failure, as CI wants.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

const (
	// URLEnv holds the URL of the test database.
	URLEnv = "HUBBUB_TEST_POSTGRES"
	// RequireEnv set to 1 makes a missing URLEnv fail tests instead of skipping them.
	RequireEnv = "HUBBUB_REQUIRE_POSTGRES"
)

// Wanted reports whether tests should use PostgreSQL: a URL is given, or it is required (in
// which case FreshSchema fails the test for want of one).
func Wanted() bool { return os.Getenv(URLEnv) != "" || os.Getenv(RequireEnv) == "1" }

// ServerURL returns the test database URL, or skips t (fails it when RequireEnv is 1).
func ServerURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv(URLEnv)
	if u == "" {
		if os.Getenv(RequireEnv) == "1" {
			t.Fatalf("%s=1 but %s is not set", RequireEnv, URLEnv)
		}
		t.Skipf("PostgreSQL tests skipped: set %s to a database URL, e.g. "+
			"postgres://hubbub:hubbub@127.0.0.1:5432/hubbub?sslmode=disable (.ci/postgres.sh prepares one)", URLEnv)
	}
	return u
}

// FreshSchema creates an empty schema for t, drops it with everything in it when t ends, and
// returns the database URL with search_path set to it: stores opened on that URL see only t's
// rows, so tests may run again and in parallel.
func FreshSchema(t testing.TB) string {
	t.Helper()
	base := ServerURL(t)
	schema := newSchemaName()
	Exec(t, base, "CREATE SCHEMA "+schema)
	t.Cleanup(func() { Exec(t, base, "DROP SCHEMA "+schema+" CASCADE") })
	return WithParam(base, "search_path", schema)
}

// newSchemaName returns a name no other test's schema has.
func newSchemaName() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return "hubbub_test_" + hex.EncodeToString(b[:])
}

// Exec runs sql on a connection of its own to the database at dbURL, failing t on error.
func Exec(t testing.TB, dbURL, sql string, args ...any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second) // also runs in Cleanup
	defer cancel()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatalf("connect to the test database: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// WithParam adds a connection parameter to a URL or key=value connection string.
func WithParam(dbURL, key, value string) string {
	if strings.HasPrefix(dbURL, "postgres://") || strings.HasPrefix(dbURL, "postgresql://") {
		if u, err := url.Parse(dbURL); err == nil {
			q := u.Query()
			q.Set(key, value)
			u.RawQuery = q.Encode()
			return u.String()
		}
	}
	return dbURL + " " + key + "=" + value
}
