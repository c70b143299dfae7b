package dialhint

import (
	"net/url"
	"testing"

	"hubbub"
)

// WrongEndpoint tells the endpoints apart by the subprotocol chosen, and keeps the prefix a
// proxy serves hubbub under.
func TestWrongEndpoint(t *testing.T) {
	for _, c := range []struct{ target, chose, want, said string }{
		{"ws://h/ws", hubbub.ProtocolJSON, "add", "ws://h/ws is the chat endpoint (hubbub chat ws://h/ws); the add service is ws://h/add"},
		{"wss://h/chat/ws?x=1", hubbub.ProtocolJSON, "add", "wss://h/chat/ws?x=1 is the chat endpoint (hubbub chat wss://h/chat/ws?x=1); the add service is wss://h/chat/add"},
		{"ws://h/add", "", "ws", "ws://h/add is the add service (hubbub add ws://h/add); chat is at ws://h/ws"},
		{"wss://h/chat/add/", "", "ws", "wss://h/chat/add/ is the add service (hubbub add wss://h/chat/add/); chat is at wss://h/chat/ws"},
		{"ws://h/add", "", "add", ""},                // what add wants
		{"ws://h/ws", hubbub.ProtocolJSON, "ws", ""}, // what chat wants
		{"ws://h/socket", "", "ws", ""},              // not hubbub's: no guess
		{"ws://h/add", "something.else", "ws", ""},   // nor this
	} {
		u, err := url.Parse(c.target)
		if err != nil {
			t.Fatal(err)
		}
		if got := WrongEndpoint(u, c.chose, c.want); got != c.said {
			t.Errorf("WrongEndpoint(%s, %q, %s) = %q, want %q", c.target, c.chose, c.want, got, c.said)
		}
	}
}
