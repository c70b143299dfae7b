package session_test

import (
	"strings"
	"testing"

	"hubbub"
	"hubbub/internal/servertest"
)

// An error answering a request echoed the request's room in full: a room name of most of a
// frame (9 KB by default), refused bad_room, came back whole. A room longer than any valid
// one (hubbub.MaxRoomLen bytes) is echoed as its first MaxRoomLen bytes, to the end of the
// character there, and "…" (so the echo is never a valid room name); a room of a valid length
// is echoed as sent, whether the error is about the room or not.
func TestErrorRoomEchoIsBounded(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	ann := servertest.DialJSON(t, s, "ann")
	ann.Join("r", nil)
	// The longest echo: MaxRoomLen bytes, up to 3 more to finish a character, and "…".
	const most = hubbub.MaxRoomLen + 3 + len("…")
	long64 := strings.Repeat("x", hubbub.MaxRoomLen) // a valid name of the longest length
	for _, c := range []struct {
		what          string
		frame         servertest.Frame
		code, request string
		echo          string
	}{
		{"a join of a 9 KB room", servertest.Frame{"type": "join", "room": strings.Repeat("r", 9000)},
			"bad_room", "join", strings.Repeat("r", hubbub.MaxRoomLen) + "…"},
		{"a send to a 9 KB room", servertest.Frame{"type": "send", "room": strings.Repeat("s", 9000), "id": "s-1", "text": "x"},
			"", "send", strings.Repeat("s", hubbub.MaxRoomLen) + "…"},
		{"a join of a long room of 3-byte characters", servertest.Frame{"type": "join", "room": strings.Repeat("€", 3000)},
			"bad_room", "join", strings.Repeat("€", 22) + "…"}, // 64 bytes end inside the 22nd
		{"a join of a 65-byte room", servertest.Frame{"type": "join", "room": strings.Repeat("r", hubbub.MaxRoomLen+1)},
			"bad_room", "join", strings.Repeat("r", hubbub.MaxRoomLen) + "…"},
		{"a join of a short bad room", servertest.Frame{"type": "join", "room": "a b"}, "bad_room", "join", "a b"},
		{"a join of a 64-byte bad room", servertest.Frame{"type": "join", "room": "-" + long64[1:]}, "bad_room", "join", "-" + long64[1:]},
		{"a send to a 64-byte room not joined", servertest.Frame{"type": "send", "room": long64, "id": "s-2", "text": "x"},
			"not_joined", "send", long64},
	} {
		ann.Send(c.frame)
		f := ann.Await("error")
		if c.code != "" && f.Str("code") != c.code || f.Str("request") != c.request {
			t.Fatalf("%s: got %v, want %s answering the %s", c.what, f, c.code, c.request)
		}
		got := f.Str("room")
		if got != c.echo {
			t.Errorf("%s: the error echoes a room of %d bytes, %.80q; want %q", c.what, len(got), got, c.echo)
		}
		if len(got) > most {
			t.Errorf("%s: the error echoes a room of %d bytes, more than %d", c.what, len(got), most)
		}
		if len(c.echo) > hubbub.MaxRoomLen && hubbub.ValidateRoom(got) == nil {
			t.Errorf("%s: the echo %q is a valid room name", c.what, got)
		}
	}
	// The connection is fine.
	if ack := ann.Say("r", "good-1", "fine"); ack.Str("id") != "good-1" {
		t.Fatalf("after the refusals: %v", ack)
	}
}
