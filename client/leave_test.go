package client_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/gorilla/websocket"

	"hubbub"
	"hubbub/internal/servertest"
	"hubbub/internal/testwait"
	"hubbub/internal/wire"
)

// A room left while a reconnect is still rejoining the session's rooms is left on the new
// connection. Leave forgot the room but sent nothing, since the session had no ready
// connection yet: the server kept the new connection in the room (its messages kept coming)
// and no left came, so hubbub chat never printed "you left" (a CI failure of
// TestChatJoinsARoomItsRejoinLost, whose /leave came in that window).
func TestSessionLeavesARoomWhileRejoining(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	r := startRejoinRelay(t, s.WS)
	ses, rec := startSession(t, "ann", r.url)
	ctx := testContext(t)
	for _, room := range []string{"a", "b"} {
		if _, err := ses.Join(ctx, room); err != nil {
			t.Fatal(err)
		}
	}
	r.cutFirst()
	// The second connection has rejoined a; its rejoin of b is held by the relay until a
	// leave of a comes (which a session that sends nothing never sends).
	testwait.Until(t, "a rejoined", func() bool {
		n := 0
		for _, j := range events[*wire.Joined](rec) {
			if j.Room == "a" {
				n++
			}
		}
		return n == 2
	})
	left := make(chan error, 1)
	go func() { left <- ses.Leave(ctx, "a") }()
	testwait.Until(t, "the server's left of a", func() bool {
		for _, l := range events[*wire.Left](rec) {
			if l.Room == "a" {
				return true
			}
		}
		return false
	})
	if err := <-left; err != nil {
		t.Errorf("Leave: %v", err)
	}
}

// rejoinRelay relays hubbub.v1 connections to a server. On its second connection it keeps
// back the client's join of b, and every frame after it, until the client sends a leave of a.
type rejoinRelay struct {
	url   string
	mu    sync.Mutex
	first *websocket.Conn // the client's side of the first connection
	n     int
}

func startRejoinRelay(t *testing.T, wsURL string) *rejoinRelay {
	t.Helper()
	r := &rejoinRelay{}
	up := websocket.Upgrader{Subprotocols: []string{hubbub.ProtocolJSON}}
	var wg sync.WaitGroup
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		server, _, err := websocket.DefaultDialer.Dial(wsURL, http.Header{"Sec-WebSocket-Protocol": {hubbub.ProtocolJSON}})
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		client, err := up.Upgrade(w, req, nil)
		if err != nil {
			server.Close()
			return
		}
		r.mu.Lock()
		r.n++
		n := r.n
		if n == 1 {
			r.first = client
		}
		r.mu.Unlock()
		wg.Add(2)
		go pump(&wg, server, client, func(b []byte) []byte { return b })
		go func() {
			defer wg.Done()
			defer server.Close()
			defer client.Close()
			var held [][]byte
			for {
				_, b, err := client.ReadMessage()
				if err != nil {
					return
				}
				var f struct{ Type, Room string }
				_ = json.Unmarshal(b, &f)
				if n == 2 && f.Type == "join" && f.Room == "b" {
					held = [][]byte{}
				}
				if held == nil {
					if server.WriteMessage(websocket.TextMessage, b) != nil {
						return
					}
					continue
				}
				held = append(held, b)
				if f.Type == "leave" && f.Room == "a" {
					for _, h := range held {
						if server.WriteMessage(websocket.TextMessage, h) != nil {
							return
						}
					}
					held = nil
				}
			}
		}()
	}))
	t.Cleanup(func() {
		srv.CloseClientConnections()
		srv.Close()
		wg.Wait()
	})
	r.url = "ws" + strings.TrimPrefix(srv.URL, "http") + "/ws"
	return r
}

// cutFirst drops the first connection without a close frame, as a network failure would.
func (r *rejoinRelay) cutFirst() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.first.UnderlyingConn().Close()
}
