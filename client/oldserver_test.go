package client_test

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/gorilla/websocket"

	"hubbub"
)

// frameLimitField is welcome's limits.frame, as the server writes it.
var frameLimitField = regexp.MustCompile(`,"frame":[0-9]+`)

// withoutFrameLimit relays hubbub.v1 connections to the server at wsURL and drops
// limits.frame from its welcome, as a server older than the field sends it; close codes
// pass through both ways. It returns the relay's WebSocket URL.
func withoutFrameLimit(t *testing.T, wsURL string) string {
	t.Helper()
	up := websocket.Upgrader{Subprotocols: []string{hubbub.ProtocolJSON}}
	var wg sync.WaitGroup
	relay := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
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
		wg.Add(2)
		go pump(&wg, server, client, func(b []byte) []byte {
			if strings.HasPrefix(string(b), `{"type":"welcome"`) {
				return frameLimitField.ReplaceAll(b, nil)
			}
			return b
		})
		go pump(&wg, client, server, func(b []byte) []byte { return b })
	}))
	t.Cleanup(func() {
		relay.CloseClientConnections()
		relay.Close()
		wg.Wait()
	})
	return "ws" + strings.TrimPrefix(relay.URL, "http") + "/ws"
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
