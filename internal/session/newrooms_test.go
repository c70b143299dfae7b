package session_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"hubbub"
	"hubbub/internal/server"
	"hubbub/internal/servertest"
)

// New rooms are limited per user and per client address: a script with many connections and
// guest names filled the store's rooms (which are never deleted) in minutes, after which nobody
// could make a room. Here three at once, then none for an hour. A room that exists is joined
// freely, a server moderator is not limited, and a keyless guest, whose join stores nothing,
// is charged for the rooms its joins open (each holds memory; --max-rooms filled so).
func TestNewRoomsAreLimitedPerUserAndAddress(t *testing.T) {
	s := servertest.Start(t, servertest.Options{Server: server.Config{TrustProxy: true,
		NewRoomRate: 1.0 / 3600, NewRoomBurst: 3, RoleFor: servertest.Roles("mod")}})
	from := func(addr, name, key string) *servertest.JSONClient {
		t.Helper()
		c, f := helloFrom(t, s, addr, name, key)
		if f.Type() != "welcome" {
			t.Fatalf("%s's hello from %s: %v", name, addr, f)
		}
		return c
	}
	joins := func(c *servertest.JSONClient, who string, rooms ...string) {
		t.Helper()
		for _, room := range rooms {
			if f := c.Join(room, nil); f.Type() != "joined" {
				t.Fatalf("%s joining %s: %v", who, room, f)
			}
		}
	}
	tooFast := func(f servertest.Frame, what string) {
		t.Helper()
		if f.Type() != "error" || f.Str("code") != hubbub.ECodeRateLimited || !strings.Contains(f.Str("message"), "new rooms too fast") {
			t.Fatalf("%s: %v, want rate_limited saying new rooms come too fast", what, f)
		}
		// The wait the message says, for a program: one room an hour, so up to an hour.
		if ms := f.Num("retry_after_ms"); ms == 0 || ms > 3_600_000 {
			t.Fatalf("%s: retry_after_ms %d, want 1 to 3,600,000: %v", what, ms, f)
		}
	}

	ann := from("10.0.0.1", "ann", "key-ann")
	joins(ann, "ann", "a1", "a2", "a3")
	tooFast(ann.Join("a4", nil), "ann's fourth new room")
	ann.Send(servertest.Frame{"type": "create", "room": "a5", "id": "c1"})
	tooFast(ann.Await("error"), "ann's creation of a room")
	carol := from("10.0.0.1", "carol", "key-carol")
	tooFast(carol.Join("c1", nil), "another guest from ann's address")
	annElsewhere := from("10.0.0.2", "ann", "key-ann")
	tooFast(annElsewhere.Join("b1", nil), "ann from another address")

	erin := from("10.0.0.2", "erin", "key-erin")
	joins(erin, "erin", "e1")
	joins(ann, "ann (a room that exists)", "e1")
	mod := from("10.0.0.1", "mod", "key-mod")
	joins(mod, "the server's moderator", "m1", "m2", "m3", "m4")

	dan := from("10.0.0.3", "dan", "") // keyless: his joins store nothing, and open rooms
	joins(dan, "dan", "d1", "d2", "d3")
	for i := range 4 { // an edit cannot make a room: refused, it costs none
		dan.Send(servertest.Frame{"type": "edit", "room": "d1", "seq": 1, "id": fmt.Sprint("e", i), "text": "x"})
		if f := dan.Await("error"); f.Str("code") != hubbub.ECodeNotFound {
			t.Fatalf("dan's edit in an empty room: %v, want not_found", f)
		}
	}
	tooFast(dan.Join("d4", nil), "dan's fourth new room, opened by his join")
	if f := dan.Say("d1", "d1", "first"); f.Type() != "ack" {
		t.Fatalf("dan's first message in a room he opened: %v", f)
	}
	joins(dan, "dan (a room that exists)", "e1")
}

// New guest names are limited per client address: a script's hellos with fresh names and keys
// stored guests (never deleted) as fast as it could open connections. Here three at once, then
// none for an hour: a guest coming back under its name, a keyless name and another address
// are not held back.
func TestNewGuestsAreLimitedPerAddress(t *testing.T) {
	s := servertest.Start(t, servertest.Options{Server: server.Config{TrustProxy: true,
		NewGuestRate: 1.0 / 3600, NewGuestBurst: 3}})
	hello := func(addr, name, key string) servertest.Frame {
		t.Helper()
		_, f := helloFrom(t, s, addr, name, key)
		return f
	}
	welcomed := func(f servertest.Frame, what string) {
		t.Helper()
		if f.Type() != "welcome" {
			t.Fatalf("%s: %v, want a welcome", what, f)
		}
	}
	for _, name := range []string{"g1", "g2", "g3"} {
		welcomed(hello("10.0.0.1", name, "key-"+name), "a new guest "+name)
	}
	if f := hello("10.0.0.1", "g4", "key-g4"); f.Type() != "error" || f.Str("code") != hubbub.ECodeRateLimited ||
		!strings.Contains(f.Str("message"), "too many new guest names from your address") {
		t.Fatalf("a fourth new guest from one address: %v, want rate_limited", f)
	}
	welcomed(hello("10.0.0.1", "g1", "key-g1"), "g1 coming back")
	welcomed(hello("10.0.0.1", "keyless", ""), "a keyless name (stored nowhere)")
	welcomed(hello("10.0.0.2", "g4", "key-g4"), "the fourth guest from another address")
}

// helloFrom connects to s as a client at addr (through X-Forwarded-For: the server must trust
// the proxy) and says hello with name and key (none if ""); it returns the welcome or error.
func helloFrom(t *testing.T, s *servertest.Server, addr, name, key string) (*servertest.JSONClient, servertest.Frame) {
	t.Helper()
	c := dialJSONWith(t, s, "", http.Header{"X-Forwarded-For": {addr}})
	f := servertest.Frame{"type": "hello", "name": name}
	if key != "" {
		f["key"] = key
	}
	c.Send(f)
	return c, c.AwaitFunc("welcome or error", func(f servertest.Frame) bool { return f.Type() == "welcome" || f.Type() == "error" })
}
