package transport_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"hubbub"
	"hubbub/internal/server"
	"hubbub/internal/servertest"
)

// With permessage-deflate the read limit is the message's size as the client wrote it, not
// its compressed size on the wire: a frame of a few hundred compressed bytes that inflates past
// --read-limit is closed with 1009 like any frame over the limit, before the session reads it
// (a 256 KiB id would otherwise be decoded, and echoed back in a bad_id error). A compressed
// frame within the limit is read as always, and so are other clients.
func TestCompressedFrameOverReadLimitIsClosed(t *testing.T) {
	s := servertest.Start(t, servertest.Options{Server: server.Config{Compression: true, ReadLimit: 1024}})
	watcher := servertest.DialJSON(t, s, "watcher")

	d := websocket.Dialer{HandshakeTimeout: servertest.Wait, EnableCompression: true, Subprotocols: []string{hubbub.ProtocolJSON}}
	c, resp, err := d.Dial(s.WS, nil)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	if !strings.Contains(resp.Header.Get("Sec-WebSocket-Extensions"), "permessage-deflate") {
		t.Fatalf("the server did not negotiate permessage-deflate: %q", resp.Header.Get("Sec-WebSocket-Extensions"))
	}
	c.EnableWriteCompression(true)
	read := func() (string, error) {
		_ = c.SetReadDeadline(time.Now().Add(servertest.Wait))
		_, b, err := c.ReadMessage()
		return string(b), err
	}
	write := func(frame string) {
		t.Helper()
		if err := c.WriteMessage(websocket.TextMessage, []byte(frame)); err != nil {
			t.Fatalf("write: %v", err)
		}
	}
	write(`{"type":"ping","id":"small"}`)
	if got, err := read(); err != nil || got != `{"type":"pong","id":"small"}` {
		t.Fatalf("a compressed ping within the limit: %q, %v", got, err)
	}

	write(`{"type":"ping","id":"` + strings.Repeat("a", 256<<10) + `"}`) // deflates to a few hundred bytes
	for {
		got, err := read()
		var ce *websocket.CloseError
		if errors.As(err, &ce) {
			if ce.Code != websocket.CloseMessageTooBig {
				t.Fatalf("closed with %d %q, want 1009", ce.Code, ce.Text)
			}
			break
		}
		if err != nil {
			t.Fatalf("a frame that inflates past the read limit: %v, want a close with 1009", err)
		}
		t.Fatalf("a frame that inflates past the read limit was answered (%d bytes: %.60s…), want a close with 1009", len(got), got)
	}

	watcher.Send(servertest.Frame{"type": "ping", "id": "still-here"})
	if f := watcher.Await("pong"); f.Str("id") != "still-here" {
		t.Fatalf("another client after the close: %v", f)
	}
}
