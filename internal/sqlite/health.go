package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"

	"hubbub/internal/sqlstore"
)

// Check reports whether the store can serve; see hubbub.Store. /readyz asks it. Reads
// must work, and so must writes: while the last batch of appends failed to commit (a full
// disk, a lock another process holds), Check makes a write of its own — it rewrites the
// database header's user version with its current value, one page committed and synced like
// an append — and fails unless that write succeeds. So readiness turns 503 with the first
// failed commit, and back to 200 once a commit or a test write succeeds again, even when no
// client sends anything meanwhile — except after a failed fsync of the log, which no later
// write undoes (walSync.failed): then until the store is opened again.
func (s *Store) Check(ctx context.Context) error {
	if err := s.guard.Begin(ctx, sqlstore.OpCheck); err != nil {
		return err
	}
	if failed := s.w.failed.Load(); failed != nil {
		if err := s.probeWrite(ctx); err != nil {
			return s.guard.Wrap(sqlstore.OpCheck, fmt.Errorf("writes fail: %v; a test write: %w", *failed, err))
		}
		s.w.failed.CompareAndSwap(failed, nil)
	}
	// No room is named "" (Append refuses it): the query reads the index and finds nothing.
	if _, err := s.lastSeq(ctx, ""); err != nil {
		return s.guard.Wrap(sqlstore.OpCheck, fmt.Errorf("read: %w", err))
	}
	return nil
}

// probeWrite commits one page on the writer's connection, after the batch in progress.
func (s *Store) probeWrite(ctx context.Context) error {
	_, err := s.exec(ctx, func(ctx context.Context, conn *sql.Conn) (int64, error) {
		var version int
		if err := conn.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
			return 0, err
		}
		// PRAGMA takes no bound parameters; the value is the int just read.
		_, err := conn.ExecContext(ctx, "PRAGMA user_version = "+strconv.Itoa(version))
		return 0, err
	})
	return err
}
