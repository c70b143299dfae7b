package session_test

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"hubbub"
	"hubbub/internal/server"
	"hubbub/internal/servertest"
)

// request sends f, which carries an id, and returns its answer: the ack or the error naming
// that id.
func request(c *servertest.JSONClient, f servertest.Frame) servertest.Frame {
	id := f["id"].(string)
	c.Send(f)
	return c.AwaitFunc(f.Type()+" "+id+" answered", func(g servertest.Frame) bool {
		return (g.Type() == "ack" || g.Type() == "error") && g.Str("id") == id
	})
}

func edit(c *servertest.JSONClient, room string, seq uint64, id, text string) servertest.Frame {
	return request(c, servertest.Frame{"type": "edit", "room": room, "seq": seq, "id": id, "text": text})
}

func react(c *servertest.JSONClient, room string, seq uint64, id, emoji string) servertest.Frame {
	return request(c, servertest.Frame{"type": "react", "room": room, "seq": seq, "id": id, "emoji": emoji})
}

func del(c *servertest.JSONClient, room string, seq uint64, id string) servertest.Frame {
	return request(c, servertest.Frame{"type": "delete", "room": room, "seq": seq, "id": id})
}

// reply sends text to room in answer to message parent and returns the ack or error.
func reply(c *servertest.JSONClient, room string, parent uint64, id, text string) servertest.Frame {
	return request(c, servertest.Frame{"type": "send", "room": room, "id": id, "text": text, "reply_to": parent})
}

// wantAck fails t unless f is an ack of a new entry numbered seq that changed message target.
func wantAck(t *testing.T, what string, f servertest.Frame, seq, target uint64) {
	t.Helper()
	if f.Type() != "ack" || f.Num("seq") != seq || f.Num("target") != target || f["duplicate"] != false {
		t.Fatalf("%s: got %v, want ack seq %d target %d", what, f, seq, target)
	}
}

// wantError fails t unless f is an error with code that names its request.
func wantError(t *testing.T, what string, f servertest.Frame, code string) {
	t.Helper()
	if f.Type() != "error" || f.Str("code") != code || f.Str("request") == "" || f.Str("message") == "" {
		t.Fatalf("%s: got %v, want error %s naming the request", what, f, code)
	}
}

// historyOf returns the messages of a history page of room read by c (extra: more fields).
func historyOf(c *servertest.JSONClient, room string, extra servertest.Frame) (servertest.Frame, []servertest.Frame) {
	f := servertest.Frame{"type": "history", "room": room}
	for k, v := range extra {
		f[k] = v
	}
	c.Send(f)
	page := c.Await("history")
	var msgs []servertest.Frame
	for _, m := range page["messages"].([]any) {
		msgs = append(msgs, servertest.Frame(m.(map[string]any)))
	}
	return page, msgs
}

// awaitChange returns the next frame of c of one of the types, skipping nothing else: frames
// of other types stay for later calls.
func awaitChange(c *servertest.JSONClient, types ...string) servertest.Frame {
	return c.AwaitFunc(strings.Join(types, " or "), func(f servertest.Frame) bool { return slices.Contains(types, f.Type()) })
}

// reactionChanges returns the next n reaction changes c is told of, whether they come one per
// reacted frame or several in one (a burst).
func reactionChanges(c *servertest.JSONClient, n int) []map[string]any {
	var out []map[string]any
	for len(out) < n {
		f := c.Await("reacted")
		for _, ch := range f["changes"].([]any) {
			out = append(out, ch.(map[string]any))
		}
		if last := out[len(out)-1]; last["log_seq"] != f["log_seq"] {
			panic(fmt.Sprintf("reacted frame %v: log_seq is not its last change's", f))
		}
	}
	return out
}

func TestEditBySenderOnly(t *testing.T) {
	s := servertest.Start(t, servertest.Options{Server: server.Config{MaxText: 20}})
	ann, bob := servertest.DialJSON(t, s, "ann"), servertest.DialJSON(t, s, "bob")
	ann.Join("r", nil)
	bob.Join("r", nil)
	ann.Say("r", "m1", "hello")
	bob.Messages("r", 1)

	wantAck(t, "edit", edit(ann, "r", 1, "e1", "hello\r\n@bob"), 2, 1)
	ed := bob.Await("edited")
	if ed.Num("seq") != 1 || ed.Num("log_seq") != 2 || ed.Str("from") != "ann" || ed.Str("text") != "hello\n@bob" ||
		ed.Str("time") == "" || fmt.Sprint(ed["mentions"]) != "[map[name:bob user:"+bob.User+"]]" {
		t.Fatalf("edited = %v", ed)
	}
	if _, msgs := historyOf(bob, "r", nil); msgs[0].Str("text") != "hello\n@bob" || msgs[0].Str("edited_at") != ed.Str("time") {
		t.Fatalf("history after the edit: %v, want the new text edited at %s", msgs[0], ed.Str("time"))
	}

	wantError(t, "edit of another's message", edit(bob, "r", 1, "e2", "mine now"), "forbidden")
	wantError(t, "edit of an unknown seq", edit(ann, "r", 99, "e3", "x"), "not_found")
	wantError(t, "edit to nothing", edit(ann, "r", 1, "e4", " \r\n "), "empty")
	wantError(t, "edit too long", edit(ann, "r", 1, "e5", strings.Repeat("x", 21)), "too_long")
	wantError(t, "edit in a room not joined", edit(ann, "elsewhere", 1, "e6", "x"), "not_joined")
	wantError(t, "edit of the edit entry", edit(ann, "r", 2, "e7", "x"), "not_found")

	// None of the refused edits reached bob: the next change he sees is ann's next message.
	ann.Say("r", "m2", "end")
	if f := awaitChange(bob, "edited", "message"); f.Type() != "message" || f.Str("text") != "end" || f.Num("seq") != 3 {
		t.Fatalf("after the refused edits bob got %v", f)
	}
}

func TestDeleteByAuthorOrModerator(t *testing.T) {
	s := startModerated(t)
	ann, bob := servertest.DialJSON(t, s, "ann"), servertest.DialJSON(t, s, "bob")
	mod, cy := servertest.DialJSON(t, s, "mod"), servertest.DialJSON(t, s, "cy")
	ann.Join("r", nil)
	bob.Join("r", nil)
	ann.Say("r", "m1", "ann's")
	bob.Say("r", "m2", "bob's")
	bob.Messages("r", 2)

	wantError(t, "a member deletes another's message", del(bob, "r", 1, "d1"), "forbidden")
	wantAck(t, "the sender deletes", del(ann, "r", 1, "d2"), 3, 1)
	if m := ann.Await("moderated"); m.Str("action") != "delete" || m.Num("seq") != 1 {
		t.Fatalf("moderated = %v", m)
	}
	if d := bob.Await("deleted"); d.Num("seq") != 1 || d.Num("log_seq") != 3 || d.Str("from") != "ann" || d.Str("time") == "" {
		t.Fatalf("deleted = %v", d)
	}
	// A moderator deletes anyone's message, in a room it has not joined.
	wantAck(t, "a moderator deletes", del(mod, "r", 2, "d3"), 4, 2)
	mod.Await("moderated")
	if d := bob.Await("deleted"); d.Num("seq") != 2 || d.Num("log_seq") != 4 || d.Str("from") != "mod" {
		t.Fatalf("deleted = %v", d)
	}
	wantError(t, "delete of an unknown seq", del(ann, "r", 77, "d4"), "not_found")
	wantError(t, "a member deletes in a room not joined", del(cy, "r", 2, "d5"), "not_joined")

	_, msgs := historyOf(bob, "r", nil)
	for _, m := range msgs {
		if m["deleted"] != true || m.Str("text") != "" {
			t.Errorf("history after the deletes: %v, want a tombstone", m)
		}
	}
}

func TestReactTogglesAndNeedsTheRoom(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	ann, bob, cy := servertest.DialJSON(t, s, "ann"), servertest.DialJSON(t, s, "bob"), servertest.DialJSON(t, s, "cy")
	ann.Join("r", nil)
	bob.Join("r", nil)
	ann.Say("r", "m1", "react to me")

	wantAck(t, "react", react(bob, "r", 1, "x1", "👍"), 2, 1)
	ch := reactionChanges(ann, 1)[0]
	if ch["log_seq"] != 2.0 || ch["seq"] != 1.0 || ch["emoji"] != "👍" || ch["from"] != "bob" || ch["added"] != true || ch["count"] != 1.0 {
		t.Fatalf("change = %v", ch)
	}
	// The reader's own reactions say me.
	if _, msgs := historyOf(bob, "r", nil); fmt.Sprint(msgs[0]["reactions"]) != "[map[count:1 emoji:👍 me:true names:[bob]]]" {
		t.Fatalf("bob's history: %v", msgs[0])
	}
	if _, msgs := historyOf(ann, "r", nil); fmt.Sprint(msgs[0]["reactions"]) != "[map[count:1 emoji:👍 names:[bob]]]" {
		t.Fatalf("ann's history: %v", msgs[0])
	}
	// Reacting again takes it back.
	wantAck(t, "react again", react(bob, "r", 1, "x2", "👍"), 3, 1)
	if ch := reactionChanges(ann, 1)[0]; ch["added"] != false || ch["count"] != 0.0 || ch["log_seq"] != 3.0 {
		t.Fatalf("change = %v", ch)
	}

	wantError(t, "a word as emoji", react(bob, "r", 1, "x3", "hello"), "bad_field")
	wantError(t, "an emoji too long", react(bob, "r", 1, "x4", strings.Repeat("👍", 9)), "bad_field")
	wantError(t, "no emoji", request(bob, servertest.Frame{"type": "react", "room": "r", "seq": 1, "id": "x5"}), "missing_field")
	wantError(t, "an empty emoji", react(bob, "r", 1, "x5", ""), "bad_field")
	wantError(t, "an unknown seq", react(bob, "r", 42, "x6", "👍"), "not_found")
	wantError(t, "a room not joined", react(cy, "r", 1, "x7", "👍"), "not_joined")
}

// Resending an edit, a reaction or a delete with the same id stores nothing new and answers
// the first ack, duplicate; a second delete of a tombstone answers the first delete's.
func TestResentChangesAreStoredOnce(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	ann := servertest.DialJSON(t, s, "ann")
	ann.Join("r", nil)
	ann.Say("r", "m1", "one")
	for _, tc := range []struct {
		what string
		do   func() servertest.Frame
		seq  uint64
	}{
		{"edit", func() servertest.Frame { return edit(ann, "r", 1, "same-e", "two") }, 2},
		{"react", func() servertest.Frame { return react(ann, "r", 1, "same-r", "👍") }, 3},
		{"delete", func() servertest.Frame { return del(ann, "r", 1, "same-d") }, 4},
	} {
		wantAck(t, tc.what, tc.do(), tc.seq, 1)
		again := tc.do()
		if again.Type() != "ack" || again.Num("seq") != tc.seq || again.Num("target") != 1 || again["duplicate"] != true {
			t.Fatalf("%s resent: %v, want the first ack (seq %d), duplicate", tc.what, again, tc.seq)
		}
	}
	// The reaction was not toggled back by the resend.
	if _, msgs := historyOf(ann, "r", nil); fmt.Sprint(msgs[0]["reactions"]) != "[map[count:1 emoji:👍 me:true names:[ann]]]" {
		t.Fatalf("after a resent reaction: %v", msgs[0])
	}
	if again := del(ann, "r", 1, "other-d"); again.Type() != "ack" || again.Num("seq") != 4 || again["duplicate"] != true {
		t.Fatalf("a second delete of a tombstone: %v, want the first delete's ack, duplicate", again)
	}
	if j := servertest.DialJSON(t, s, "bob").Join("r", nil); j.Num("last_seq") != 4 {
		t.Fatalf("joined after the resends: %v, want last_seq 4 (nothing stored twice)", j)
	}
}

func TestRepliesAndThreadPages(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	ann, bob := servertest.DialJSON(t, s, "ann"), servertest.DialJSON(t, s, "bob")
	ann.Join("r", nil)
	bob.Join("r", nil)
	ann.Say("r", "p", "a question")
	for i, text := range []string{"answer one", "answer two", "answer three"} {
		if f := reply(bob, "r", 1, fmt.Sprint("a", i), text); f.Type() != "ack" || f.Num("seq") != uint64(i+2) {
			t.Fatalf("reply %d: %v", i, f)
		}
	}
	msgs := ann.Messages("r", 4)
	if msgs[1].Num("reply_to") != 1 || msgs[1].Str("text") != "answer one" {
		t.Fatalf("reply = %v", msgs[1])
	}
	if _, page := historyOf(ann, "r", nil); page[0].Num("reply_count") != 3 || page[1].Num("reply_count") != 0 || page[1].Num("reply_to") != 1 {
		t.Fatalf("history: %v", page)
	}
	page, thread := historyOf(ann, "r", servertest.Frame{"thread": 1, "limit": 2})
	if page.Num("thread") != 1 || page["more"] != true || len(thread) != 2 || thread[0].Num("seq") != 2 || thread[1].Num("seq") != 3 {
		t.Fatalf("thread page: %v", page)
	}
	page, thread = historyOf(ann, "r", servertest.Frame{"thread": 1, "after": 3})
	if page["more"] != false || len(thread) != 1 || thread[0].Str("text") != "answer three" {
		t.Fatalf("thread after 3: %v", page)
	}
	if page, thread := historyOf(ann, "r", servertest.Frame{"thread": 2}); page.Num("thread") != 2 || len(thread) != 0 || page["more"] != false {
		t.Fatalf("thread of a message without replies: %v", page)
	}
	wantError(t, "reply to an unknown seq", reply(bob, "r", 99, "a9", "to nothing"), "not_found")
}

// A thread page names a message of the room: the thread of a seq that is no message (one the
// room never reached, one another room has, an edit's own seq) is not_found, as a reply to it
// is, rather than an empty page that reads as a message nobody answered. A deleted message's
// thread still pages, and so does a page past a thread's last reply.
func TestThreadOfNoMessageIsNotFound(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	ann := servertest.DialJSON(t, s, "ann")
	ann.Join("r", nil)
	ann.Join("other", nil)
	ann.Say("r", "p", "a question")                                    // 1
	wantAck(t, "a reply", reply(ann, "r", 1, "a1", "an answer"), 2, 0) // 2
	wantAck(t, "an edit", edit(ann, "r", 1, "e1", "the question"), 3, 1)
	for i := range 5 {
		ann.Say("other", fmt.Sprint("o", i), "elsewhere") // other's seqs 1 to 5
	}
	threadOf := func(room string, parent, after uint64) servertest.Frame {
		ann.Send(servertest.Frame{"type": "history", "room": room, "thread": parent, "after": after})
		return ann.AwaitFunc("the answer to a thread page", func(f servertest.Frame) bool {
			return f.Type() == "history" || f.Type() == "error" && f.Str("request") == "history"
		})
	}
	for _, tc := range []struct {
		what   string
		parent uint64
	}{{"a seq the room never reached", 99}, {"a seq of another room's message", 5}, {"an edit's seq", 3}} {
		wantError(t, "the thread of "+tc.what, threadOf("r", tc.parent, 0), "not_found")
	}
	if page := threadOf("r", 1, 2); page.Type() != "history" || len(page["messages"].([]any)) != 0 {
		t.Errorf("a thread page past the last reply: %v, want an empty page", page)
	}
	wantAck(t, "the delete", del(ann, "r", 1, "d1"), 4, 1)
	if page := threadOf("r", 1, 0); page.Type() != "history" || len(page["messages"].([]any)) != 1 {
		t.Errorf("the thread of a deleted message: %v, want its reply", page)
	}
}

func TestMentionsResolvedAndRoomFromModeratorsOnly(t *testing.T) {
	s := startModerated(t)
	ann, bob, mod := servertest.DialJSON(t, s, "ann"), servertest.DialJSON(t, s, "bob"), servertest.DialJSON(t, s, "mod")
	for _, c := range []*servertest.JSONClient{ann, bob, mod} {
		c.Join("r", nil)
	}
	ann.Say("r", "m1", "hi @bob and @room, not @nobody nor me@bob")
	m := bob.Messages("r", 1)[0]
	// Mentions name users by id (a name is one user's, server-wide).
	if fmt.Sprint(m["mentions"]) != "[map[name:bob user:"+bob.User+"]]" || m["mention_room"] != nil {
		t.Fatalf("a member's message: %v, want bob mentioned and no mention_room", m)
	}
	mod.Say("r", "m2", "@room heads up, @ann")
	m = bob.Messages("r", 1)[0]
	if fmt.Sprint(m["mentions"]) != "[map[name:ann user:"+ann.User+"]]" || m["mention_room"] != true {
		t.Fatalf("a moderator's message: %v, want ann mentioned and mention_room", m)
	}
}

func TestRevisionsForSenderAndModerators(t *testing.T) {
	s := startModerated(t)
	ann, bob, mod := servertest.DialJSON(t, s, "ann"), servertest.DialJSON(t, s, "bob"), servertest.DialJSON(t, s, "mod")
	for _, c := range []*servertest.JSONClient{ann, bob, mod} {
		c.Join("r", nil)
	}
	ann.Say("r", "m1", "first")
	edit(ann, "r", 1, "e1", "second")
	revisions := func(c *servertest.JSONClient, seq uint64) servertest.Frame {
		c.Send(servertest.Frame{"type": "revisions", "room": "r", "seq": seq})
		return c.AwaitFunc("revisions answer", func(f servertest.Frame) bool {
			return f.Type() == "revisions" || f.Type() == "error" && f.Str("request") == "revisions"
		})
	}
	for _, c := range []*servertest.JSONClient{ann, mod} {
		f := revisions(c, 1)
		revs, _ := f["revisions"].([]any)
		if f.Num("seq") != 1 || len(revs) != 2 || revs[0].(map[string]any)["text"] != "first" || revs[1].(map[string]any)["text"] != "second" {
			t.Fatalf("revisions = %v", f)
		}
	}
	wantError(t, "revisions for another member", revisions(bob, 1), "forbidden")
	wantError(t, "revisions of an unknown seq", revisions(ann, 99), "not_found")
}

// The text protocol shows an edit as "name (edit): text", and no deletes nor reactions.
func TestTextClientSeesEditsOnly(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	txt := servertest.DialText(t, s, "tex")
	ann := servertest.DialJSON(t, s, "ann")
	ann.Join("lobby", nil)
	servertest.WaitMembers(t, s, "lobby", 2)
	ann.Say("lobby", "1", "first")
	wantAck(t, "edit", edit(ann, "lobby", 1, "e", "second\nline"), 2, 1)
	wantAck(t, "react", react(ann, "lobby", 1, "r", "🎉"), 3, 1)
	wantAck(t, "delete", del(ann, "lobby", 1, "d"), 4, 1)
	ann.Say("lobby", "2", "last")
	if got := txt.Lines(3); !reflect.DeepEqual(got, []string{"ann: first", "ann (edit): second line", "ann: last"}) {
		t.Fatalf("text client got %q", got)
	}
}

// A message carries at most 20 different emoji: a 21st is refused with limit, and taking one
// back is never refused.
func TestReactionsPerMessageLimit(t *testing.T) {
	s := servertest.Start(t, servertest.Options{Server: server.Config{SendRate: 1e6, SendBurst: 1e6}})
	ann := servertest.DialJSON(t, s, "ann")
	ann.Join("r", nil)
	ann.Say("r", "m", "react to me")
	for i := range 20 {
		if f := react(ann, "r", 1, fmt.Sprint("x", i), fmt.Sprintf(":e%d:", i)); f.Type() != "ack" {
			t.Fatalf("reaction %d: %v", i+1, f)
		}
	}
	wantError(t, "a 21st emoji", react(ann, "r", 1, "x20", ":e20:"), "limit")
	if f := react(ann, "r", 1, "x21", ":e0:"); f.Type() != "ack" {
		t.Fatalf("taking one back at the limit: %v", f)
	}
}

// Edits, reactions and deletes count against the send rate limit.
func TestChangesAreRateLimitedLikeSends(t *testing.T) {
	s := servertest.Start(t, servertest.Options{Server: server.Config{SendRate: 0.001, SendBurst: 2, AbuseLimit: 100}})
	ann := servertest.DialJSON(t, s, "ann")
	ann.Join("r", nil)
	ann.Say("r", "m", "one")
	wantAck(t, "edit within the burst", edit(ann, "r", 1, "e", "two"), 2, 1)
	wantError(t, "react past the burst", react(ann, "r", 1, "x", "👍"), "rate_limited")
	wantError(t, "delete past the burst", del(ann, "r", 1, "d"), "rate_limited")
}

// TestReactionIsOneEmoji: a reaction is one emoji as a reader sees it — one grapheme cluster,
// so a ZWJ family, a skin tone, a flag and a keycap are each one — or a :short_name:; two emoji
// side by side are two reactions, and the chip "👍👍" with count 1 is not one anyone can take.
func TestReactionIsOneEmoji(t *testing.T) {
	s := servertest.Start(t, servertest.Options{Server: server.Config{SendRate: 1e6, SendBurst: 1e6}})
	ann := servertest.DialJSON(t, s, "ann")
	ann.Join("r", nil)
	ann.Say("r", "m1", "react to me")
	ok := []string{"👍", "👍🏽", "🏳️‍🌈", "👨‍👩‍👧", "🧑🏿‍💻", "🇫🇷", "1️⃣", "#⃣", "🏴󠁧󠁢󠁳󠁣󠁴󠁿", "❤️", "☺", ":thumbs_up:"}
	for i, e := range ok {
		if f := react(ann, "r", 1, fmt.Sprintf("ok%d", i), e); f.Type() != "ack" {
			t.Errorf("react %q (%U): %v, want an ack", e, []rune(e), f)
		}
	}
	for i, e := range []string{"👍👍", "🇫🇷🇩🇪", "1️⃣2️⃣", "‍👍", "👍‍", "👍‍‍👍", "🏽👍"} {
		f := react(ann, "r", 1, fmt.Sprintf("bad%d", i), e)
		if f.Type() != "error" || f.Str("code") != "bad_field" || !strings.Contains(f.Str("message"), "one emoji") {
			t.Errorf("react %q (%U): %v, want bad_field saying one emoji", e, []rune(e), f)
		}
	}
}

// TestRoomNameErrorSaysASCII: a room name with an accented letter is refused with a reason
// that says rooms are ASCII — "Été" was told it must start with a letter or digit, which it
// does.
func TestRoomNameErrorSaysASCII(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	ann := servertest.DialJSON(t, s, "ann")
	for _, room := range []string{"Été", "café", "-x"} {
		f := ann.Join(room, nil)
		if f.Type() != "error" || f.Str("code") != "bad_room" || !strings.Contains(f.Str("message"), "ASCII letters") {
			t.Errorf("join %q: %v, want bad_room saying rooms are ASCII", room, f)
		}
	}
}

// TestReactionFromBeforeTheOneEmojiRuleCanBeTakenBack: a reaction stored before reactions had
// to be one emoji ("👍👍") can still be taken back by whoever holds it — else its chip would
// stay for ever — but not added again.
func TestReactionFromBeforeTheOneEmojiRuleCanBeTakenBack(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	ann := servertest.DialJSON(t, s, "ann")
	ann.Join("r", nil)
	ann.Say("r", "m1", "react to me")
	old := &hubbub.Entry{Kind: hubbub.KindReaction, Room: "r", From: "ann", User: ann.User, Target: 1, Emoji: "👍👍"}
	if _, _, _, err := s.Store.Append(t.Context(), old); err != nil {
		t.Fatal(err)
	}
	wantAck(t, "taking back the old reaction", react(ann, "r", 1, "x1", "👍👍"), 3, 1)
	wantError(t, "adding it again", react(ann, "r", 1, "x2", "👍👍"), "bad_field")
}
