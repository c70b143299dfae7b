package api_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"hubbub"
	"hubbub/internal/servertest"
)

// msgPath is the API path of message seq of general, with rest after it.
func msgPath(seq, rest string) string { return "/api/rooms/general/messages/" + seq + rest }

// reactionPath is the path of emoji's reaction on message seq of general.
func reactionPath(seq, emoji string) string {
	return msgPath(seq, "/reactions/"+url.PathEscape(emoji))
}

// items returns a JSON list of body as frames.
func items(body servertest.Frame, key string) []servertest.Frame {
	list, _ := body[key].([]any)
	out := make([]servertest.Frame, len(list))
	for i, v := range list {
		out[i], _ = v.(map[string]any)
	}
	return out
}

type apiCase struct {
	method, path string
	body         any
	status       int
	code         string
}

func checkCases(t *testing.T, s *servertest.Server, cases []apiCase) {
	t.Helper()
	for _, c := range cases {
		status, body := s.API(c.method, c.path, apiKey, c.body)
		if status != c.status || body.Str("code") != c.code {
			t.Errorf("%s %s %.80v: %d %v, want %d %s", c.method, c.path, c.body, status, body, c.status, c.code)
		}
	}
}

// A bot replies, edits, reacts and deletes through the API; a member sees each change as the
// frame a WebSocket client's change makes, and history shows the messages' state.
func TestAPIRoomLog(t *testing.T) {
	s := startAPI(t)
	ann := servertest.DialJSON(t, s, "ann")
	ann.Join("general", nil)

	// #1: a mention of a member is resolved; #2 replies to it.
	status, body := s.API("POST", "/api/rooms/general/messages", apiKey, map[string]any{"from": "Bot", "text": "hi @ann", "id": "p1"})
	msg := servertest.Frame(body["message"].(map[string]any))
	if ments := items(msg, "mentions"); status != 201 || len(ments) != 1 || ments[0].Str("name") != "ann" {
		t.Fatalf("publish with a mention: %d %v", status, body)
	}
	status, body = s.API("POST", "/api/rooms/general/messages", apiKey, map[string]any{"from": "Bot", "text": "a reply", "reply_to": 1})
	if msg := servertest.Frame(body["message"].(map[string]any)); status != 201 || msg.Num("seq") != 2 || msg.Num("reply_to") != 1 {
		t.Fatalf("reply: %d %v", status, body)
	}

	// #3: an edit by the sender reaches the member; the same id again stores nothing.
	edit := map[string]any{"from": "Bot", "text": "hi all", "id": "e1"}
	status, body = s.API("PATCH", msgPath("1", ""), apiKey, edit)
	ed := servertest.Frame(body["edited"].(map[string]any))
	if status != 200 || body["duplicate"] != false || ed.Num("seq") != 1 || ed.Num("log_seq") != 3 || ed.Str("text") != "hi all" {
		t.Fatalf("edit: %d %v", status, body)
	}
	f := ann.AwaitFunc("edited", func(f servertest.Frame) bool { return f.Type() == "edited" })
	if f.Num("seq") != 1 || f.Num("log_seq") != 3 || f.Str("text") != "hi all" || f.Str("from") != "Bot" {
		t.Errorf("ann got %v", f)
	}
	if status, body = s.API("PATCH", msgPath("1", ""), apiKey, edit); status != 200 || body["duplicate"] != true {
		t.Errorf("edit again with its id: %d %v", status, body)
	}

	// #4, #5: reactions are added and removed by state; a repeated call changes nothing.
	for _, c := range []struct {
		method, from   string
		status, count  int
		reacted, moved bool
	}{
		{"POST", "Bot", 201, 1, true, true},
		{"POST", "Bot", 200, 1, true, false},
		{"POST", "eve", 201, 2, true, true},
		{"DELETE", "Bot", 200, 1, false, true},
		{"DELETE", "Bot", 200, 1, false, false},
	} {
		status, body := s.API(c.method, reactionPath("1", "👍"), apiKey, map[string]any{"from": c.from})
		if status != c.status || int(body.Num("count")) != c.count || body["reacted"] != c.reacted || body["changed"] != c.moved {
			t.Errorf("%s 👍 as %s: %d %v", c.method, c.from, status, body)
		}
	}
	// The member saw three reactions: Bot's, eve's and Bot's taken back.
	var changes []servertest.Frame
	for len(changes) < 3 {
		f := ann.AwaitFunc("reacted", func(f servertest.Frame) bool { return f.Type() == "reacted" })
		changes = append(changes, items(f, "changes")...)
	}
	if c := changes[2]; c.Str("from") != "Bot" || c["added"] != false || c.Num("count") != 1 || c.Num("seq") != 1 {
		t.Errorf("the last reaction change: %v", c)
	}
	if status, body := s.API("POST", reactionPath("1", ":tada:"), apiKey, map[string]any{"from": "Bot"}); status != 201 || body.Num("count") != 1 {
		t.Errorf("a :short_name: reaction: %d %v", status, body)
	}

	// History and the message itself show the state (the edit took the mention away); the
	// thread holds the reply.
	_, body = s.API("GET", "/api/rooms/general/messages", apiKey, nil)
	msgs := items(body, "messages")
	if len(msgs) != 2 {
		t.Fatalf("history: %v", body)
	}
	first := msgs[0]
	reactions := items(first, "reactions")
	if first.Str("text") != "hi all" || first.Str("edited_at") == "" || first.Num("reply_count") != 1 || len(reactions) != 2 ||
		reactions[0].Str("emoji") != "👍" || reactions[0].Num("count") != 1 || len(items(first, "mentions")) != 0 {
		t.Errorf("message 1 in history: %v", first)
	}
	if msgs[1].Num("reply_to") != 1 {
		t.Errorf("message 2 in history: %v", msgs[1])
	}
	if status, m := s.API("GET", msgPath("1", ""), apiKey, nil); status != 200 || m.Str("text") != "hi all" || m.Num("reply_count") != 1 {
		t.Errorf("GET message 1: %d %v", status, m)
	}
	status, body = s.API("GET", msgPath("1", "/replies"), apiKey, nil)
	if replies := items(body, "messages"); status != 200 || len(replies) != 1 || replies[0].Num("seq") != 2 || body.Num("thread") != 1 {
		t.Errorf("thread: %d %v", status, body)
	}
	if status, body := s.API("GET", msgPath("1", "/replies?after=2"), apiKey, nil); status != 200 || len(items(body, "messages")) != 0 {
		t.Errorf("thread after 2: %d %v", status, body)
	}
	status, body = s.API("GET", msgPath("1", "/revisions"), apiKey, nil)
	if revs := items(body, "revisions"); status != 200 || len(revs) != 2 || revs[0].Str("text") != "hi @ann" || revs[1].Str("text") != "hi all" {
		t.Errorf("revisions: %d %v", status, body)
	}

	// Deletes: the sender's own with from, anyone's as a moderator without it.
	if status, body := s.API("DELETE", msgPath("2", ""), apiKey, map[string]any{"from": "eve"}); status != 403 || body.Str("code") != "forbidden" {
		t.Errorf("delete another's message as eve: %d %v", status, body)
	}
	if status, body := s.API("DELETE", msgPath("2", ""), apiKey, map[string]any{"from": "Bot", "id": "d1"}); status != 200 || body.Num("seq") != 2 {
		t.Fatalf("delete as the sender: %d %v", status, body)
	}
	f = ann.AwaitFunc("deleted 2", func(f servertest.Frame) bool { return f.Type() == "deleted" && f.Num("seq") == 2 })
	if f.Str("from") != "Bot" || f.Num("log_seq") == 0 {
		t.Errorf("ann got %v", f)
	}
	if status, _ := s.API("DELETE", msgPath("1", ""), apiKey, nil); status != 200 {
		t.Fatalf("delete as a moderator: %d", status)
	}
	f = ann.AwaitFunc("deleted 1", func(f servertest.Frame) bool { return f.Type() == "deleted" && f.Num("seq") == 1 })
	if f.Str("from") != "api" {
		t.Errorf("ann got %v", f)
	}
	if status, m := s.API("GET", msgPath("2", ""), apiKey, nil); status != 200 || m["deleted"] != true || m.Str("text") != "" {
		t.Errorf("GET a deleted message: %d %v", status, m)
	}

	checkCases(t, s, []apiCase{
		{"POST", "/api/rooms/general/messages", map[string]any{"from": "Bot", "text": "x", "reply_to": 99}, 404, "not_found"},
		{"PATCH", msgPath("1", ""), map[string]any{"from": "Bot", "text": "x"}, 404, "not_found"}, // deleted
		{"PATCH", msgPath("99", ""), map[string]any{"from": "Bot", "text": "x"}, 404, "not_found"},
		{"PATCH", msgPath("0", ""), map[string]any{"from": "Bot", "text": "x"}, 400, "bad_request"},
		{"PATCH", msgPath("x", ""), map[string]any{"from": "Bot", "text": "x"}, 400, "bad_request"},
		{"PATCH", msgPath("1", ""), map[string]any{"from": "Bot", "text": " "}, 400, "empty"},
		{"PATCH", msgPath("1", ""), map[string]any{"from": "Bot", "text": strings.Repeat("x", 101)}, 400, "too_long"},
		{"PATCH", msgPath("1", ""), map[string]any{"text": "x"}, 400, "bad_name"},
		{"PATCH", msgPath("1", ""), map[string]any{"from": "Bot", "text": "x", "as": "Bot"}, 400, "bad_json"},
		{"PATCH", msgPath("1", ""), map[string]any{"from": "Bot", "text": "x", "id": "p1"}, 409, "conflict"}, // the publish's id
		{"POST", reactionPath("1", "👍"), map[string]any{"from": "Bot"}, 404, "not_found"},                    // deleted
		{"POST", reactionPath("99", "👍"), map[string]any{"from": "Bot"}, 404, "not_found"},
		{"POST", reactionPath("1", "abc"), map[string]any{"from": "Bot"}, 400, "bad_field"},
		{"POST", reactionPath("1", "👍"), map[string]any{}, 400, "bad_name"},
		{"POST", reactionPath("1", "👍"), nil, 400, "bad_json"},
		{"DELETE", msgPath("99", ""), nil, 404, "not_found"},
		{"DELETE", msgPath("2", ""), `{"from":`, 400, "bad_json"},
		{"GET", msgPath("99", ""), nil, 404, "not_found"},
		{"GET", msgPath("99", "/replies"), nil, 404, "not_found"},
		{"GET", msgPath("1", "/replies?after=x"), nil, 400, "bad_request"},
		{"GET", msgPath("1", "/replies?limit=0"), nil, 400, "bad_request"},
		{"GET", msgPath("99", "/revisions"), nil, 404, "not_found"},
		{"PUT", msgPath("1", ""), nil, 405, "method_not_allowed"},
	})
}

// An id resent saying something else — a publish with another text or reply_to, an edit or a
// hook's post with another text — is 409 conflict naming what the id was spent on, and
// nothing is stored: it was 200 with duplicate true and the first message, and the caller
// took its new text for posted. The same call again is still 200 duplicate.
func TestAPIResendWithOtherContentIsConflict(t *testing.T) {
	s := startAPI(t)
	const msgs = "/api/rooms/general/messages"
	publish := map[string]any{"from": "Bot", "text": "v2.3 is live", "id": "deploy-2.3"}
	if status, body := s.API("POST", msgs, apiKey, publish); status != http.StatusCreated {
		t.Fatalf("publish: %d %v", status, body)
	}
	edit := map[string]any{"from": "Bot", "text": "v2.3 is live everywhere", "id": "deploy-2.3-edit"}
	if status, body := s.API("PATCH", msgPath("1", ""), apiKey, edit); status != http.StatusOK || body["duplicate"] != false {
		t.Fatalf("edit: %d %v", status, body)
	}
	status, body := s.API("POST", "/api/hooks", apiKey, map[string]any{"room": "general", "bot": "ci"})
	if status != http.StatusCreated {
		t.Fatalf("create a hook: %d %v", status, body)
	}
	hook := body.Str("path")
	if status, body := postHook(t, s, hook, `{"text":"disk 91% on db-1","id":"alert-1"}`); status != http.StatusCreated {
		t.Fatalf("the hook's post: %d %v", status, body)
	}

	for _, c := range []struct {
		what, method, path string
		body               any
		spentOn            string
	}{
		{"publish with another text", "POST", msgs, map[string]any{"from": "Bot", "text": "v2.4 is live", "id": "deploy-2.3"},
			"message 1 with another text"},
		{"publish as a reply", "POST", msgs, map[string]any{"from": "Bot", "text": "v2.3 is live", "id": "deploy-2.3", "reply_to": 1},
			"message 1 not in reply"},
		{"edit with another text", "PATCH", msgPath("1", ""), map[string]any{"from": "Bot", "text": "v2.3 rolled back", "id": "deploy-2.3-edit"},
			"seq 2) with another text"},
		{"the hook's post with another text", "POST", hook, `{"text":"disk 95% on db-1","id":"alert-1"}`,
			`"alert-1" was used before for message 3 with another text`},
	} {
		key := apiKey
		if c.path == hook {
			key = ""
		}
		status, body := s.API(c.method, c.path, key, c.body)
		if status != http.StatusConflict || body.Str("code") != "conflict" || !strings.Contains(body.Str("message"), c.spentOn) {
			t.Errorf("%s: %d %v, want 409 conflict naming %q", c.what, status, body, c.spentOn)
		}
	}
	for _, c := range []struct {
		what, method, path string
		body               any
	}{
		{"publish again", "POST", msgs, publish},
		{"edit again", "PATCH", msgPath("1", ""), edit},
		{"the hook's post again", "POST", hook, `{"text":"disk 91% on db-1","id":"alert-1"}`},
	} {
		key := apiKey
		if c.path == hook {
			key = ""
		}
		if status, body := s.API(c.method, c.path, key, c.body); status != http.StatusOK || body["duplicate"] != true {
			t.Errorf("%s: %d %v, want 200 duplicate", c.what, status, body)
		}
	}

	_, body = s.API("GET", msgs, apiKey, nil)
	var texts []string
	for _, m := range items(body, "messages") {
		texts = append(texts, m.Str("text"))
	}
	if want := []string{"v2.3 is live everywhere", "disk 91% on db-1"}; !slices.Equal(texts, want) {
		t.Errorf("the room holds %q, want %q: nothing the conflicts asked for", texts, want)
	}
}

// A message carries at most hubbub.MaxReactionsPerMessage kinds of reaction: the next is a
// conflict with the message's state.
func TestAPIReactionLimit(t *testing.T) {
	s := startAPI(t)
	if status, _ := s.API("POST", "/api/rooms/general/messages", apiKey, map[string]any{"from": "Bot", "text": "react"}); status != 201 {
		t.Fatal(status)
	}
	emoji := []string{"😀", "😁", "😂", "🤣", "😃", "😄", "😅", "😆", "😉", "😊", "😋", "😎", "😍", "😘", "🥰", "😗", "😙", "🥲", "😚", "🙂", "🤗"}
	for i, e := range emoji {
		status, body := s.API("POST", reactionPath("1", e), apiKey, map[string]any{"from": "Bot"})
		want := http.StatusCreated
		if i == len(emoji)-1 {
			want = http.StatusConflict
		}
		if status != want {
			t.Fatalf("reaction %d (%s): %d %v", i+1, e, status, body)
		}
		if want == http.StatusConflict && body.Str("code") != "limit" {
			t.Errorf("the 21st kind: %v", body)
		}
	}
}

// TestAPIReactionIsOneEmoji: the API takes one emoji per reaction, as the protocol does.
func TestAPIReactionIsOneEmoji(t *testing.T) {
	s := startAPI(t)
	if status, _ := s.API("POST", "/api/rooms/general/messages", apiKey, map[string]any{"from": "Bot", "text": "react"}); status != 201 {
		t.Fatal(status)
	}
	if status, body := s.API("POST", reactionPath("1", "👍👍"), apiKey, map[string]any{"from": "Bot"}); status != http.StatusBadRequest || body.Str("code") != "bad_field" {
		t.Errorf("two emoji as one reaction: %d %v, want 400 bad_field", status, body)
	}
	if status, body := s.API("POST", reactionPath("1", "👩🏽‍🚀"), apiKey, map[string]any{"from": "Bot"}); status != http.StatusCreated {
		t.Errorf("one ZWJ emoji with a skin tone: %d %v, want 201", status, body)
	}
}

// TestAPIReactionFromBeforeTheOneEmojiRuleCanBeRemoved: DELETE removes a reaction stored
// before reactions had to be one emoji; adding it, or removing one not held, is 400.
func TestAPIReactionFromBeforeTheOneEmojiRuleCanBeRemoved(t *testing.T) {
	s := startAPI(t)
	ann := servertest.DialJSON(t, s, "ann")
	ann.Join("general", nil)
	ann.Say("general", "m1", "react to me")
	old := &hubbub.Entry{Kind: hubbub.KindReaction, Room: "general", From: "ann", User: ann.User, Target: 1, Emoji: "👍👍"}
	if _, _, _, err := s.Store.Append(t.Context(), old); err != nil {
		t.Fatal(err)
	}
	if status, body := s.API("DELETE", reactionPath("1", "👍👍"), apiKey, map[string]any{"from": "ann"}); status != http.StatusOK || body["changed"] != true {
		t.Errorf("removing the old reaction: %d %v, want 200 changed", status, body)
	}
	for _, method := range []string{"DELETE", "POST"} {
		if status, body := s.API(method, reactionPath("1", "👍👍"), apiKey, map[string]any{"from": "ann"}); status != http.StatusBadRequest || body.Str("code") != "bad_field" {
			t.Errorf("%s of two emoji no one holds: %d %v, want 400 bad_field", method, status, body)
		}
	}
}

// A reply published through the API mentions the author of the message it answers, as a
// member's does (docs/protocol.md, Mentions), and the API's edit of it keeps the mention.
func TestAPIReplyMentionsTheAuthor(t *testing.T) {
	s := startAPI(t)
	ann := servertest.DialJSON(t, s, "ann")
	ann.Join("general", nil)
	if f := ann.Say("general", "a-1", "is the deploy done?"); f.Type() != "ack" || f.Num("seq") != 1 {
		t.Fatalf("ann: %v", f)
	}
	want := "ann " + ann.User + " true"
	mention := func(f servertest.Frame) string {
		ms := items(f, "mentions")
		if len(ms) != 1 {
			return ""
		}
		return ms[0].Str("name") + " " + ms[0].Str("user") + " " + fmtBool(ms[0]["reply"])
	}
	status, body := s.API("POST", "/api/rooms/general/messages", apiKey, map[string]any{"from": "Bot", "text": "it is", "reply_to": 1})
	if msg := servertest.Frame(body["message"].(map[string]any)); status != 201 || mention(msg) != want {
		t.Fatalf("the API's reply to ann: %d %v, want ann's mention %q", status, body, want)
	}
	status, body = s.API("PATCH", msgPath("2", ""), apiKey, map[string]any{"from": "Bot", "text": "it is, since noon"})
	if ed := servertest.Frame(body["edited"].(map[string]any)); status != 200 || mention(ed) != want {
		t.Errorf("the API's edit of its reply: %d %v, want ann's mention %q kept", status, body, want)
	}
}

// fmtBool is a JSON value's text: "true" for true.
func fmtBool(v any) string {
	if b, ok := v.(bool); ok && b {
		return "true"
	}
	return "false"
}
