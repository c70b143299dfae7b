package client_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/gorilla/websocket"

	"hubbub"
	"hubbub/client"
	"hubbub/internal/servertest"
	"hubbub/internal/testwait"
	"hubbub/internal/wire"
)

// frameLimitField is welcome's limits.frame, as the server writes it.
var frameLimitField = regexp.MustCompile(`,"frame":[0-9]+`)

// withoutFrameLimit relays hubbub.v1 connections to the server at wsURL and drops
// limits.frame from its welcome, as a server older than the field sends it; close codes
// pass through both ways. It returns the relay's WebSocket URL.
func withoutFrameLimit(t *testing.T, wsURL string) string {
	t.Helper()
	return relay(t, wsURL, func(_ int, server, client *websocket.Conn, wg *sync.WaitGroup) {
		wg.Add(2)
		go pump(wg, server, client, func(b []byte) []byte {
			if strings.HasPrefix(string(b), `{"type":"welcome"`) {
				return frameLimitField.ReplaceAll(b, nil)
			}
			return b
		})
		go pump(wg, client, server, func(b []byte) []byte { return b })
	})
}

// relay serves WebSocket connections, each relayed to a hubbub.v1 connection of its own to
// the server at wsURL: pipe gets the connection's number (from 1), the server's side and the
// client's, and starts the goroutines that copy between them, counted in wg, which the
// relay waits for when the test ends. It returns the relay's WebSocket URL.
func relay(t *testing.T, wsURL string, pipe func(n int, server, client *websocket.Conn, wg *sync.WaitGroup)) string {
	t.Helper()
	up := websocket.Upgrader{Subprotocols: []string{hubbub.ProtocolJSON}}
	var wg sync.WaitGroup
	var mu sync.Mutex
	n := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		server, _, err := websocket.DefaultDialer.Dial(wsURL, http.Header{"Sec-WebSocket-Protocol": {hubbub.ProtocolJSON}})
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		client, err := up.Upgrade(w, r, nil)
		if err != nil {
			server.Close()
			return
		}
		mu.Lock()
		n++
		i := n
		mu.Unlock()
		pipe(i, server, client, &wg)
	}))
	t.Cleanup(func() {
		srv.CloseClientConnections()
		srv.Close()
		wg.Wait()
	})
	return "ws" + strings.TrimPrefix(srv.URL, "http") + "/ws"
}

// pump copies messages from src to dst, edited, until src fails; then it closes dst with the
// close code src closed with (1006 passes as a plain close) and both connections.
func pump(wg *sync.WaitGroup, src, dst *websocket.Conn, edit func([]byte) []byte) {
	defer wg.Done()
	for {
		typ, b, err := src.ReadMessage()
		if err != nil {
			code, text := websocket.CloseNormalClosure, ""
			if ce, ok := err.(*websocket.CloseError); ok && ce.Code != websocket.CloseAbnormalClosure {
				code, text = ce.Code, ce.Text
			}
			_ = dst.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(code, text))
			dst.Close()
			src.Close()
			return
		}
		if err := dst.WriteMessage(typ, edit(b)); err != nil {
			src.Close()
			dst.Close()
			return
		}
	}
}

// TestSessionSaysALostRejoinWasLost: a connection that says hello and then ends while the
// session joins its rooms again (a server shutting down between the two) came after a
// Connected event; the session went on with its rounds without a Disconnected, so hubbub chat
// printed "connected" and then "still not connected", with nothing between. Now the event
// order is Connected, Disconnected, and the session connects again and rejoins.
func TestSessionSaysALostRejoinWasLost(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	var mu sync.Mutex
	var first *websocket.Conn
	url := relay(t, s.WS, func(n int, server, client *websocket.Conn, wg *sync.WaitGroup) {
		if n == 1 {
			mu.Lock()
			first = client
			mu.Unlock()
		}
		wg.Add(2)
		go pump(wg, server, client, func(b []byte) []byte { return b })
		go func() {
			defer wg.Done()
			for {
				typ, b, err := client.ReadMessage()
				if err == nil && n == 2 && strings.HasPrefix(string(b), `{"type":"join"`) {
					err = errors.New("the second connection ends at its first rejoin")
				}
				if err != nil {
					server.Close()
					client.Close()
					return
				}
				if err := server.WriteMessage(typ, b); err != nil {
					client.Close()
					return
				}
			}
		}()
	})
	ses, rec := startSession(t, "ann", url)
	ctx := testContext(t)
	if _, err := ses.Join(ctx, "general"); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	first.Close() // the first connection drops
	mu.Unlock()
	testwait.Until(t, "a third connection, with general joined again", func() bool {
		return len(events[*client.Connected](rec)) == 3 && rec.count(func(f wire.Frame) bool {
			j, ok := f.(*wire.Joined)
			return ok && j.Room == "general"
		}) == 2
	})
	var order []string
	for _, f := range rec.all() {
		switch f.(type) {
		case *client.Connected:
			order = append(order, "connected")
		case *client.Disconnected:
			order = append(order, "disconnected")
		}
	}
	if want := []string{"connected", "disconnected", "connected", "disconnected", "connected"}; !slices.Equal(order, want) {
		t.Errorf("events %v, want %v", order, want)
	}
	if r, err := ses.Send(ctx, "general", "back"); err != nil {
		t.Fatal(err)
	} else if _, err := r.Wait(ctx); err != nil {
		t.Fatalf("a send after the rejoin: %v", err)
	}
}
