package client_test

import (
	"encoding/json"
	"sync"
	"testing"

	"github.com/gorilla/websocket"

	"hubbub/internal/servertest"
	"hubbub/internal/testwait"
	"hubbub/internal/wire"
)

// A room left while a reconnect is still rejoining the session's rooms is left on the new
// connection, whether its rejoin was answered (a) or is still in flight (b). Leave forgot the
// room but sent nothing, since the session had no ready connection yet: the server kept the
// new connection in the room (its messages kept coming) and no left came, so hubbub chat never
// printed "you left" (a CI failure of TestChatJoinsARoomItsRejoinLost, whose /leave came in
// that window); a rejoin in flight waited for a replay nobody would finish, and the session
// dropped the connection once it timed out.
func TestSessionLeavesARoomWhileRejoining(t *testing.T) {
	for _, leave := range []string{"a", "b"} {
		t.Run(leave, func(t *testing.T) {
			s := servertest.Start(t, servertest.Options{})
			// The relay holds the second connection's rejoin of b, and everything after it, until
			// a leave of a comes (a) or the test releases it (b).
			r := startRejoinRelay(t, s.WS, "b", "a")
			ses, rec := startSession(t, "ann", r.url)
			ctx := testContext(t)
			for _, room := range []string{"a", "b"} {
				if _, err := ses.Join(ctx, room); err != nil {
					t.Fatal(err)
				}
			}
			r.cutFirst()
			// The rejoin of b is sent (and held) once the rejoin of a has returned, so a is
			// rejoined on the second connection and b's rejoin is in flight there.
			testwait.Until(t, "the rejoin of b held", r.holdingNow)
			testwait.Until(t, "a rejoined", func() bool { return joinsOf(rec, "a") == 2 })
			left := make(chan error, 1)
			go func() { left <- ses.Leave(ctx, leave) }()
			if leave == "b" {
				if err := <-left; err != nil {
					t.Fatalf("Leave: %v", err)
				}
				r.release()
			}
			testwait.Until(t, "the server's left of "+leave, func() bool {
				for _, l := range events[*wire.Left](rec) {
					if l.Room == leave {
						return true
					}
				}
				return false
			})
			if leave == "a" {
				if err := <-left; err != nil {
					t.Errorf("Leave: %v", err)
				}
			}
			// The session is ready on the second connection: a join goes through it.
			testwait.Until(t, "a join on the second connection", func() bool {
				_, err := ses.Join(ctx, "c")
				return err == nil
			})
			if r.connections() != 2 {
				t.Errorf("%d connections, want 2: the session dropped the second", r.connections())
			}
		})
	}
}

// joinsOf counts the joined frames of room.
func joinsOf(rec *recorder, room string) int {
	n := 0
	for _, j := range events[*wire.Joined](rec) {
		if j.Room == room {
			n++
		}
	}
	return n
}

// rejoinRelay relays hubbub.v1 connections to a server. On its second connection it keeps
// back the client's join of holdRoom, and every frame after it, until the client sends a
// leave of releaseOn or release is called.
type rejoinRelay struct {
	url                 string
	holdRoom, releaseOn string

	mu      sync.Mutex
	n       int             // connections relayed
	first   *websocket.Conn // the client's side of the first connection
	second  *websocket.Conn // the server's side of the second
	holding bool
	held    [][]byte
	wmu     sync.Mutex // serialises writes to second
}

func startRejoinRelay(t *testing.T, wsURL, holdRoom, releaseOn string) *rejoinRelay {
	t.Helper()
	r := &rejoinRelay{holdRoom: holdRoom, releaseOn: releaseOn}
	r.url = relay(t, wsURL, func(n int, server, client *websocket.Conn, wg *sync.WaitGroup) {
		r.mu.Lock()
		r.n = n
		switch n {
		case 1:
			r.first = client
		case 2:
			r.second = server
		}
		r.mu.Unlock()
		wg.Add(2)
		go pump(wg, server, client, func(b []byte) []byte { return b })
		go func() {
			defer wg.Done()
			defer server.Close()
			defer client.Close()
			for {
				_, b, err := client.ReadMessage()
				if err != nil {
					return
				}
				if n == 2 && r.hold(b) {
					continue
				}
				r.wmu.Lock()
				err = server.WriteMessage(websocket.TextMessage, b)
				r.wmu.Unlock()
				if err != nil {
					return
				}
			}
		}()
	})
	return r
}

// hold keeps b back if the second connection is holding (or b starts it), and reports so; a
// leave of releaseOn sends what was held, itself last.
func (r *rejoinRelay) hold(b []byte) bool {
	var f struct{ Type, Room string }
	_ = json.Unmarshal(b, &f)
	r.mu.Lock()
	defer r.mu.Unlock()
	if f.Type == "join" && f.Room == r.holdRoom {
		r.holding = true
	}
	if !r.holding {
		return false
	}
	r.held = append(r.held, b)
	if f.Type == "leave" && f.Room == r.releaseOn {
		r.releaseLocked()
	}
	return true
}

// holdingNow reports whether the second connection holds frames back.
func (r *rejoinRelay) holdingNow() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.holding
}

// release sends what the second connection held, in order.
func (r *rejoinRelay) release() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.releaseLocked()
}

func (r *rejoinRelay) releaseLocked() {
	r.holding = false
	r.wmu.Lock()
	defer r.wmu.Unlock()
	for _, b := range r.held {
		if r.second.WriteMessage(websocket.TextMessage, b) != nil {
			break
		}
	}
	r.held = nil
}

// cutFirst drops the first connection without a close frame, as a network failure would.
func (r *rejoinRelay) cutFirst() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.first.UnderlyingConn().Close()
}

// connections is how many connections the relay has relayed.
func (r *rejoinRelay) connections() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.n
}
