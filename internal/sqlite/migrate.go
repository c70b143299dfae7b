package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"hubbub/internal/migrations"
	"hubbub/internal/sqlstore"
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
		// As on PostgreSQL, the keys are recomputed before the step's SQL creates its
		// trigger, which would otherwise fire twice for every rekeyed row to look for held
		// keys that no row has yet.
		if m.Version == sqlstore.NameKeysVersion {
			if err := rekeyNames(ctx, conn, log); err != nil {
				return fmt.Errorf("migration %s: %w", m.Name, err)
			}
			if err := rekeyAnonSanctions(ctx, conn, log); err != nil {
				return fmt.Errorf("migration %s: %w", m.Name, err)
			}
		}
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

// rekeyNames recomputes every users.name_key with today's hubbub.NameKey (see
// sqlstore.RekeyNames), inside migrate's transaction on conn. Changing rows first move to a
// key of their own, since one user's new key may be another's old one and the UNIQUE index is
// checked row by row.
func rekeyNames(ctx context.Context, conn *sql.Conn, log *slog.Logger) error {
	rows, err := conn.QueryContext(ctx, `SELECT id, name, name_key FROM users ORDER BY created_ms, id`)
	if err != nil {
		return fmt.Errorf("read names: %w", err)
	}
	var users []sqlstore.StoredName
	for rows.Next() {
		var u sqlstore.StoredName
		if err := rows.Scan(&u.ID, &u.Name, &u.Key); err != nil {
			rows.Close()
			return fmt.Errorf("read names: %w", err)
		}
		users = append(users, u)
	}
	if err := rows.Close(); err != nil {
		return fmt.Errorf("read names: %w", err)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read names: %w", err)
	}
	changed := sqlstore.RekeyNames(users, log)
	for _, u := range changed {
		if _, err := conn.ExecContext(ctx, `UPDATE users SET name_key = ? WHERE id = ?`, sqlstore.UnclaimedKey(u.ID), u.ID); err != nil {
			return fmt.Errorf("rekey %s: %w", u.ID, err)
		}
	}
	for _, u := range changed {
		if _, err := conn.ExecContext(ctx, `UPDATE users SET name_key = ? WHERE id = ?`, u.Key, u.ID); err != nil {
			return fmt.Errorf("rekey %s: %w", u.ID, err)
		}
	}
	log.Info("sqlite: name keys recomputed", "users", len(users), "changed", len(changed))
	return nil
}

// rekeyAnonSanctions moves the bans and mutes of anonymous users to their ids of today (see
// sqlstore.RekeyAnonSanctions), inside migrate's transaction on conn.
func rekeyAnonSanctions(ctx context.Context, conn *sql.Conn, log *slog.Logger) error {
	rows, err := conn.QueryContext(ctx, `SELECT room, user_id, kind, name, until_ms, by_name, reason
		FROM sanctions WHERE user_id LIKE 'anon:%'`)
	if err != nil {
		return fmt.Errorf("read sanctions: %w", err)
	}
	var all []sqlstore.AnonSanction
	for rows.Next() {
		var s sqlstore.AnonSanction
		var until int64
		if err := rows.Scan(&s.Room, &s.User, &s.Kind, &s.Name, &until, &s.By, &s.Reason); err != nil {
			rows.Close()
			return fmt.Errorf("read sanctions: %w", err)
		}
		s.Until = time.UnixMilli(until)
		all = append(all, s)
	}
	if err := rows.Close(); err != nil {
		return fmt.Errorf("read sanctions: %w", err)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read sanctions: %w", err)
	}
	remove, add := sqlstore.RekeyAnonSanctions(all)
	for _, s := range remove {
		if _, err := conn.ExecContext(ctx, `DELETE FROM sanctions WHERE room = ? AND user_id = ? AND kind = ?`, s.Room, s.User, s.Kind); err != nil {
			return fmt.Errorf("move sanction: %w", err)
		}
	}
	for _, s := range add {
		if _, err := conn.ExecContext(ctx, `INSERT INTO sanctions (room, user_id, kind, name, until_ms, by_name, reason)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, s.Room, s.User, s.Kind, s.Name, s.Until.UnixMilli(), s.By, s.Reason); err != nil {
			return fmt.Errorf("move sanction: %w", err)
		}
	}
	if len(remove) > 0 {
		log.Info("sqlite: anonymous users' sanctions moved to their new ids", "rows", len(remove), "now", len(add))
	}
	return nil
}
