package client_test

import (
	"testing"

	"hubbub/client"
)

func TestWebSocketURL(t *testing.T) {
	cases := []struct{ in, want string }{
		{"ws://localhost:3434/ws", "ws://localhost:3434/ws"},
		{"wss://chat.example.com/ws", "wss://chat.example.com/ws"},
		{"http://localhost:3434", "ws://localhost:3434/ws"},
		{"https://chat.example.com/", "wss://chat.example.com/ws"},
		{"ws://h:1/custom/path?x=1", "ws://h:1/custom/path?x=1"},
		{"localhost:3434", ""},
		{"ftp://h/ws", ""},
		{"ws:///ws", ""},
		{"ws://bad host/", ""},
	}
	for _, tc := range cases {
		got, err := client.WebSocketURL(tc.in)
		if tc.want == "" {
			if err == nil {
				t.Errorf("%q: got %q, want an error", tc.in, got)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%q: got %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}
