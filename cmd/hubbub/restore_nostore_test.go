package main

import (
	"bytes"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// hubbub restore on a file that holds no hubbub database — an empty file a failed copy of the
// backup left, another program's SQLite file named by mistake — refuses, saying so, and leaves
// the file as it was. It made every table of the store in it and said "moved the numbering of
// 0 rooms", exit 0, as if the restore had gone well.
func TestRestoreRefusesAFileWithNoStore(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.db")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(dir, "other.db")
	db, err := sql.Open("sqlite", other)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`CREATE TABLE notes (text TEXT)`); err != nil {
		t.Fatal(err)
	}
	db.Close()

	for _, path := range []string{empty, other} {
		var out, errOut bytes.Buffer
		err := run(t.Context(), []string{"restore", "--data", path}, stdio{in: strings.NewReader(""), out: &out, err: &errOut})
		var ue usageError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), "holds no hubbub database") {
			t.Errorf("hubbub restore --data %s: %v (said %q), want a refusal: no hubbub database", filepath.Base(path), err, out.String())
		}
	}
	if fi, err := os.Stat(empty); err != nil || fi.Size() != 0 {
		t.Errorf("the empty file after the refusal: %v, %v; want it still empty", fi, err)
	}
	db, err = sql.Open("sqlite", other)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var tables int
	if err := db.QueryRow(`SELECT count(*) FROM sqlite_master WHERE type = 'table'`).Scan(&tables); err != nil || tables != 1 {
		t.Errorf("the other program's database holds %d tables after the refusal (%v), want its 1", tables, err)
	}
}
