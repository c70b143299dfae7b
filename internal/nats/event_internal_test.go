package nats

import (
	"encoding/json"
	"reflect"
	"testing"

	"hubbub"
	"hubbub/internal/eventtest"
)

// previousWire is each kind as the version before kinds became types (hubbub.Event with a Kind
// field, marshalled as is) put it on the bus, produced by that version's code from the samples of
// eventtest.Every("r", "n"). Nodes of both versions must read each other's events during a
// rolling upgrade, so the encoding of every kind is checked against it, byte for byte; a new
// kind has no entry and fails here until it is given its tag (and an entry: its encoding).
//
// The entries of the room log other than a plain message did not exist then: theirs (under
// "new in the room log") are this version's, pinned so that a change to them is deliberate. A
// message with the room log's fields keeps tag 1, which the version before reads as a message
// (it ignores the fields it does not know); the other kinds of entry have tag 10, which it drops.
var previousWire = map[string]string{
	"EntryAppended": `{"kind":1,"room":"r","message":{"room":"r","seq":9007199254740999,"id":"01JABCDEF-id","client_id":"client-key-1","from":"Zoë 😀","text":"quotes \" backslash \\ \u003cb\u003e\u0026amp;\u003c/b\u003e line\u2028sep ünïcödé 漢字\nsecond line","time":"2026-02-03T04:05:06.123456789Z","deleted":true},"node":"n"}`,
	// order (on a join, a leave and a statement) is new with presence events' order; the
	// previous version reads past it (encoding/json) and applies them as they come
	"MemberJoined": `{"kind":2,"room":"r","name":"Zoë 😀","state":"away","node":"n","order":1152921504606846977}`,
	// renamed is new with renames while connected, moderation and by with leaves that say a
	// kick or ban, api and sanction_seq with leaves that say the server API's and the ban's
	// entry; the previous version reads past them (a leave)
	"MemberLeft":   `{"kind":3,"room":"r","name":"bob","renamed":"Bob ✨","moderation":"ban","node":"n","by":"Mod ✨","api":true,"sanction_seq":9007199254740998,"order":1152921504606846978}`,
	"MemberTyping": `{"kind":4,"room":"r","name":"carol","node":"n"}`,
	// away is new with away across nodes; the previous version reads past it (encoding/json)
	"PresenceReported": `{"kind":5,"room":"r","names":["Zoë 😀","bob",""],"away":["bob"],"node":"n","order":1152921504606846979}`,
	// queried is new with the presence channel; the previous version reads past it
	"PresenceRequested": `{"kind":6,"room":"r","node":"n","queried":true}`,
	// by and until are new with kicks and bans that name their moderator, api with kicks
	// that say the server API's; the previous version reads past them (its members are told
	// "by a moderator", as before)
	"MemberKicked":    `{"kind":7,"room":"r","name":"eve","node":"n","reason":"spam \"quoted\"","by":"Mod ✨","api":true,"until":"2026-02-03T05:00:00Z"}`,
	"SanctionChanged": `{"kind":8,"room":"r","name":"eve","node":"n","by":"Mod ✨","sanction":{"room":"r","user":"u_e5e","name":"eve","kind":"ban","until":"2026-02-03T05:00:00.123Z","by":"mod","reason":"spam"}}`,

	// new in the room log
	"EntryAppended/reply":    `{"kind":1,"room":"r","message":{"room":"r","seq":9007199254741000,"id":"01JABCDEF-reply","client_id":"client-key-2","from":"bob","user":"u_b0b","bot":true,"text":"@Zoë 😀 and @room: \"yes\"\n漢字","time":"2026-02-03T04:05:07.123456789Z","reply_to":9007199254740999,"mentions":[{"user":"Zoë 😀","name":"Zoë 😀"},{"user":"u_c4r","name":"carol","reply":true}],"mention_room":true,"attachments":[{"id":"f_1","name":"Zoë's \"plan\" 漢字.png","type":"image/png","size":1099511627777,"width":640,"height":480,"thumb":true},{"id":"f_2","name":"notes.txt","type":"text/plain; charset=utf-8","size":12}],"edited_at":"2026-02-03T04:05:08.123456789Z","reactions":[{"emoji":"👍🏽","count":4,"names":["Zoë 😀","bob","carol"],"me":true},{"emoji":":tada:","count":1,"names":["eve"]}],"reply_count":2},"node":"n"}`,
	"EntryAppended/edit":     `{"kind":10,"room":"r","message":{"room":"r","seq":9007199254741001,"id":"01JABCDEF-edit","client_id":"client-key-3","from":"bob","kind":"edit","text":"@Zoë 😀 \"no\"\nline","time":"2026-02-03T04:05:09.123456789Z","mentions":[{"user":"Zoë 😀","name":"Zoë 😀"}],"target":9007199254741000},"node":"n"}`,
	"EntryAppended/delete":   `{"kind":10,"room":"r","message":{"room":"r","seq":9007199254741002,"id":"01JABCDEF-delete","client_id":"client-key-4","from":"mod","kind":"delete","text":"","time":"2026-02-03T04:05:10.123456789Z","target":9007199254740999,"moderator":true},"node":"n"}`,
	"EntryAppended/reaction": `{"kind":10,"room":"r","message":{"room":"r","seq":9007199254741003,"id":"01JABCDEF-reaction","client_id":"client-key-5","from":"carol","kind":"reaction","text":"","time":"2026-02-03T04:05:11.123456789Z","target":9007199254741000,"emoji":"👍🏽","added":true,"count":4},"node":"n"}`,
	// new with rooms' metadata (tag 11), and the user id on entries and sanctions
	"EntryAppended/topic":  `{"kind":11,"room":"r","message":{"room":"r","seq":9007199254741004,"id":"01JABCDEF-topic","client_id":"client-key-6","from":"mod","user":"u_m0d","kind":"topic","text":"plans for \"Q3\" 漢字","time":"2026-02-03T04:05:12.123456789Z"},"node":"n"}`,
	"EntryAppended/member": `{"kind":11,"room":"r","message":{"room":"r","seq":9007199254741005,"id":"01JABCDEF-member","client_id":"client-key-7","from":"mod","user":"u_m0d","kind":"member","text":"","time":"2026-02-03T04:05:13.123456789Z","subject":"u_e5e","subject_name":"eve","action":"role","role":"owner","auto":true},"node":"n"}`,
	// new with sanctions as entries of the log: a room change (tag 11), which the version
	// before drops (its kind is no room change there)
	"EntryAppended/sanction": `{"kind":11,"room":"r","message":{"room":"r","seq":9007199254741006,"id":"01JABCDEF-sanction","from":"mod","user":"u_m0d","kind":"sanction","text":"spam \"quoted\" 漢字","time":"2026-02-03T04:05:14.123456789Z","subject":"u_e5e","subject_name":"eve","action":"ban","until":"2026-02-03T05:00:00.123Z"},"node":"n"}`,
	// new with user channels (tag 12); the room's banned is new with bans that keep a member out
	// of the room's reads (a node of the version before reads past it, encoding/json)
	"UserNotified": `{"kind":12,"room":"r","node":"n","notice":{"user":"u_e5e","room":"dm.0123abcd","read":9007199254741001,"listed":{"room":"dm.0123abcd","topic":"\"Q3\" 漢字","private":true,"dm":true,"created_by":"u_m0d","created":"2026-02-03T04:05:06.123456789Z","members":2,"last_seq":9007199254741005,"last_activity":"2026-02-03T04:05:13.123456789Z","role":"owner","invited":true,"read_seq":9007199254741001,"unread":4,"mentions":1,"people":["Zoë 😀"],"banned":true},"unlisted":true,"skip":"n/7","notice":{"room":"dm.0123abcd","command":"deploy","id":"c-1","kind":"answer","text":"done \"ok\" 漢字","from":"deploybot"}}}`,
	"BotChanged":   `{"kind":13,"room":"r","name":"u_b0t 漢字","node":"n"}`,
	// new with the store cache's generations (tag 14)
	"StoreChanged": `{"kind":14,"room":"r","node":"n"}`,
	// new with the presence channel (tags 15 to 17)
	"PresenceQueried": `{"kind":15,"room":"r","name":"team.dev-1","node":"n"}`,
	"AbsenceReported": `{"kind":16,"room":"r","node":"n"}`,
	// its order (Started) is new with presence events' order
	"NodeAnnounced": `{"kind":17,"room":"r","names":["node-1","10.0.0.7:3434","Zoë 😀"],"node":"n","hello":true,"leaving":true,"order":1152921504606846980}`,
}

// Every kind encodes as the previous version did, and decodes back to the event it was.
func TestEventEncodingMatchesPreviousVersion(t *testing.T) {
	evs := eventtest.Every("r", "n")
	eventtest.CheckEvery(t, evs)
	for _, ev := range evs {
		kind := eventtest.Name(ev)
		data, err := encodeEvent(ev)
		if err != nil {
			t.Errorf("%s: encode: %v", kind, err)
			continue
		}
		want, ok := previousWire[kind]
		if !ok {
			t.Errorf("%s has no expected encoding: add it to previousWire", kind)
		} else if string(data) != want {
			t.Errorf("%s encodes as\n%s\nwant\n%s", kind, data, want)
		}
		// The previous version's bytes decode to the event (decoding our own is the
		// brokertest round trip).
		got, err := decodeEvent([]byte(want))
		if err != nil {
			t.Errorf("%s: decode %s: %v", kind, want, err)
			continue
		}
		if !reflect.DeepEqual(got, ev) {
			t.Errorf("%s decodes as %+v, want %+v", kind, got, ev)
		}
	}
}

// A kind this node does not know (a newer node's) and a body missing what its kind needs are
// refused, not delivered half-understood.
func TestDecodeEventRefuses(t *testing.T) {
	for _, data := range []string{
		`{"kind":200,"room":"r","node":"newer"}`,
		`{"room":"r","node":"n"}`,
		`{"kind":1,"room":"r","node":"n"}`,
		`{"kind":8,"room":"r","name":"eve","node":"n"}`,
		`{"kind":10,"room":"r","node":"n"}`,
		`{"kind":12,"room":"r","node":"n"}`,
		`{"kind":15,"room":"~presence","node":"n"}`, // a question about no room
		`{"kind":10,"room":"r","node":"n","message":{"room":"r","seq":2,"from":"x","text":"a message under the tag of changes"}}`,
		`{"kind":1,"room":"r","node":"n","message":{"room":"r","seq":2,"from":"x","kind":"edit","target":1}}`,
		`{"kind":11,"room":"r","node":"n","message":{"room":"r","seq":2,"from":"x","kind":"edit","target":1}}`,
		`{"kind":10,"room":"r","node":"n","message":{"room":"r","seq":2,"from":"x","kind":"topic","text":"t"}}`,
		`{"kind":9,"room":"r","node":"old","seq":5}`, // a delete of the version before: retired
		`{"kind":"typing","room":"r"}`,
	} {
		if ev, err := decodeEvent([]byte(data)); err == nil {
			t.Errorf("decodeEvent(%s) = %+v, want an error", data, ev)
		}
	}
	if _, err := decodeEvent([]byte(`{"kind":200,"room":"r"}`)); err != errUnknownKind(200) {
		t.Errorf("decodeEvent of kind 200: err = %v, want errUnknownKind(200)", err)
	}
}

// A kick and a leave of a node from before api and sanction_seq decode as they did: a
// moderator's kick (API false), a leave matched to no entry (Sanction 0). The node sends
// them during a rolling upgrade; the fields' absence is not an error.
func TestKicksAndLeavesOfNodesBeforeTheAPIFlagDecode(t *testing.T) {
	kick, err := decodeEvent([]byte(`{"kind":7,"room":"r","name":"eve","node":"old","reason":"spam"}`))
	if err != nil {
		t.Fatalf("an older node's kick: %v", err)
	}
	if want := (hubbub.MemberKicked{Name: "eve", Reason: "spam"}); kick.Body != want {
		t.Errorf("an older node's kick decodes as %+v, want %+v", kick.Body, want)
	}
	leave, err := decodeEvent([]byte(`{"kind":3,"room":"r","name":"eve","moderation":"ban","node":"old","order":12}`))
	if err != nil {
		t.Fatalf("an older node's leave: %v", err)
	}
	if want := (hubbub.MemberLeft{Name: "eve", Moderation: "ban", Order: 12}); leave.Body != want {
		t.Errorf("an older node's leave decodes as %+v, want %+v", leave.Body, want)
	}
}

// A reply's mention of the author it answers (Mention.Reply, new with reply mentions) reaches a
// node of the version before as a mention: that version read an entry with mentions with
// encoding/json (fastDecode leaves lists to it), into a Mention of user and name only, and so
// reads past the mark. The mark is what this version adds; the mention is what both count.
func TestReplyMentionDecodesOnTheVersionBefore(t *testing.T) {
	var reply hubbub.Event
	for _, ev := range eventtest.Every("r", "n") {
		if eventtest.Name(ev) == "EntryAppended/reply" {
			reply = ev
		}
	}
	data, err := encodeEvent(reply)
	if err != nil {
		t.Fatal(err)
	}
	var before struct {
		Kind    int `json:"kind"`
		Message struct {
			Mentions []struct {
				User string `json:"user"`
				Name string `json:"name"`
			} `json:"mentions"`
		} `json:"message"`
	}
	if err := json.Unmarshal(data, &before); err != nil {
		t.Fatalf("the version before cannot read %s: %v", data, err)
	}
	if ms := before.Message.Mentions; before.Kind != 1 || len(ms) != 2 || ms[1].User != "u_c4r" || ms[1].Name != "carol" {
		t.Errorf("the version before reads %+v from %s", before, data)
	}
}
