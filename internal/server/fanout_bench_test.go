package server_test

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"hubbub"
	"hubbub/internal/server"
	"hubbub/internal/servertest"
)

// BenchmarkRoomFanout measures a room's whole path — store append, fan-out, frame encoding and
// socket writes — with real clients over loopback: each op is one message sent and received by
// every member; ten members send. Run with -benchtime 2000x and compare deliveries/s across
// changes (go test -run XXX -bench RoomFanout -benchtime 2000x -count 3 ./internal/server/).
func BenchmarkRoomFanout(b *testing.B) {
	for _, members := range []int{10, 100} {
		for _, proto := range []string{hubbub.ProtocolJSON, ""} {
			name := "json"
			if proto == "" {
				name = "text"
			}
			b.Run(fmt.Sprintf("%s/members=%d", name, members), func(b *testing.B) {
				benchFanout(b, proto, members)
			})
		}
	}
}

func benchFanout(b *testing.B, proto string, members int) {
	s := servertest.Start(b, servertest.Options{Server: server.Config{SendRate: 1e9, SendBurst: 1 << 30, SendQueue: 1 << 16}})
	var received atomic.Int64
	var wg sync.WaitGroup
	conns := make([]*websocket.Conn, members)
	for i := range conns {
		c := servertest.Dial(b, s.WS, proto, nil)
		name := fmt.Sprint("m", i)
		if proto == "" {
			_ = c.WriteMessage(websocket.TextMessage, []byte(name))
		} else {
			_ = c.WriteJSON(map[string]any{"type": "hello", "name": name})
			_ = c.WriteJSON(map[string]any{"type": "join", "room": "lobby", "history": 1})
		}
		conns[i] = c
	}
	deadline := time.Now().Add(30 * time.Second)
	for len(s.Hub.Members("lobby")) < members && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	for _, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				_, data, err := c.ReadMessage()
				if err != nil {
					return
				}
				n := int64(1)
				if proto == "" {
					n = int64(countLines(data))
				} else if !isMessage(data) {
					n = 0
				}
				received.Add(n)
			}
		}()
	}
	// Ten senders, so that appends share commits as they do in a busy room.
	senders := conns[:min(10, members)]
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	var sendWG sync.WaitGroup
	for si, sender := range senders {
		sendWG.Add(1)
		go func() {
			defer sendWG.Done()
			for i := si; i < b.N; i += len(senders) {
				var err error
				if proto == "" {
					err = sender.WriteMessage(websocket.TextMessage, []byte("hello everyone in the room"))
				} else {
					err = sender.WriteJSON(map[string]any{"type": "send", "room": "lobby", "text": "hello everyone in the room"})
				}
				if err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	sendWG.Wait()
	want := int64(b.N * members)
	for received.Load() < want && time.Since(start) < time.Minute {
		time.Sleep(100 * time.Microsecond)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(received.Load())/elapsed.Seconds(), "deliveries/s")
	for _, c := range conns {
		c.Close()
	}
	wg.Wait()
	if got := received.Load(); got < want {
		b.Fatalf("%d of %d deliveries", got, want)
	}
}

func countLines(b []byte) int {
	n := 1
	for _, c := range b {
		if c == '\n' {
			n++
		}
	}
	return n
}

func isMessage(b []byte) bool {
	return len(b) > 20 && string(b[:18]) == `{"type":"message",`
}
