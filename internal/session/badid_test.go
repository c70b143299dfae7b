package session_test

import (
	"strings"
	"testing"

	"github.com/gorilla/websocket"

	"hubbub/internal/servertest"
)

// A bad_id error echoed the refused id in full: an id of a whole frame (9 KB by default) came
// back whole. An id longer than any valid one (64 bytes) is echoed as its first 64 bytes, to
// the end of the character there, and "…" (so the echo never equals a valid id); an id of a
// valid length that is bad otherwise is echoed as sent, so the client can tell which of its
// requests was refused.
func TestBadIDEchoIsBounded(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	ann := servertest.DialJSON(t, s, "ann")
	ann.Join("r", nil)
	for _, c := range []struct{ what, id, echo string }{
		{"an id of most of a frame", strings.Repeat("i", 9000), strings.Repeat("i", 64) + "…"},
		{"a long id of 3-byte characters", strings.Repeat("€", 3000), strings.Repeat("€", 22) + "…"}, // 64 bytes end inside the 22nd
		{"a 65-byte id", strings.Repeat("i", 65), strings.Repeat("i", 64) + "…"},
		{"an id with a terminal escape", "a\u001b[2Jb", "a\u001b[2Jb"},
		{"an id with a leading space", " c-1", " c-1"},
	} {
		raw := servertest.Frame{"type": "send", "room": "r", "id": c.id, "text": "x"}
		ann.Send(raw)
		f := ann.Await("error")
		if f.Str("code") != "bad_id" || f.Str("request") != "send" || f.Str("room") != "r" {
			t.Fatalf("%s: got %v, want bad_id answering the send in r", c.what, f)
		}
		if got := f.Str("id"); got != c.echo {
			t.Errorf("%s: the error echoes an id of %d bytes, %.80q; want %q", c.what, len(got), got, c.echo)
		}
	}
	// The connection is fine, and a good id is still echoed in its ack.
	if err := ann.Conn.WriteMessage(websocket.TextMessage, []byte(`{"type":"send","room":"r","id":"good-1","text":"fine"}`)); err != nil {
		t.Fatal(err)
	}
	if ack := ann.Await("ack"); ack.Str("id") != "good-1" {
		t.Fatalf("after the refusals: %v", ack)
	}
}
