package client_test

import (
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"hubbub/client"
	"hubbub/internal/servertest"
	"hubbub/internal/testwait"
	"hubbub/internal/wire"
)

// ackOf waits until rec holds the ack of id, or an error frame naming it, and returns which.
func ackOf(t *testing.T, rec *recorder, id string) (*wire.Ack, *wire.Error) {
	t.Helper()
	var ack *wire.Ack
	var refused *wire.Error
	testwait.Until(t, "the answer to "+id, func() bool {
		for _, f := range rec.all() {
			switch f := f.(type) {
			case *wire.Ack:
				if f.ID == id {
					ack = f
					return true
				}
			case *wire.Error:
				if f.ID == id {
					refused = f
					return true
				}
			}
		}
		return false
	})
	return ack, refused
}

// roomFrames returns the room frames rec holds for room.
func roomFrames(rec *recorder, room string) []*wire.Room {
	var out []*wire.Room
	for _, f := range rec.all() {
		if r, ok := f.(*wire.Room); ok && r.Room == room {
			out = append(out, r)
		}
	}
	return out
}

// The conversation requests on one connection, each answered as protocol.md says, on a real
// server: create (and exists), invite (ack, and the invitee's room frame), topic, members
// beside who on the same room at once, the directory, a DM found again under another spelling
// of a name, a name no user holds, rooms, part.
func TestConnConversations(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	ctx := testContext(t)
	ann, annRec := dialConn(t, ctx, s.WS, "ann")
	bob, bobRec := dialConn(t, ctx, s.WS, "bob")

	plans, err := ann.Create(ctx, "plans", "Q3", true)
	if err != nil {
		t.Fatal(err)
	}
	if plans.Room != "plans" || plans.Topic != "Q3" || !plans.Private || plans.Role != "owner" || plans.Members != 1 {
		t.Errorf("created %+v", plans.MyRoom)
	}
	if _, err := ann.Create(ctx, "plans", "", false); code(err) != "exists" {
		t.Errorf("creating it again: %v, want exists", err)
	}
	if _, err := ann.Create(ctx, "open", "anyone", false); err != nil {
		t.Fatal(err)
	}
	if _, err := ann.Join(ctx, "plans", nil, 0); err != nil {
		t.Fatal(err)
	}
	if err := ann.Invite(ctx, "plans", "bob", "i-1"); err != nil {
		t.Fatal(err)
	}
	if ack, refused := ackOf(t, annRec, "i-1"); ack == nil {
		t.Fatalf("invite refused: %+v", refused)
	}
	testwait.Until(t, "bob's invitation", func() bool { return len(roomFrames(bobRec, "plans")) > 0 })
	if r := roomFrames(bobRec, "plans")[0]; !r.Invited || r.Topic != "Q3" {
		t.Errorf("bob's room frame: %+v", r.MyRoom)
	}
	if err := ann.Invite(ctx, "plans", "nobody", "i-2"); err != nil {
		t.Fatal(err)
	}
	if _, refused := ackOf(t, annRec, "i-2"); refused == nil || refused.Code != "not_found" {
		t.Errorf("invite of a name no user holds: %+v, want not_found", refused)
	}
	if err := ann.Topic(ctx, "plans", "Q3 and Q4", "t-1"); err != nil {
		t.Fatal(err)
	}
	if ack, refused := ackOf(t, annRec, "t-1"); ack == nil {
		t.Fatalf("topic refused: %+v", refused)
	}
	testwait.Until(t, "topic_changed", func() bool {
		return annRec.count(func(f wire.Frame) bool {
			tc, ok := f.(*wire.TopicChanged)
			return ok && tc.Topic == "Q3 and Q4" && tc.From == "ann"
		}) == 1
	})

	// who and members answer with the same frame type, for the same room, at the same time.
	var wg sync.WaitGroup
	var names []string
	var members *wire.Members
	var whoErr, membersErr error
	wg.Go(func() { names, whoErr = ann.Who(ctx, "plans") })
	wg.Go(func() { members, membersErr = ann.Members(ctx, "plans", "") })
	wg.Wait()
	if whoErr != nil || membersErr != nil {
		t.Fatal(whoErr, membersErr)
	}
	if !slices.Equal(names, []string{"ann"}) {
		t.Errorf("who: %q", names)
	}
	got := map[string]wire.RoomMember{}
	for _, m := range members.Members {
		got[m.Name] = m
	}
	if len(got) != 2 || got["ann"].Role != "owner" || !got["bob"].Invited || got["ann"].User == "" {
		t.Errorf("members: %+v", members.Members)
	}
	if _, err := bob.Members(ctx, "plans", ""); code(err) != "forbidden" {
		t.Errorf("members of a private room bob is only invited to: %v, want forbidden", err)
	}

	dir, err := bob.Directory(ctx, "", "", 0)
	if err != nil {
		t.Fatal(err)
	}
	var listed []string
	for _, r := range dir.Rooms {
		listed = append(listed, r.Room)
	}
	if !slices.Equal(listed, []string{"open"}) {
		t.Errorf("directory: %q, want [open] (plans is private)", listed)
	}
	if dir, err = bob.Directory(ctx, "ANY", "", 1); err != nil || len(dir.Rooms) != 1 || dir.Rooms[0].Topic != "anyone" {
		t.Errorf("directory of ANY: %+v %v", dir, err)
	}

	dm, err := bob.DM(ctx, []string{"ann"})
	if err != nil {
		t.Fatal(err)
	}
	if !dm.DM || !slices.Equal(dm.People, []string{"ann"}) {
		t.Errorf("dm: %+v", dm.MyRoom)
	}
	testwait.Until(t, "ann's DM frame", func() bool { return len(roomFrames(annRec, dm.Room)) > 0 })
	if r := roomFrames(annRec, dm.Room)[0]; !slices.Equal(r.People, []string{"bob"}) {
		t.Errorf("ann's DM frame: %+v", r.MyRoom)
	}
	again, err := bob.DM(ctx, []string{"ANN", "bob"}) // another spelling, and bob himself
	if err != nil || again.Room != dm.Room {
		t.Errorf("the DM again: %+v %v, want %s", again, err, dm.Room)
	}
	if _, err := bob.DM(ctx, []string{"ghost"}); code(err) != "not_found" {
		t.Errorf("dm with a name no user holds: %v, want not_found", err)
	}

	list, err := bob.Rooms(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var mine []string
	for _, r := range list.Rooms {
		mine = append(mine, r.Room)
	}
	if want := []string{dm.Room, "plans"}; !slices.Equal(mine, want) {
		t.Errorf("bob's rooms: %q, want %q", mine, want)
	}
	if err := bob.Part(ctx, "plans", "p-1"); err != nil {
		t.Fatal(err)
	}
	if list, err = bob.Rooms(ctx); err != nil || len(list.Rooms) != 1 || list.Rooms[0].Room != dm.Room {
		t.Errorf("bob's rooms after parting plans: %+v %v", list, err)
	}
	if err := bob.Part(ctx, "never-was", ""); code(err) != "not_found" {
		t.Errorf("part of a room that does not exist: %v, want not_found", err)
	}
}

// A session's read positions reach the user's other connection; an unroom (a moderator's
// remove) makes the session stop rejoining the room.
func TestSessionReadAndUnroom(t *testing.T) {
	s := servertest.Start(t, servertest.Options{DataPath: filepath.Join(t.TempDir(), "hubbub.db")})
	ctx := testContext(t)
	ann, annEvents := startSession(t, "ann", s.WS)
	other, otherRec := dialConn(t, ctx, s.WS, "ann") // ann's second device
	bob, bobEvents := startSession(t, "bob", s.WS)
	if u, w := ann.User(), other.User(); u == nil || w == nil || u.ID != w.ID || u.Name != "ann" || u.Kind != "guest" || !strings.HasPrefix(u.ID, "u_") {
		t.Errorf("ann's user: session %+v, other device %+v; want the same stored guest", u, w)
	}

	if _, err := ann.Create(ctx, "plans", "", true); err != nil {
		t.Fatal(err)
	}
	if _, err := ann.Join(ctx, "plans"); err != nil {
		t.Fatal(err)
	}
	r, err := ann.Invite(ctx, "plans", "bob")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := bob.Join(ctx, "plans"); err != nil {
		t.Fatal(err)
	}
	for _, text := range []string{"one", "two"} {
		r, err := bob.Send(ctx, "plans", text)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := r.Wait(ctx); err != nil {
			t.Fatal(err)
		}
	}
	testwait.Until(t, "ann gets both", func() bool { return len(annEvents.messages("plans")) == 2 })
	last := annEvents.messages("plans")[1].Seq
	ann.MarkRead("plans", last-1)
	ann.MarkRead("plans", last) // coalesced: the highest is written
	testwait.Until(t, "the read position on ann's other device", func() bool {
		return otherRec.count(func(f wire.Frame) bool {
			rd, ok := f.(*wire.Read)
			return ok && rd.Room == "plans" && rd.Seq == last
		}) == 1
	})
	list, err := other.Rooms(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Rooms) != 1 || list.Rooms[0].ReadSeq != last || list.Rooms[0].Unread != 0 {
		t.Errorf("ann's rooms after reading: %+v", list.Rooms)
	}

	rm, err := ann.Remove(ctx, "plans", "bob")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rm.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	testwait.Until(t, "bob's unroom", func() bool { return len(events[*wire.Unroom](bobEvents)) == 1 })
	if _, err := bob.Join(ctx, "general"); err != nil {
		t.Fatal(err)
	}

	// After a restart bob's session rejoins general, and not plans, which would be refused.
	other.Close()
	s = s.Restart()
	testwait.Until(t, "bob back in general", func() bool {
		return len(events[*client.Connected](bobEvents)) == 2 && len(events[*wire.Joined](bobEvents)) == 3
	})
	r, err = bob.Send(ctx, "general", "back")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	for _, e := range events[*wire.Error](bobEvents) {
		t.Errorf("bob's session got %+v", e)
	}
	for _, j := range events[*wire.Joined](bobEvents)[1:] {
		if j.Room != "general" {
			t.Errorf("bob's session rejoined %s", j.Room)
		}
	}
}

// A program that marks a room read and closes the session at once (hubbub chat at the end of
// piped input) lost the position: Close dropped it before the send loop wrote it. FlushReads
// writes it and returns once the server has taken it.
func TestSessionFlushReadsBeforeClose(t *testing.T) {
	s := servertest.Start(t, servertest.Options{DataPath: filepath.Join(t.TempDir(), "hubbub.db")})
	ctx := testContext(t)
	bob, _ := startSession(t, "bob", s.WS)
	if _, err := bob.Join(ctx, "general"); err != nil {
		t.Fatal(err)
	}
	var last uint64
	for _, text := range []string{"one", "two", "three"} {
		r, err := bob.Send(ctx, "general", text)
		if err != nil {
			t.Fatal(err)
		}
		ack, err := r.Wait(ctx)
		if err != nil {
			t.Fatal(err)
		}
		last = ack.Seq
	}
	ann, _ := startSession(t, "ann", s.WS)
	if _, err := ann.Join(ctx, "general"); err != nil {
		t.Fatal(err)
	}
	ann.MarkRead("general", last)
	if err := ann.FlushReads(ctx); err != nil {
		t.Fatal(err)
	}
	ann.Close()

	device, _ := dialConn(t, ctx, s.WS, "ann")
	list, err := device.Rooms(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Rooms) != 1 || list.Rooms[0].ReadSeq != last || list.Rooms[0].Unread != 0 {
		t.Errorf("ann's rooms after FlushReads and Close: %+v, want general read to %d", list.Rooms, last)
	}
}
