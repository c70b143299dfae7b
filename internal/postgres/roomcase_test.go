package postgres

import (
	"testing"

	"hubbub"
)

// TestMigrateRoomCase: a database from before room names folded (schema 18) that holds rooms
// differing only by case keeps each of them, readable and writable by its exact name, and a
// request in any other spelling means the one with the most entries (0019_room_case) — on
// every node, since the choice is stored.
func TestMigrateRoomCase(t *testing.T) {
	u := schemaAt(t, 18, "")
	// "general" is the busy room; "General" the one a capitalised join made beside it, and
	// "GENERAL" one with metadata alone. "Ops" and "ops" are as busy as each other: the first
	// in byte order is chosen. "Ghost" is a row with neither metadata nor entry: no room.
	adminExec(t, u, `INSERT INTO rooms (name, last_seq, last_message_no, created) VALUES
		('general', 3, 3, NULL), ('General', 1, 1, NULL), ('GENERAL', 0, 0, now()),
		('ops', 2, 2, NULL), ('Ops', 2, 2, NULL), ('Plans', 0, 0, now()), ('Ghost', 0, 0, NULL)`)
	adminExec(t, u, `INSERT INTO messages (room, seq, id, client_id, sender, user_id, text, created_at, message_no) VALUES
		('General', 1, 'G1', '', 'bob', 'bob', 'lost', '2026-01-01T00:00:01Z', 1)`)

	s := openAt(t, u, Options{})
	other := openAt(t, u, Options{}) // another node on the same database
	ctx := t.Context()
	for name, want := range map[string]string{
		"general": "general", "General": "General", "GENERAL": "GENERAL", "gEneral": "general",
		"ops": "ops", "Ops": "Ops", "OPS": "Ops",
		"plans": "Plans", "PLANS": "Plans", "ghost": "", "Ghost": "",
	} {
		for i, st := range []*Store{s, other} {
			got, found, err := st.ResolveRoom(ctx, name)
			if err != nil || found != (want != "") || got != want {
				t.Errorf("node %d: ResolveRoom(%q) = %q, %v, %v; want %q", i, name, got, found, err, want)
			}
		}
	}
	// The twin keeps its log and takes new entries under its own name.
	if log, err := s.Since(ctx, "General", 0, 10); err != nil || len(log) != 1 || log[0].Text != "lost" {
		t.Errorf("Since(General) = %+v, %v", log, err)
	}
	if e := appendOK(t, s, hubbub.Entry{Room: "General", From: "bob", Text: "still here"}); e.Seq != 2 {
		t.Errorf("a twin's next entry took seq %d, want 2", e.Seq)
	}
}
