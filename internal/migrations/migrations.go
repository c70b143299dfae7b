// Package migrations reads a store's embedded schema steps. Each store (internal/sqlite,
// internal/postgres) embeds its own SQL and applies it its own way — a file header version in
// SQLite, a table under an advisory lock in PostgreSQL — but both number their steps the same.
package migrations

import (
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
)

// Migration is one schema step: the file NNNN_name.sql holding Version NNNN.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// Load reads every *.sql file of dir in fsys and checks that they are numbered 1, 2, 3… with no
// gap, so a step can never be skipped or applied twice.
func Load(fsys fs.FS, dir string) ([]Migration, error) {
	names, err := fs.Glob(fsys, path.Join(dir, "*.sql"))
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	var ms []Migration
	for _, name := range names {
		base := path.Base(name)
		num, _, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %s: name must start with a positive number and '_'", base)
		}
		text, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("migration %s: %w", base, err)
		}
		ms = append(ms, Migration{Version: v, Name: base, SQL: string(text)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].Version < ms[j].Version })
	for i, m := range ms {
		if m.Version != i+1 {
			return nil, fmt.Errorf("migration %s: expected version %d", m.Name, i+1)
		}
	}
	return ms, nil
}

// Pending returns the migrations of ms a database at schema version have still needs (ms as
// Load returns them, numbered from 1), or an error if the database is newer than this build.
func Pending(ms []Migration, have int) ([]Migration, error) {
	if have < 0 || have > len(ms) {
		return nil, fmt.Errorf("database schema version %d is newer than this build knows (%d)", have, len(ms))
	}
	return ms[have:], nil
}
