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

// TestMigrateRoomKey: a database of schema 19, where two first uses at one instant made
// "deploy" and "Deploy" (no twin between them), opens with the key of each name held by one
// room (0020_room_key): the first in byte order, which other spellings already went to, while
// the other keeps its name and log as a twin, on every node. A row that is no room ("Ghost"
// beside the room "ghost", "Nowhere" alone: lockRoom's) holds no key.
func TestMigrateRoomKey(t *testing.T) {
	u := schemaAt(t, 19, "0020_room_key.sql")
	adminExec(t, u, `INSERT INTO rooms (name, last_seq, last_message_no, created) VALUES
		('deploy', 2, 2, NULL), ('Deploy', 1, 1, NULL), ('ghost', 1, 1, NULL), ('Ghost', 0, 0, NULL), ('Nowhere', 0, 0, NULL)`)
	adminExec(t, u, `INSERT INTO messages (room, seq, id, client_id, sender, user_id, text, created_at, message_no) VALUES
		('deploy', 1, 'd1', '', 'ann', 'ann', 'one', '2026-01-01T00:00:01Z', 1),
		('deploy', 2, 'd2', '', 'ann', 'ann', 'two', '2026-01-01T00:00:02Z', 2),
		('Deploy', 1, 'D1', '', 'bob', 'bob', 'raced', '2026-01-01T00:00:03Z', 1)`)

	s := openAt(t, u, Options{})
	other := openAt(t, u, Options{})
	ctx := t.Context()
	for name, want := range map[string]string{
		"deploy": "deploy", "Deploy": "Deploy", "DEPLOY": "Deploy",
		"ghost": "ghost", "Ghost": "ghost", "GHOST": "ghost", "nowhere": "", "Nowhere": "",
	} {
		for i, st := range []*Store{s, other} {
			if got, found, err := st.ResolveRoom(ctx, name); err != nil || found != (want != "") || got != want {
				t.Errorf("node %d: ResolveRoom(%q) = %q, %v, %v; want %q", i, name, got, found, err, want)
			}
		}
	}
	if e := appendOK(t, s, hubbub.Entry{Room: "deploy", From: "ann", Text: "three"}); e.Seq != 3 {
		t.Errorf("the twin's next entry took seq %d, want 3", e.Seq)
	}
	for room, holder := range map[string]string{"DEPLoy": "Deploy", "Ghost": "ghost"} {
		if _, _, _, err := other.Append(ctx, &hubbub.Entry{Room: room, From: "ann", Text: "another"}); hubbub.ErrorStoredRoom(err) != holder {
			t.Errorf("Append(%s) = %v; want room_case naming %s", room, err, holder)
		}
	}
	if e := appendOK(t, s, hubbub.Entry{Room: "NOWHERE", From: "ann", Text: "here now"}); e.Seq != 1 {
		t.Errorf("NOWHERE's first entry took seq %d, want 1", e.Seq)
	}
}

// TestRoomKeyRaceRetried: another node makes a room of the key of a batch's new room between
// the batch's lock (which found no room of the key) and its write: the unique index fails the
// batch, and the retry's lock finds the other node's room and refuses the append room_case,
// naming it. Nothing of the refused room is stored, and its row holds no key.
func TestRoomKeyRaceRetried(t *testing.T) {
	s, u := openTest(t, Options{})
	other := openAt(t, u, Options{})
	ctx := t.Context()
	s.w.afterLookup = func(attempt int) {
		if attempt == 1 {
			appendOK(t, other, hubbub.Entry{Room: "ops", From: "bob", Text: "first"})
		}
	}
	_, _, _, err := s.Append(ctx, &hubbub.Entry{Room: "Ops", From: "ann", Text: "also first"})
	s.w.afterLookup = nil
	if hubbub.ErrorCode(err) != hubbub.ECodeRoomCase || hubbub.ErrorStoredRoom(err) != "ops" {
		t.Fatalf("Append(Ops) = %v; want room_case naming ops", err)
	}
	if r := s.w.retries.Load(); r != 1 {
		t.Errorf("%d retries, want 1", r)
	}
	if _, found, err := s.RoomMeta(ctx, "Ops"); err != nil || found {
		t.Errorf("RoomMeta(Ops) = found %v, %v; want no room", found, err)
	}
	for _, name := range []string{"ops", "Ops", "OPS"} {
		if got, _, err := s.ResolveRoom(ctx, name); err != nil || got != "ops" {
			t.Errorf("ResolveRoom(%q) = %q, %v; want ops", name, got, err)
		}
	}
	if e := appendOK(t, s, hubbub.Entry{Room: "ops", From: "ann", Text: "second"}); e.Seq != 2 {
		t.Errorf("ops's next entry took seq %d, want 2", e.Seq)
	}
}
