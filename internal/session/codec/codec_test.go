package codec_test

import (
	"testing"
	"time"

	"hubbub"
	"hubbub/internal/eventtest"
	"hubbub/internal/hub"
	"hubbub/internal/session/codec"
)

// codecFrames is what each codec makes of each kind of event from eventtest.Every("r", "n"):
// the hubbub.v1 frame and the text-protocol line, "" for no frame. The entries were produced by
// the codecs as they were before the kinds became types, so the frames clients see are
// unchanged. A new kind has no entry and fails TestCodecsEncodeEveryKind until it is given one.
var codecFrames = map[string]struct{ json, text string }{
	"EntryAppended":     {`{"type":"message","room":"r","seq":9007199254740999,"id":"01JABCDEF-id","from":"Zoë 😀","text":"quotes \" backslash \\ \u003cb\u003e\u0026amp;\u003c/b\u003e line\u2028sep ünïcödé 漢字\nsecond line","time":"2026-02-03T04:05:06.123Z","client_id":"client-key-1","deleted":true}`, "Zoë 😀: quotes \" backslash \\ <b>&amp;</b> line\u2028sep ünïcödé 漢字 second line"},
	"MemberJoined":      {`{"type":"presence","room":"r","name":"Zoë 😀","event":"state","state":"away"}`, ""},
	"MemberLeft":        {`{"type":"presence","room":"r","name":"bob","event":"leave","renamed":"Bob ✨","moderation":"ban","by":"Mod ✨","api":true,"sanction_seq":9007199254740998}`, ""},
	"MemberTyping":      {`{"type":"typing","room":"r","name":"carol"}`, ""},
	"PresenceReported":  {"", ""},
	"PresenceRequested": {"", ""},
	"PresenceQueried":   {"", ""},
	"AbsenceReported":   {"", ""},
	"NodeAnnounced":     {"", ""},
	// the sample is a ban's kick (it has an Until): the message says so, as it always has,
	// and by, until and reason say it apart
	"MemberKicked": {`{"type":"error","code":"kicked","message":"you were removed from room \"r\" by a server admin: banned until 2026-02-03T05:00:00Z: spam \"quoted\"","room":"r","by":"Mod ✨","until":"2026-02-03T05:00:00.000Z","reason":"spam \"quoted\"","api":true}`, "error: you were removed from room \"r\" by a server admin: banned until 2026-02-03T05:00:00Z: spam \"quoted\""},
	// To the room's moderators who asked (hub.WatchSanctions); the sample's Until is past, a
	// lift: no until.
	"SanctionChanged": {`{"type":"sanction_changed","room":"r","action":"unban","user":"u_e5e","name":"eve"}`, ""},
	"BotChanged":      {"", ""},
	"StoreChanged":    {"", ""},
	"UserNotified":    {`{"type":"room","room":"dm.0123abcd","topic":"\"Q3\" 漢字","private":true,"dm":true,"created_by":"u_m0d","created":"2026-02-03T04:05:06.123Z","members":2,"last_seq":9007199254741005,"last_activity":"2026-02-03T04:05:13.123Z","role":"owner","invited":true,"read_seq":9007199254741001,"unread":4,"mentions":1,"people":["Zoë 😀"]}`, ""},

	// new in the room log
	"EntryAppended/reply":    {`{"type":"message","room":"r","seq":9007199254741000,"id":"01JABCDEF-reply","from":"bob","user":"u_b0b","text":"@Zoë 😀 and @room: \"yes\"\n漢字","time":"2026-02-03T04:05:07.123Z","bot":true,"client_id":"client-key-2","reply_to":9007199254740999,"mentions":[{"user":"Zoë 😀","name":"Zoë 😀"},{"user":"u_c4r","name":"carol","reply":true}],"mention_room":true,"edited_at":"2026-02-03T04:05:08.123Z","reactions":[{"emoji":"👍🏽","count":4,"names":["Zoë 😀","bob","carol"],"me":true},{"emoji":":tada:","count":1,"names":["eve"]}],"reply_count":2,"attachments":[{"id":"f_1","name":"Zoë's \"plan\" 漢字.png","type":"image/png","size":1099511627777,"width":640,"height":480,"thumb":true,"url":"/files/f_1/Zo%C3%AB%27s%20%22plan%22%20%E6%BC%A2%E5%AD%97.png","thumb_url":"/files/f_1/thumb"},{"id":"f_2","name":"notes.txt","type":"text/plain; charset=utf-8","size":12,"url":"/files/f_2/notes.txt"}]}`, "bob (bot): @Zoë 😀 and @room: \"yes\" 漢字 [file: Zoë's \"plan\" 漢字.png /files/f_1/Zo%C3%AB%27s%20%22plan%22%20%E6%BC%A2%E5%AD%97.png] [file: notes.txt /files/f_2/notes.txt]"},
	"EntryAppended/edit":     {`{"type":"edited","room":"r","seq":9007199254741000,"log_seq":9007199254741001,"from":"bob","text":"@Zoë 😀 \"no\"\nline","time":"2026-02-03T04:05:09.123Z","mentions":[{"user":"Zoë 😀","name":"Zoë 😀"}],"client_id":"client-key-3"}`, "bob (edit): @Zoë 😀 \"no\" line"},
	"EntryAppended/delete":   {`{"type":"deleted","room":"r","seq":9007199254740999,"log_seq":9007199254741002,"from":"mod","time":"2026-02-03T04:05:10.123Z"}`, ""},
	"EntryAppended/reaction": {`{"type":"reacted","room":"r","log_seq":9007199254741003,"changes":[{"log_seq":9007199254741003,"seq":9007199254741000,"emoji":"👍🏽","from":"carol","added":true,"count":4}]}`, ""},
	// Room changes (issue 16): the text protocol shows a topic as a notice, no membership.
	"EntryAppended/topic":  {`{"type":"topic_changed","room":"r","log_seq":9007199254741004,"from":"mod","user":"u_m0d","topic":"plans for \"Q3\" 漢字","time":"2026-02-03T04:05:12.123Z","client_id":"client-key-6"}`, "* mod set the topic: plans for \"Q3\" 漢字"},
	"EntryAppended/member": {`{"type":"member_changed","room":"r","log_seq":9007199254741005,"from":"mod","user":"u_m0d","subject":"u_e5e","subject_name":"eve","action":"role","role":"owner","auto":true,"time":"2026-02-03T04:05:13.123Z","client_id":"client-key-7"}`, ""},
	// A sanction is a room change too (session 34); the text protocol does not show it.
	"EntryAppended/sanction": {`{"type":"sanction_changed","room":"r","log_seq":9007199254741006,"action":"ban","user":"u_e5e","name":"eve","until":"2026-02-03T05:00:00.123Z","from":"mod","reason":"spam \"quoted\" 漢字","time":"2026-02-03T04:05:14.123Z"}`, ""},
}

// Every kind of event gets the frame each codec is meant to give it, or none.
func TestCodecsEncodeEveryKind(t *testing.T) {
	evs := eventtest.Every("r", "n")
	eventtest.CheckEvery(t, evs)
	for _, ev := range evs {
		kind := eventtest.Name(ev)
		want, ok := codecFrames[kind]
		if !ok {
			t.Errorf("%s: no expected frames: add it to codecFrames", kind)
			continue
		}
		for _, c := range []struct {
			codec hub.Codec
			want  string
		}{{codec.JSONCodec{}, want.json}, {codec.TextCodec{}, want.text}} {
			got := c.codec.Encode(&hub.Envelope{Event: ev})
			switch {
			case c.want == "" && got != nil:
				t.Errorf("%T encodes %s as %q, want no frame", c.codec, kind, got)
			case c.want != "" && string(got) != c.want:
				t.Errorf("%T encodes %s as\n%s\nwant\n%s", c.codec, kind, got, c.want)
			}
		}
	}
}

// Each kind of log entry gets its frame: a message with the state it carries, an edit as
// edited, a delete as deleted, a reaction as reacted with one change; the text protocol shows
// messages and edits only.
func TestCodecsEncodeEveryEntryKind(t *testing.T) {
	at := time.Date(2026, 2, 3, 4, 5, 6, 0, time.UTC)
	cases := []struct {
		name       string
		entry      hubbub.Entry
		json, text string
	}{
		{"message", hubbub.Entry{Room: "r", Seq: 5, ID: "m5", From: "ann", Text: "hi @bob\nthere", Time: at, ReplyTo: 2,
			Mentions: []hubbub.Mention{{User: "bob", Name: "bob"}}, EditedAt: at.Add(time.Second), ReplyCount: 1,
			Reactions: []hubbub.Reaction{{Emoji: "👍", Count: 1, Names: []string{"cy"}, Me: true}}},
			`{"type":"message","room":"r","seq":5,"id":"m5","from":"ann","text":"hi @bob\nthere","time":"2026-02-03T04:05:06.000Z","reply_to":2,"mentions":[{"user":"bob","name":"bob"}],"edited_at":"2026-02-03T04:05:07.000Z","reactions":[{"emoji":"👍","count":1,"names":["cy"],"me":true}],"reply_count":1}`,
			"ann: hi @bob there"},
		{"edit", hubbub.Entry{Room: "r", Seq: 6, ID: "e6", From: "ann", Kind: hubbub.KindEdit, Target: 5, Text: "hello\nagain", Time: at, ClientID: "c"},
			`{"type":"edited","room":"r","seq":5,"log_seq":6,"from":"ann","text":"hello\nagain","time":"2026-02-03T04:05:06.000Z","client_id":"c"}`,
			"ann (edit): hello again"},
		{"delete", hubbub.Entry{Room: "r", Seq: 7, ID: "d7", From: "mod", Kind: hubbub.KindDelete, Target: 5, Time: at, Moderator: true},
			`{"type":"deleted","room":"r","seq":5,"log_seq":7,"from":"mod","time":"2026-02-03T04:05:06.000Z"}`, ""},
		{"reaction", hubbub.Entry{Room: "r", Seq: 8, ID: "x8", From: "bob", Kind: hubbub.KindReaction, Target: 5, Emoji: ":tada:", Added: true, Count: 2, Time: at},
			`{"type":"reacted","room":"r","log_seq":8,"changes":[{"log_seq":8,"seq":5,"emoji":":tada:","from":"bob","added":true,"count":2}]}`, ""},
		{"topic", hubbub.Entry{Room: "r", Seq: 9, ID: "t9", From: "ann", User: "u_a", Kind: hubbub.KindTopic, Text: "Q3\nplans", Time: at},
			`{"type":"topic_changed","room":"r","log_seq":9,"from":"ann","user":"u_a","topic":"Q3\nplans","time":"2026-02-03T04:05:06.000Z"}`,
			"* ann set the topic: Q3 plans"},
		{"topic cleared", hubbub.Entry{Room: "r", Seq: 10, ID: "t10", From: "ann", User: "u_a", Kind: hubbub.KindTopic, Time: at},
			`{"type":"topic_changed","room":"r","log_seq":10,"from":"ann","user":"u_a","topic":"","time":"2026-02-03T04:05:06.000Z"}`,
			"* ann cleared the topic"},
		{"member", hubbub.Entry{Room: "r", Seq: 11, ID: "m11", From: "ann", User: "u_a", Kind: hubbub.KindMember, Subject: "u_b", SubjectName: "bob",
			Action: hubbub.MemberRemove, Time: at},
			`{"type":"member_changed","room":"r","log_seq":11,"from":"ann","user":"u_a","subject":"u_b","subject_name":"bob","action":"remove","time":"2026-02-03T04:05:06.000Z"}`, ""},
	}
	for _, tc := range cases {
		ev := hubbub.Event{Room: "r", Body: hubbub.EntryAppended{Entry: &tc.entry}}
		if got := (codec.JSONCodec{}).Encode(&hub.Envelope{Event: ev}); string(got) != tc.json {
			t.Errorf("%s: json\n got %s\nwant %s", tc.name, got, tc.json)
		}
		got := (codec.TextCodec{}).Encode(&hub.Envelope{Event: ev})
		if tc.text == "" && got != nil || tc.text != "" && string(got) != tc.text {
			t.Errorf("%s: text got %q, want %q", tc.name, got, tc.text)
		}
	}
}

// A burst of reactions is one reacted frame listing every change in log order, log_seq the
// last; the text protocol shows nothing of it.
func TestCodecsEncodeAReactionBurstAsOneFrame(t *testing.T) {
	burst := []*hubbub.Entry{
		{Room: "r", Seq: 10, From: "ann", Kind: hubbub.KindReaction, Target: 3, Emoji: "👍", Added: true, Count: 1},
		{Room: "r", Seq: 11, From: "bob", Kind: hubbub.KindReaction, Target: 3, Emoji: "👍", Added: true, Count: 2},
		{Room: "r", Seq: 12, From: "ann", Kind: hubbub.KindReaction, Target: 4, Emoji: "🎉", Added: false, Count: 0},
	}
	e := &hub.Envelope{Event: hubbub.Event{Room: "r", Body: hubbub.EntryAppended{Entry: burst[2]}}, Reactions: burst}
	want := `{"type":"reacted","room":"r","log_seq":12,"changes":[` +
		`{"log_seq":10,"seq":3,"emoji":"👍","from":"ann","added":true,"count":1},` +
		`{"log_seq":11,"seq":3,"emoji":"👍","from":"bob","added":true,"count":2},` +
		`{"log_seq":12,"seq":4,"emoji":"🎉","from":"ann","added":false,"count":0}]}`
	if got := (codec.JSONCodec{}).Encode(e); string(got) != want {
		t.Errorf("burst:\n got %s\nwant %s", got, want)
	}
	if got := (codec.TextCodec{}).Encode(e); got != nil {
		t.Errorf("text protocol shows a reaction burst as %q", got)
	}
}

// A message's attachments are served under the codec's files base: the same URLs for every
// reader, whoever reads; a file with no thumbnail has no thumb_url; the text protocol shows
// each after the text, and a message of files alone as its files.
func TestCodecsEncodeAttachmentsUnderTheFilesBase(t *testing.T) {
	at := time.Date(2026, 2, 3, 4, 5, 6, 0, time.UTC)
	m := hubbub.Entry{Room: "r", Seq: 5, ID: "m5", From: "ann", Time: at, Attachments: []hubbub.Attachment{
		{ID: "f_a", Name: "cat 1.jpg", Type: "image/jpeg", Size: 900, Width: 3, Height: 2, Thumb: true},
		{ID: "f_b", Name: "a/b?.pdf", Type: "application/pdf", Size: 10}}}
	ev := &hub.Envelope{Event: hubbub.Event{Room: "r", Body: hubbub.EntryAppended{Entry: &m}}}
	want := `{"type":"message","room":"r","seq":5,"id":"m5","from":"ann","text":"","time":"2026-02-03T04:05:06.000Z","attachments":[` +
		`{"id":"f_a","name":"cat 1.jpg","type":"image/jpeg","size":900,"width":3,"height":2,"thumb":true,"url":"https://files.example/files/f_a/cat%201.jpg","thumb_url":"https://files.example/files/f_a/thumb"},` +
		`{"id":"f_b","name":"a/b?.pdf","type":"application/pdf","size":10,"url":"https://files.example/files/f_b/a%2Fb%3F.pdf"}]}`
	if got := (codec.JSONCodec{FilesURL: "https://files.example/"}).Encode(ev); string(got) != want {
		t.Errorf("json\n got %s\nwant %s", got, want)
	}
	wantText := "ann: [file: cat 1.jpg /files/f_a/cat%201.jpg] [file: a/b?.pdf /files/f_b/a%2Fb%3F.pdf]"
	if got := (codec.TextCodec{}).Encode(ev); string(got) != wantText {
		t.Errorf("text\n got %q\nwant %q", got, wantText)
	}
}
