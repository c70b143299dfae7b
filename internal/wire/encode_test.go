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
	full := &hubbub.Entry{Room: "general", Seq: 45, ID: "01HJ", From: "cy", Text: "@ann see", Time: at, ReplyTo: 43,
		Mentions: []hubbub.Mention{{User: "ann", Name: "ann"}}, MentionRoom: true, EditedAt: at.Add(time.Second),
		Reactions:  []hubbub.Reaction{{Emoji: "👍", Count: 2, Names: []string{"ann", "bob"}, Me: true}, {Emoji: ":tada:", Count: 1, Names: []string{"bob"}}},
		ReplyCount: 3}
	edit := &hubbub.Entry{Room: "general", Seq: 46, ID: "01HK", From: "alice", Kind: hubbub.KindEdit, Target: 43, Text: "yes, @bob",
		Time: at, ClientID: "e-1", Mentions: []hubbub.Mention{{User: "bob", Name: "bob"}}}
	del := &hubbub.Entry{Room: "general", Seq: 47, ID: "01HL", From: "mod", Kind: hubbub.KindDelete, Target: 44, Time: at, ClientID: "d-1"}
	r1 := &hubbub.Entry{Room: "general", Seq: 48, From: "bob", Kind: hubbub.KindReaction, Target: 43, Emoji: "👍", Added: true, Count: 1, Time: at}
	r2 := &hubbub.Entry{Room: "general", Seq: 49, From: "ann", Kind: hubbub.KindReaction, Target: 45, Emoji: ":tada:", Count: 0, Time: at}
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
		{NewMessageAt(m, ""),
			`{"type":"message","room":"general","seq":43,"id":"01HG","from":"alice","text":"yes!\n\u003c\u0026\u003e\"","time":"2026-11-26T13:40:02.501Z","client_id":"c-1"}`},
		{NewMessageAt(d, ""),
			`{"type":"message","room":"general","seq":44,"id":"01HH","from":"bob","text":"","time":"2026-11-26T13:40:02.501Z","deleted":true}`},
		{NewMessageAt(full, ""),
			`{"type":"message","room":"general","seq":45,"id":"01HJ","from":"cy","text":"@ann see","time":"2026-11-26T13:40:02.501Z","reply_to":43,"mentions":[{"user":"ann","name":"ann"}],"mention_room":true,"edited_at":"2026-11-26T13:40:03.501Z","reactions":[{"emoji":"👍","count":2,"names":["ann","bob"],"me":true},{"emoji":":tada:","count":1,"names":["bob"]}],"reply_count":3}`},
		{NewEdited(edit),
			`{"type":"edited","room":"general","seq":43,"log_seq":46,"from":"alice","text":"yes, @bob","time":"2026-11-26T13:40:02.501Z","mentions":[{"user":"bob","name":"bob"}],"client_id":"e-1"}`},
		{NewDeleted(del),
			`{"type":"deleted","room":"general","seq":44,"log_seq":47,"from":"mod","time":"2026-11-26T13:40:02.501Z"}`},
		{NewReacted([]*hubbub.Entry{r1}),
			`{"type":"reacted","room":"general","log_seq":48,"changes":[{"log_seq":48,"seq":43,"emoji":"👍","from":"bob","added":true,"count":1}]}`},
		{NewReacted([]*hubbub.Entry{r1, r2}),
			`{"type":"reacted","room":"general","log_seq":49,"changes":[{"log_seq":48,"seq":43,"emoji":"👍","from":"bob","added":true,"count":1},{"log_seq":49,"seq":45,"emoji":":tada:","from":"ann","added":false,"count":0}]}`},
		{NewRevisions("general", 43, []hubbub.Revision{{Text: "yes!", Time: at}, {Text: "yes, @bob", Time: at.Add(time.Minute)}}),
			`{"type":"revisions","room":"general","seq":43,"revisions":[{"text":"yes!","time":"2026-11-26T13:40:02.501Z"},{"text":"yes, @bob","time":"2026-11-26T13:41:02.501Z"}]}`},
		{NewRevisions("general", 43, nil),
			`{"type":"revisions","room":"general","seq":43,"revisions":[]}`},
		{NewAck(edit, false),
			`{"type":"ack","room":"general","id":"e-1","seq":46,"msg_id":"01HK","time":"2026-11-26T13:40:02.501Z","duplicate":false,"target":43}`},
		{NewAck(m, true),
			`{"type":"ack","room":"general","id":"c-1","seq":43,"msg_id":"01HG","time":"2026-11-26T13:40:02.501Z","duplicate":true}`},
		{NewAck(d, false),
			`{"type":"ack","room":"general","seq":44,"msg_id":"01HH","time":"2026-11-26T13:40:02.501Z","duplicate":false}`},
		{History{Type: TypeHistory, Room: "general", Messages: []Message{NewMessageAt(m, ""), NewMessageAt(d, "")}, More: true},
			`{"type":"history","room":"general","messages":[{"type":"message","room":"general","seq":43,"id":"01HG","from":"alice","text":"yes!\n\u003c\u0026\u003e\"","time":"2026-11-26T13:40:02.501Z","client_id":"c-1"},{"type":"message","room":"general","seq":44,"id":"01HH","from":"bob","text":"","time":"2026-11-26T13:40:02.501Z","deleted":true}],"more":true}`},
		{History{Type: TypeHistory, Room: "general", Messages: []Message{}},
			`{"type":"history","room":"general","messages":[],"more":false}`},
		{NewWho("general", []string{"bob"}),
			`{"type":"members","room":"general","members":["bob"]}`},
		{Members{Type: TypeMembers, Room: "eng", Members: []RoomMember{{User: "u_1", Name: "bob", Role: "owner", State: "offline", LastSeen: Time{Time: at}},
			{User: "u_2", Name: "cy", Role: "member", Invited: true}}, Next: "u_2"},
			`{"type":"members","room":"eng","members":[{"user":"u_1","name":"bob","role":"owner","state":"offline","last_seen":"2026-11-26T13:40:02.501Z"},{"user":"u_2","name":"cy","role":"member","invited":true}],"next":"u_2"}`},
		{NewTopicChanged(&hubbub.Entry{Room: "eng", Seq: 9, From: "ann", User: "u_a", Kind: hubbub.KindTopic, Text: "plans \"Q3\"", Time: at}),
			`{"type":"topic_changed","room":"eng","log_seq":9,"from":"ann","user":"u_a","topic":"plans \"Q3\"","time":"2026-11-26T13:40:02.501Z"}`},
		{NewMemberChanged(&hubbub.Entry{Room: "eng", Seq: 10, From: "ann", User: "u_a", Kind: hubbub.KindMember, Subject: "u_b",
			SubjectName: "bob", Action: hubbub.MemberRole, Role: hubbub.RoomModerator, Time: at}),
			`{"type":"member_changed","room":"eng","log_seq":10,"from":"ann","user":"u_a","subject":"u_b","subject_name":"bob","action":"role","role":"moderator","time":"2026-11-26T13:40:02.501Z"}`},
		{Room{Type: TypeRoom, MyRoom: NewMyRoom(&hubbub.MyRoom{RoomMeta: hubbub.RoomMeta{Name: "dm.ab", Private: true, DM: true, CreatedBy: "u_a",
			Created: at, Members: 2, LastSeq: 7, LastActivity: at}, Role: hubbub.RoomMember, Invited: true, ReadSeq: 3, Unread: 4, Mentions: 1, People: []string{"bob"}})},
			`{"type":"room","room":"dm.ab","private":true,"dm":true,"created_by":"u_a","created":"2026-11-26T13:40:02.501Z","members":2,"last_seq":7,"last_activity":"2026-11-26T13:40:02.501Z","role":"member","invited":true,"read_seq":3,"unread":4,"mentions":1,"people":["bob"]}`},
		{NewRooms([]hubbub.MyRoom{{RoomMeta: hubbub.RoomMeta{Name: "eng", Topic: "t"}}}),
			`{"type":"rooms","rooms":[{"room":"eng","topic":"t","members":0,"last_seq":0,"role":"member","read_seq":0,"unread":0,"mentions":0}]}`},
		{NewRooms(nil), `{"type":"rooms","rooms":[]}`},
		{Directory{Type: TypeDirectory, Rooms: []RoomMeta{{Room: "eng", Members: 3, LastSeq: 9}}, Next: "eng"},
			`{"type":"directory","rooms":[{"room":"eng","members":3,"last_seq":9}],"next":"eng"}`},
		{Unroom{Type: TypeUnroom, Room: "eng"}, `{"type":"unroom","room":"eng"}`},
		{Read{Type: TypeRead, Room: "eng", Seq: 42}, `{"type":"read","room":"eng","seq":42}`},
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
