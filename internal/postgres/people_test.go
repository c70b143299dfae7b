package postgres

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"hubbub"
)

// TestMigrateToUsers: a database of the room log before users (schema 0004: messages, an
// edit, reactions, mentions, a sanction, all keyed by name) migrates on Open: every row's user
// is its name, so resends, edits, reactions and sanctions of the old rows still work under the
// name, a user with an id is a stranger to them, and MyRooms counts the old mentions.
func TestMigrateToUsers(t *testing.T) {
	u := schemaAt(t, 4, "")
	// As the 0004 store wrote them: ann's message mentioning bob (1), bob's reaction (2),
	// ann's edit of 1 (3), bob's message with @room (4); bob muted by name.
	adminExec(t, u, `INSERT INTO rooms (name, last_seq, last_message_no) VALUES ('old', 4, 2)`)
	adminExec(t, u, `INSERT INTO messages (room, seq, id, client_id, sender, text, created_at, mentions, mention_room,
			reactions, edited_at, message_no) VALUES
		('old', 1, 'id1', 'k1', 'ann', 'hi @bob!', '2026-01-01T00:00:01Z', '[{"user":"bob","name":"bob"}]', false,
			'[{"emoji":"👍","count":1,"names":["bob"]}]', '2026-01-01T00:00:03Z', 1),
		('old', 4, 'id4', '', 'bob', '@room look', '2026-01-01T00:00:04Z', NULL, true, NULL, NULL, 2)`)
	adminExec(t, u, `INSERT INTO entries (room, seq, id, client_id, sender, kind, target, text, emoji, added, count, created_at) VALUES
		('old', 2, 'id2', 'r1', 'bob', 'reaction', 1, '', '👍', true, 1, '2026-01-01T00:00:02Z'),
		('old', 3, 'id3', '', 'ann', 'edit', 1, 'hi @bob!', '', false, 0, '2026-01-01T00:00:03Z')`)
	adminExec(t, u, `INSERT INTO reactions (room, seq, emoji, sender, added_seq) VALUES ('old', 1, '👍', 'bob', 2)`)
	adminExec(t, u, `INSERT INTO revisions (room, seq, replaced_by, text, at) VALUES ('old', 1, 3, 'hi @bob', '2026-01-01T00:00:01Z')`)
	adminExec(t, u, `INSERT INTO sanctions (room, name, kind, until_at, by_name, reason) VALUES
		('old', 'bob', 'mute', now() + interval '1 hour', 'mod', 'noise')`)

	s := openAt(t, u, Options{})
	ctx := t.Context()
	log, err := s.Since(ctx, "old", 0, 10)
	if err != nil || len(log) != 4 {
		t.Fatalf("Since after the migration = %+v, %v", log, err)
	}
	for _, e := range log {
		if e.User != e.From {
			t.Errorf("old entry %d has user %q, want its name %q", e.Seq, e.User, e.From)
		}
	}
	if _, err := s.JoinRoom(ctx, "old", "bob"); err != nil {
		t.Fatal(err)
	}
	if rooms := myRooms(t, s, "bob"); len(rooms) != 1 || rooms[0].Mentions != 1 || rooms[0].Unread != 1 {
		t.Errorf("bob's rooms as migrated = %+v, want 1 unread (ann's), 1 mention", rooms)
	}
	if _, _, outcome, err := s.Append(ctx, &hubbub.Entry{Room: "old", From: "ann", ClientID: "k1", Text: "again"}); err != nil || outcome != hubbub.Duplicate {
		t.Errorf("resend of an old key by name: %v, %v", outcome, err)
	}
	if _, _, outcome, err := s.Append(ctx, &hubbub.Entry{Room: "old", From: "ann", User: "u_ann", ClientID: "k1", Text: "mine"}); err != nil || outcome == hubbub.Duplicate {
		t.Errorf("a user's own k1: %v, %v; want stored", outcome, err)
	}
	refusedCode(t, s, hubbub.Entry{Room: "old", From: "ann", User: "u_ann", Kind: hubbub.KindEdit, Target: 1, Text: "x"}, hubbub.ECodeForbidden)
	appendOK(t, s, hubbub.Entry{Room: "old", From: "ann", Kind: hubbub.KindEdit, Target: 1, Text: "hi again @bob",
		Mentions: []hubbub.Mention{{User: "bob", Name: "bob"}}})
	if keys, err := s.ReactedBy(ctx, "old", "bob", 1, 10); err != nil || len(keys) != 1 {
		t.Errorf("ReactedBy(bob) of an old reaction = %+v, %v", keys, err)
	}
	un := appendOK(t, s, react("old", "bob", 1, "👍")) // bob's old reaction, taken back by name
	if un.Added || un.Count != 0 {
		t.Errorf("toggling an old reaction = %+v, want removed", un)
	}
	sns, err := s.Sanctions(ctx, "old")
	if err != nil || len(sns) != 1 || sns[0].User != "bob" || sns[0].Name != "bob" {
		t.Errorf("Sanctions after the migration = %+v, %v", sns, err)
	}
	// carol and bob (ids that are their names, as of the rows before users) are members:
	// carol has the two old messages and ann's new one unread, @room her one mention; bob
	// leaves out his own, and is mentioned in message 1 (migrated, then edited).
	if _, err := s.JoinRoom(ctx, "old", "carol"); err != nil {
		t.Fatal(err)
	}
	rooms := myRooms(t, s, "bob")
	if len(rooms) != 1 || rooms[0].Mentions != 1 || rooms[0].Unread != 2 { // 1 (mentions bob), the new k1 message
		t.Errorf("bob's rooms = %+v, want 2 unread, 1 mention", rooms)
	}
	rooms = myRooms(t, s, "carol")
	if len(rooms) != 1 || rooms[0].Mentions != 1 || rooms[0].Unread != 3 {
		t.Errorf("carol's rooms = %+v, want 3 unread, 1 mention (@room)", rooms)
	}
}

// refusedCode fails t unless appending e is refused with code.
func refusedCode(t *testing.T, s hubbub.Store, e hubbub.Entry, code string) {
	t.Helper()
	if got, _, _, err := s.Append(t.Context(), &e); hubbub.ErrorCode(err) != code {
		t.Errorf("Append(%+v) = %+v, %v; want %s", e, got, err, code)
	}
}

// myRooms returns user's rooms, failing t on error.
func myRooms(t testing.TB, s *Store, user string) []hubbub.MyRoom {
	t.Helper()
	rooms, err := s.MyRooms(t.Context(), user)
	if err != nil {
		t.Fatal(err)
	}
	return rooms
}

// TestMyRoomsCounts: the counts follow every change of the messages after the read
// position, as the store's arithmetic (message numbers less own and deleted) must: own
// messages, deletes of others' and of one's own, edits that add and take away a mention,
// @room, a message mentioning both, a reaction (not a message), and retention.
func TestMyRoomsCounts(t *testing.T) {
	s, _ := openTest(t, Options{Retention: hubbub.Retention{MaxPerRoom: 6}})
	ctx := t.Context()
	if _, _, err := s.CreateRoom(ctx, hubbub.RoomMeta{Name: "r", CreatedBy: "u_a"},
		[]hubbub.Membership{{User: "u_a", Role: hubbub.RoomOwner}, {User: "u_b"}}); err != nil {
		t.Fatal(err)
	}
	say := func(user, text string, mentions ...string) hubbub.Entry {
		e := hubbub.Entry{Room: "r", From: strings.TrimPrefix(user, "u_"), User: user, Text: text}
		for _, m := range mentions {
			if m == "@room" {
				e.MentionRoom = true
			} else {
				e.Mentions = append(e.Mentions, hubbub.Mention{User: m, Name: m})
			}
		}
		return appendOK(t, s, e)
	}
	check := func(what string, unread, mentions int) {
		t.Helper()
		rooms := myRooms(t, s, "u_b")
		if len(rooms) != 1 || rooms[0].Unread != unread || rooms[0].Mentions != mentions {
			t.Errorf("%s: b's room = %+v, want %d unread, %d mentions", what, rooms, unread, mentions)
		}
	}
	check("after creation (join entries are not messages)", 0, 0)
	m1 := say("u_a", "one")
	say("u_b", "mine", "u_b")
	m3 := say("u_a", "hey @b", "u_b")
	check("three messages, one b's own", 2, 1)
	appendOK(t, s, react("r", "a", m1.Seq, "👍"))
	check("a reaction is not a message", 2, 1)
	appendOK(t, s, hubbub.Entry{Room: "r", From: "a", User: "u_a", Kind: hubbub.KindEdit, Target: m3.Seq, Text: "hey"})
	check("the edit took the mention away", 2, 0)
	appendOK(t, s, hubbub.Entry{Room: "r", From: "a", User: "u_a", Kind: hubbub.KindEdit, Target: m1.Seq, Text: "one @b",
		Mentions: []hubbub.Mention{{User: "u_b", Name: "b"}}})
	check("an edit added one", 2, 1)
	m4 := say("u_a", "all @room and @b", "@room", "u_b")
	say("u_b", "my @room", "@room")
	check("@room and b at once is one mention; b's own @room none", 3, 2)
	appendOK(t, s, hubbub.Entry{Room: "r", From: "a", User: "u_a", Kind: hubbub.KindDelete, Target: m4.Seq})
	check("a deleted message is neither", 2, 1)
	if _, err := s.SetRead(ctx, "u_b", "r", m1.Seq); err != nil {
		t.Fatal(err)
	}
	check("read up to the first", 1, 0)
	for i := range 6 {
		say("u_a", fmt.Sprint("more ", i))
	}
	if _, err := s.Prune(ctx); err != nil {
		t.Fatal(err)
	}
	check("six more, the older ones pruned", 6, 0)
	if n := len(since(t, s, "r")); n == 0 {
		t.Fatal("nothing left after Prune")
	}
}

// since reads a room's whole log.
func since(t *testing.T, s *Store, room string) []hubbub.Entry {
	t.Helper()
	log, err := s.Since(t.Context(), room, 0, 10_000)
	if err != nil {
		t.Fatal(err)
	}
	return log
}

// TestRoomChangesTwoNodes: membership changes of one private room from two nodes at once
// (invites and joins of many users, each user's in order) end with every user a member, the
// member count right, and the log holding each change once.
func TestRoomChangesTwoNodes(t *testing.T) {
	u := emptySchemas.Schema(t)
	nodes := []*Store{openAt(t, u, Options{}), openAt(t, u, Options{})}
	ctx := t.Context()
	if _, _, err := nodes[0].CreateRoom(ctx, hubbub.RoomMeta{Name: "p", Private: true, CreatedBy: "u_owner"},
		[]hubbub.Membership{{User: "u_owner", Role: hubbub.RoomOwner}}); err != nil {
		t.Fatal(err)
	}
	const users = 24
	var wg sync.WaitGroup
	for i := range users {
		wg.Go(func() {
			s, id := nodes[i%2], fmt.Sprint("u_", i)
			for _, e := range []hubbub.Entry{
				{Room: "p", From: "owner", User: "u_owner", Kind: hubbub.KindMember, Subject: id, SubjectName: fmt.Sprint("user", i), Action: hubbub.MemberInvite},
				{Room: "p", From: fmt.Sprint("user", i), User: id, Kind: hubbub.KindMember, Subject: id, Action: hubbub.MemberJoin},
				{Room: "p", From: "owner", User: "u_owner", Kind: hubbub.KindTopic, Text: fmt.Sprint("topic ", i)},
			} {
				if _, _, _, err := s.Append(ctx, &e); err != nil {
					t.Errorf("%s %s: %v", id, e.Action, err)
				}
			}
		})
	}
	wg.Wait()
	meta, found, err := nodes[1].RoomMeta(ctx, "p")
	if err != nil || !found || meta.Members != users+1 || meta.LastSeq != 1+3*users || !strings.HasPrefix(meta.Topic, "topic ") {
		t.Errorf("RoomMeta = %+v, %v, %v; want %d members, last seq %d", meta, found, err, users+1, 1+3*users)
	}
	var all []hubbub.Membership
	for after := ""; ; {
		page, err := nodes[0].Members(ctx, "p", after, 7)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		all, after = append(all, page...), page[len(page)-1].User
	}
	if len(all) != users+1 || slices.ContainsFunc(all, func(m hubbub.Membership) bool { return m.Invited || m.Role == "" }) {
		t.Errorf("Members = %+v", all)
	}
	var topics int
	for _, e := range since(t, nodes[0], "p") {
		if e.Kind == hubbub.KindTopic {
			topics++
		}
	}
	if topics != users {
		t.Errorf("%d topic entries, want %d", topics, users)
	}
}

// TestRoomChangeRefusals: a refused member change takes no seq and changes nothing, in a
// batch with accepted ones; the entries come back from Since with every field.
func TestRoomChangeRefusals(t *testing.T) {
	s, _ := openTest(t, Options{})
	ctx := t.Context()
	mk := func(action, subject string, role hubbub.RoomRole) hubbub.Entry {
		return hubbub.Entry{Room: "r", From: "ann", User: "u_ann", Kind: hubbub.KindMember, Subject: subject,
			SubjectName: strings.TrimPrefix(subject, "u_"), Action: action, Role: role}
	}
	inv := appendOK(t, s, mk(hubbub.MemberInvite, "u_bob", hubbub.RoomModerator))
	refusedCode(t, s, mk(hubbub.MemberInvite, "u_bob", ""), hubbub.ECodeExists)
	refusedCode(t, s, mk(hubbub.MemberRole, "u_bob", hubbub.RoomOwner), hubbub.ECodeNotFound)
	refusedCode(t, s, mk(hubbub.MemberLeave, "u_carol", ""), hubbub.ECodeNotFound)
	join := appendOK(t, s, mk(hubbub.MemberJoin, "u_bob", ""))
	if join.Seq != inv.Seq+1 || join.Role != hubbub.RoomModerator {
		t.Errorf("join = %+v, want seq %d as moderator (the invitation's role)", join, inv.Seq+1)
	}
	refusedCode(t, s, mk(hubbub.MemberJoin, "u_bob", ""), hubbub.ECodeExists)
	refusedCode(t, s, hubbub.Entry{Room: "r", From: "ann", User: "u_ann", Kind: hubbub.KindTopic, Text: strings.Repeat("t", hubbub.MaxTopicLen+1)}, hubbub.ECodeTooLong)
	log := since(t, s, "r")
	if len(log) != 2 || !reflect.DeepEqual(log[1], join) {
		t.Errorf("the log = %+v, want the invite and %+v", log, join)
	}
	m, found, err := s.Membership(ctx, "r", "u_bob")
	if err != nil || !found || m.Invited || m.Role != hubbub.RoomModerator || m.Name != "bob" || !m.Since.Equal(join.Time) {
		t.Errorf("Membership = %+v, %v, %v", m, found, err)
	}
	meta, _, _ := s.RoomMeta(ctx, "r")
	if meta.Members != 1 || meta.Created.IsZero() || meta.Private {
		t.Errorf("RoomMeta = %+v, want 1 member and metadata from the first change", meta)
	}
}

// Leaving a room that does not exist stores nothing: the leave used to take the room's lock by
// inserting its row, so a client leaving made-up names grew the rooms table without bound
// (rows RoomMeta never finds, and no cap counts).
func TestLeaveOfNoRoomStoresNoRow(t *testing.T) {
	s, _ := openTest(t, Options{})
	ctx := t.Context()
	for i := range 5 {
		if _, err := s.LeaveRoom(ctx, fmt.Sprint("made-up-", i), "u_someone"); err != nil {
			t.Fatalf("LeaveRoom of a room that does not exist: %v", err)
		}
	}
	var rows int
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM rooms`).Scan(&rows); err != nil || rows != 0 {
		t.Fatalf("rooms holds %d rows after leaving five made-up rooms (err %v), want 0", rows, err)
	}
}
