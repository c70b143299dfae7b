package session_test

import (
	"context"
	"sync/atomic"
	"testing"

	"hubbub"
	"hubbub/internal/servertest"
)

// removingStore removes a user from a room right after the session has read their
// membership for a join, once it is armed: the removal lands between the join's check and the
// hub's join, where no eviction can find the joining connection.
type removingStore struct {
	hubbub.Store
	armed atomic.Pointer[hubbub.Entry] // the removal to append after the next read of its subject's membership
}

func (s *removingStore) Membership(ctx context.Context, room, user string) (hubbub.Membership, bool, error) {
	m, found, err := s.Store.Membership(ctx, room, user)
	if rm := s.armed.Load(); rm != nil && rm.Room == room && rm.Subject == user && s.armed.CompareAndSwap(rm, nil) {
		if _, _, _, err := s.Store.Append(ctx, rm); err != nil {
			panic("the planted removal failed: " + err.Error())
		}
	}
	return m, found, err
}

// A member removed while their join is under way does not stay in the private room: the join
// ends with left and forbidden, and the room no longer takes their messages.
func TestRemovalDuringJoinLeavesNoOneBehind(t *testing.T) {
	var rs *removingStore
	s := servertest.Start(t, servertest.Options{WrapStore: func(st hubbub.Store) hubbub.Store {
		rs = &removingStore{Store: st}
		return rs
	}})
	ann, _ := dial(t, s, "ann")
	bob, _ := dial(t, s, "bob")
	create(t, ann, "plans", true)
	ann.Join("plans", nil)
	wantAck(t, "ann's invite", request(ann, servertest.Frame{"type": "invite", "room": "plans", "name": "bob", "id": "i-1"}), 2, 0)
	awaitRoom(bob, "room", "plans")
	if f := bob.Join("plans", nil); f.Type() != "joined" {
		t.Fatalf("bob's first join: %v", f)
	}
	bob.Send(servertest.Frame{"type": "leave", "room": "plans"})
	awaitRoom(bob, "left", "plans")

	rs.armed.Store(&hubbub.Entry{Room: "plans", Kind: hubbub.KindMember, From: "ann", User: ann.User,
		Subject: bob.User, SubjectName: "bob", Action: hubbub.MemberRemove})
	if f := bob.Join("plans", nil); f.Type() != "joined" {
		t.Fatalf("bob's second join (checked before the removal): %v", f)
	}
	awaitRoom(bob, "left", "plans")
	if f := bob.AwaitFunc("the join's error", func(f servertest.Frame) bool {
		return f.Type() == "error" && f.Str("request") == "join"
	}); f.Str("code") != "forbidden" {
		t.Fatalf("the join's error: %v", f)
	}
	wantError(t, "bob's send after the removal", bob.Say("plans", "b-1", "still here?"), "not_joined")
	wantError(t, "bob's next join", bob.Join("plans", nil), "forbidden")
}
