package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"hubbub"
)

// ErrDamaged is returned, wrapped, by Open when the integrity check at start finds the file
// damaged.
var ErrDamaged = errors.New("the database file is damaged")

// maxCheckProblems is how many problems the start-up check reports: the first few say what
// is wrong; a long list says nothing more.
const maxCheckProblems = 5

// checkIntegrity runs PRAGMA quick_check on the file behind conn, for at most timeout. A file
// that fails it is refused with ErrDamaged and what to do: a damaged file otherwise starts,
// accepts messages, and fails every read of its damaged part. A check that does not finish in
// time (a very large file) is logged and the file is used unchecked, so that a big store still
// starts within a bounded time.
func checkIntegrity(ctx context.Context, conn *sql.Conn, path string, timeout time.Duration, log *slog.Logger) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	start := time.Now()
	problems, err := quickCheck(ctx, conn)
	switch {
	case err != nil && ctx.Err() != nil:
		log.Warn("sqlite: integrity check did not finish in time; using the file unchecked",
			"path", path, "timeout", timeout)
		return nil
	case err != nil && !isCorrupt(err):
		return fmt.Errorf("integrity check: %w", err)
	case err != nil:
		problems = []string{err.Error()}
	case len(problems) == 0:
		log.Debug("sqlite: integrity check passed", "path", path, "took", time.Since(start))
		return nil
	}
	return fmt.Errorf("%w (PRAGMA quick_check: %s). Restore it from a backup, or copy out what is "+
		"readable with `sqlite3 %s .recover | sqlite3 recovered.db` and use recovered.db",
		ErrDamaged, strings.Join(problems, "; "), path)
}

// quickCheck returns the problems PRAGMA quick_check reports, none for a sound file.
func quickCheck(ctx context.Context, conn *sql.Conn) ([]string, error) {
	rows, err := conn.QueryContext(ctx, fmt.Sprintf("PRAGMA quick_check(%d)", maxCheckProblems))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var problems []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return nil, err
		}
		if line != "ok" {
			problems = append(problems, strings.Join(strings.Fields(line), " "))
		}
	}
	return problems, rows.Err()
}

// unreadable marks a read error caused by a damaged file with hubbub.ErrUnreadable, so that
// the hub knows reading again will not help.
func unreadable(err error) error {
	if isCorrupt(err) {
		return fmt.Errorf("%w: %w", hubbub.ErrUnreadable, err)
	}
	return err
}

// isCorrupt reports whether err is SQLite's SQLITE_CORRUPT (11) or SQLITE_NOTADB (26): the
// check could not even read the file's structure.
func isCorrupt(err error) bool {
	var coded interface{ Code() int }
	if !errors.As(err, &coded) {
		return false
	}
	c := coded.Code() & 0xff
	return c == 11 || c == 26
}
