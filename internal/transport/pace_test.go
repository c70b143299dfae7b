package transport_test

import (
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"hubbub/internal/server"
	"hubbub/internal/servertest"
)

// With --write-interval, what a connection is sent within the interval after a write waits
// and goes in one write: a text client (whose frames join the lines one write carries) reads
// two messages said 50 ms apart as one frame, in order, none lost; the first message after a
// quiet spell is not held. A kick of a connection that waits for its interval still reaches
// it, and closes it.
func TestWriteIntervalJoinsWhatComesWithinIt(t *testing.T) {
	if runtime.GOOS != "linux" || os.Getenv("HUBBUB_TEST_TRANSPORT") == server.TransportGoroutine {
		t.Skip("the write interval paces the polled transport, which runs on Linux only")
	}
	s := servertest.Start(t, servertest.Options{Server: server.Config{
		WriteInterval: 2 * time.Second, RoleFor: servertest.Roles("mod"),
	}})
	tom := servertest.DialText(t, s, "tom")
	ann := servertest.DialText(t, s, "ann")
	servertest.WaitMembers(t, s, "lobby", 2)

	frame := func() string {
		t.Helper()
		_ = tom.Conn.SetReadDeadline(time.Now().Add(servertest.Wait))
		_, data, err := tom.Conn.ReadMessage()
		if err != nil {
			t.Fatalf("tom's next frame: %v", err)
		}
		return string(data)
	}
	// tom's first frames (notices of the joins) may come first: read up to ann's first line.
	ann.Say("one")
	for !strings.Contains(frame(), "ann: one") {
	}
	ann.Say("two")
	time.Sleep(50 * time.Millisecond)
	ann.Say("three")
	if got := frame(); got != "ann: two\nann: three" {
		t.Errorf("tom's frame after two and three: %q, want both in one frame, in order", got)
	}

	mod := servertest.DialJSON(t, s, "mod") // within the interval after tom's last write
	mod.Send(servertest.Frame{"type": "kick", "room": "lobby", "name": "tom", "reason": "enough"})
	ce := tom.Closed()
	if ce.Code != websocket.ClosePolicyViolation || !strings.Contains(ce.Text, "kicked") {
		t.Errorf("tom's close while his next write waited: %v, want 1008 kicked", ce)
	}
	if line := tom.Lines(1)[0]; !strings.Contains(line, "enough") {
		t.Errorf("tom's last line %q, want the kick's reason", line)
	}
}
