package client_test

import (
	"strings"
	"sync"
	"testing"

	"github.com/gorilla/websocket"

	"hubbub/client"
	"hubbub/internal/servertest"
	"hubbub/internal/testwait"
)

// A renamed frame that names no valid name (a faulty server's or proxy's: hubbub's never
// sends one) changes nothing: the session keeps its name, and says it when it connects again.
// It took the empty name, which its next hello would have sent, and reported it as the user's.
func TestSessionIgnoresARenameToNoName(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	var mu sync.Mutex
	var first *websocket.Conn
	url := relay(t, s.WS, func(n int, server, cl *websocket.Conn, wg *sync.WaitGroup) {
		if n == 1 {
			mu.Lock()
			first = cl
			mu.Unlock()
		}
		wg.Add(2)
		go pump(wg, cl, server, func(b []byte) []byte { return b })
		go func() {
			defer wg.Done()
			for {
				typ, b, err := server.ReadMessage()
				if err != nil {
					cl.Close()
					return
				}
				if err := cl.WriteMessage(typ, b); err != nil {
					server.Close()
					return
				}
				if n == 1 && strings.HasPrefix(string(b), `{"type":"welcome"`) {
					for _, bad := range []string{`{"type":"renamed","name":"","was":"ann"}`, `{"type":"renamed","was":"ann"}`, `{"type":"renamed","name":" \n","was":"ann"}`} {
						if err := cl.WriteMessage(websocket.TextMessage, []byte(bad)); err != nil {
							server.Close()
							return
						}
					}
				}
			}
		}()
	})
	ses, rec := startSession(t, "ann", url)
	ctx := testContext(t)
	if _, err := ses.Join(ctx, "general"); err != nil { // answered after the renamed frames
		t.Fatal(err)
	}
	if ses.Name() != "ann" || ses.User().Name != "ann" {
		t.Fatalf("Name() = %q, User().Name = %q after a renamed frame with no name, want ann", ses.Name(), ses.User().Name)
	}
	if got := events[*client.Renamed](rec); len(got) != 0 {
		t.Errorf("the session delivered %+v, want no rename", got)
	}

	mu.Lock()
	first.Close() // the connection drops; the session connects again
	mu.Unlock()
	testwait.Until(t, "the session connected again", func() bool { return len(events[*client.Connected](rec)) == 2 })
	if w := events[*client.Connected](rec)[1].Welcome; w.Name != "ann" {
		t.Fatalf("the welcome after reconnecting: %+v, want ann", w)
	}
}
