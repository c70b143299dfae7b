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

// TestUpgradeRoomKey: a file of schema 18, where two first uses at one instant made "deploy"
// and "Deploy" (no twin between them), and older versions left rows that are no room
// ("Ghost" beside the room "ghost", "Nowhere" alone), opens with the key of each name held by
// one room (0019_room_key): the first in byte order, which other spellings already went to,
// while the other keeps its name and log as a twin; the rows that were no room hold no key, so
// a first use of their names in any spelling makes the room.
func TestUpgradeRoomKey(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "v18.db")
	ms, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	if ms[18].Name != "0019_room_key.sql" {
		t.Fatalf("migration 19 is %s", ms[18].Name)
	}
	db := rawDB(t, path)
	for _, m := range ms[:18] {
		if _, err := db.Exec(m.SQL); err != nil {
			t.Fatalf("%s: %v", m.Name, err)
		}
	}
	for _, q := range []string{
		`PRAGMA user_version = 18`,
		`INSERT INTO rooms (name, last_seq, msgs) VALUES ('deploy', 2, 2), ('Deploy', 1, 1), ('ghost', 1, 1),
			('Ghost', 0, 0), ('Nowhere', 0, 0)`,
		`INSERT INTO messages (room, seq, id, sender, user_id, text, created_ms, ord) VALUES
			('deploy', 1, 'd1', 'ann', 'ann', 'one', 1700000000001, 1), ('deploy', 2, 'd2', 'ann', 'ann', 'two', 1700000000002, 2),
			('Deploy', 1, 'D1', 'bob', 'bob', 'raced', 1700000000003, 1), ('ghost', 1, 'g1', 'ann', 'ann', 'boo', 1700000000004, 1)`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	db.Close()

	s := openAt(t, path, Options{})
	for name, want := range map[string]string{
		"deploy": "deploy", "Deploy": "Deploy", "DEPLOY": "Deploy",
		"ghost": "ghost", "Ghost": "ghost", "GHOST": "ghost", "nowhere": "", "Nowhere": "",
	} {
		if got, found, err := s.ResolveRoom(ctx, name); err != nil || found != (want != "") || got != want {
			t.Errorf("ResolveRoom(%q) = %q, %v, %v; want %q", name, got, found, err, want)
		}
	}
	// The twin keeps its log and takes entries under its own name; no third spelling is made.
	if e := add(t, s, hubbub.Entry{Room: "deploy", From: "ann", Text: "three"}); e.Seq != 3 {
		t.Errorf("the twin's next entry took seq %d, want 3", e.Seq)
	}
	if _, _, _, err := s.Append(ctx, &hubbub.Entry{Room: "DEPLoy", From: "ann", Text: "a third"}); hubbub.ErrorStoredRoom(err) != "Deploy" {
		t.Errorf("Append(DEPLoy) = %v; want room_case naming Deploy", err)
	}
	if _, _, _, err := s.Append(ctx, &hubbub.Entry{Room: "Ghost", From: "ann", Text: "a second ghost"}); hubbub.ErrorStoredRoom(err) != "ghost" {
		t.Errorf("Append(Ghost) = %v; want room_case naming ghost", err)
	}
	if e := add(t, s, hubbub.Entry{Room: "NOWHERE", From: "ann", Text: "here now"}); e.Seq != 1 {
		t.Errorf("NOWHERE's first entry took seq %d, want 1", e.Seq)
	}
}

// TestRoomKeyInOneBatch: first uses of one new name in several spellings that one batch
// holds, as plain messages grouped in one statement and as a message appended in a savepoint,
// go as they would one after the other: the first makes the room, the others are refused
// room_case naming it, and the batch's other appends (a resend among them, which sends the
// group one at a time) are stored as ever.
func TestRoomKeyInOneBatch(t *testing.T) {
	s, path := openTest(t, Options{})
	ctx := t.Context()
	x := add(t, s, hubbub.Entry{Room: "general", From: "ann", ClientID: "x", Text: "x"})
	release, first := blockWriter(t, s, path, "other")
	sends := []struct {
		m      hubbub.Entry
		seq    uint64
		dup    bool
		stored string // the room named by the refusal
	}{
		{m: hubbub.Entry{Room: "ops", From: "ann", Text: "a"}, seq: 1},
		{m: hubbub.Entry{Room: "Ops", From: "bob", Text: "b"}, stored: "ops"},
		{m: hubbub.Entry{Room: "general", From: "ann", ClientID: "x", Text: "x again"}, seq: x.Seq, dup: true},
		{m: hubbub.Entry{Room: "ops", From: "ann", Text: "c"}, seq: 2},
		// Not plain (a mention): appended in its own savepoint once the group is in.
		{m: hubbub.Entry{Room: "OPS", From: "bob", Text: "d @ann", Mentions: []hubbub.Mention{{User: "ann", Name: "ann"}}}, stored: "ops"},
		{m: hubbub.Entry{Room: "GENERAL", From: "bob", Text: "e"}, stored: "general"},
		{m: hubbub.Entry{Room: "general", From: "bob", Text: "f"}, seq: x.Seq + 1},
	}
	var ms []hubbub.Entry
	for _, sd := range sends {
		ms = append(ms, sd.m)
	}
	results := queueInOrder(t, s, ms)
	release()
	if res := <-first; res.err != nil {
		t.Fatal(res.err)
	}
	for i, ch := range results {
		res, want := <-ch, sends[i]
		switch {
		case want.stored != "":
			if hubbub.ErrorCode(res.err) != hubbub.ECodeRoomCase || hubbub.ErrorStoredRoom(res.err) != want.stored {
				t.Errorf("%s %q: %+v, %v; want room_case naming %s", want.m.Room, want.m.Text, res.msg, res.err, want.stored)
			}
		case res.err != nil || res.dup != want.dup || res.msg.Seq != want.seq:
			t.Errorf("%s %q: seq %d, dup %v, %v; want seq %d, dup %v", want.m.Room, want.m.Text, res.msg.Seq, res.dup, res.err, want.seq, want.dup)
		}
	}
	for room, want := range map[string]int{"ops": 2, "Ops": 0, "OPS": 0, "GENERAL": 0, "general": 2} {
		if got, err := s.Since(ctx, room, 0, 10); err != nil || len(got) != want {
			t.Errorf("Since(%s) = %d entries, %v; want %d", room, len(got), err, want)
		}
	}
	if n, err := s.CountRooms(ctx, 10); err != nil || n != 3 {
		t.Errorf("CountRooms = %d, %v; want 3 (general, ops, other)", n, err)
	}
}
