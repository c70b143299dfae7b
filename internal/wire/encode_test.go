package wire

import (
	"errors"
	"testing"
	"time"

	"hubbub"
)

// The bytes the server sends, frame by frame, as internal/protocol encoded them before the wire
// was declared once: a frame's fields, their order, their omission when empty and the time
// format are part of hubbub.v1.
func TestEncodeServerFrames(t *testing.T) {
	at := time.Date(2026, 11, 26, 14, 40, 2, 501e6, time.FixedZone("x", 3600))
	m := &hubbub.Entry{Room: "general", Seq: 43, ID: "01HG", From: "alice", Text: "yes!\n<&>\"", Time: at, ClientID: "c-1"}
	d := &hubbub.Entry{Room: "general", Seq: 44, ID: "01HH", From: "bob", Time: at, Deleted: true}
	send := "hi"
	cases := []struct {
		frame any
		want  string
	}{
		{Welcome{Type: TypeWelcome, Name: "alice", Server: "n-1", Version: "0.1.0", Role: "member", Limits: Limits{MaxText: 4096, MaxRooms: 32, HistoryMax: 500, HistoryPageMax: 200, SendRate: 5.5, SendBurst: 20}},
			`{"type":"welcome","name":"alice","server":"n-1","version":"0.1.0","role":"member","limits":{"max_text":4096,"max_rooms":32,"history_max":500,"history_page_max":200,"send_rate":5.5,"send_burst":20}}`},
		{Joined{Type: TypeJoined, Room: "general", Members: []string{"alice", "bob"}, MemberCount: 3, LastSeq: 42, Replay: 1},
			`{"type":"joined","room":"general","members":["alice","bob"],"member_count":3,"last_seq":42,"replay":1,"truncated":false}`},
		{Joined{Type: TypeJoined, Room: "general"},
			`{"type":"joined","room":"general","members":null,"member_count":0,"last_seq":0,"replay":0,"truncated":false}`},
		{NewLeft("general"),
			`{"type":"left","room":"general"}`},
		{NewLeft(""),
			`{"type":"left"}`},
		{NewPong(""),
			`{"type":"pong"}`},
		{NewPong("7"),
			`{"type":"pong","id":"7"}`},
		{NewTyping("general", "bob"),
			`{"type":"typing","room":"general","name":"bob"}`},
		{NewPresence("general", "bob", "join"),
			`{"type":"presence","room":"general","name":"bob","event":"join"}`},
		{NewPresence("", "", ""),
			`{"type":"presence"}`},
		{NewMessage(m),
			`{"type":"message","room":"general","seq":43,"id":"01HG","from":"alice","text":"yes!\n\u003c\u0026\u003e\"","time":"2026-11-26T13:40:02.501Z","client_id":"c-1"}`},
		{NewMessage(d),
			`{"type":"message","room":"general","seq":44,"id":"01HH","from":"bob","text":"","time":"2026-11-26T13:40:02.501Z","deleted":true}`},
		{NewAck(m, true),
			`{"type":"ack","room":"general","id":"c-1","seq":43,"msg_id":"01HG","time":"2026-11-26T13:40:02.501Z","duplicate":true}`},
		{NewAck(d, false),
			`{"type":"ack","room":"general","seq":44,"msg_id":"01HH","time":"2026-11-26T13:40:02.501Z","duplicate":false}`},
		{History{Type: TypeHistory, Room: "general", Messages: []Message{NewMessage(m), NewMessage(d)}, More: true},
			`{"type":"history","room":"general","messages":[{"type":"message","room":"general","seq":43,"id":"01HG","from":"alice","text":"yes!\n\u003c\u0026\u003e\"","time":"2026-11-26T13:40:02.501Z","client_id":"c-1"},{"type":"message","room":"general","seq":44,"id":"01HH","from":"bob","text":"","time":"2026-11-26T13:40:02.501Z","deleted":true}],"more":true}`},
		{History{Type: TypeHistory, Room: "general", Messages: []Message{}},
			`{"type":"history","room":"general","messages":[],"more":false}`},
		{Members{Type: TypeMembers, Room: "general", Members: []string{"bob"}},
			`{"type":"members","room":"general","members":["bob"]}`},
		{NewError(hubbub.Errorf(hubbub.ECodeNotJoined, "not in %q", "x"), &ClientFrame{Type: "send", Room: "x", ID: "c-2", Text: &send}),
			`{"type":"error","code":"not_joined","message":"not in \"x\"","request":"send","room":"x","id":"c-2"}`},
		{NewError(hubbub.Errorf(hubbub.ECodeBadJSON, "bad"), nil),
			`{"type":"error","code":"bad_json","message":"bad"}`},
		{NewError(errors.New("plain"), &ClientFrame{Type: "0123456789012345678901234567890123"}),
			`{"type":"error","code":"internal","message":"internal error"}`},
		{Deleted{Type: TypeDeleted, Room: "general", Seq: 3},
			`{"type":"deleted","room":"general","seq":3}`},
		{Moderated{Type: TypeModerated, Action: "ban", Room: "general", Name: "eve", Until: FormatTime(at)},
			`{"type":"moderated","action":"ban","room":"general","name":"eve","until":"2026-11-26T13:40:02.501Z"}`},
		{Moderated{Type: TypeModerated, Action: "delete", Room: "general", Seq: 4},
			`{"type":"moderated","action":"delete","room":"general","seq":4}`},
	}
	for _, tc := range cases {
		if got := string(Encode(tc.frame)); got != tc.want {
			t.Errorf("%T:\n got %s\nwant %s", tc.frame, got, tc.want)
		}
	}
}
