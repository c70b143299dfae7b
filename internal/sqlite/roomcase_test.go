package sqlite

import (
	"path/filepath"
	"testing"

	"hubbub"
)

// TestUpgradeRoomCase: a file from before room names folded (schema 17) that holds rooms
// differing only by case keeps each of them, readable and writable by its exact name, and a
// request in any other spelling means the one with the most entries (0018_room_case).
func TestUpgradeRoomCase(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "v17.db")
	ms, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	db := rawDB(t, path)
	for _, m := range ms[:17] {
		if _, err := db.Exec(m.SQL); err != nil {
			t.Fatalf("%s: %v", m.Name, err)
		}
	}
	// "general" is the busy room; "General" the empty one a capitalised join made beside it.
	// "Ops" and "ops" are as busy as each other: the first in byte order is chosen. "Plans"
	// has metadata and no entry; "Ghost" a row and neither (not a room: RoomMeta finds none).
	for _, q := range []string{
		`PRAGMA user_version = 17`,
		`INSERT INTO rooms (name, last_seq, msgs) VALUES ('general', 3, 3), ('General', 1, 1), ('GENERAL', 0, 0),
			('ops', 2, 2), ('Ops', 2, 2), ('Plans', 0, 0), ('plans', 0, 0), ('Ghost', 0, 0)`,
		`INSERT INTO room_meta (name, created_ms) VALUES ('GENERAL', 1700000000000), ('Plans', 1700000000000)`,
		`INSERT INTO messages (room, seq, id, sender, user_id, text, created_ms, ord) VALUES
			('general', 1, 'g1', 'ann', 'ann', 'one', 1700000000001, 1),
			('general', 2, 'g2', 'ann', 'ann', 'two', 1700000000002, 2),
			('general', 3, 'g3', 'ann', 'ann', 'three', 1700000000003, 3),
			('General', 1, 'G1', 'bob', 'bob', 'lost', 1700000000004, 1),
			('ops', 1, 'o1', 'ann', 'ann', 'a', 1700000000005, 1), ('ops', 2, 'o2', 'ann', 'ann', 'b', 1700000000006, 2),
			('Ops', 1, 'O1', 'ann', 'ann', 'c', 1700000000007, 1), ('Ops', 2, 'O2', 'ann', 'ann', 'd', 1700000000008, 2)`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	db.Close()

	s := openAt(t, path, Options{})
	for name, want := range map[string]string{
		"general": "general", "General": "General", "GENERAL": "GENERAL", "gEneral": "general",
		"ops": "ops", "Ops": "Ops", "OPS": "Ops",
		"plans": "Plans", "PLANS": "Plans", "ghost": "", "Ghost": "",
	} {
		got, found, err := s.ResolveRoom(ctx, name)
		if err != nil || found != (want != "") || got != want {
			t.Errorf("ResolveRoom(%q) = %q, %v, %v; want %q", name, got, found, err, want)
		}
	}
	// The twin keeps its log and takes new entries under its own name.
	if log, err := s.Since(ctx, "General", 0, 10); err != nil || len(log) != 1 || log[0].Text != "lost" {
		t.Errorf("Since(General) = %+v, %v", log, err)
	}
	if e := add(t, s, hubbub.Entry{Room: "General", From: "bob", Text: "still here"}); e.Seq != 2 {
		t.Errorf("a twin's next entry took seq %d, want 2", e.Seq)
	}
}
