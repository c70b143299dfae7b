package storetest

import (
	"testing"
	"time"

	"hubbub"
)

// SharedOpener opens a fresh, empty store and returns it with a function that opens another
// store on the same data (the same SQLite file, the same PostgreSQL schema): a second node
// while the first is open, or the same store after a restart once the first is closed. Both
// must be closed when the test ends (t.Cleanup), ignoring the error of a second Close.
type SharedOpener = func(t *testing.T) (first hubbub.Store, again func(t *testing.T) hubbub.Store)

// RunSharedStoreTests runs the contract cases that need two stores on one set of data: what
// must hold across nodes (names, invites and room creation decided once), and what must
// survive a restart (users, sessions, rooms, read positions and the unread counts of
// MyRooms). A room's key is decided once too. Every store that can be opened twice on its data runs it.
func RunSharedStoreTests(t *testing.T, open SharedOpener) {
	tests := []struct {
		name string
		run  func(*testing.T, SharedOpener)
	}{
		{"NamesTwoNodes", testNamesTwoNodes},
		{"InvitesTwoNodes", testInvitesTwoNodes},
		{"CreateRoomTwoNodes", testCreateRoomTwoNodes},
		{"OneRoomPerKeyTwoNodes", testOneRoomPerKeyTwoNodes},
		{"OwnerTwoNodes", testOwnerTwoNodes},
		{"PeopleAfterReopen", testPeopleAfterReopen},
		{"FilesTwoNodes", testFilesTwoNodes},
		{"FilesAfterReopen", testFilesAfterReopen},
		{"CommandsTwoNodes", testCommandsTwoNodes},
		{"OutboxTwoNodes", testOutboxTwoNodes},
		{"OutboxFollowTwoNodes", testOutboxFollowTwoNodes},
		{"OutboxAfterReopen", testOutboxAfterReopen},
		{"GenerationsTwoNodes", testGenerationsTwoNodes},
		{"NodesTwoNodes", testNodesTwoNodes},
		{"SeqFloorTwoNodes", testSeqFloorTwoNodes},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.run(t, open) })
	}
}

// testNodesTwoNodes: two stores on one set of data each learn of the other's node from its
// announcement, and no longer once it leaves.
func testNodesTwoNodes(t *testing.T, open SharedOpener) {
	nodes := twoNodes(t, open)
	ctx := t.Context()
	a := hubbub.ServingNode{ID: "a-1", Name: "a", Broker: "in-process"}
	b := hubbub.ServingNode{ID: "b-1", Name: "b", Broker: "nats:hubbub"}
	if others, err := nodes[0].AnnounceNode(ctx, a, time.Hour); err != nil || len(others) != 0 {
		t.Fatalf("a's announcement = %+v, %v; want nobody", others, err)
	}
	others, err := nodes[1].AnnounceNode(ctx, b, time.Hour)
	if err != nil || len(others) != 1 || others[0].ID != a.ID || others[0].Name != a.Name || others[0].Broker != a.Broker {
		t.Fatalf("b's announcement on the other store = %+v, %v; want a", others, err)
	}
	others, err = nodes[0].AnnounceNode(ctx, a, time.Hour)
	if err != nil || len(others) != 1 || others[0].ID != b.ID || others[0].Broker != b.Broker {
		t.Fatalf("a's second announcement = %+v, %v; want b", others, err)
	}
	if _, err := nodes[1].AnnounceNode(ctx, b, 0); err != nil {
		t.Fatalf("b's leaving: %v", err)
	}
	if others, err := nodes[0].AnnounceNode(ctx, a, time.Hour); err != nil || len(others) != 0 {
		t.Errorf("a's announcement after b left = %+v, %v; want nobody", others, err)
	}
}

// testSeqFloorTwoNodes: the seq floor SkipSeqs raised through one store holds on the other:
// a room new there numbers its first entry above it, whichever way it comes, and the other
// reads the restore's record.
func testSeqFloorTwoNodes(t *testing.T, open SharedOpener) {
	nodes := twoNodes(t, open)
	ctx := t.Context()
	appendN(t, nodes[0], "kept", 5)
	r := skipSeqs(t, nodes[0], 100)
	if got, found := lastRestore(t, nodes[1]); !found || got != r {
		t.Errorf("LastRestore on the other store = %+v (found %v), want %+v", got, found, r)
	}
	if m := mustAppend(t, nodes[1], msg("lost", "bob", "new")); m.Seq != r.Floor+1 {
		t.Errorf("the first message of a new room on the other store took seq %d, want %d", m.Seq, r.Floor+1)
	}
	ann := newUser(t, nodes[1], "ann")
	_, joins, err := nodes[1].CreateRoom(ctx, hubbub.RoomMeta{Name: "made", CreatedBy: ann.ID}, []hubbub.Membership{member(ann, hubbub.RoomOwner)})
	if err != nil {
		t.Fatal(err)
	}
	if len(joins) != 1 || joins[0].Seq != r.Floor+1 {
		t.Errorf("CreateRoom on the other store: joins at %v, want %d", seqsOf(joins), r.Floor+1)
	}
}

// twoNodes opens two stores on one set of data.
func twoNodes(t *testing.T, open SharedOpener) []hubbub.Store {
	first, again := open(t)
	return []hubbub.Store{first, again(t)}
}

// testNamesTwoNodes: look-alikes of one name claimed on two nodes at once: one holder.
func testNamesTwoNodes(t *testing.T, open SharedOpener) {
	nodes := twoNodes(t, open)
	claimNamesConcurrently(t, []hubbub.UserStore{nodes[0], nodes[1]})
}

// testInvitesTwoNodes: one invite redeemed on two nodes at once: one account.
func testInvitesTwoNodes(t *testing.T, open SharedOpener) {
	nodes := twoNodes(t, open)
	redeemConcurrently(t, []hubbub.UserStore{nodes[0], nodes[1]})
}

// testCreateRoomTwoNodes: one DM created on two nodes at once: one creation, one set of joins.
func testCreateRoomTwoNodes(t *testing.T, open SharedOpener) {
	createRoomsConcurrently(t, twoNodes(t, open))
}

// testCommandsTwoNodes: one command's name created, and one response URL used, on two nodes
// at once: one creation, one first use; a command made on one node is found on the other.
func testCommandsTwoNodes(t *testing.T, open SharedOpener) {
	nodes := twoNodes(t, open)
	createConcurrently(t, []hubbub.CommandStore{nodes[0], nodes[1]})
	useOnce(t, []hubbub.CommandStore{nodes[0], nodes[1]})
	made := mustCreateCommand(t, nodes[0], command("echo"))
	if got, found, err := nodes[1].Command(t.Context(), "echo"); err != nil || !found || got != made {
		t.Errorf("Command(echo) on the other node = %+v, %v, %v; want %+v", got, found, err, made)
	}
}

// testFilesTwoNodes: uploads against one quota, and messages carrying one file, on two nodes
// at once: the quota holds, and the file attaches once.
func testFilesTwoNodes(t *testing.T, open SharedOpener) {
	uploadConcurrently(t, twoNodes(t, open))
	attachConcurrently(t, twoNodes(t, open))
}

// testFilesAfterReopen: after a restart a file, its message's attachments, its uploader's
// usage and what is collectable are what they were.
func testFilesAfterReopen(t *testing.T, open SharedOpener) {
	s, again := open(t)
	f := mustCreate(t, s, upload("f_kept", "u_ann", 10))
	mustCreate(t, s, upload("f_loose", "u_ann", 5))
	m := mustAppend(t, s, withFiles("r", "u_ann", "see", "f_kept"))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = again(t)
	got, found := getFile(t, s, "f_kept")
	if !found || got.Room != "r" || got.Seq != m.Seq || got.Attachment != f.Attachment || !got.Created.Equal(f.Created) {
		t.Errorf("File(f_kept) after reopen = %+v, %v; want %+v attached to r/%d", got, found, f, m.Seq)
	}
	checkStored(t, "Before after reopen", before(t, s, "r", 0, 10), []hubbub.Entry{m})
	if n := usage(t, s, "u_ann"); n != 15 {
		t.Errorf("FileUsage after reopen = %d, want 15", n)
	}
	if ids := collectable(t, s, time.Now().Add(time.Hour), 10); len(ids) != 1 || ids[0] != "f_loose" {
		t.Errorf("Collectable after reopen = %v, want [f_loose]", ids)
	}
}

// testPeopleAfterReopen: after a restart the users, sessions, sanctions by user, rooms,
// memberships, read positions and the counts of MyRooms are what they were.
func testPeopleAfterReopen(t *testing.T, open SharedOpener) {
	s, again := open(t)
	ctx := t.Context()
	ann, want := myRoomsFixture(t, s)
	checkMyRooms(t, myRooms(t, s, ann.ID), want)
	ls := hubbub.LoginSession{ID: hubbub.SecretHash("cookie"), User: ann.ID, Created: time.Now(), Expires: time.Now().Add(time.Hour)}
	if err := s.CreateSession(ctx, ls); err != nil {
		t.Fatal(err)
	}
	guest, err := s.ClaimGuest(ctx, "gus", hubbub.SecretHash("gus's key"))
	if err != nil {
		t.Fatal(err)
	}
	// In a room of ann's list, the ban's entry would move its LastSeq on.
	ban := hubbub.Sanction{Room: "lobby", User: guest.ID, Name: "gus", Kind: hubbub.SanctionBan, Until: time.Now().Add(time.Hour)}
	impose(t, s, ban)
	members := allMembers(t, s, "eng", 10)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = again(t)
	checkMyRooms(t, myRooms(t, s, ann.ID), want)
	if got, found := userByName(t, s, "ANN"); !found || got.ID != ann.ID {
		t.Errorf("UserByName(ANN) after reopen = %+v, %v", got, found)
	}
	if _, u, found, err := s.Session(ctx, ls.ID); err != nil || !found || u.ID != ann.ID {
		t.Errorf("Session after reopen: %+v, %v, %v", u, found, err)
	}
	if got, err := s.ClaimGuest(ctx, "gus", hubbub.SecretHash("gus's key")); err != nil || got.ID != guest.ID {
		t.Errorf("the guest's key after reopen = %+v, %v; want %s", got, err, guest.ID)
	}
	if got, err := s.Sanctions(ctx, "lobby"); err != nil || len(got) != 1 || got[0].User != guest.ID {
		t.Errorf("Sanctions after reopen = %+v, %v", got, err)
	}
	got := allMembers(t, s, "eng", 10)
	if len(got) != len(members) {
		t.Errorf("Members(eng) after reopen = %+v, want %+v", got, members)
	}
	for i := range min(len(got), len(members)) {
		if got[i].User != members[i].User || got[i].Role != members[i].Role || !got[i].Since.Equal(members[i].Since) {
			t.Errorf("Members(eng)[%d] after reopen = %+v, want %+v", i, got[i], members[i])
		}
	}
	if got := setRead(t, s, ann.ID, "general", 0); got != want[2].ReadSeq {
		t.Errorf("ann's read position in general after reopen = %d, want %d", got, want[2].ReadSeq)
	}
}
