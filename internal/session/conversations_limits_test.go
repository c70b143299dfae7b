package session_test

import (
	"context"
	"fmt"
	"testing"

	"hubbub/internal/server"
	"hubbub/internal/servertest"
)

// answer sends f and returns its answer: the first error frame or frame of type want.
func answer(c *servertest.JSONClient, f servertest.Frame, want string) servertest.Frame {
	c.Send(f)
	return c.AwaitFunc(fmt.Sprint(f["type"], " answer"), func(g servertest.Frame) bool {
		return g.Type() == "error" || g.Type() == want
	})
}

// Creating rooms and opening direct messages write to the store (a room, its entries, every
// member's list) like a send does, so they count against the send rate limit: a client cannot
// fill the directory or its members' room lists faster than it may talk.
func TestCreateAndDMAreRateLimitedLikeSends(t *testing.T) {
	s := servertest.Start(t, servertest.Options{Server: server.Config{SendRate: 0.001, SendBurst: 2, AbuseLimit: 100}})
	servertest.DialJSON(t, s, "bob")
	ann := servertest.DialJSON(t, s, "ann")
	ann.Await("rooms")
	if f := answer(ann, servertest.Frame{"type": "create", "room": "r1"}, "room"); f.Type() != "room" {
		t.Fatalf("create within the burst: %v", f)
	}
	if f := answer(ann, servertest.Frame{"type": "dm", "names": []string{"bob"}}, "room"); f.Type() != "room" {
		t.Fatalf("dm within the burst: %v", f)
	}
	wantError(t, "create past the burst", answer(ann, servertest.Frame{"type": "create", "room": "r2"}, "room"), "rate_limited")
	wantError(t, "dm past the burst", answer(ann, servertest.Frame{"type": "dm", "names": []string{"bob"}}, "room"), "rate_limited")
}

// A hello after the first may claim another name (a guest's key renamed, or a new guest
// stored for a new key): it counts against the send rate limit, so one connection cannot
// store guests, and hold their names, as fast as it can write frames.
func TestRepeatedHelloIsRateLimited(t *testing.T) {
	s := servertest.Start(t, servertest.Options{Server: server.Config{SendRate: 0.001, SendBurst: 2, AbuseLimit: 100}})
	c := servertest.DialJSON(t, s, "")
	for i := range 3 {
		c.Send(servertest.Frame{"type": "hello", "name": fmt.Sprint("squat", i), "key": fmt.Sprint("key", i)})
		if f := c.Await("welcome"); f.Str("name") != fmt.Sprint("squat", i) {
			t.Fatalf("hello %d: %v", i, f)
		}
	}
	c.Send(servertest.Frame{"type": "hello", "name": "squat3", "key": "key3"})
	wantError(t, "a hello past the burst", c.AwaitFunc("error", func(f servertest.Frame) bool { return f.Type() == "error" || f.Type() == "welcome" }), "rate_limited")
	if _, found, err := s.Store.UserByName(context.Background(), "squat3"); err != nil || found {
		t.Fatalf("the refused hello stored its guest: found %v, err %v", found, err)
	}
}

// The text protocol's room is the server's: a guest who creates it first on a new server would
// be its owner, and an owner moderates their room (kick, ban) — everyone's default room. Only
// the server's moderators and admins may create it.
func TestGuestCannotCreateTheDefaultRoom(t *testing.T) {
	for _, creator := range []string{"eve", "mia"} {
		s := servertest.Start(t, servertest.Options{Server: server.Config{RoleFor: servertest.Roles("mia")}})
		c := servertest.DialJSON(t, s, creator)
		f := answer(c, servertest.Frame{"type": "create", "room": "lobby", "topic": "welcome"}, "room")
		if creator == "mia" {
			if f.Type() != "room" || f.Str("role") != "owner" {
				t.Fatalf("a server moderator creates lobby: %v", f)
			}
			continue
		}
		wantError(t, "a guest creates lobby on a new server", f, "forbidden")
		ann := servertest.DialJSON(t, s, "ann")
		ann.Join("lobby", nil)
		c.Send(servertest.Frame{"type": "kick", "room": "lobby", "name": "ann"})
		wantError(t, "the guest kicks ann from lobby", c.Await("error"), "forbidden")
	}
}

// A stored user's first join of a public room writes their membership (and, for a new name,
// the room): it is rate limited (the send rate, with a burst of a connection's rooms), so one
// connection joining and leaving made-up names cannot store rooms as fast as the store writes.
// Joining again a room already in the user's list writes nothing and is not limited, and the
// sends have a bucket of their own.
func TestFirstJoinsAreRateLimited(t *testing.T) {
	s := servertest.Start(t, servertest.Options{Server: server.Config{SendRate: 0.001, SendBurst: 1, MaxRoomsPerConn: 3, AbuseLimit: 100}})
	ann := servertest.DialJSON(t, s, "ann")
	ann.Await("rooms")
	leave := func(room string) {
		t.Helper()
		ann.Send(servertest.Frame{"type": "leave", "room": room})
		ann.Await("left")
	}
	for _, room := range []string{"r1", "r2", "r3"} {
		if f := ann.Join(room, nil); f.Type() != "joined" {
			t.Fatalf("join of %s within the burst: %v", room, f)
		}
	}
	if f := ann.Say("r1", "m1", "sends are limited apart"); f.Type() != "ack" {
		t.Fatalf("a send after three joins: %v", f)
	}
	leave("r3")
	wantError(t, "a first join past the burst", ann.Join("r4", nil), "rate_limited")
	if _, found, err := s.Store.RoomMeta(context.Background(), "r4"); err != nil || found {
		t.Fatalf("the refused join stored r4 (err %v)", err)
	}
	leave("r1")
	for _, room := range []string{"r1", "r3"} {
		if f := ann.Join(room, nil); f.Type() != "joined" {
			t.Fatalf("a join again of %s, in ann's rooms, past the burst: %v", room, f)
		}
	}
}
