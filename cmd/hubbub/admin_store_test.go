package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"hubbub/internal/pgtest"
)

// TestAdminCommandsNeedTheDatabase: an operator who ran `hubbub serve --data /srv/chat.db` and
// then `hubbub user list` without --data was shown an empty table, and a new, empty hubbub.db
// was left in the current folder. An action that only reads or changes what exists now says
// where it looked and how to point it at the server's file, and creates nothing; the actions
// that make something (the first admin before the first serve) still create the file.
func TestAdminCommandsNeedTheDatabase(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "nothere.db")
	for _, args := range [][]string{
		{"user", "list"},
		{"user", "disable", "ann"},
		{"user", "role", "ann", "admin"},
		{"webhook", "list"},
		{"webhook", "dead", "wh_1"},
		{"bot", "list"},
		{"hook", "list"},
		{"command", "list"},
	} {
		var out, errOut bytes.Buffer
		err := run(context.Background(), append(args, "--data", data), stdio{in: strings.NewReader(""), out: &out, err: &errOut})
		if err == nil || exitCode(err) != 2 || !strings.Contains(err.Error(), "no database at "+data) || !strings.Contains(err.Error(), "--data") {
			t.Errorf("hubbub %s on a missing file: %v (exit %d), want a usage error naming the file and --data", strings.Join(args, " "), err, exitCode(err))
		}
		if _, err := os.Stat(data); err == nil {
			t.Fatalf("hubbub %s created %s", strings.Join(args, " "), data)
		}
	}
	// A refused add (the password too short) leaves no file behind: the corrected command
	// must find none and say so again, not add into a stray file without a word.
	var out, errOut bytes.Buffer
	args := append([]string{"user", "add", "admin", "--role", "admin", "--password-stdin", "--data", data}, cheap...)
	if err := run(context.Background(), args, stdio{in: strings.NewReader("short\n"), out: &out, err: &errOut}); exitCode(err) != 2 {
		t.Fatalf("user add with a short password on a new file: %v, want exit 2", err)
	}
	if _, err := os.Stat(data); err == nil {
		t.Fatalf("a refused user add left %s behind", data)
	}
	if strings.Contains(errOut.String(), "made a new one") {
		t.Errorf("a refused user add said %q", errOut.String())
	}
	errOut.Reset()
	// The first admin may be made before the server ever ran.
	if err := run(context.Background(), args, stdio{in: strings.NewReader("correct horse\n"), out: &out, err: &errOut}); err != nil {
		t.Fatalf("user add on a new file: %v (%s)", err, errOut.String())
	}
	// … and says it made one: with a mistyped --data the user is not the running server's.
	if want := "there was no database at " + data + ": made a new one"; !strings.Contains(errOut.String(), want) {
		t.Errorf("user add on a new file said %q, want %q", errOut.String(), want)
	}
	errOut.Reset()
	out.Reset()
	if err := run(context.Background(), []string{"user", "list", "--data", data}, stdio{in: strings.NewReader(""), out: &out, err: &errOut}); err != nil || !strings.Contains(out.String(), "admin") {
		t.Errorf("user list after add: %v %q", err, out.String())
	}
	// The file exists now: a second add says nothing of a new one.
	errOut.Reset()
	args = append([]string{"user", "add", "bob", "--password-stdin", "--data", data}, cheap...)
	if err := run(context.Background(), args, stdio{in: strings.NewReader("correct horse\n"), out: &out, err: &errOut}); err != nil {
		t.Fatalf("second user add: %v (%s)", err, errOut.String())
	}
	if strings.Contains(errOut.String(), "made a new one") {
		t.Errorf("user add on an existing file said %q", errOut.String())
	}
}

// TestAdminCommandsNeedTheDatabaseOnPostgres: the same on PostgreSQL. `hubbub user list
// --postgres URL` with a URL naming another database, or a search_path naming another schema,
// made every table of the store there and showed an empty table. An action that only reads
// or changes what exists now refuses a database without the store's tables and makes none;
// the actions that make something make them, and say so.
func TestAdminCommandsNeedTheDatabaseOnPostgres(t *testing.T) {
	pg := pgtest.FreshSchema(t)
	tables := func() int {
		t.Helper()
		conn, err := pgx.Connect(t.Context(), pg)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(t.Context())
		var n int
		if err := conn.QueryRow(t.Context(), `SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema()`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	for _, args := range [][]string{
		{"user", "list"},
		{"user", "role", "ann", "admin"},
		{"webhook", "list"},
		{"bot", "list"},
		{"hook", "list"},
		{"command", "list"},
	} {
		var out, errOut bytes.Buffer
		err := run(context.Background(), append(args, "--postgres", pg), stdio{in: strings.NewReader(""), out: &out, err: &errOut})
		if err == nil || exitCode(err) != 2 || !strings.Contains(err.Error(), "no hubbub tables in the PostgreSQL database at") || !strings.Contains(err.Error(), "--postgres") {
			t.Errorf("hubbub %s on a database without the store: %v (exit %d), want a usage error naming --postgres", strings.Join(args, " "), err, exitCode(err))
		}
		if n := tables(); n != 0 {
			t.Fatalf("hubbub %s made %d tables", strings.Join(args, " "), n)
		}
	}
	// The first admin may be made before the first node ever ran, and the tables with it.
	var out, errOut bytes.Buffer
	args := append([]string{"user", "add", "admin", "--role", "admin", "--password-stdin", "--postgres", pg}, cheap...)
	if err := run(context.Background(), args, stdio{in: strings.NewReader("correct horse\n"), out: &out, err: &errOut}); err != nil {
		t.Fatalf("user add on a database without the store: %v (%s)", err, errOut.String())
	}
	if want := "there were no hubbub tables in the PostgreSQL database at "; !strings.Contains(errOut.String(), want) {
		t.Errorf("user add on a database without the store said %q, want %q", errOut.String(), want)
	}
	errOut.Reset()
	out.Reset()
	if err := run(context.Background(), []string{"user", "list", "--postgres", pg}, stdio{in: strings.NewReader(""), out: &out, err: &errOut}); err != nil || !strings.Contains(out.String(), "admin") {
		t.Errorf("user list after add: %v %q", err, out.String())
	}
	if errOut.Len() != 0 {
		t.Errorf("user list on the store said %q", errOut.String())
	}
}
