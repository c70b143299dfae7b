package servertest

import (
	"context"
	"log/slog"

	"hubbub/internal/pgtest"
	"hubbub/internal/postgres"
)

// PostgresSchemas gives a package's tests PostgreSQL schemas for Options.Postgres, migrated
// once and reset between tests (pgtest.Schemas) rather than a new one created, migrated and
// dropped for each: seconds a test under a busy -race run. A test that needs what a new schema
// has and a reset one does not (an empty, never-migrated schema; a first Open that migrates;
// or writers, such as a killed process's connections, that may outlive the test) uses
// pgtest.FreshSchema. A package using it has its TestMain run
// PostgresSchemas.DropAfter(m), so the schemas are dropped once the tests have run.
var PostgresSchemas = pgtest.NewSchemas(func(ctx context.Context, url string) error {
	s, err := postgres.Open(ctx, url, postgres.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return err
	}
	return s.Close()
})
