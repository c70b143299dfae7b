package transport_test

import (
	"fmt"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"hubbub/internal/server"
	"hubbub/internal/servertest"
)

// A client that never reads fills its queue and is dropped; the room never waits for it and
// everyone else receives every message.
func TestSlowClientIsDroppedOthersKeepReceiving(t *testing.T) {
	s := servertest.Start(t, servertest.Options{Server: server.Config{
		SendQueue: 4, MaxText: 60000, ReadLimit: 70000, SendRate: 10000, SendBurst: 10000,
	}})
	slow := servertest.Dial(t, s.WS, "", nil) // never reads after this
	if err := slow.WriteMessage(websocket.TextMessage, []byte("slowpoke")); err != nil {
		t.Fatal(err)
	}
	reader := servertest.DialText(t, s, "reader")
	sender := servertest.DialText(t, s, "sender")
	servertest.WaitMembers(t, s, "lobby", 3)

	big := strings.Repeat("x", 50000)
	sent := 0
	deadline := time.Now().Add(time.Minute)
	for slices.Contains(s.Hub.Members("lobby"), "slowpoke") {
		if sent == 20000 || time.Now().After(deadline) {
			t.Fatalf("slow client still in the room after %d messages", sent)
		}
		sender.Say(big)
		sent++
		// Keep the fast clients drained so only the slow one falls behind.
		reader.Lines(1)
		sender.Lines(1)
	}
	// The slow client was told why, and the others go on receiving.
	_ = slow.SetReadDeadline(time.Now().Add(servertest.Wait))
	for {
		_, _, err := slow.ReadMessage()
		if err == nil {
			continue
		}
		if !websocket.IsCloseError(err, websocket.ClosePolicyViolation) && !strings.Contains(err.Error(), "reset") {
			t.Logf("slow client ended with %v (a close frame may be lost if its socket was full)", err)
		}
		break
	}
	sender.Say("after")
	if got := reader.Lines(1)[0]; got != "sender: after" {
		t.Fatalf("reader got %q after the drop", got)
	}
}

// The server pings; a client that answers (gorilla answers pings while reading) stays past the
// pong wait, and one that never reads, so never answers, is closed. The pong wait is a second:
// a live client's answer may wait that long for the scheduler on a busy machine (at 300 ms
// one was dropped under load), and the test still takes about two of them.
func TestHeartbeatKeepsLiveClientsAndClosesSilentOnes(t *testing.T) {
	const pongWait = time.Second
	s := servertest.Start(t, servertest.Options{Server: server.Config{
		PingPeriod: 100 * time.Millisecond, PongWait: pongWait,
	}})
	live := servertest.DialText(t, s, "live")
	got := make(chan string, 1)
	go func() { // the live client only reads, so the pings are what keep it alive
		_ = live.Conn.SetReadDeadline(time.Now().Add(servertest.Wait))
		_, data, err := live.Conn.ReadMessage()
		if err != nil {
			got <- err.Error()
			return
		}
		got <- string(data)
	}()
	// The silent client comes second, so that the live one is already answering pings: the
	// pong wait runs from the first frame each of them sends.
	silent := servertest.Dial(t, s.WS, "", nil)
	_ = silent.WriteMessage(websocket.TextMessage, []byte("silent"))
	servertest.WaitMembers(t, s, "lobby", 2)

	servertest.WaitMembers(t, s, "lobby", 1)
	if m := s.Hub.Members("lobby"); m[0] != "live" {
		t.Fatalf("members %v: the silent client should have gone, not the live one", m)
	}
	// One more pong wait: the live client, older than the silent one, has then outlived two.
	time.Sleep(pongWait)
	if !slices.Contains(s.Hub.Members("lobby"), "live") {
		t.Fatal("a client answering pings was dropped")
	}
	servertest.DialText(t, s, "waker").Say("wake")
	if line := <-got; line != "waker: wake" {
		t.Fatalf("live client got %q", line)
	}
}

// On the polled transport an idle connection parks no goroutine: a hundred silent members cost
// the server no more goroutines than none, and each of them still receives what is said.
func TestIdleConnectionsParkNoGoroutine(t *testing.T) {
	skipUnlessPolled(t)
	s := servertest.Start(t, servertest.Options{})
	speaker := servertest.DialText(t, s, "speaker")
	servertest.WaitMembers(t, s, "lobby", 1)
	base := runtime.NumGoroutine()
	const n = 100
	idle := make([]*servertest.TextClient, n)
	for i := range idle {
		idle[i] = servertest.DialText(t, s, fmt.Sprintf("idle%d", i))
	}
	servertest.WaitMembers(t, s, "lobby", n+1)
	// The test's own clients read nothing until asked, so they park nothing either; what is
	// left is the server's. Allow a few for timers and flushers that are finishing, and the
	// poller's readers that ran the connects the time it takes to let them go (netpoll's
	// idleTrim, a second, and a pass of its wait loop).
	var extra int
	for range 150 {
		if extra = runtime.NumGoroutine() - base; extra < 10 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if extra >= 10 {
		t.Fatalf("%d idle connections hold %d goroutines, want none", n, extra)
	}
	speaker.Say("anyone there?")
	for i, c := range idle {
		if got := c.Lines(1)[0]; got != "speaker: anyone there?" {
			t.Fatalf("idle member %d got %q", i, got)
		}
	}
}
