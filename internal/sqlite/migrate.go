package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"log/slog"
	"strconv"

	"hubbub/internal/migrations"
)

// migrationFS holds the schema, one file per version: NNNN_name.sql, applied in order.
//
//go:embed migrations/*.sql
var migrationFS embed.FS

// loadMigrations reads the embedded migrations, numbered 1, 2, 3…
func loadMigrations() ([]migrations.Migration, error) {
	return migrations.Load(migrationFS, "migrations")
}

// migrate brings the schema of the database behind conn up to date. The version lives in
// PRAGMA user_version, which is part of the database header and so commits or rolls back
// with the migrations themselves; BEGIN IMMEDIATE keeps two processes opening the same
// file at once from both applying a step.
func migrate(ctx context.Context, conn *sql.Conn, log *slog.Logger) (err error) {
	ms, err := loadMigrations()
	if err != nil {
		return err
	}
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_, _ = conn.ExecContext(context.Background(), "ROLLBACK")
		}
	}()
	var have int
	if err := conn.QueryRowContext(ctx, "PRAGMA user_version").Scan(&have); err != nil {
		return err
	}
	pending, err := migrations.Pending(ms, have)
	if err != nil {
		return err
	}
	for _, m := range pending {
		if _, err := conn.ExecContext(ctx, m.SQL); err != nil {
			return fmt.Errorf("migration %s: %w", m.Name, err)
		}
		log.Info("sqlite: applied migration", "migration", m.Name)
	}
	if len(pending) > 0 {
		// PRAGMA takes no bound parameters; the value is an int we produced.
		if _, err := conn.ExecContext(ctx, "PRAGMA user_version = "+strconv.Itoa(len(ms))); err != nil {
			return err
		}
	}
	_, err = conn.ExecContext(ctx, "COMMIT")
	return err
}
