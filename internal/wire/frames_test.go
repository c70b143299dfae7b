package wire

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"hubbub"
)

func TestDecodeFrame(t *testing.T) {
	at := Time{Time: time.Date(2026, 11, 26, 14, 40, 2, 501e6, time.UTC)}
	cases := []struct {
		in   string
		want Frame
	}{
		{`{"type":"welcome","name":"alice","server":"n-7c1e","version":"0.1.0","limits":{"max_text":4096,"max_rooms":32,"history_max":500,"history_page_max":200,"send_rate":5,"send_burst":20}}`,
			&Welcome{Type: "welcome", Name: "alice", Server: "n-7c1e", Version: "0.1.0",
				Limits: Limits{MaxText: 4096, MaxRooms: 32, HistoryMax: 500, HistoryPageMax: 200, SendRate: 5, SendBurst: 20}}},
		{`{"type":"joined","room":"general","members":["alice","bob"],"last_seq":42,"replay":1,"truncated":false}`,
			&Joined{Type: "joined", Room: "general", Members: []string{"alice", "bob"}, LastSeq: 42, Replay: 1}},
		{`{"type":"left","room":"general"}`, &Left{Type: "left", Room: "general"}},
		{`{"type":"message","room":"general","seq":43,"id":"01HG","from":"alice","text":"yes!","time":"2026-11-26T14:40:02.501Z","client_id":"c-1"}`,
			&Message{Type: "message", Room: "general", Seq: 43, ID: "01HG", From: "alice", Text: "yes!", Time: at, ClientID: "c-1"}},
		{`{"type":"ack","room":"general","id":"c-1","seq":43,"msg_id":"01HG","time":"2026-11-26T14:40:02.501Z","duplicate":true}`,
			&Ack{Type: "ack", Room: "general", ID: "c-1", Seq: 43, MsgID: "01HG", Time: "2026-11-26T14:40:02.501Z", Duplicate: true}},
		{`{"type":"history","room":"general","messages":[{"room":"general","seq":1,"id":"x","from":"bob","text":"hi","time":"2026-11-26T14:40:02.501Z"}],"more":true}`,
			&History{Type: "history", Room: "general", More: true,
				Messages: []Message{{Room: "general", Seq: 1, ID: "x", From: "bob", Text: "hi", Time: at}}}},
		// A page's notices are decoded as the frames they are, as a client handles live ones;
		// an element that is no frame is left out, and the page is still read.
		{`{"type":"history","room":"eng","messages":[],"more":false,"notices":[{"type":"topic_changed","room":"eng","log_seq":6,"from":"ann","user":"u_a","topic":"x","time":"2026-11-26T14:40:02.501Z"},7,{"type":"sparkle"}],"notices_truncated":true}`,
			&History{Type: "history", Room: "eng", Messages: []Message{}, NoticesTruncated: true, Notices: EntryFrames{
				&TopicChanged{Type: "topic_changed", Room: "eng", LogSeq: 6, From: "ann", User: "u_a", Topic: "x", Time: at},
				&Unknown{Type: "sparkle", Raw: []byte(`{"type":"sparkle"}`)}}}},
		{`{"type":"presence","room":"general","name":"bob","event":"leave"}`, &Presence{Type: "presence", Room: "general", Name: "bob", Event: "leave"}},
		{`{"type":"typing","room":"general","name":"bob"}`, &Typing{Type: "typing", Room: "general", Name: "bob"}},
		{`{"type":"members","room":"general","members":["bob"]}`, &Members{Type: "members", Room: "general", Members: []RoomMember{{Name: "bob"}}}},
		{`{"type":"members","room":"eng","members":[{"user":"u_1","name":"bob","role":"owner","invited":true}],"next":"u_1"}`,
			&Members{Type: "members", Room: "eng", Members: []RoomMember{{User: "u_1", Name: "bob", Role: "owner", Invited: true}}, Next: "u_1"}},
		{`{"type":"room","room":"eng","topic":"t","private":true,"members":2,"last_seq":5,"role":"owner","read_seq":4,"unread":1,"mentions":1}`,
			&Room{Type: "room", MyRoom: MyRoom{RoomMeta: RoomMeta{Room: "eng", Topic: "t", Private: true, Members: 2, LastSeq: 5}, Role: "owner", ReadSeq: 4, Unread: 1, Mentions: 1}}},
		{`{"type":"unroom","room":"eng"}`, &Unroom{Type: "unroom", Room: "eng"}},
		{`{"type":"read","room":"eng","seq":4}`, &Read{Type: "read", Room: "eng", Seq: 4}},
		{`{"type":"topic_changed","room":"eng","log_seq":6,"from":"ann","user":"u_a","topic":"x","time":"2026-11-26T14:40:02.501Z"}`,
			&TopicChanged{Type: "topic_changed", Room: "eng", LogSeq: 6, From: "ann", User: "u_a", Topic: "x", Time: at}},
		{`{"type":"pong","id":"7"}`, &Pong{Type: "pong", ID: "7"}},
		{`{"type":"deleted","room":"general","seq":3}`, &Deleted{Type: "deleted", Room: "general", Seq: 3}},
		{`{"type":"moderated","action":"ban","room":"general","name":"eve","until":"2026-11-26T15:40:02.501Z"}`,
			&Moderated{Type: "moderated", Action: "ban", Room: "general", Name: "eve", Until: "2026-11-26T15:40:02.501Z"}},
		{`{"type":"error","code":"not_joined","message":"no","request":"send","room":"nowhere","id":"c-2"}`,
			&Error{Type: "error", Code: "not_joined", Message: "no", Request: "send", Room: "nowhere", ID: "c-2"}},
		{`{"type":"sparkle","x":1}`, &Unknown{Type: "sparkle", Raw: []byte(`{"type":"sparkle","x":1}`)}},
		{`{"type":"pong","id":"7","new_field":[1,2]}`, &Pong{Type: "pong", ID: "7"}}, // unknown fields are ignored
	}
	for _, tc := range cases {
		got, err := DecodeFrame([]byte(tc.in))
		if err != nil {
			t.Errorf("%s: %v", tc.in, err)
			continue
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s:\n got %#v\nwant %#v", tc.in, got, tc.want)
		}
	}
	for _, bad := range []string{``, `[]`, `"x"`, `{"type":7}`, `{"no":"type"}`, `{"type":"message","seq":"one"}`} {
		if f, err := DecodeFrame([]byte(bad)); !errors.Is(err, ErrBadFrame) {
			t.Errorf("%s: got %#v, %v; want ErrBadFrame", bad, f, err)
		}
	}
}

func TestErrorFrameUnwrapsToHubbubError(t *testing.T) {
	var err error = &Error{Code: hubbub.ECodeNameTaken, Message: "taken"}
	if got := hubbub.ErrorCode(err); got != hubbub.ECodeNameTaken {
		t.Errorf("ErrorCode = %q, want %q", got, hubbub.ECodeNameTaken)
	}
	if got := err.Error(); got != "server: name_taken: taken" {
		t.Errorf("Error() = %q", got)
	}
}

// Every server frame decodes to the struct whose FrameType is its type, and encodes back to a
// frame with that type.
func TestServerFramesRoundTrip(t *testing.T) {
	for typ, newFrame := range serverFrames {
		f := newFrame()
		if f.FrameType() != typ {
			t.Errorf("serverFrames[%q] makes a %T, whose FrameType is %q", typ, f, f.FrameType())
		}
		reflect.ValueOf(f).Elem().FieldByName("Type").SetString(typ)
		got, err := DecodeFrame(Encode(f))
		if err != nil || !reflect.DeepEqual(got, f) {
			t.Errorf("%s: %s decodes to %#v, %v", typ, Encode(f), got, err)
		}
	}
}
