package transport_test

import (
	"fmt"
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
// two messages said 50 ms apart as one frame, in order, none lost.
func TestWriteIntervalJoinsWhatComesWithinIt(t *testing.T) {
	skipUnlessPolled(t)
	s := servertest.Start(t, servertest.Options{Server: server.Config{
		WriteInterval: 2 * time.Second,
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
}

// A request's answer never waits for the write interval: with an interval far longer than
// the test, a member who has just been written to and is sent a room message asks for a pong
// and gets it, after that message (one write carries what was queued, in order).
func TestWriteIntervalLetsRepliesThrough(t *testing.T) {
	skipUnlessPolled(t)
	s := servertest.Start(t, servertest.Options{Server: server.Config{WriteInterval: time.Hour}})
	tom := servertest.DialJSON(t, s, "tom")
	tom.Join("general", nil)
	ann := servertest.DialJSON(t, s, "ann")
	ann.Join("general", nil)
	ann.Say("general", "a-1", "one") // written to tom at once, or with the answer below
	ann.Say("general", "a-2", "two") // waits for tom's interval
	tom.Send(servertest.Frame{"type": "ping", "id": "p-1"})
	var texts []string
	tom.AwaitFunc("the pong", func(f servertest.Frame) bool {
		if f.Type() == "message" {
			texts = append(texts, f.Str("text"))
		}
		return f.Type() == "pong"
	})
	if strings.Join(texts, ",") != "one,two" {
		t.Errorf("tom read %q before his pong, want one,two", texts)
	}
	// A WebSocket ping's pong (a control frame) does not wait either, whether or not a room
	// message waits with it.
	ann.Say("general", "a-3", "three")
	pong := make(chan string, 1)
	tom.Conn.SetPongHandler(func(data string) error { pong <- data; return nil })
	if err := tom.Conn.WriteControl(websocket.PingMessage, []byte("are you there"), time.Now().Add(servertest.Wait)); err != nil {
		t.Fatal(err)
	}
	read := make(chan struct{})
	go func() { // reads until the connection closes below, handling the pong
		defer close(read)
		for {
			if _, _, err := tom.Conn.ReadMessage(); err != nil {
				return
			}
		}
	}()
	select {
	case data := <-pong:
		if data != "are you there" {
			t.Errorf("pong %q", data)
		}
	case <-time.After(servertest.Wait):
		t.Error("no pong while tom's next write waits for its interval")
	}
	_ = tom.Conn.Close()
	<-read
}

// Neither a kick nor a deep queue waits for the interval once a reply is due: with one far
// longer than the test, a member whose next write waits gets all 300 messages queued before
// its pong (a write takes 256 of a queue; the rest, the pong at its end, follows at once), and
// a text client kicked while waiting reads why and is closed.
func TestWriteIntervalHoldsNoKickAndNoDeepQueue(t *testing.T) {
	skipUnlessPolled(t)
	s := servertest.Start(t, servertest.Options{Server: server.Config{
		WriteInterval: time.Hour, SendRate: 10000, SendBurst: 10000, RoleFor: servertest.Roles("mod"),
	}})
	tom := servertest.DialJSON(t, s, "tom")
	tom.Join("general", nil)
	ann := servertest.DialJSON(t, s, "ann")
	ann.Join("general", nil)
	const n = 300
	for i := range n {
		ann.Say("general", fmt.Sprintf("a-%d", i), fmt.Sprintf("m%d", i))
	}
	tom.Send(servertest.Frame{"type": "ping", "id": "p-1"})
	got := 0
	tom.AwaitFunc(fmt.Sprintf("all %d messages", n), func(f servertest.Frame) bool {
		if f.Type() == "message" && f.Str("text") == fmt.Sprintf("m%d", got) {
			got++
		}
		return got == n
	})

	text := servertest.DialText(t, s, "tim")
	servertest.WaitMembers(t, s, "lobby", 1)
	mod := servertest.DialJSON(t, s, "mod")
	mod.Send(servertest.Frame{"type": "kick", "room": "lobby", "name": "tim", "reason": "enough"})
	ce := text.Closed()
	if ce.Code != websocket.ClosePolicyViolation || !strings.Contains(ce.Text, "kicked") {
		t.Errorf("tim's close: %v, want 1008 kicked", ce)
	}
}

// skipUnlessPolled skips a test of the polled transport where it does not run: off Linux, or
// in a run that asked for the goroutine transport (HUBBUB_TEST_TRANSPORT).
func skipUnlessPolled(t *testing.T) {
	t.Helper()
	if runtime.GOOS != "linux" || os.Getenv("HUBBUB_TEST_TRANSPORT") == server.TransportGoroutine {
		t.Skip("the polled transport runs on Linux only, and this run asked for the goroutine transport")
	}
}
