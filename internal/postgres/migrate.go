package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"log/slog"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"hubbub/internal/migrations"
	"hubbub/internal/sqlstore"
)

// migrationFS holds the schema, one file per version: NNNN_name.sql, applied in order.
//
//go:embed migrations/*.sql
var migrationFS embed.FS

// lockMigrationsSQL takes the advisory lock that serialises the migrations of one schema (the
// first of the connection's search_path, where migrate works), for the transaction. Advisory
// locks are per database, so the key names the schema: nodes sharing a schema take turns,
// stores in other schemas of the database do not wait for them. One key for every schema
// made the test suites, each test in a schema of its own, queue behind one another's ~20
// steps on a busy machine until a package passed its 10-minute timeout; nothing a migration
// makes lies outside its schema (no extensions), so schemas need no turn among themselves.
const lockMigrationsSQL = `SELECT pg_advisory_xact_lock(hashtextextended('hubbub.migrate:' || coalesce(current_schema(), ''), 0))`

// loadMigrations reads the embedded migrations, numbered 1, 2, 3…
func loadMigrations() ([]migrations.Migration, error) {
	return migrations.Load(migrationFS, "migrations")
}

// migrate brings the schema (the first schema of the connection's search_path) up to date.
// It runs in one transaction that first takes a transaction-scoped advisory lock, so nodes
// starting together apply each step once: the others wait, then find it recorded in
// schema_migrations. DDL is transactional in PostgreSQL, so a failed step leaves nothing.
func migrate(ctx context.Context, pool *pgxpool.Pool, log *slog.Logger) (err error) {
	ms, err := loadMigrations()
	if err != nil {
		return err
	}
	tx, err := pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback(context.Background())
		}
	}()
	if _, err := tx.Exec(ctx, lockMigrationsSQL); err != nil {
		return fmt.Errorf("lock: %w", err)
	}
	if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    integer     NOT NULL PRIMARY KEY,
		name       text        NOT NULL,
		applied_at timestamptz NOT NULL DEFAULT now()
	)`); err != nil {
		var pe *pgconn.PgError
		if errors.As(err, &pe) && pe.Code == "3F000" { // invalid_schema_name
			// PostgreSQL says "no schema has been selected to create in": the URL's
			// search_path names only schemas that do not exist (a typo, or one not made yet).
			return fmt.Errorf("create schema_migrations: %w: the URL's search_path names no schema that exists; create it (CREATE SCHEMA name) or correct the URL", err)
		}
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	var have int
	if err := tx.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&have); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	pending, err := migrations.Pending(ms, have)
	if err != nil {
		return err
	}
	for _, m := range pending {
		// The keys are recomputed before the step's SQL creates its trigger: otherwise every
		// rekeyed row fires it twice, and each firing scans users (starts_with uses no index),
		// which made the step quadratic in the users whose key changed.
		if m.Version == sqlstore.NameKeysVersion {
			if err := rekeyNames(ctx, tx, log); err != nil {
				return fmt.Errorf("migration %s: %w", m.Name, err)
			}
			if err := rekeyAnonSanctions(ctx, tx, log); err != nil {
				return fmt.Errorf("migration %s: %w", m.Name, err)
			}
		}
		if _, err := tx.Exec(ctx, m.SQL); err != nil { // no arguments: simple protocol, many statements
			return fmt.Errorf("migration %s: %w", m.Name, err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, m.Version, m.Name); err != nil {
			return fmt.Errorf("record migration %s: %w", m.Name, err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	for _, m := range pending {
		log.Info("postgres: applied migration", "migration", m.Name)
	}
	return nil
}

// rekeyNames recomputes every users.name_key with today's hubbub.NameKey (see
// sqlstore.RekeyNames), inside migrate's transaction tx. Changing rows first move to a key of
// their own, since one user's new key may be another's old one and the UNIQUE index is
// checked row by row.
func rekeyNames(ctx context.Context, tx pgx.Tx, log *slog.Logger) error {
	rows, err := tx.Query(ctx, `SELECT id, name, name_key FROM users ORDER BY created, id`)
	if err != nil {
		return fmt.Errorf("read names: %w", err)
	}
	users, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (sqlstore.StoredName, error) {
		var u sqlstore.StoredName
		err := r.Scan(&u.ID, &u.Name, &u.Key)
		return u, err
	})
	if err != nil {
		return fmt.Errorf("read names: %w", err)
	}
	changed := sqlstore.RekeyNames(users, log)
	// Two statements, not two per user: a round trip per row made an upgrade of 8,000 users
	// take seconds, and the start waits for it.
	ids := make([]string, len(changed))
	unclaimed := make([]string, len(changed))
	keys := make([]string, len(changed))
	for i, u := range changed {
		ids[i], unclaimed[i], keys[i] = u.ID, sqlstore.UnclaimedKey(u.ID), u.Key
	}
	// Step 14's trigger would move the users' generation once per row and update: every
	// update of that one row inside one transaction leaves a version that the next must walk
	// past, so 30,000 changed users took 21 s instead of 0.9 s. It is off for these two
	// statements, and the generation moves once.
	const setKeys = `UPDATE users SET name_key = v.key FROM unnest($1::text[], $2::text[]) AS v(id, key) WHERE users.id = v.id`
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{`ALTER TABLE users DISABLE TRIGGER generation_users_update`, nil},
		{setKeys, []any{ids, unclaimed}},
		{setKeys, []any{ids, keys}},
		{`ALTER TABLE users ENABLE TRIGGER generation_users_update`, nil},
		{`UPDATE generations SET gen = gen + 1 WHERE kind = 'users'`, nil},
	} {
		if _, err := tx.Exec(ctx, q.sql, q.args...); err != nil {
			return fmt.Errorf("rekey: %w", err)
		}
	}
	log.Info("postgres: name keys recomputed", "users", len(users), "changed", len(changed))
	return nil
}

// rekeyAnonSanctions moves the bans and mutes of anonymous users to their ids of today (see
// sqlstore.RekeyAnonSanctions), inside migrate's transaction tx.
func rekeyAnonSanctions(ctx context.Context, tx pgx.Tx, log *slog.Logger) error {
	rows, err := tx.Query(ctx, `SELECT room, user_id, kind, name, until_at, by_name, reason
		FROM sanctions WHERE user_id LIKE 'anon:%'`)
	if err != nil {
		return fmt.Errorf("read sanctions: %w", err)
	}
	all, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (sqlstore.AnonSanction, error) {
		var s sqlstore.AnonSanction
		err := r.Scan(&s.Room, &s.User, &s.Kind, &s.Name, &s.Until, &s.By, &s.Reason)
		return s, err
	})
	if err != nil {
		return fmt.Errorf("read sanctions: %w", err)
	}
	remove, add := sqlstore.RekeyAnonSanctions(all)
	for _, s := range remove {
		if _, err := tx.Exec(ctx, `DELETE FROM sanctions WHERE room = $1 AND user_id = $2 AND kind = $3`, s.Room, s.User, s.Kind); err != nil {
			return fmt.Errorf("move sanction: %w", err)
		}
	}
	for _, s := range add {
		if _, err := tx.Exec(ctx, `INSERT INTO sanctions (room, user_id, kind, name, until_at, by_name, reason)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, s.Room, s.User, s.Kind, s.Name, s.Until, s.By, s.Reason); err != nil {
			return fmt.Errorf("move sanction: %w", err)
		}
	}
	if len(remove) > 0 {
		log.Info("postgres: anonymous users' sanctions moved to their new ids", "rows", len(remove), "now", len(add))
	}
	return nil
}
