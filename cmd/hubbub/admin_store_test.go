package main

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"hubbub/internal/accounts"
	"hubbub/internal/server"
	"hubbub/internal/servertest"
)

// TestAdminCommandsNeedTheDatabase: an operator who ran `hubbub serve --data /srv/chat.db` and
// then `hubbub user list` without --data was shown an empty table, and a new, empty hubbub.db
// was left in the current folder. An action that only reads or changes what exists, and every
// action of hubbub user (TestUserCommandsNeedTheServersDatabase), now says where it looked and
// how to point it at the server's file, and creates nothing; the other commands' actions that
// make something still create the file.
func TestAdminCommandsNeedTheDatabase(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "nothere.db")
	for _, args := range [][]string{
		{"user", "list"},
		{"user", "disable", "ann"},
		{"user", "role", "ann", "admin"},
		{"user", "add", "admin", "--role", "admin", "--password-stdin"},
		{"user", "invite"},
		{"webhook", "list"},
		{"webhook", "dead", "wh_1"},
		{"bot", "list"},
		{"hook", "list"},
		{"command", "list"},
	} {
		var out, errOut bytes.Buffer
		err := run(context.Background(), append(args, "--data", data), stdio{in: strings.NewReader("correct horse\n"), out: &out, err: &errOut})
		if err == nil || exitCode(err) != 2 || !strings.Contains(err.Error(), "no database at "+data) || !strings.Contains(err.Error(), "--data") {
			t.Errorf("hubbub %s on a missing file: %v (exit %d), want a usage error naming the file and --data", strings.Join(args, " "), err, exitCode(err))
		}
		if _, err := os.Stat(data); err == nil {
			t.Fatalf("hubbub %s created %s", strings.Join(args, " "), data)
		}
	}
	// A bot may still be made before the server ever ran.
	var out, errOut bytes.Buffer
	if err := run(context.Background(), []string{"bot", "create", "ci", "--rooms", "builds", "--data", data}, stdio{in: strings.NewReader(""), out: &out, err: &errOut}); err != nil {
		t.Fatalf("bot create on a new file: %v (%s)", err, errOut.String())
	}
	out.Reset()
	if err := run(context.Background(), []string{"bot", "list", "--data", data}, stdio{in: strings.NewReader(""), out: &out, err: &errOut}); err != nil || !strings.Contains(out.String(), "ci") {
		t.Errorf("bot list after create: %v %q", err, out.String())
	}
}

// TestUserCommandsNeedTheServersDatabase: `hubbub user add` with a mistyped --data made a new,
// empty database there and added the user to it, and said "added": the running server never
// saw the user, who could not sign in. Every `hubbub user` action now refuses a --data file
// that does not exist (exit 2), says where it looked and what to do, and creates nothing; on
// the server's own file the same command works and the server signs the user in.
func TestUserCommandsNeedTheServersDatabase(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "hubbub.db")
	s := servertest.Start(t, servertest.Options{DataPath: data,
		Server: server.Config{Accounts: accounts.Config{Hash: accounts.TestHashParams}}})
	typo := filepath.Join(dir, "hubub.db")
	for _, args := range [][]string{
		{"add", "admin", "--role", "admin", "--password-stdin"},
		{"invite", "--url", s.URL},
		{"list"},
		{"passwd", "admin", "--password-stdin"},
		{"rename", "admin", "root"},
	} {
		_, err := userCmdRun(t, "correct horse\n", append(args, append([]string{"--data", typo}, cheap...)...)...)
		want := "no database at " + typo + ": "
		if err == nil || exitCode(err) != 2 || !strings.Contains(err.Error(), want) ||
			!strings.Contains(err.Error(), "start the server once with --data "+typo+", or check the path") {
			t.Errorf("hubbub user %s on a mistyped --data: %v (exit %d), want a usage error %q…", strings.Join(args, " "), err, exitCode(err), want)
		}
		if _, err := os.Stat(typo); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("hubbub user %s made %s (%v)", strings.Join(args, " "), typo, err)
		}
	}
	if b := newTestBrowser(t, s); b.signIn("admin", "correct horse") != http.StatusUnauthorized {
		t.Fatal("the server signs in a user added to no database")
	}

	if out, err := userCmdRun(t, "correct horse\n", append([]string{"add", "admin", "--role", "admin", "--password-stdin", "--data", data}, cheap...)...); err != nil {
		t.Fatalf("user add on the server's --data: %v (%s)", err, out)
	}
	if st := newTestBrowser(t, s).signIn("admin", "correct horse"); st != http.StatusSeeOther {
		t.Fatalf("sign in as the admin user add made on the server's file: %d", st)
	}
}
