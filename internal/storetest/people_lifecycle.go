package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"hubbub"
)

// peopleCalls calls every UserStore and RoomStore method with ctx, each returning its error.
func peopleCalls(s hubbub.Store, ctx context.Context, user string) map[string]error {
	errs := map[string]error{}
	_, errs["CreateUser"] = s.CreateUser(ctx, hubbub.User{Name: "late", Kind: hubbub.UserAccount}, "")
	_, errs["ClaimGuest"] = s.ClaimGuest(ctx, "late guest", hubbub.SecretHash("k"))
	_, errs["ExternalUser"] = s.ExternalUser(ctx, "", "sub", "late app", "")
	_, _, errs["UserByID"] = s.UserByID(ctx, user)
	_, _, errs["UserByName"] = s.UserByName(ctx, "ann")
	_, errs["UsersByID"] = s.UsersByID(ctx, []string{user})
	_, errs["Users"] = s.Users(ctx, "", 10)
	role := hubbub.RoleAdmin
	_, errs["UpdateUser"] = s.UpdateUser(ctx, user, hubbub.UserChange{Role: &role})
	_, errs["PasswordHash"] = s.PasswordHash(ctx, user)
	errs["SeenAt"] = s.SeenAt(ctx, user, time.Now())
	errs["CreateSession"] = s.CreateSession(ctx, hubbub.LoginSession{ID: hubbub.SecretHash("late"), User: user, Created: time.Now(), Expires: time.Now().Add(time.Hour)})
	_, _, _, errs["Session"] = s.Session(ctx, hubbub.SecretHash("s"))
	errs["DeleteSession"] = s.DeleteSession(ctx, hubbub.SecretHash("s"))
	_, errs["DeleteSessions"] = s.DeleteSessions(ctx, user)
	errs["CreateInvite"] = s.CreateInvite(ctx, hubbub.Invite{ID: hubbub.SecretHash("late"), Expires: time.Now().Add(time.Hour)})
	_, errs["RedeemInvite"] = s.RedeemInvite(ctx, hubbub.SecretHash("i"), hubbub.User{Name: "late invitee"}, "")
	_, _, errs["CreateRoom"] = s.CreateRoom(ctx, hubbub.RoomMeta{Name: "late", CreatedBy: user}, []hubbub.Membership{{User: user, Role: hubbub.RoomOwner}})
	_, _, errs["RoomMeta"] = s.RoomMeta(ctx, "r")
	_, errs["JoinRoom"] = s.JoinRoom(ctx, "other", user)
	_, errs["LeaveRoom"] = s.LeaveRoom(ctx, "r", user)
	_, _, errs["Membership"] = s.Membership(ctx, "r", user)
	_, errs["Members"] = s.Members(ctx, "r", "", 10)
	_, errs["SetRead"] = s.SetRead(ctx, user, "r", 2)
	_, errs["MyRooms"] = s.MyRooms(ctx, user)
	_, errs["Directory"] = s.Directory(ctx, "", "", 10)
	_, _, errs["Append(topic)"] = appendValue(ctx, s, hubbub.Entry{Room: "r", From: "ann", User: user, Kind: hubbub.KindTopic, Text: "late"})
	return errs
}

// testPeopleDoneContext: every UserStore and RoomStore method fails with ctx's error once ctx
// is done, and changes nothing then; every one fails after Close.
func testPeopleDoneContext(t *testing.T, open opener) {
	s := open(t, hubbub.Retention{})
	ann := newUser(t, s, "ann")
	if _, err := s.JoinRoom(t.Context(), "r", ann.ID); err != nil {
		t.Fatal(err)
	}
	appendN(t, s, "r", 1)
	done, cancel := context.WithCancel(t.Context())
	cancel()
	for name, err := range peopleCalls(s, done, ann.ID) {
		if !errors.Is(err, context.Canceled) {
			t.Errorf("%s with a done context: %v, want an error wrapping %v", name, err, context.Canceled)
		}
	}
	// Nothing changed.
	if users, err := s.Users(t.Context(), "", 10); err != nil || len(users) != 1 || users[0].Role != hubbub.RoleMember {
		t.Errorf("users after cancelled calls = %+v, %v; want ann alone, unchanged", users, err)
	}
	if list := myRooms(t, s, ann.ID); len(list) != 1 || list[0].Name != "r" || list[0].ReadSeq != 0 || list[0].Topic != "" {
		t.Errorf("MyRooms after cancelled calls = %+v", list)
	}
	if _, found := roomMeta(t, s, "late"); found {
		t.Error("a cancelled CreateRoom created its room")
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	for name, err := range peopleCalls(s, t.Context(), ann.ID) {
		if err == nil {
			t.Errorf("%s after Close succeeded", name)
		}
	}
}

// testRoomStateRetention: retention removes entries, not what they made: a topic, the
// members and the read positions stay when the entries that set them are pruned.
func testRoomStateRetention(t *testing.T, open opener) {
	s := open(t, hubbub.Retention{MaxPerRoom: 1})
	ann, bob := newUser(t, s, "ann"), newUser(t, s, "bob")
	createRoom(t, s, hubbub.RoomMeta{Name: "r", Private: true, CreatedBy: ann.ID}, member(ann, hubbub.RoomOwner))
	mustAppend(t, s, memberEntry("r", ann, bob, hubbub.MemberInvite, hubbub.RoomModerator))
	mustAppend(t, s, memberEntry("r", bob, bob, hubbub.MemberJoin, ""))
	mustAppend(t, s, topicEntry("r", ann, "kept"))
	appendN(t, s, "r", 3)
	setRead(t, s, bob.ID, "r", 6)
	prune(t, s, "r")
	if got := since(t, s, "r", 0, 100); len(got) != 1 || got[0].Seq != 7 {
		t.Fatalf("after Prune the log holds seqs %v, want [7]", seqsOf(got))
	}
	meta, _ := roomMeta(t, s, "r")
	if meta.Topic != "kept" || meta.Members != 2 || !meta.Private || meta.CreatedBy != ann.ID || meta.LastSeq != 7 {
		t.Errorf("RoomMeta after Prune = %+v", meta)
	}
	if m, found := membership(t, s, "r", bob.ID); !found || m.Role != hubbub.RoomModerator || m.Invited {
		t.Errorf("bob's membership after Prune = %+v, %v", m, found)
	}
	list := myRooms(t, s, bob.ID)
	if len(list) != 1 || list[0].ReadSeq != 6 || list[0].Unread != 1 || list[0].Name != "r" {
		t.Errorf("bob's MyRooms after Prune = %+v, want r read to 6 with 1 unread", list)
	}
}
