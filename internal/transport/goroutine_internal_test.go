package transport

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"hubbub/internal/hub"
	"hubbub/internal/testwait"
)

// A connection closed as its writer starts (a shutdown or a kick the moment it connects)
// ends its writer cleanly. The outbox's close can wake a write pump as soon as the wake
// function is set; that pump stops the ping timer as it ends, so the timer must be there
// first. CI crashed on a nil timer so (the server's tests on the goroutine transport), and
// under -race the unordered write and read of the timer are reported.
func TestWriterStartingAsItsConnectionClosesEnds(t *testing.T) {
	for range 500 {
		c := &goroutineConn{base: &base{cfg: &Config{PingPeriod: time.Hour}, out: hub.NewOutbox(8, nil)}}
		closed := make(chan struct{})
		go func() {
			defer close(closed)
			c.closeWith(0, "", false) // code 0: no close frame to write, so no socket needed
		}()
		c.startWriter(nil, false)
		<-closed
		select {
		case <-c.writerDone.wait():
		case <-time.After(10 * time.Second):
			t.Fatal("the writer never ended after its connection closed")
		}
		c.ping.Stop()
	}
}

// wsPair returns the server's and the client's ends of a WebSocket on a real socket, both
// closed with the test.
func wsPair(t *testing.T) (server, client *websocket.Conn) {
	t.Helper()
	upgraded := make(chan *websocket.Conn, 1)
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := (&websocket.Upgrader{}).Upgrade(w, r, nil)
		if err != nil {
			t.Errorf("upgrade: %v", err)
			return
		}
		upgraded <- ws
	}))
	t.Cleanup(hs.Close)
	client, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(hs.URL, "http"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	select {
	case server = <-upgraded:
	case <-time.After(testwait.Timeout):
		t.Fatal("the server never upgraded the connection")
	}
	t.Cleanup(func() { server.Close() })
	return server, client
}

// A ping due at once (a short --ping-period, or any on a machine busy enough that the
// connection's goroutine waits past it) comes while the writer is starting: sendPing
// resets the ping timer, which must be there by then. It was set from AfterFunc's result,
// so a ping that came first crashed the server on a nil timer, and under -race the
// unordered write and read of the timer are reported.
func TestPingDueAsTheWriterStartsFindsItsTimer(t *testing.T) {
	server, client := wsPair(t)
	pinged := make(chan struct{}, 1)
	client.SetPingHandler(func(string) error {
		select {
		case pinged <- struct{}{}:
		default:
		}
		return nil
	})
	go func() { // reads the pings (ReadMessage runs the ping handler) until the test ends
		for {
			if _, _, err := client.ReadMessage(); err != nil {
				return
			}
		}
	}()
	for range 200 {
		c := &goroutineConn{base: &base{cfg: &Config{PingPeriod: time.Nanosecond, WriteWait: testwait.Timeout},
			out: hub.NewOutbox(8, nil)}, ws: server}
		select {
		case <-pinged: // the last connection's
		default:
		}
		c.startWriter(nil, false)
		select {
		case <-pinged:
		case <-time.After(testwait.Timeout):
			t.Fatal("no ping came from a connection pinging every nanosecond")
		}
		c.closeWith(0, "", false) // closing: sendPing stops, and the writer ends
		select {
		case <-c.writerDone.wait():
		case <-time.After(testwait.Timeout):
			t.Fatal("the writer never ended after its connection closed")
		}
	}
}
