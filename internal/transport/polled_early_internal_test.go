//go:build linux

package transport

import (
	"bufio"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"hubbub/internal/testwait"
)

// clientText is a masked text frame of msg (mask key 0, so the payload goes as it is), as a
// client sends it; msg is under 126 bytes.
func clientText(msg string) []byte {
	return append([]byte{0x80 | 0x1, 0x80 | byte(len(msg)), 0, 0, 0, 0}, msg...)
}

// A client that sends frames with its request (early, handled by Start) and more right after
// has the rest read by the poller's reader as soon as Start hands the socket to the poller,
// while Start goes on to handle the early ones: whether there are any was looked up by Start
// after that hand-over, beside the reader that clears it (a race under -race). Every message
// arrives, once, in order.
func TestEarlyFramesAndTheNextAreHandledOnceInOrder(t *testing.T) {
	tr := New(polledConfig(1 << 20))
	if tr.poller == nil {
		t.Skip("no poller on this system")
	}
	t.Cleanup(tr.Close)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	const req = "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
	for i := range 100 {
		client, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		server, err := ln.Accept()
		if err != nil {
			t.Fatal(err)
		}
		r, err := http.ReadRequest(bufio.NewReader(strings.NewReader(req)))
		if err != nil {
			t.Fatal(err)
		}
		hs, ok := tr.PlainHandshake(r)
		if !ok {
			t.Fatal("a plain handshake was not taken")
		}
		// The next frame is in the socket before the connection starts: readable at once.
		if _, err := client.Write(clientText("second")); err != nil {
			t.Fatal(err)
		}
		c, err := tr.UpgradeConn(server, r, hs, clientText("first"), uint64(i+1))
		if err != nil {
			t.Fatal(err)
		}
		got := make(chan []byte, 4)
		ended := make(chan struct{})
		c.Attach(recordingSession{got: got}, func() { close(ended) })
		c.Start()
		for _, want := range []string{"first", "second"} {
			select {
			case msg := <-got:
				if string(msg) != want {
					t.Fatalf("connection %d: got %q, want %q", i+1, msg, want)
				}
			case <-time.After(testwait.Timeout):
				t.Fatalf("connection %d: %q never arrived", i+1, want)
			}
		}
		client.Close()
		select {
		case <-ended:
		case <-time.After(testwait.Timeout):
			t.Fatalf("connection %d did not end once its client left", i+1)
		}
		select {
		case msg := <-got:
			t.Fatalf("connection %d: %q arrived again", i+1, msg)
		default:
		}
	}
}
