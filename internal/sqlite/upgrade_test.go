package sqlite

import (
	"database/sql"
	"path/filepath"
	"reflect"
	"testing"

	"hubbub"
)

// rawDB opens the file at path with a connection of the test's own, outside any Store.
func rawDB(t testing.TB, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// TestUpgradeFromMessagesOnly: a file written by the store before the room log (schema 2:
// messages, tombstones, a pruned room) opens, keeps every message, seq and idempotency key,
// and takes every kind of entry; retention counts its old messages.
func TestUpgradeFromMessagesOnly(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "v2.db")
	ms, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	db := rawDB(t, path)
	for _, m := range ms[:2] {
		if _, err := db.Exec(m.SQL); err != nil {
			t.Fatalf("%s: %v", m.Name, err)
		}
	}
	// What the writer of schema 2 wrote: rooms numbered by last_seq, the seqs below 3 of
	// room "r" pruned, seq 4 a tombstone.
	for _, q := range []string{
		`PRAGMA user_version = 2`,
		`INSERT INTO rooms (name, last_seq) VALUES ('r', 6), ('quiet', 1)`,
		`INSERT INTO messages (room, seq, id, client_id, sender, text, created_ms, deleted) VALUES
			('r', 3, 'id3', 'c3', 'alice', 'three', 1700000000003, 0),
			('r', 4, 'id4', '', 'bob', '', 1700000000004, 1),
			('r', 5, 'id5', 'c5', 'alice', 'five', 1700000000005, 0),
			('r', 6, 'id6', '', 'bob', 'six', 1700000000006, 0),
			('quiet', 1, 'idq', '', 'carol', 'hello', 1700000000007, 0)`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	db.Close()

	s := openAt(t, path, Options{Retention: hubbub.Retention{MaxPerRoom: 3}})
	before, err := s.Since(ctx, "r", 0, 10)
	if err != nil || len(before) != 4 {
		t.Fatalf("Since after the upgrade = %+v, %v", before, err)
	}
	three := hubbub.Entry{Room: "r", Seq: 3, ID: "id3", ClientID: "c3", From: "alice", User: "alice", Text: "three", Time: before[0].Time}
	if !reflect.DeepEqual(before[0], three) || before[0].Time.UnixMilli() != 1700000000003 || !before[1].Deleted {
		t.Errorf("old messages read %+v", before)
	}
	if got, _, outcome, err := s.Append(ctx, &hubbub.Entry{Room: "r", From: "alice", ClientID: "c5", Text: "resent"}); err != nil || outcome != hubbub.Duplicate || got.Seq != 5 {
		t.Errorf("resend of an old message = %+v, %v, %v", got, outcome, err)
	}
	// every kind on old messages
	e := add(t, s, edit("r", "alice", 3, "three, edited"))
	r := add(t, s, react("r", "bob", 5, "👍"))
	rep := add(t, s, hubbub.Entry{Room: "r", From: "bob", Text: "re: six", ReplyTo: 6})
	if e.Seq != 7 || r.Seq != 8 || rep.Seq != 9 {
		t.Errorf("new entries took seqs %d, %d, %d; want 7, 8, 9", e.Seq, r.Seq, rep.Seq)
	}
	if revs, _, _ := s.Revisions(ctx, "r", 3); len(revs) != 2 || revs[0].Text != "three" {
		t.Errorf("Revisions of an old message = %+v", revs)
	}
	// a tombstone from before the log has no delete entry: a delete of it is a duplicate
	if got, _, outcome, err := s.Append(ctx, new(del("r", "bob", 4, false))); err != nil || outcome != hubbub.Duplicate || got.Seq != 0 {
		t.Errorf("delete of an old tombstone = %+v, %v, %v; want an unnumbered duplicate", got, outcome, err)
	}
	// the migration counted the old messages: 5 now in "r", MaxPerRoom 3 removes 3 and 4
	if n, err := s.Prune(ctx); err != nil || n != 2 {
		t.Errorf("Prune = %d, %v; want 2", n, err)
	}
	msgs, _ := s.Before(ctx, "r", 0, 10)
	if seqs := seqsOf(msgs); !reflect.DeepEqual(seqs, []uint64{5, 6, 9}) {
		t.Errorf("messages after Prune = %v, want [5 6 9]", seqs)
	}
	rooms, err := s.Rooms(ctx, "", 10)
	if err != nil || len(rooms) != 2 || rooms[0].Name != "quiet" || rooms[1].LastSeq != 9 || !rooms[1].LastActivity.Equal(rep.Time) {
		t.Errorf("Rooms = %+v, %v", rooms, err)
	}
}

// TestUpgradeFromFirstRoomLog: a file of schema 3 (the room log counting a room's messages
// in rooms.kept) opens with the count carried over, so retention still removes the right
// messages.
func TestUpgradeFromFirstRoomLog(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "v3.db")
	ms, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	db := rawDB(t, path)
	for _, m := range ms[:3] {
		if _, err := db.Exec(m.SQL); err != nil {
			t.Fatalf("%s: %v", m.Name, err)
		}
	}
	// seq 1 pruned, 2, 3 and 5 messages, 4 a reaction on 3.
	for _, q := range []string{
		`PRAGMA user_version = 3`,
		`INSERT INTO rooms (name, last_seq, kept) VALUES ('r', 5, 3)`,
		`INSERT INTO messages (room, seq, id, sender, text, created_ms, reactions) VALUES
			('r', 2, 'id2', 'alice', 'two', 1700000000002, ''),
			('r', 3, 'id3', 'alice', 'three', 1700000000003, '[{"emoji":"👍","count":1,"names":["bob"]}]'),
			('r', 5, 'id5', 'alice', 'five', 1700000000005, '')`,
		`INSERT INTO entries (room, seq, id, sender, kind, target, emoji, added, count, created_ms) VALUES
			('r', 4, 'id4', 'bob', 'reaction', 3, '👍', 1, 1, 1700000000004)`,
		`INSERT INTO reactions (room, seq, emoji, sender, rseq) VALUES ('r', 3, '👍', 'bob', 4)`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	db.Close()

	s := openAt(t, path, Options{Retention: hubbub.Retention{MaxPerRoom: 2}})
	r := add(t, s, react("r", "carol", 3, "👍"))
	if r.Seq != 6 || r.Count != 2 {
		t.Errorf("a reaction after the upgrade = %+v", r)
	}
	if n, err := s.Prune(ctx); err != nil || n != 1 {
		t.Fatalf("Prune = %d, %v; want 1 (of 3 messages, 2 kept)", n, err)
	}
	log, err := s.Since(ctx, "r", 0, 10)
	if seqs := seqsOf(log); err != nil || !reflect.DeepEqual(seqs, []uint64{3, 4, 5, 6}) {
		t.Errorf("log after Prune = %v, %v; want [3 4 5 6]", seqs, err)
	}
	add(t, s, text("r", "alice", "seven"))
	if n, err := s.Prune(ctx); err != nil || n != 1 {
		t.Fatalf("second Prune = %d, %v; want 1", n, err)
	}
}

// TestUpgradeToUsers: a file of schema 4 (the room log, before users) opens with every row's
// user id its name: resends, edits, reactions and sanctions of old rows are their name's; the
// messages that mentioned someone or @room count in a room list from the start.
func TestUpgradeToUsers(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "v4.db")
	ms, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	db := rawDB(t, path)
	for _, m := range ms[:4] {
		if _, err := db.Exec(m.SQL); err != nil {
			t.Fatalf("%s: %v", m.Name, err)
		}
	}
	for _, q := range []string{
		`PRAGMA user_version = 4`,
		`INSERT INTO rooms (name, last_seq, other_seqs) VALUES ('r', 5, 1)`,
		`INSERT INTO messages (room, seq, id, client_id, sender, text, created_ms, mentions, mention_room, reactions) VALUES
			('r', 1, 'id1', 'c1', 'alice', 'hi @bob', 1700000000001, '[{"user":"bob","name":"bob"}]', 0, '[{"emoji":"👍","count":1,"names":["bob"]}]'),
			('r', 2, 'id2', '', 'alice', 'all @room', 1700000000002, '', 1, ''),
			('r', 4, 'id4', '', 'carol', 'plain', 1700000000004, '', 0, ''),
			('r', 5, 'id5', '', 'bob', 'mine @room', 1700000000005, '', 1, '')`,
		`INSERT INTO entries (room, seq, id, client_id, sender, kind, target, emoji, added, count, created_ms) VALUES
			('r', 3, 'id3', 'c3', 'bob', 'reaction', 1, '👍', 1, 1, 1700000000003)`,
		`INSERT INTO reactions (room, seq, emoji, sender, rseq) VALUES ('r', 1, '👍', 'bob', 3)`,
		`INSERT INTO sanctions (room, name, kind, until_ms, by_name, reason) VALUES ('r', 'eve', 'ban', 4102444800000, 'mod', 'spam')`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	db.Close()

	s := openAt(t, path, Options{})
	old, err := s.Since(ctx, "r", 0, 10)
	if err != nil || len(old) != 5 || old[0].User != "alice" || old[2].User != "bob" || old[2].Kind != hubbub.KindReaction {
		t.Fatalf("the old log = %+v, %v", old, err)
	}
	// keyed by the name as a user id: a resend, an edit, the reaction's toggle
	if got, _, outcome, err := s.Append(ctx, &hubbub.Entry{Room: "r", From: "alice", ClientID: "c1", Text: "again"}); err != nil || outcome != hubbub.Duplicate || got.Seq != 1 {
		t.Errorf("resend of an old message = %+v, %v, %v", got, outcome, err)
	}
	if got, _, outcome, err := s.Append(ctx, &hubbub.Entry{Room: "r", From: "bob", User: "bob", ClientID: "c3", Kind: hubbub.KindReaction, Target: 1, Emoji: "👍"}); err != nil || outcome != hubbub.Duplicate || got.Seq != 3 {
		t.Errorf("resend of an old reaction = %+v, %v, %v", got, outcome, err)
	}
	if keys, err := s.ReactedBy(ctx, "r", "bob", 1, 5); err != nil || len(keys) != 1 || keys[0].Seq != 1 {
		t.Errorf("ReactedBy(bob) = %+v, %v", keys, err)
	}
	unreact := add(t, s, react("r", "bob", 1, "👍"))
	if unreact.Added || unreact.Count != 0 {
		t.Errorf("the old reaction's toggle = %+v, want it removed", unreact)
	}
	refused(t, s, hubbub.Entry{Room: "r", From: "alice", User: "u_new", Kind: hubbub.KindEdit, Target: 1, Text: "x"}, hubbub.ECodeForbidden)
	add(t, s, edit("r", "alice", 2, "all @room, edited"))
	sn, err := s.Sanctions(ctx, "r")
	if err != nil || len(sn) != 1 || sn[0].User != "eve" || sn[0].Name != "eve" || sn[0].By != "mod" {
		t.Errorf("Sanctions = %+v, %v", sn, err)
	}
	// the migrated mentions count: bob was mentioned by name (his id then), and @room
	if _, err := s.JoinRoom(ctx, "r", "bob"); err != nil {
		t.Fatal(err)
	}
	if r := myRoom(t, s, "bob", "r"); r.Unread != 3 || r.Mentions != 1 {
		t.Errorf("bob's row = %+v; want 3 unread (not his own), 1 mention (@bob; @room was edited away)", r)
	}
	if _, err := s.JoinRoom(ctx, "r", "dave"); err != nil {
		t.Fatal(err)
	}
	if r := myRoom(t, s, "dave", "r"); r.Unread != 4 || r.Mentions != 1 {
		t.Errorf("dave's row = %+v; want 4 unread, 1 mention (bob's @room)", r)
	}
}
