package postgres

import (
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"hubbub"
	"hubbub/internal/sqlstore"
	"hubbub/internal/storetest"
)

// TestUpgradeRekeysNames: a schema written before step 15, holding "alice" and a later
// "ALICE" (two users under the old key) and "Ian", opens with every key recomputed once: both
// alices still sign in by their exact names, no new look-alike can be made, and the operator
// is warned; a second open changes nothing.
func TestUpgradeRekeysNames(t *testing.T) {
	u := schemaAt(t, sqlstore.NameKeysVersion-1, "0015_name_keys.sql")
	var ids []string
	created := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for i, name := range storetest.OldUsers {
		id := sqlstore.NewUserID()
		adminExec(t, u, `INSERT INTO users (id, name, name_key, kind, role, password_hash, created)
			VALUES ($1, $2, $3, 'account', '', $4, $5)`, id, name, storetest.OldNameKey(name), "hash-of-"+name,
			created.Add(time.Duration(i)*time.Millisecond))
		ids = append(ids, id)
	}
	for _, x := range storetest.OldAnonSanctions(time.Now()) {
		adminExec(t, u, `INSERT INTO sanctions (room, user_id, kind, name, until_at, by_name, reason)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, x.Room, x.User, string(x.Kind), x.Name, x.Until, x.By, x.Reason)
	}

	var log storetest.LogBuffer
	s := openAt(t, u, Options{Logger: slog.New(slog.NewTextHandler(io.MultiWriter(&log, t.Output()), nil))})
	storetest.CheckUpgradedNames(t, s, ids, log.String())
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	var again storetest.LogBuffer
	s = openAt(t, u, Options{Logger: slog.New(slog.NewTextHandler(&again, nil))})
	if got, found, err := s.UserByName(t.Context(), "ALICE"); err != nil || !found || got.ID != ids[1] {
		t.Errorf("after a second open, UserByName(ALICE) = %+v, %v, %v", got, found, err)
	}
	if l := again.String(); strings.Contains(l, "WARN") || strings.Contains(l, "recomputed") {
		t.Errorf("the second open recomputed the keys again:\n%s", l)
	}
}

// TestUpgradeRekeysManyNamesAtOnce: the step moves the users' generation once, however many
// keys change, and its trigger still moves it afterwards. Moved per row (twice per changed
// user), every move inside the migration's transaction left a row version the next one
// walked past: 30,000 changed users held a start for 21 s instead of 1.5 s.
func TestUpgradeRekeysManyNamesAtOnce(t *testing.T) {
	const users = 300
	u := schemaAt(t, sqlstore.NameKeysVersion-1, "0015_name_keys.sql")
	adminExec(t, u, `INSERT INTO users (id, name, name_key, kind, role, password_hash, created)
		SELECT 'user' || g, 'iris' || g, 'lrls' || g || '-old', 'account', '', '', now() + g * interval '1 ms'
		FROM generate_series(1, $1::int) g`, users)
	s := openAt(t, u, Options{})
	ctx := t.Context()
	before, err := s.Generations(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if before.Users != users+1 {
		t.Errorf("users' generation after %d inserts and the upgrade: %d, want %d (moved once by the upgrade)", users, before.Users, users+1)
	}
	for name, id := range map[string]string{"iris1": "user1", "IRIS150": "user150", "lrls300": "user300"} {
		if got, found, err := s.UserByName(ctx, name); err != nil || !found || got.ID != id {
			t.Errorf("UserByName(%q) = %+v, %v, %v; want %s", name, got, found, err, id)
		}
	}
	if _, err := s.UpdateUser(ctx, "user7", hubbub.UserChange{Name: new("someone else")}); err != nil {
		t.Fatal(err)
	}
	if after, err := s.Generations(ctx); err != nil || after.Users <= before.Users {
		t.Errorf("a rename after the upgrade: users' generation %d → %+v, %v; want it moved", before.Users, after, err)
	}
}
