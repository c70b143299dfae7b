package storetest

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"hubbub"
)

// roomMeta calls RoomMeta and fails t on error.
func roomMeta(t testing.TB, s hubbub.RoomStore, room string) (hubbub.RoomMeta, bool) {
	t.Helper()
	meta, found, err := s.RoomMeta(t.Context(), room)
	if err != nil {
		t.Fatalf("RoomMeta(%q): %v", room, err)
	}
	return meta, found
}

// sameMeta reports how a differs from b, or "" if they are the same (times equal to the
// instant and in UTC, or both zero).
func sameMeta(a, b hubbub.RoomMeta) string {
	for _, ts := range [][2]time.Time{{a.Created, b.Created}, {a.LastActivity, b.LastActivity}} {
		if !ts[0].Equal(ts[1]) || !ts[0].IsZero() && (ts[0].Location() != time.UTC || ts[1].Location() != time.UTC) {
			return fmt.Sprintf("times %v and %v differ or are not UTC", ts[0], ts[1])
		}
	}
	a.Created, a.LastActivity, b.Created, b.LastActivity = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	if a != b {
		return fmt.Sprintf("%+v differs from %+v", a, b)
	}
	return ""
}

// member is a Membership for CreateRoom.
func member(u hubbub.User, role hubbub.RoomRole) hubbub.Membership {
	return hubbub.Membership{User: u.ID, Name: u.Name, Role: role}
}

// createRoom calls CreateRoom and fails t unless it works.
func createRoom(t testing.TB, s hubbub.RoomStore, meta hubbub.RoomMeta, members ...hubbub.Membership) (hubbub.RoomMeta, []hubbub.Entry) {
	t.Helper()
	got, entries, err := s.CreateRoom(t.Context(), meta, members)
	if err != nil {
		t.Fatalf("CreateRoom(%+v): %v", meta, err)
	}
	return got, entries
}

// memberEntry is a KindMember entry by actor about subject.
func memberEntry(room string, actor, subject hubbub.User, action string, role hubbub.RoomRole) hubbub.Entry {
	return hubbub.Entry{Room: room, From: actor.Name, User: actor.ID, Kind: hubbub.KindMember,
		Subject: subject.ID, SubjectName: subject.Name, Action: action, Role: role}
}

// topicEntry is a KindTopic entry by actor.
func topicEntry(room string, actor hubbub.User, topic string) hubbub.Entry {
	return hubbub.Entry{Room: room, From: actor.Name, User: actor.ID, Kind: hubbub.KindTopic, Text: topic}
}

// testCreateRoom: CreateRoom stores the metadata with the store's time and makes the members
// members by join entries numbered from 1, by the creator; a room that exists in any way
// (metadata, entries, a join) is ECodeExists; RoomMeta reads it back.
func testCreateRoom(t *testing.T, open opener) {
	s := open(t, hubbub.Retention{})
	ctx := t.Context()
	ann, bob, carol := newUser(t, s, "ann"), newUser(t, s, "bob"), newUser(t, s, "carol")
	forged := time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)
	earliest := time.Now().Add(-time.Second)
	meta, entries := createRoom(t, s,
		hubbub.RoomMeta{Name: "eng", Topic: "Engineering 🛠", Private: true, CreatedBy: ann.ID, Created: forged, Members: 9, LastSeq: 9},
		member(ann, hubbub.RoomOwner), member(bob, ""), member(carol, hubbub.RoomModerator))
	if meta.Name != "eng" || meta.Topic != "Engineering 🛠" || !meta.Private || meta.DM || meta.CreatedBy != ann.ID ||
		meta.Members != 3 || meta.LastSeq != 3 {
		t.Errorf("CreateRoom returned %+v", meta)
	}
	if meta.Created.Before(earliest) || meta.Created.Location() != time.UTC || !meta.Created.Equal(meta.Created.Truncate(time.Millisecond)) {
		t.Errorf("Created = %v, want the store's time, UTC, to the millisecond", meta.Created)
	}
	if len(entries) != 3 {
		t.Fatalf("CreateRoom appended %d entries, want 3", len(entries))
	}
	if !meta.LastActivity.Equal(entries[2].Time) {
		t.Errorf("LastActivity = %v, want the last join's time %v", meta.LastActivity, entries[2].Time)
	}
	wantRoles := []hubbub.RoomRole{hubbub.RoomOwner, hubbub.RoomMember, hubbub.RoomModerator}
	for i, u := range []hubbub.User{ann, bob, carol} {
		e := entries[i]
		if e.Seq != uint64(i+1) || e.Kind != hubbub.KindMember || e.Room != "eng" || e.From != "ann" || e.User != ann.ID ||
			e.Subject != u.ID || e.SubjectName != u.Name || e.Action != hubbub.MemberJoin || e.Role != wantRoles[i] || e.ID == "" {
			t.Errorf("entry %d = %+v, want %s's join as %s by ann", i, e, u.Name, wantRoles[i])
		}
	}
	checkStored(t, "Since(eng)", since(t, s, "eng", 0, 10), entries)
	if got, found := roomMeta(t, s, "eng"); !found || sameMeta(got, meta) != "" {
		t.Errorf("RoomMeta(eng) = %+v, %v; want %+v", got, found, meta)
	}
	if got := lastSeq(t, s, "eng"); got != 3 {
		t.Errorf("LastSeq(eng) = %d, want 3", got)
	}
	m, found, err := s.Membership(ctx, "eng", bob.ID)
	if err != nil || !found || m.Room != "eng" || m.User != bob.ID || m.Name != "bob" || m.Role != hubbub.RoomMember ||
		m.Invited || !m.Since.Equal(entries[1].Time) {
		t.Errorf("Membership(eng, bob) = %+v, %v, %v", m, found, err)
	}
	if _, found, err := s.Membership(ctx, "eng", "u_nobody"); found || err != nil {
		t.Errorf("Membership of a stranger: found %v, %v", found, err)
	}

	// A room that exists in any way cannot be created.
	mustAppend(t, s, as(msg("old", "bob", "before rooms had metadata"), bob.ID))
	if _, err := s.JoinRoom(ctx, "joined", bob.ID); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"eng", "old", "joined"} {
		_, _, err := s.CreateRoom(ctx, hubbub.RoomMeta{Name: name, CreatedBy: carol.ID}, []hubbub.Membership{member(carol, hubbub.RoomOwner)})
		wantCode(t, "CreateRoom("+name+")", err, hubbub.ECodeExists)
	}
	if got := lastSeq(t, s, "old"); got != 1 {
		t.Errorf("a refused CreateRoom appended to old: LastSeq %d", got)
	}
	if got, _ := roomMeta(t, s, "eng"); got.Topic != meta.Topic || got.CreatedBy != ann.ID {
		t.Errorf("a refused CreateRoom changed eng: %+v", got)
	}

	_, _, err = s.CreateRoom(ctx, hubbub.RoomMeta{Name: "long", Topic: strings.Repeat("x", hubbub.MaxTopicLen+1)}, []hubbub.Membership{member(ann, hubbub.RoomOwner)})
	wantCode(t, "CreateRoom with a long topic", err, hubbub.ECodeTooLong)
	if got, found := roomMeta(t, s, "long"); found {
		t.Errorf("a refused CreateRoom stored %+v", got)
	}

	// A room with no members yet: metadata and no entry.
	lobby, entries := createRoom(t, s, hubbub.RoomMeta{Name: "lobby", Topic: strings.Repeat("é", hubbub.MaxTopicLen/2)})
	if len(entries) != 0 || lobby.LastSeq != 0 || lobby.Members != 0 || lobby.Private || lobby.CreatedBy != "" {
		t.Errorf("CreateRoom(lobby) = %+v, %+v", lobby, entries)
	}
	if got, found := roomMeta(t, s, "lobby"); !found || sameMeta(got, lobby) != "" {
		t.Errorf("RoomMeta(lobby) = %+v, %v; want %+v", got, found, lobby)
	}

	// A room with entries and no metadata reads as public, with no topic or creator.
	old, found := roomMeta(t, s, "old")
	if !found || old.Name != "old" || old.Private || old.DM || old.Topic != "" || old.CreatedBy != "" || old.LastSeq != 1 || old.Members != 0 {
		t.Errorf("RoomMeta(old) = %+v, %v", old, found)
	}
	if got, found := roomMeta(t, s, "nowhere"); found {
		t.Errorf("RoomMeta of a room with nothing = %+v", got)
	}
}

// testCreateRoomConcurrent: members creating their DM at once: one creates it, the others
// get ECodeExists, and the room holds one set of joins.
func testCreateRoomConcurrent(t *testing.T, open opener) {
	s := open(t, hubbub.Retention{})
	createRoomsConcurrently(t, []hubbub.Store{s})
}

// createRoomsConcurrently races 8 creations of one DM, spread over stores, and checks that
// exactly one succeeded.
func createRoomsConcurrently(t *testing.T, stores []hubbub.Store) {
	t.Helper()
	users := []hubbub.User{newUser(t, stores[0], "ann"), newUser(t, stores[0], "bob"), newUser(t, stores[0], "carol")}
	ids := []string{users[0].ID, users[1].ID, users[2].ID}
	room := hubbub.DMRoomName(ids)
	const racers = 8
	var (
		wg    sync.WaitGroup
		errs  [racers]error
		start = make(chan struct{})
	)
	for i := range racers {
		wg.Go(func() {
			<-start
			creator := users[i%len(users)]
			var members []hubbub.Membership
			for _, u := range users {
				members = append(members, member(u, hubbub.RoomMember))
			}
			_, _, errs[i] = stores[i%len(stores)].CreateRoom(t.Context(),
				hubbub.RoomMeta{Name: room, Private: true, DM: true, CreatedBy: creator.ID}, members)
		})
	}
	close(start)
	wg.Wait()
	ok := 0
	for i, err := range errs {
		switch {
		case err == nil:
			ok++
		case hubbub.ErrorCode(err) != hubbub.ECodeExists:
			t.Errorf("racer %d: %v, want success or %s", i, err, hubbub.ECodeExists)
		}
	}
	if ok != 1 {
		t.Errorf("%d racers created the DM, want 1", ok)
	}
	checkSeqs(t, "the DM's log", since(t, stores[0], room, 0, 100), span(1, 3))
	if meta, found := roomMeta(t, stores[0], room); !found || meta.Members != 3 || !meta.DM || !meta.Private {
		t.Errorf("RoomMeta of the DM = %+v, %v", meta, found)
	}
}

// testRoomTopic: a KindTopic entry sets the topic in its transaction, is replayed by Since,
// and is refused (no seq) over MaxTopicLen; a room without metadata gets some.
func testRoomTopic(t *testing.T, open opener) {
	s := open(t, hubbub.Retention{})
	ann := newUser(t, s, "ann")
	createRoom(t, s, hubbub.RoomMeta{Name: "r", Topic: "old topic", CreatedBy: ann.ID}, member(ann, hubbub.RoomOwner))
	e := mustAppend(t, s, topicEntry("r", ann, "new topic ✨"))
	if e.Kind != hubbub.KindTopic || e.Text != "new topic ✨" || e.User != ann.ID || e.From != "ann" || e.Seq != 2 {
		t.Errorf("the topic entry = %+v", e)
	}
	if meta, _ := roomMeta(t, s, "r"); meta.Topic != "new topic ✨" || meta.LastSeq != 2 || !meta.LastActivity.Equal(e.Time) {
		t.Errorf("RoomMeta after a topic entry = %+v", meta)
	}
	checkStored(t, "Since", since(t, s, "r", 1, 10), []hubbub.Entry{e})
	refused(t, s, topicEntry("r", ann, strings.Repeat("x", hubbub.MaxTopicLen+1)), hubbub.ECodeTooLong)
	longest := mustAppend(t, s, topicEntry("r", ann, strings.Repeat("x", hubbub.MaxTopicLen)))
	if meta, _ := roomMeta(t, s, "r"); meta.Topic != longest.Text {
		t.Errorf("a topic of MaxTopicLen bytes was not set: %q", meta.Topic)
	}
	mustAppend(t, s, topicEntry("r", ann, ""))
	if meta, _ := roomMeta(t, s, "r"); meta.Topic != "" {
		t.Errorf("an empty topic did not clear it: %q", meta.Topic)
	}
	// A resent topic is a duplicate, and does not set the topic again.
	first := mustAppend(t, s, keyed(topicEntry("r", ann, "keyed"), "t-1"))
	mustAppend(t, s, topicEntry("r", ann, "later"))
	duplicate(t, s, keyed(topicEntry("r", ann, "keyed"), "t-1"), first)
	if meta, _ := roomMeta(t, s, "r"); meta.Topic != "later" {
		t.Errorf("a duplicate topic entry set the topic: %q", meta.Topic)
	}

	mustAppend(t, s, msg("legacy", "bob", "hi"))
	mustAppend(t, s, topicEntry("legacy", ann, "now with a topic"))
	if meta, found := roomMeta(t, s, "legacy"); !found || meta.Topic != "now with a topic" || meta.Private || meta.LastSeq != 2 {
		t.Errorf("RoomMeta(legacy) after a topic = %+v, %v", meta, found)
	}
}

// testJoinRoom: JoinRoom puts a public room in the user's list, once, with no entry, and gives
// a new room metadata; LeaveRoom takes it out; neither works on a private room.
func testJoinRoom(t *testing.T, open opener) {
	s := open(t, hubbub.Retention{})
	ctx := t.Context()
	ann, bob := newUser(t, s, "ann"), newUser(t, s, "bob")
	earliest := time.Now().Add(-time.Second)
	join := func(room string, u hubbub.User) {
		t.Helper()
		if _, err := s.JoinRoom(ctx, room, u.ID); err != nil {
			t.Fatalf("JoinRoom(%s, %s): %v", room, u.Name, err)
		}
	}
	join("fresh", ann)
	meta, found := roomMeta(t, s, "fresh")
	if !found || meta.Private || meta.Members != 1 || meta.LastSeq != 0 || meta.Created.Before(earliest) || meta.CreatedBy != "" {
		t.Errorf("RoomMeta after the first JoinRoom = %+v, %v", meta, found)
	}
	m, _, _ := s.Membership(ctx, "fresh", ann.ID)
	time.Sleep(2 * time.Millisecond)
	join("fresh", ann)
	join("fresh", bob)
	if got, _ := roomMeta(t, s, "fresh"); got.Members != 2 || !got.Created.Equal(meta.Created) {
		t.Errorf("RoomMeta after joining twice and bob = %+v, want 2 members, created %v", got, meta.Created)
	}
	if again, found, _ := s.Membership(ctx, "fresh", ann.ID); !found || again.Role != hubbub.RoomMember || !again.Since.Equal(m.Since) {
		t.Errorf("Membership after a second JoinRoom = %+v, want %+v", again, m)
	}
	if got := lastSeq(t, s, "fresh"); got != 0 {
		t.Errorf("JoinRoom appended an entry: LastSeq %d", got)
	}
	// The owner of a public room stays its owner when they join it.
	createRoom(t, s, hubbub.RoomMeta{Name: "pub", CreatedBy: ann.ID}, member(ann, hubbub.RoomOwner))
	join("pub", ann)
	if m, _, _ := s.Membership(ctx, "pub", ann.ID); m.Role != hubbub.RoomOwner {
		t.Errorf("the owner's role after JoinRoom = %q", m.Role)
	}
	// Entries only: JoinRoom gives metadata, keeps the log.
	mustAppend(t, s, msg("legacy", "zed", "hi"))
	join("legacy", bob)
	if got, found := roomMeta(t, s, "legacy"); !found || got.Members != 1 || got.LastSeq != 1 || got.Created.IsZero() {
		t.Errorf("RoomMeta(legacy) after JoinRoom = %+v, %v", got, found)
	}

	if _, err := s.LeaveRoom(ctx, "fresh", ann.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.LeaveRoom(ctx, "fresh", ann.ID); err != nil {
		t.Errorf("LeaveRoom again: %v", err)
	}
	if _, found, _ := s.Membership(ctx, "fresh", ann.ID); found {
		t.Error("LeaveRoom left the membership")
	}
	if got, _ := roomMeta(t, s, "fresh"); got.Members != 1 {
		t.Errorf("RoomMeta after ann left = %+v, want 1 member", got)
	}

	createRoom(t, s, hubbub.RoomMeta{Name: "secret", Private: true, CreatedBy: ann.ID}, member(ann, hubbub.RoomOwner))
	_, err := s.JoinRoom(ctx, "secret", bob.ID)
	wantCode(t, "JoinRoom of a private room", err, hubbub.ECodeForbidden)
	if _, found, _ := s.Membership(ctx, "secret", bob.ID); found {
		t.Error("a refused JoinRoom made bob a member of a private room")
	}
	_, err = s.LeaveRoom(ctx, "secret", ann.ID)
	wantCode(t, "LeaveRoom of a private room", err, hubbub.ECodeForbidden)
	if _, found, _ := s.Membership(ctx, "secret", ann.ID); !found {
		t.Error("a refused LeaveRoom took ann out of a private room")
	}
}

// testCountRooms: every room RoomMeta finds counts once — created, joined, appended to,
// private and DMs alike — up to the limit asked; a leave or a refused join of a room that does
// not exist adds none.
func testCountRooms(t *testing.T, open opener) {
	s := open(t, hubbub.Retention{})
	ctx := t.Context()
	count := func(limit int) int {
		t.Helper()
		n, err := s.CountRooms(ctx, limit)
		if err != nil {
			t.Fatalf("CountRooms(%d): %v", limit, err)
		}
		return n
	}
	if got := count(10); got != 0 {
		t.Fatalf("CountRooms of an empty store = %d", got)
	}
	ann, bob := newUser(t, s, "ann"), newUser(t, s, "bob")
	createRoom(t, s, hubbub.RoomMeta{Name: "made", CreatedBy: ann.ID}, member(ann, hubbub.RoomOwner))
	createRoom(t, s, hubbub.RoomMeta{Name: "bare", CreatedBy: ann.ID}) // metadata, no entry
	createRoom(t, s, hubbub.RoomMeta{Name: "hidden", Private: true, CreatedBy: ann.ID}, member(ann, hubbub.RoomOwner))
	createRoom(t, s, hubbub.RoomMeta{Name: hubbub.DMRoomName([]string{ann.ID, bob.ID}), Private: true, DM: true, CreatedBy: ann.ID},
		member(ann, ""), member(bob, ""))
	if _, err := s.JoinRoom(ctx, "joined", bob.ID); err != nil {
		t.Fatal(err)
	}
	mustAppend(t, s, msg("posted", "zed", "a room made by its first message"))
	mustAppend(t, s, msg("posted", "zed", "and its second"))
	if _, err := s.JoinRoom(ctx, "posted", ann.ID); err != nil { // a room counts once, however reached
		t.Fatal(err)
	}
	if _, err := s.LeaveRoom(ctx, "nowhere", ann.ID); err != nil {
		t.Fatalf("LeaveRoom of a room that does not exist: %v", err)
	}
	_, err := s.JoinRoom(ctx, "hidden", bob.ID)
	wantCode(t, "JoinRoom of a private room", err, hubbub.ECodeForbidden)
	if got := count(100); got != 6 {
		t.Errorf("CountRooms(100) = %d, want 6 (made, bare, hidden, the DM, joined, posted)", got)
	}
	if _, found := roomMeta(t, s, "nowhere"); found {
		t.Error("LeaveRoom of a room that does not exist made it")
	}
	for _, limit := range []int{6, 4, 1} {
		if got := count(limit); got != limit {
			t.Errorf("CountRooms(%d) = %d, want the limit", limit, got)
		}
	}
	for _, limit := range []int{0, -1} {
		if got := count(limit); got != 0 {
			t.Errorf("CountRooms(%d) = %d, want 0", limit, got)
		}
	}
}

// testDirectory: public rooms (not private, not DMs nor named like one) whose name or topic
// contains the query, case-insensitively and literally (no wildcards), in byte order of names,
// paged.
func testDirectory(t *testing.T, open opener) {
	s := open(t, hubbub.Retention{})
	ctx := t.Context()
	ann, bob := newUser(t, s, "ann"), newUser(t, s, "bob")
	createRoom(t, s, hubbub.RoomMeta{Name: "engineering", Topic: "Backend", CreatedBy: ann.ID}, member(ann, hubbub.RoomOwner), member(bob, ""))
	createRoom(t, s, hubbub.RoomMeta{Name: "design", Topic: "UI and ENG hand-off", CreatedBy: ann.ID}, member(ann, hubbub.RoomOwner))
	createRoom(t, s, hubbub.RoomMeta{Name: "eng-private", Topic: "eng", Private: true, CreatedBy: ann.ID}, member(ann, hubbub.RoomOwner))
	createRoom(t, s, hubbub.RoomMeta{Name: hubbub.DMRoomName([]string{ann.ID, bob.ID}), Private: true, DM: true, CreatedBy: ann.ID}, member(ann, ""), member(bob, ""))
	createRoom(t, s, hubbub.RoomMeta{Name: "a_b", CreatedBy: bob.ID})
	createRoom(t, s, hubbub.RoomMeta{Name: "axb", Topic: "100% uptime", CreatedBy: bob.ID})
	createRoom(t, s, hubbub.RoomMeta{Name: "Zeta", CreatedBy: bob.ID})
	mustAppend(t, s, msg("legacy", "zed", "before rooms had metadata"))
	// named like a DM's without being one: the server API could write such a room before it
	// was refused, and no one may join it, so the directory does not list it
	mustAppend(t, s, msg("dm.stray", "zed", "published before a DM was started"))
	if _, err := s.JoinRoom(ctx, "ops", bob.ID); err != nil {
		t.Fatal(err)
	}
	last := mustAppend(t, s, as(msg("engineering", "bob", "latest"), bob.ID))

	dir := func(query, after string, limit int) []string {
		t.Helper()
		list, err := s.Directory(ctx, query, after, limit)
		if err != nil {
			t.Fatalf("Directory(%q, %q, %d): %v", query, after, limit, err)
		}
		var names []string
		for _, m := range list {
			names = append(names, m.Name)
			if full, _ := roomMeta(t, s, m.Name); sameMeta(m, full) != "" {
				t.Errorf("Directory's %s = %+v, RoomMeta's %+v", m.Name, m, full)
			}
			if m.Name == "engineering" && (m.Members != 2 || !m.LastActivity.Equal(last.Time) || m.LastSeq != last.Seq) {
				t.Errorf("Directory's engineering = %+v, want 2 members and the last message's seq and time", m)
			}
		}
		return names
	}
	for _, c := range []struct {
		query, after string
		limit        int
		want         []string
	}{
		{"", "", 100, []string{"Zeta", "a_b", "axb", "design", "engineering", "legacy", "ops"}},
		{"ENG", "", 100, []string{"design", "engineering"}},
		{"back", "", 100, []string{"engineering"}},
		{"a_b", "", 100, []string{"a_b"}},
		{"_", "", 100, []string{"a_b"}},
		{"%", "", 100, []string{"axb"}},
		{"zeta", "", 100, []string{"Zeta"}},
		{"nothing like it", "", 100, nil},
		{"", "", 3, []string{"Zeta", "a_b", "axb"}},
		{"", "axb", 3, []string{"design", "engineering", "legacy"}},
		{"", "b", 2, []string{"design", "engineering"}},
		{"", "ops", 3, nil},
		{"", "", 0, nil},
		{"", "", -1, nil},
	} {
		if got := dir(c.query, c.after, c.limit); !slices.Equal(got, c.want) {
			t.Errorf("Directory(%q, %q, %d) = %q, want %q", c.query, c.after, c.limit, got, c.want)
		}
	}
}
