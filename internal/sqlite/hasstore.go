package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"path/filepath"
)

// HasStore reports whether the file at path holds a store: whether Open's migrations ran on
// it (PRAGMA user_version, which they set, is above 0). It makes no table, so that a command
// that only changes what a store holds (hubbub restore) can refuse an empty file (a backup's
// copy that failed) or another program's database, where Open would make every table there
// and find no room in them. The file must exist: opening a missing one would make it.
func HasStore(ctx context.Context, path string) (bool, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return false, fmt.Errorf("sqlite: %w", err)
	}
	db, err := sql.Open("sqlite", dsn(abs, url.Values{}))
	if err != nil {
		return false, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	defer db.Close()
	var version int
	if err := db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return false, fmt.Errorf("sqlite: open %s: %w", path, explainOpen(path, err))
	}
	return version > 0, nil
}
