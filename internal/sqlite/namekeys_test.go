package sqlite

import (
	"database/sql"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"hubbub"
	"hubbub/internal/sqlstore"
	"hubbub/internal/storetest"
)

// TestUpgradeRekeysNames: a file written before schema step 15, holding "alice" and a later
// "ALICE" (two users under the old key) and "Ian", opens with every key recomputed once: both
// alices still sign in by their exact names, no new look-alike can be made, and the operator
// is warned; a second open changes nothing.
func TestUpgradeRekeysNames(t *testing.T) {
	path, db := fileBeforeNameKeys(t)
	var ids []string
	for i, name := range storetest.OldUsers {
		id := sqlstore.NewUserID()
		if _, err := db.Exec(`INSERT INTO users (id, name, name_key, kind, role, password_hash, created_ms)
			VALUES (?, ?, ?, 'account', '', ?, ?)`, id, name, storetest.OldNameKey(name), "hash-of-"+name, 1700000000000+i); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	for _, x := range storetest.OldAnonSanctions(time.Now()) {
		if _, err := db.Exec(`INSERT INTO sanctions (room, user_id, kind, name, until_ms, by_name, reason)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, x.Room, x.User, string(x.Kind), x.Name, x.Until.UnixMilli(), x.By, x.Reason); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()

	var log storetest.LogBuffer
	s := openAt(t, path, Options{Logger: slog.New(slog.NewTextHandler(io.MultiWriter(&log, t.Output()), nil))})
	storetest.CheckUpgradedNames(t, s, ids, log.String())
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	var again storetest.LogBuffer
	s = openAt(t, path, Options{Logger: slog.New(slog.NewTextHandler(&again, nil))})
	if got, found, err := s.UserByName(t.Context(), "ALICE"); err != nil || !found || got.ID != ids[1] {
		t.Errorf("after a second open, UserByName(ALICE) = %+v, %v, %v", got, found, err)
	}
	if l := again.String(); l != "" && (strings.Contains(l, "WARN") || strings.Contains(l, "recomputed")) {
		t.Errorf("the second open recomputed the keys again:\n%s", l)
	}
}

// fileBeforeNameKeys returns the path of a new file at schema step 14, as a store before
// NameKey's change left it, and a connection to it.
func fileBeforeNameKeys(t *testing.T) (string, *sql.DB) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "v14.db")
	ms, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	if ms[sqlstore.NameKeysVersion-1].Name != "0015_name_keys.sql" {
		t.Fatalf("migration %d is %s", sqlstore.NameKeysVersion, ms[sqlstore.NameKeysVersion-1].Name)
	}
	db := rawDB(t, path)
	for _, m := range ms[:sqlstore.NameKeysVersion-1] {
		if _, err := db.Exec(m.SQL); err != nil {
			t.Fatalf("%s: %v", m.Name, err)
		}
	}
	if _, err := db.Exec(`PRAGMA user_version = 14`); err != nil {
		t.Fatal(err)
	}
	return path, db
}

// TestUpgradeKeepsAnInvalidNamesKey: a stored name that is no valid name today keeps its old
// key, and that key may be the new key of an older user's name ("alice" is "allce" now): the
// older user then gets a held key, instead of the step failing on the UNIQUE index at every
// start. alice still signs in by her name, and no new look-alike of it can be made.
func TestUpgradeKeepsAnInvalidNamesKey(t *testing.T) {
	path, db := fileBeforeNameKeys(t)
	for i, u := range []struct{ id, name, key string }{
		{"u-alice", "alice", storetest.OldNameKey("alice")},
		{"u-odd", "allce\u200b", "allce"}, // a zero-width space: refused by ValidateName today
	} {
		if _, err := db.Exec(`INSERT INTO users (id, name, name_key, kind, role, password_hash, created_ms)
			VALUES (?, ?, ?, 'account', '', '', ?)`, u.id, u.name, u.key, 1700000000000+i); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()

	s := openAt(t, path, Options{})
	ctx := t.Context()
	if got, found, err := s.UserByName(ctx, "alice"); err != nil || !found || got.ID != "u-alice" {
		t.Errorf("UserByName(alice) = %+v, %v, %v; want u-alice", got, found, err)
	}
	_, err := s.CreateUser(ctx, hubbub.User{Name: "ALICE"}, "")
	if hubbub.ErrorCode(err) != hubbub.ECodeNameTaken {
		t.Errorf("CreateUser(ALICE) after the upgrade: %v, want name_taken", err)
	}
}
