package postgres

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

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

// unmadeRooms returns the names of the rows of rooms that are no room (no entry, no
// metadata): lockRoom's, had a batch left them.
func unmadeRooms(t *testing.T, s *Store) []string {
	t.Helper()
	rows, _ := s.pool.Query(t.Context(), `SELECT name FROM rooms WHERE last_seq = 0 AND created IS NULL ORDER BY name`)
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return names
}

// TestRefusedAppendsLeaveNoRoomRow: appends refused in a room that does not exist — a name
// whose key another room holds, an edit, a reaction or a role change of something a new
// room does not hold — store nothing: not even the row a batch makes to lock the room,
// which used to stay behind, one per name ever refused. The room can still be made later.
func TestRefusedAppendsLeaveNoRoomRow(t *testing.T) {
	s, _ := openTest(t, Options{})
	appendOK(t, s, hubbub.Entry{Room: "general", From: "ann", Text: "hello"})
	if _, _, _, err := s.Append(t.Context(), &hubbub.Entry{Room: "GENERAL", From: "ann", Text: "shouting"}); hubbub.ErrorCode(err) != hubbub.ECodeRoomCase {
		t.Fatalf("Append(GENERAL) = %v; want room_case", err)
	}
	appendRefused(t, s, hubbub.Entry{Room: "nowhere", From: "ann", User: "u_ann", Kind: hubbub.KindEdit, Target: 3, Text: "edited"}, hubbub.ECodeNotFound)
	appendRefused(t, s, react("nowhere", "ann", 1, "👍"), hubbub.ECodeNotFound)
	appendRefused(t, s, hubbub.Entry{Room: "elsewhere", From: "ann", User: "u_ann", Kind: hubbub.KindMember,
		Action: hubbub.MemberRole, Subject: "u_bob", Role: hubbub.RoomOwner}, hubbub.ECodeNotFound)
	if left := unmadeRooms(t, s); len(left) != 0 {
		t.Errorf("rows of rooms that never came to be: %q; want none", left)
	}
	if e := appendOK(t, s, hubbub.Entry{Room: "nowhere", From: "ann", Text: "here now"}); e.Seq != 1 {
		t.Errorf("nowhere's first entry took seq %d, want 1", e.Seq)
	}
}

// TestRefusedRoomWaitedOn: another node appends to a new room while a batch that will refuse
// its own append there holds the room's lock row. The batch deletes the row as it commits;
// the other node, which waited for it, makes the row again and stores its message first in
// the room.
func TestRefusedRoomWaitedOn(t *testing.T) {
	app := fmt.Sprint("hubbub_unmade_", time.Now().UnixNano())
	u := emptySchemas.Schema(t)
	s := openAt(t, u, Options{})
	other := openAt(t, withParam(u, "application_name", app), Options{})
	ctx := t.Context()
	conn, err := pgx.Connect(ctx, serverURL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	type outcome struct {
		e   *hubbub.Entry
		err error
	}
	done := make(chan outcome, 1)
	s.w.afterLookup = func(attempt int) {
		if attempt != 1 {
			return
		}
		go func() {
			e, _, _, err := other.Append(ctx, &hubbub.Entry{Room: "nowhere", From: "bob", Text: "first"})
			done <- outcome{e, err}
		}()
		for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
			var waiting int
			if err := conn.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity
				WHERE application_name = $1 AND wait_event_type = 'Lock'`, app).Scan(&waiting); err != nil {
				t.Error(err)
				return
			}
			if waiting > 0 || len(done) > 0 {
				return
			}
		}
		t.Error("the other node's append neither finished nor waited for the batch's lock")
	}
	appendRefused(t, s, hubbub.Entry{Room: "nowhere", From: "ann", User: "u_ann", Kind: hubbub.KindEdit, Target: 1, Text: "edited"}, hubbub.ECodeNotFound)
	s.w.afterLookup = nil
	got := <-done
	if got.err != nil || got.e.Seq != 1 {
		t.Fatalf("the other node's append = %+v, %v; want it stored at seq 1", got.e, got.err)
	}
	if log, err := s.Since(ctx, "nowhere", 0, 10); err != nil || len(log) != 1 || log[0].Text != "first" {
		t.Errorf("Since(nowhere) = %+v, %v; want the other node's message", log, err)
	}
	if left := unmadeRooms(t, s); len(left) != 0 {
		t.Errorf("rows of rooms that never came to be: %q; want none", left)
	}
}
