package client_test

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"hubbub"
	"hubbub/internal/client"
)

func TestDecodeFrame(t *testing.T) {
	at := time.Date(2026, 11, 26, 14, 40, 2, 501e6, time.UTC)
	cases := []struct {
		in   string
		want client.Frame
	}{
		{`{"type":"welcome","name":"alice","server":"n-7c1e","version":"0.1.0","limits":{"max_text":4096,"max_rooms":32,"history_max":500,"send_rate":5,"send_burst":20}}`,
			&client.Welcome{Name: "alice", Server: "n-7c1e", Version: "0.1.0",
				Limits: client.Limits{MaxText: 4096, MaxRooms: 32, HistoryMax: 500, SendRate: 5, SendBurst: 20}}},
		{`{"type":"joined","room":"general","members":["alice","bob"],"last_seq":42,"replay":1,"truncated":false}`,
			&client.Joined{Room: "general", Members: []string{"alice", "bob"}, LastSeq: 42, Replay: 1}},
		{`{"type":"left","room":"general"}`, &client.Left{Room: "general"}},
		{`{"type":"message","room":"general","seq":43,"id":"01HG","from":"alice","text":"yes!","time":"2026-11-26T14:40:02.501Z","client_id":"c-1"}`,
			&client.Message{Message: hubbub.Message{Room: "general", Seq: 43, ID: "01HG", From: "alice", Text: "yes!", Time: at, ClientID: "c-1"}}},
		{`{"type":"ack","room":"general","id":"c-1","seq":43,"msg_id":"01HG","time":"2026-11-26T14:40:02.501Z","duplicate":true}`,
			&client.Ack{Room: "general", ID: "c-1", Seq: 43, MsgID: "01HG", Time: "2026-11-26T14:40:02.501Z", Duplicate: true}},
		{`{"type":"history","room":"general","messages":[{"room":"general","seq":1,"id":"x","from":"bob","text":"hi","time":"2026-11-26T14:40:02.501Z"}],"more":true}`,
			&client.History{Room: "general", More: true,
				Messages: []hubbub.Message{{Room: "general", Seq: 1, ID: "x", From: "bob", Text: "hi", Time: at}}}},
		{`{"type":"presence","room":"general","name":"bob","event":"leave"}`, &client.Presence{Room: "general", Name: "bob", Event: "leave"}},
		{`{"type":"typing","room":"general","name":"bob"}`, &client.Typing{Room: "general", Name: "bob"}},
		{`{"type":"members","room":"general","members":["bob"]}`, &client.Members{Room: "general", Members: []string{"bob"}}},
		{`{"type":"pong","id":"7"}`, &client.Pong{ID: "7"}},
		{`{"type":"error","code":"not_joined","message":"no","request":"send","room":"nowhere","id":"c-2"}`,
			&client.ServerError{Code: "not_joined", Message: "no", Request: "send", Room: "nowhere", ID: "c-2"}},
		{`{"type":"sparkle","x":1}`, &client.Unknown{Type: "sparkle", Raw: []byte(`{"type":"sparkle","x":1}`)}},
		{`{"type":"pong","id":"7","new_field":[1,2]}`, &client.Pong{ID: "7"}}, // unknown fields are ignored
	}
	for _, tc := range cases {
		got, err := client.DecodeFrame([]byte(tc.in))
		if err != nil {
			t.Errorf("%s: %v", tc.in, err)
			continue
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s:\n got %#v\nwant %#v", tc.in, got, tc.want)
		}
	}
	for _, bad := range []string{``, `[]`, `"x"`, `{"type":7}`, `{"no":"type"}`, `{"type":"message","seq":"one"}`} {
		if f, err := client.DecodeFrame([]byte(bad)); !errors.Is(err, client.ErrBadFrame) {
			t.Errorf("%s: got %#v, %v; want ErrBadFrame", bad, f, err)
		}
	}
}

func TestServerErrorUnwrapsToHubbubError(t *testing.T) {
	var err error = &client.ServerError{Code: hubbub.ECodeNameTaken, Message: "taken"}
	if got := hubbub.ErrorCode(err); got != hubbub.ECodeNameTaken {
		t.Errorf("ErrorCode = %q, want %q", got, hubbub.ECodeNameTaken)
	}
	if got := err.Error(); got != "server: name_taken: taken" {
		t.Errorf("Error() = %q", got)
	}
}

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
