package servertest

import (
	"testing"

	"github.com/gorilla/websocket"
)

// NewJSONClient wraps a hubbub.v1 connection dialled by the test itself (with its own URL,
// query or cookies) in a JSONClient.
func NewJSONClient(tb testing.TB, conn *websocket.Conn) *JSONClient {
	return &JSONClient{Conn: conn, tb: tb}
}

// NewTextClient wraps a text-protocol connection dialled by the test itself in a TextClient.
func NewTextClient(tb testing.TB, conn *websocket.Conn) *TextClient {
	return &TextClient{Conn: conn, tb: tb}
}
