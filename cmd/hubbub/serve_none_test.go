package main

import (
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// idleReaders counts the poller's reader goroutines that wait for the next readable socket,
// in every poller of the process (no test of this package runs in parallel with another).
func idleReaders() int {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	idle := 0
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "[chan receive") && strings.Contains(g, "netpoll.(*Poller).reader") {
			idle++
		}
	}
	return idle
}

// --poll-idle-readers 0 reaches the poller as "none", a new goroutine for every readable
// socket, as the flag says; serve maps the flag's 0 to the Config's "none" (orNone) because the
// Config's 0 is the default, 4,096 readers kept. With the default, the readers that read the
// chat below stay waiting for the next socket (for a second or more); with 0 none does.
func TestServePollIdleReadersZeroKeepsNone(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the polled transport's readers are Linux's (epoll)")
	}
	for _, c := range []struct {
		flag     string
		wantNone bool
	}{{"0", true}, {"4", false}} {
		addr, stop := startServe(t, "--data", filepath.Join(t.TempDir(), "h.db"), "--transport", "poll", "--poll-idle-readers", c.flag)
		ws, _, err := websocket.DefaultDialer.Dial("ws://"+addr+"/ws", nil)
		if err != nil {
			t.Fatal(err)
		}
		_ = ws.WriteMessage(websocket.TextMessage, []byte("ann"))
		_ = ws.SetReadDeadline(time.Now().Add(30 * time.Second))
		// Each round is a line and its echo; then the readers are counted. A reader that read
		// the line waits from when its handler returns until the trim a second or more later,
		// so on a loaded machine a count can come before it waits or after it was trimmed:
		// with 4 kept, one of the rounds sees it; with none, no round may see one.
		seen, rounds := 0, 50 // seen: readers counted waiting after a line
		if c.wantNone {
			rounds = 5
		}
		for i := 0; i < rounds && seen == 0; i++ {
			text := fmt.Sprintf("line %d", i)
			_ = ws.WriteMessage(websocket.TextMessage, []byte(text))
			if _, data, err := ws.ReadMessage(); err != nil || string(data) != "ann: "+text {
				t.Fatalf("--poll-idle-readers %s: got %q, %v", c.flag, data, err)
			}
			for wait := 0; wait < 20 && seen == 0; wait++ {
				if seen = idleReaders(); seen == 0 {
					time.Sleep(5 * time.Millisecond)
				}
			}
		}
		if (seen == 0) != c.wantNone {
			t.Errorf("--poll-idle-readers %s: %d poller readers waited after a line, want none: %v", c.flag, seen, c.wantNone)
		}
		ws.Close()
		if err := stop(); err != nil {
			t.Fatal(err)
		}
	}
}
