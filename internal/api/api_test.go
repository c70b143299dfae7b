package api_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"hubbub/internal/server"
	"hubbub/internal/servertest"
	"hubbub/internal/testwait"
)

const apiKey = "test-api-key-0123456789"

func startAPI(t *testing.T) *servertest.Server {
	t.Helper()
	return servertest.Start(t, servertest.Options{Server: server.Config{APIKey: apiKey, MaxText: 100}})
}

// awaitError reads c's frames until an error frame with code.
func awaitError(c *servertest.JSONClient, code string) servertest.Frame {
	return c.AwaitFunc("error "+code, func(f servertest.Frame) bool { return f.Type() == "error" && f.Str("code") == code })
}

func TestAPIOffAnswers404(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	for _, key := range []string{"", "anything"} {
		status, body := s.API("GET", "/api/rooms", key, nil)
		if status != http.StatusNotFound || body.Str("code") != "not_found" {
			t.Errorf("API off, key %q: %d %v", key, status, body)
		}
	}
}

func TestAPIKeyRequired(t *testing.T) {
	s := startAPI(t)
	for _, key := range []string{"", "wrong", apiKey + "x", strings.ToUpper(apiKey)} {
		status, body := s.API("GET", "/api/rooms", key, nil)
		if status != http.StatusUnauthorized || body.Str("code") != "unauthorized" {
			t.Errorf("key %q: %d %v", key, status, body)
		}
	}
	// Not even the routing is revealed without the key.
	if status, _ := s.API("GET", "/api/nowhere", "", nil); status != http.StatusUnauthorized {
		t.Errorf("unknown path without a key: %d", status)
	}
	// A scheme other than Bearer is refused.
	req, _ := http.NewRequest("GET", s.URL+"/api/rooms", nil)
	req.Header.Set("Authorization", "Basic "+apiKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("WWW-Authenticate") == "" {
		t.Errorf("Basic auth: %d %v", resp.StatusCode, resp.Header)
	}
	if status, body := s.API("GET", "/api/rooms", apiKey, nil); status != http.StatusOK || body["rooms"] == nil {
		t.Errorf("right key: %d %v", status, body)
	}
}

func TestAPIRoutingErrors(t *testing.T) {
	s := startAPI(t)
	if status, body := s.API("PUT", "/api/rooms", apiKey, nil); status != http.StatusMethodNotAllowed || body.Str("code") != "method_not_allowed" {
		t.Errorf("PUT /api/rooms: %d %v", status, body)
	}
	if status, body := s.API("GET", "/api/nothing/here", apiKey, nil); status != http.StatusNotFound || body.Str("code") != "not_found" {
		t.Errorf("unknown path: %d %v", status, body)
	}
	if status, body := s.API("GET", "/api/rooms/bad%20room/members", apiKey, nil); status != http.StatusBadRequest || body.Str("code") != "bad_room" {
		t.Errorf("bad room: %d %v", status, body)
	}
}

func TestAPIPublish(t *testing.T) {
	s := startAPI(t)
	ann := servertest.DialJSON(t, s, "ann")
	ann.Join("general", nil)
	status, body := s.API("POST", "/api/rooms/general/messages", apiKey, map[string]any{"from": "System", "text": "hello\nall", "id": "sys-1"})
	if status != http.StatusCreated || body["duplicate"] != false {
		t.Fatalf("publish: %d %v", status, body)
	}
	msg := servertest.Frame(body["message"].(map[string]any))
	if msg.Num("seq") != 1 || msg.Str("from") != "System" || msg.Str("text") != "hello\nall" {
		t.Errorf("published %v", msg)
	}
	if m := ann.Messages("general", 1)[0]; m.Str("from") != "System" || m.Num("seq") != 1 {
		t.Errorf("member received %v", m)
	}
	// The same id again stores nothing new.
	status, body = s.API("POST", "/api/rooms/general/messages", apiKey, map[string]any{"from": "System", "text": "hello\nall", "id": "sys-1"})
	if status != http.StatusOK || body["duplicate"] != true {
		t.Errorf("republish: %d %v", status, body)
	}
	for _, c := range []struct {
		body   any
		status int
		code   string
	}{
		{map[string]any{"from": "", "text": "x"}, 400, "bad_name"},
		{map[string]any{"from": " sys", "text": "x"}, 400, "bad_name"},
		{map[string]any{"from": "sys", "text": "  "}, 400, "empty"},
		{map[string]any{"from": "sys", "text": strings.Repeat("x", 101)}, 400, "too_long"},
		{map[string]any{"from": "sys", "text": "x", "id": strings.Repeat("i", 65)}, 400, "bad_id"},
		{map[string]any{"from": "sys", "text": "x", "extra": 1}, 400, "bad_json"},
		{`{"from":"sys","text":"x"} {}`, 400, "bad_json"},
		{`{"from":"sys",`, 400, "bad_json"},
		{`[]`, 400, "bad_json"},
		{"", 400, "bad_json"},
		{`{"from":"sys","text":"` + strings.Repeat("x", 70<<10) + `"}`, 413, "too_large"},
	} {
		status, body := s.API("POST", "/api/rooms/general/messages", apiKey, c.body)
		if status != c.status || body.Str("code") != c.code {
			t.Errorf("publish %.60v: %d %v, want %d %s", c.body, status, body, c.status, c.code)
		}
	}
	if status, body := s.API("POST", "/api/rooms/-x/messages", apiKey, map[string]any{"from": "sys", "text": "x"}); status != 400 || body.Str("code") != "bad_room" {
		t.Errorf("publish to a bad room: %d %v", status, body)
	}
}

// TestAPIErrorsSpeakJSON: a refused body is explained in the words of the JSON the caller
// sent — which field, what it must hold, what is missing — never with the server's Go type
// names, which encoding/json's own messages carry ("Go struct field editRequest.text of type
// string").
func TestAPIErrorsSpeakJSON(t *testing.T) {
	s := startAPI(t)
	ann := servertest.DialJSON(t, s, "ann")
	ann.Join("general", nil)
	ann.Say("general", "hello", "m1")
	for _, c := range []struct {
		method, path string
		body         any
		code, says   string
	}{
		{"POST", "/api/rooms/general/messages", map[string]any{"from": "sys", "text": 5}, "bad_json", `field "text" must be a string, not a number`},
		{"POST", "/api/rooms/general/messages", map[string]any{"from": "sys", "text": "x", "reply_to": "one"}, "bad_json", `field "reply_to" must be a whole number ≥ 0, not a string`},
		{"POST", "/api/rooms/general/messages", map[string]any{"from": "sys", "text": "x", "attachments": "f1"}, "bad_json", `field "attachments" must be a list, not a string`},
		{"POST", "/api/rooms/general/messages", map[string]any{"from": "sys", "text": "x", "extra": 1}, "bad_json", `invalid JSON: unknown field "extra"`},
		{"POST", "/api/rooms/general/messages", map[string]any{"text": "x"}, "bad_name", `"from" is required`},
		{"PATCH", "/api/rooms/general/messages/1", map[string]any{"from": "ann", "text": true}, "bad_json", `field "text" must be a string, not a bool`},
		{"PATCH", "/api/rooms/general/messages/1", map[string]any{"text": "edited"}, "bad_name", `"from" is required`},
		{"POST", "/api/rooms/general/messages/1/reactions/👍", map[string]any{}, "bad_name", `"from" is required`},
	} {
		status, body := s.API(c.method, c.path, apiKey, c.body)
		if status != 400 || body.Str("code") != c.code || !strings.Contains(fmt.Sprint(body), c.says) {
			t.Errorf("%s %s %v: %d %v, want 400 %s saying %q", c.method, c.path, c.body, status, body, c.code, c.says)
		}
		for _, goWords := range []string{"Go ", "struct", "Request", "json:"} {
			if strings.Contains(fmt.Sprint(body), goWords) {
				t.Errorf("%s %s %v: the answer %v speaks of the server's Go types (%q)", c.method, c.path, c.body, body, goWords)
			}
		}
	}
}

func TestAPIRoomsMembersHistory(t *testing.T) {
	s := startAPI(t)
	ann := servertest.DialJSON(t, s, "ann")
	ann.Join("general", nil)
	bob := servertest.DialJSON(t, s, "bob")
	bob.Join("general", nil)
	bob.Join("random", nil)
	for i := range 5 {
		ann.Say("general", string(rune('a'+i)), "m")
	}
	status, body := s.API("GET", "/api/rooms", apiKey, nil)
	rooms, _ := body["rooms"].([]any)
	if status != 200 || len(rooms) != 2 {
		t.Fatalf("rooms: %d %v", status, body)
	}
	g := rooms[0].(map[string]any)
	if g["name"] != "general" || g["members"] != float64(2) || g["last_seq"] != float64(5) {
		t.Errorf("general: %v", g)
	}
	status, body = s.API("GET", "/api/rooms/general/members", apiKey, nil)
	if status != 200 || len(body["members"].([]any)) != 2 {
		t.Errorf("members: %d %v", status, body)
	}
	bob.Send(servertest.Frame{"type": "leave", "room": "random"})
	bob.Await("left")
	testwait.Until(t, "random empty", func() bool { return len(s.Hub.Members("random")) == 0 })
	status, body = s.API("GET", "/api/rooms/random/members", apiKey, nil)
	if status != 200 || body["members"] == nil || len(body["members"].([]any)) != 0 {
		t.Errorf("members of a room nobody is in: %d %v", status, body)
	}
	status, body = s.API("GET", "/api/rooms/general/messages?before=5&limit=2", apiKey, nil)
	msgs, _ := body["messages"].([]any)
	if status != 200 || len(msgs) != 2 || msgs[0].(map[string]any)["seq"] != float64(3) || body["more"] != true {
		t.Errorf("history page: %d %v", status, body)
	}
	status, body = s.API("GET", "/api/rooms/general/messages", apiKey, nil)
	if msgs, _ := body["messages"].([]any); status != 200 || len(msgs) != 5 || body["more"] != false {
		t.Errorf("history: %d %v", status, body)
	}
	for _, q := range []string{"?before=x", "?limit=0", "?limit=-3"} {
		if status, body := s.API("GET", "/api/rooms/general/messages"+q, apiKey, nil); status != 400 {
			t.Errorf("history%s: %d %v", q, status, body)
		}
	}
}

func TestAPIModeration(t *testing.T) {
	s := startAPI(t)
	ann := servertest.DialJSON(t, s, "ann")
	ann.Join("general", nil)
	eve := servertest.DialJSON(t, s, "eve")
	eve.Join("general", nil)
	ann.Say("general", "a1", "one")
	ann.Say("general", "a2", "two")

	// kick
	status, body := s.API("POST", "/api/rooms/general/kick", apiKey, map[string]any{"name": "eve", "reason": "calm down"})
	if status != 200 || body.Str("action") != "kick" {
		t.Fatalf("kick: %d %v", status, body)
	}
	awaitError(eve, "kicked")
	eve.Await("left")
	// mute, then unmute
	eve.Join("general", nil)
	if status, body := s.API("POST", "/api/rooms/general/mute", apiKey, map[string]any{"name": "eve", "duration": "1h"}); status != 200 || body.Str("until") == "" {
		t.Fatalf("mute: %d %v", status, body)
	}
	if f := eve.Say("general", "e1", "x"); f.Str("code") != "muted" {
		t.Errorf("send while muted: %v", f)
	}
	status, body = s.API("GET", "/api/rooms/general/sanctions", apiKey, nil)
	if list, _ := body["sanctions"].([]any); status != 200 || len(list) != 1 || list[0].(map[string]any)["by"] != "api" {
		t.Errorf("sanctions: %d %v", status, body)
	}
	if status, body := s.API("DELETE", "/api/rooms/general/mutes/eve", apiKey, nil); status != 200 {
		t.Fatalf("unmute: %d %v", status, body)
	}
	if f := eve.Say("general", "e2", "x"); f.Type() != "ack" {
		t.Errorf("send after unmute: %v", f)
	}
	// ban, then unban
	if status, body := s.API("POST", "/api/rooms/general/ban", apiKey, map[string]any{"name": "eve", "duration": "30m", "reason": "x"}); status != 200 {
		t.Fatalf("ban: %d %v", status, body)
	}
	awaitError(eve, "kicked")
	if j := eve.Join("general", nil); j.Str("code") != "banned" {
		t.Errorf("join while banned: %v", j)
	}
	if status, body := s.API("DELETE", "/api/rooms/general/bans/eve", apiKey, nil); status != 200 {
		t.Fatalf("unban: %d %v", status, body)
	}
	if j := eve.Join("general", nil); j.Type() != "joined" {
		t.Errorf("join after unban: %v", j)
	}
	// delete
	if status, body := s.API("DELETE", "/api/rooms/general/messages/1", apiKey, nil); status != 200 || body.Num("seq") != 1 {
		t.Fatalf("delete: %d %v", status, body)
	}
	ann.AwaitFunc("deleted 1", func(f servertest.Frame) bool { return f.Type() == "deleted" && f.Num("seq") == 1 })
	_, body = s.API("GET", "/api/rooms/general/messages", apiKey, nil)
	if m := body["messages"].([]any)[0].(map[string]any); m["deleted"] != true || m["text"] != "" {
		t.Errorf("deleted message in history: %v", m)
	}
	// errors
	for _, c := range []struct {
		method, path string
		body         any
		status       int
		code         string
	}{
		{"DELETE", "/api/rooms/general/messages/99", nil, 404, "not_found"},
		{"DELETE", "/api/rooms/general/messages/x", nil, 400, "bad_request"},
		{"DELETE", "/api/rooms/general/messages/0", nil, 400, "bad_request"},
		// As hubbub.v1's ban without one: missing_field (it was bad_duration, "must be a
		// positive Go duration", for a field the caller had not sent).
		{"POST", "/api/rooms/general/ban", map[string]any{"name": "eve"}, 400, "missing_field"},
		{"POST", "/api/rooms/general/mute", map[string]any{"name": "eve", "duration": ""}, 400, "missing_field"},
		{"POST", "/api/rooms/general/ban", map[string]any{"name": "eve", "duration": "always"}, 400, "bad_duration"},
		{"POST", "/api/rooms/general/mute", map[string]any{"duration": "1m"}, 400, "missing_field"},
		{"POST", "/api/rooms/general/kick", map[string]any{"name": "eve", "duration": "1m"}, 400, "bad_duration"},
		{"POST", "/api/rooms/general/kick", map[string]any{"name": "eve", "why": "x"}, 400, "bad_json"},
		{"POST", "/api/rooms/general/kick", map[string]any{"name": "eve", "reason": strings.Repeat("r", 300)}, 400, "too_long"},
		{"GET", "/api/rooms/general/kick", nil, 405, "method_not_allowed"},
	} {
		status, body := s.API(c.method, c.path, apiKey, c.body)
		if status != c.status || body.Str("code") != c.code {
			t.Errorf("%s %s %v: %d %v, want %d %s", c.method, c.path, c.body, status, body, c.status, c.code)
		}
	}
}

// A banned or muted user may not post through the API while nobody is in the room on the
// node (the room is not open there, so its sanctions are not in memory): publish, edit and
// react answer 403 banned or muted, whatever the spelling of the name, and store nothing.
// Before, the check looked only at rooms the node held, and the API's message went in.
func TestAPISanctionsHoldInARoomNobodyIsIn(t *testing.T) {
	s := startAPI(t)
	for _, name := range []string{"dave", "erin"} {
		c := servertest.DialJSON(t, s, name)
		c.Join("quiet", nil)
		c.Say("quiet", name+"-1", "before, from "+name)
		c.Conn.Close()
	}
	testwait.Until(t, "quiet closed on the node", func() bool { return len(s.Hub.Members("quiet")) == 0 })
	for path, body := range map[string]map[string]any{
		"/api/rooms/quiet/ban":  {"name": "dave", "duration": "1h"},
		"/api/rooms/quiet/mute": {"name": "erin", "duration": "1h"},
	} {
		if status, got := s.API("POST", path, apiKey, body); status != http.StatusOK {
			t.Fatalf("POST %s: %d %v", path, status, got)
		}
	}
	for _, tc := range []struct{ method, path, from, code string }{
		{"POST", "/api/rooms/quiet/messages", "dave", "banned"},
		{"POST", "/api/rooms/quiet/messages", "DAVE", "banned"},
		{"PATCH", "/api/rooms/quiet/messages/1", "dave", "banned"},
		{"POST", "/api/rooms/quiet/messages/1/reactions/%F0%9F%91%8D", "dave", "banned"},
		{"POST", "/api/rooms/quiet/messages", "erin", "muted"},
		{"PATCH", "/api/rooms/quiet/messages/2", "erin", "muted"},
	} {
		body := map[string]any{"from": tc.from, "text": "while sanctioned"}
		if strings.Contains(tc.path, "/reactions/") {
			delete(body, "text")
		}
		status, got := s.API(tc.method, tc.path, apiKey, body)
		if status != http.StatusForbidden || got.Str("code") != tc.code {
			t.Errorf("%s %s from %s: %d %v, want 403 %s", tc.method, tc.path, tc.from, status, got, tc.code)
		}
	}
	status, got := s.API("GET", "/api/rooms/quiet/messages", apiKey, nil)
	if msgs, _ := got["messages"].([]any); status != http.StatusOK || len(msgs) != 2 {
		t.Errorf("quiet holds %d %v, want the two messages from before", status, got)
	}
	// Someone else still posts.
	if status, got := s.API("POST", "/api/rooms/quiet/messages", apiKey, map[string]any{"from": "ops", "text": "hello"}); status != http.StatusCreated {
		t.Errorf("ops posts: %d %v", status, got)
	}
}

// A body that is JSON but no object — an array, null, a number, a string — is 400 bad_json
// saying that it must be an object: an array was answered in encoding/json's words with the
// Go type's name ("cannot unmarshal array into Go value of type api.publishRequest"), and null
// as if the object had come without its fields ("from" is required).
func TestAPIBodyThatIsNoObject(t *testing.T) {
	s := startAPI(t)
	for _, body := range []string{"[]", "null", " 5", `"text"`, "[{\"from\":\"ann\"}]"} {
		for _, path := range []string{"/api/rooms/general/messages", "/api/rooms"} {
			status, f := s.API("POST", path, apiKey, body)
			if status != http.StatusBadRequest || f.Str("code") != "bad_json" || !strings.Contains(f.Str("message"), "must be a JSON object") ||
				strings.Contains(f.Str("message"), "Go ") {
				t.Errorf("POST %s %s: %d %v, want 400 bad_json: must be a JSON object", path, body, status, f)
			}
		}
	}
	if status, f := s.API("POST", "/api/rooms/general/messages", apiKey, ` {"from":"ann","text":"hi"} `); status != http.StatusCreated {
		t.Errorf("an object with spaces around it: %d %v", status, f)
	}
}

// TestAPIDuplicateKeyIsRefused: a body that names a field twice is refused with the key named,
// instead of the last one silently winning — a backend that builds its JSON by hand and sends
// "text" twice learns of it, rather than publishing the text it did not mean.
func TestAPIDuplicateKeyIsRefused(t *testing.T) {
	s := startAPI(t)
	ann := servertest.DialJSON(t, s, "ann")
	ann.Join("general", nil)
	for _, c := range []struct{ body, key string }{
		{`{"from":"sys","text":"first","text":"second"}`, `"text"`},
		// encoding/json matches a key to its field whatever the case, so these name one field too.
		{`{"from":"sys","text":"first","Text":"second"}`, `"Text"`},
		{`{"from":"sys","from":"sys","text":"x"}`, `"from"`},
	} {
		status, body := s.API("POST", "/api/rooms/general/messages", apiKey, c.body)
		if status != http.StatusBadRequest || body.Str("code") != "bad_json" || !strings.Contains(body.Str("message"), c.key) {
			t.Errorf("publish %s: %d %v, want 400 bad_json naming %s", c.body, status, body, c.key)
		}
	}
	// Every body is checked, not only a message's.
	status, body := s.API("POST", "/api/rooms", apiKey, `{"room":"a-room","topic":"t","topic":"u"}`)
	if status != http.StatusBadRequest || !strings.Contains(body.Str("message"), `"topic"`) {
		t.Errorf("create a room with topic twice: %d %v", status, body)
	}
	// Nothing was published: the member's next message is the one sent after.
	if status, body := s.API("POST", "/api/rooms/general/messages", apiKey, `{"from":"sys","text":"only"}`); status != http.StatusCreated {
		t.Fatalf("publish: %d %v", status, body)
	}
	if m := ann.Messages("general", 1)[0]; m.Str("text") != "only" || m.Num("seq") != 1 {
		t.Errorf("member received %v, want only the valid message as seq 1", m)
	}
}

// TestAPIIDThatIsNotUTF8IsRefused: a publish whose id holds an invalid byte is 400 bad_id, as
// docs/api.md's bad_id says. JSON decoding turns every invalid byte into U+FFFD, so two ids
// that differ only in such bytes would be one id and the second message a "duplicate" of the
// first, never stored.
func TestAPIIDThatIsNotUTF8IsRefused(t *testing.T) {
	s := startAPI(t)
	ann := servertest.DialJSON(t, s, "ann")
	ann.Join("general", nil)
	for _, body := range []string{
		"{\"from\":\"sys\",\"text\":\"first\",\"id\":\"k\xff\"}",
		"{\"from\":\"sys\",\"text\":\"second\",\"id\":\"k\xfe\"}",
		`{"from":"sys","text":"third","id":"k\ud800"}`,
	} {
		if status, f := s.API("POST", "/api/rooms/general/messages", apiKey, body); status != http.StatusBadRequest || f.Str("code") != "bad_id" {
			t.Errorf("publish %q: %d %v, want 400 bad_id", body, status, f)
		}
	}
	if status, f := s.API("POST", "/api/rooms/general/messages", apiKey, `{"from":"sys","text":"only","id":"k-1"}`); status != http.StatusCreated {
		t.Fatalf("publish with a good id: %d %v", status, f)
	}
	if m := ann.Messages("general", 1)[0]; m.Str("text") != "only" || m.Num("seq") != 1 {
		t.Errorf("member received %v, want only the message with a good id, as seq 1", m)
	}
}

// TestAPIOversizedLimitIsOneRule: every page of the API answers a limit past its maximum with
// the largest page, as history did and as hubbub.v1's frames do (the Go client's recovery asks
// for the whole gap and relies on it); before, rooms, users, members and the directory
// answered 400 where history, replies and search answered a page.
func TestAPIOversizedLimitIsOneRule(t *testing.T) {
	s := startAPI(t)
	ann := servertest.DialJSON(t, s, "ann")
	ann.Join("general", nil)
	if status, body := s.API("POST", "/api/rooms/general/messages", apiKey, map[string]any{"from": "ann", "text": "hello world"}); status != http.StatusCreated {
		t.Fatalf("publish: %d %v", status, body)
	}
	for _, path := range []string{
		"/api/rooms", "/api/users", "/api/directory", "/api/rooms/general/members?stored=1",
		"/api/rooms/general/messages", "/api/rooms/general/messages/1/replies", "/api/search?q=hello&room=general",
	} {
		sep := "?"
		if strings.Contains(path, "?") {
			sep = "&"
		}
		// A limit past what an int holds is past the maximum too, not "not a positive integer".
		for _, limit := range []string{"1000000", "99999999999999999999"} {
			if status, body := s.API("GET", path+sep+"limit="+limit, apiKey, nil); status != http.StatusOK {
				t.Errorf("GET %s with limit=%s: %d %v, want 200 with the largest page", path, limit, status, body)
			}
		}
	}
}

// TestAPIBearerSchemeAnyCase: HTTP's authentication schemes are case-insensitive (RFC 9110,
// 11.1), so "bearer KEY" — as some HTTP libraries and people write it — is the key; it was 401.
func TestAPIBearerSchemeAnyCase(t *testing.T) {
	s := startAPI(t)
	for _, scheme := range []string{"Bearer", "bearer", "BEARER"} {
		req, _ := http.NewRequest("GET", s.URL+"/api/rooms", nil)
		req.Header.Set("Authorization", scheme+" "+apiKey)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("Authorization: %s <key>: %d, want 200", scheme, resp.StatusCode)
		}
	}
}

// TestAPIPublishIntoAPrivateRoomAsAnyone: the API key speaks for the server (api.md, "The
// room log"), so a backend posts into a private room as a `from` who is no member of it, and
// the members get the message; an outsider connected meanwhile does not.
func TestAPIPublishIntoAPrivateRoomAsAnyone(t *testing.T) {
	s := startAPI(t)
	ann := servertest.DialJSON(t, s, "ann")
	ann.Send(servertest.Frame{"type": "create", "room": "ops", "private": true})
	ann.Await("room")
	ann.Join("ops", nil)
	eve := servertest.DialJSON(t, s, "eve")
	status, body := s.API("POST", "/api/rooms/ops/messages", apiKey, map[string]any{"from": "Deploy Bot", "text": "v2.3 is live"})
	if status != http.StatusCreated {
		t.Fatalf("publish into ops as a non-member: %d %v", status, body)
	}
	if m := ann.Messages("ops", 1)[0]; m.Str("from") != "Deploy Bot" || m.Str("text") != "v2.3 is live" {
		t.Errorf("the owner received %v", m)
	}
	eve.Send(servertest.Frame{"type": "join", "room": "ops"})
	awaitError(eve, "forbidden")
}

// A room nobody ever joined or wrote to (a backend's misspelt name) is 404 not_found on the
// room's endpoints, where its list of messages, members or sanctions read as an empty room's
// (200) and a ban or mute of it was stored and kept nobody out. A room only keyless clients
// have opened (stored nowhere) is a room; a lift reaches a sanction in any room.
func TestAPIUnknownRoomIs404(t *testing.T) {
	s := startAPI(t)
	ann := servertest.DialJSON(t, s, "ann")
	ann.Join("general", nil)
	servertest.DialText(t, s, "tom")
	servertest.WaitMembers(t, s, "lobby", 1)
	for _, c := range []struct {
		method, path string
		body         any
	}{
		{"GET", "/api/rooms/genral/messages", nil},
		{"GET", "/api/rooms/genral/members", nil},
		{"GET", "/api/rooms/genral/members?stored=1", nil},
		{"GET", "/api/rooms/genral/sanctions", nil},
		{"POST", "/api/rooms/genral/ban", map[string]any{"name": "ann", "duration": "1h"}},
		{"POST", "/api/rooms/genral/mute", map[string]any{"name": "ann", "duration": "1h"}},
	} {
		status, body := s.API(c.method, c.path, apiKey, c.body)
		if status != http.StatusNotFound || body.Str("code") != "not_found" || !strings.Contains(body.Str("message"), `no room "genral"`) {
			t.Errorf("%s %s: %d %v, want 404 not_found naming the room", c.method, c.path, status, body)
		}
	}
	if status, body := s.API("GET", "/api/rooms/genral/sanctions", apiKey, nil); status == http.StatusOK {
		t.Errorf("the refused ban was stored after all: %v", body)
	}
	for _, path := range []string{"/api/rooms/general/messages", "/api/rooms/general/sanctions", "/api/rooms/lobby/messages", "/api/rooms/lobby/members"} {
		if status, body := s.API("GET", path, apiKey, nil); status != http.StatusOK {
			t.Errorf("GET %s: %d %v, want 200", path, status, body)
		}
	}
	if status, body := s.API("POST", "/api/rooms/lobby/mute", apiKey, map[string]any{"name": "tom", "duration": "1h"}); status != http.StatusOK {
		t.Errorf("mute of tom in the room only keyless clients opened: %d %v", status, body)
	}
	// A room nobody uses may hold a sanction from a moderator's frame; this one holds none.
	if status, body := s.API("DELETE", "/api/rooms/genral/bans/ann", apiKey, nil); status != http.StatusNotFound || body.Str("code") != "not_found" {
		t.Errorf("a lift of no ban in a room nobody uses: %d %v, want 404 not_found", status, body)
	}
}

// A ban, mute or lift made through the API reaches the room's members as an entry that says
// so, api: true, live and replayed by since, so that a client reads "a server admin muted
// eve" rather than the audit log's "api muted eve". The flag, not the name, says it: a user
// may go by the name api, and a moderator so named is a person, whose sanctions carry none.
// The ban's kick names no moderator, as the API's kick does not.
func TestAPISanctionsSayTheyAreTheAPIs(t *testing.T) {
	s := servertest.Start(t, servertest.Options{Server: server.Config{APIKey: apiKey, RoleFor: servertest.Roles("api")}})
	ann := servertest.DialJSON(t, s, "ann")
	ann.Join("general", nil)
	eve := servertest.DialJSON(t, s, "eve")
	eve.Join("general", nil)
	impostor := servertest.DialJSON(t, s, "api") // a moderator who goes by the name api
	impostor.Join("general", nil)
	sanction := func(action string) servertest.Frame {
		return ann.AwaitFunc("sanction_changed "+action, func(f servertest.Frame) bool {
			return f.Type() == "sanction_changed" && f.Str("action") == action
		})
	}

	if status, body := s.API("POST", "/api/rooms/general/mute", apiKey, map[string]any{"name": "eve", "duration": "1h", "reason": "shouting"}); status != http.StatusOK {
		t.Fatalf("mute: %d %v", status, body)
	}
	if f := sanction("mute"); f["api"] != true || f.Str("from") != "api" || f.Str("reason") != "shouting" {
		t.Errorf("the API's mute reached ann as %v, want api true, from api", f)
	}
	impostor.Send(servertest.Frame{"type": "unmute", "room": "general", "name": "eve"})
	if f := sanction("unmute"); f["api"] != nil || f.Str("from") != "api" {
		t.Errorf("the moderator api's unmute reached ann as %v, want from api and no api flag", f)
	}
	since := ann.Say("general", "a-1", "before the ban").Num("seq")
	ann.Conn.Close()
	if status, body := s.API("POST", "/api/rooms/general/ban", apiKey, map[string]any{"name": "eve", "duration": "1h"}); status != http.StatusOK {
		t.Fatalf("ban: %d %v", status, body)
	}
	// Its kick names nobody either: the stored entry's user is "api", which named the API
	// "by api" to the banned.
	if f := awaitError(eve, "kicked"); f["by"] != nil || f.Str("until") == "" {
		t.Errorf("the API's ban kicked eve with %v, want an until and no by", f)
	}
	ann = servertest.DialJSON(t, s, "ann")
	if j := ann.Join("general", &since); j.Type() != "joined" {
		t.Fatalf("ann's rejoin: %v", j)
	}
	if f := sanction("ban"); f["api"] != true || f.Str("name") != "eve" {
		t.Errorf("the API's ban was replayed to ann as %v, want api true", f)
	}
}

// What the server API does as itself reaches the room as the server's, by the api flag: a
// plain kick's kicked error (which without it said nothing a client could tell from an older
// server's, and read "by a moderator") and its leave, an invitation's member_changed and a
// moderator's delete, and a ban's leave names the ban's entry (sanction_seq) so that a client
// that showed the entry does not say the ban twice. A moderator called api is a person: their
// delete carries no flag.
func TestAPIKicksInvitesAndDeletesSayTheyAreTheAPIs(t *testing.T) {
	s := servertest.Start(t, servertest.Options{Server: server.Config{APIKey: apiKey, RoleFor: servertest.Roles("api")}})
	ann := servertest.DialJSON(t, s, "ann")
	ann.Join("general", nil)
	eve := servertest.DialJSON(t, s, "eve")
	eve.Join("general", nil)
	impostor := servertest.DialJSON(t, s, "api") // a moderator who goes by the name api
	impostor.Join("general", nil)
	leave := func(name string) servertest.Frame {
		return ann.AwaitFunc(name+"'s leave", func(f servertest.Frame) bool {
			return f.Type() == "presence" && f.Str("event") == "leave" && f.Str("name") == name
		})
	}

	if status, body := s.API("POST", "/api/rooms/general/kick", apiKey, map[string]any{"name": "eve"}); status != http.StatusOK {
		t.Fatalf("kick: %d %v", status, body)
	}
	if f := awaitError(eve, "kicked"); f["api"] != true || f["by"] != nil || !strings.Contains(f.Str("message"), "by a server admin") {
		t.Errorf("the API's kick reached eve as %v, want api true, no by, \"by a server admin\"", f)
	}
	if f := leave("eve"); f.Str("moderation") != "kick" || f["api"] != true || f["by"] != nil || f["sanction_seq"] != nil {
		t.Errorf("the API's kick reached ann as %v, want moderation kick, api true, no by or sanction_seq", f)
	}

	seq := ann.Say("general", "a-1", "to be deleted").Num("seq")
	if status, body := s.API("DELETE", fmt.Sprintf("/api/rooms/general/messages/%d", seq), apiKey, nil); status != http.StatusOK {
		t.Fatalf("delete: %d %v", status, body)
	}
	deleted := func() servertest.Frame {
		return ann.AwaitFunc("deleted", func(f servertest.Frame) bool { return f.Type() == "deleted" })
	}
	if f := deleted(); f["api"] != true || f.Str("from") != "api" || f.Num("seq") != seq {
		t.Errorf("the API's delete reached ann as %v, want api true, from api", f)
	}
	seq = ann.Say("general", "a-2", "deleted by a person").Num("seq")
	impostor.Send(servertest.Frame{"type": "delete", "room": "general", "seq": seq})
	if f := deleted(); f["api"] != nil || f.Str("from") != "api" {
		t.Errorf("the moderator api's delete reached ann as %v, want from api and no api flag", f)
	}

	eve = servertest.DialJSON(t, s, "eve")
	eve.Join("general", nil)
	if status, body := s.API("POST", "/api/rooms/general/ban", apiKey, map[string]any{"name": "eve", "duration": "1h"}); status != http.StatusOK {
		t.Fatalf("ban: %d %v", status, body)
	}
	ban := ann.AwaitFunc("sanction_changed ban", func(f servertest.Frame) bool { return f.Type() == "sanction_changed" })
	if f := leave("eve"); f.Str("moderation") != "ban" || f["api"] != true || f.Num("sanction_seq") != ban.Num("log_seq") || ban.Num("log_seq") == 0 {
		t.Errorf("the API's ban (entry %v) reached ann as the leave %v, want moderation ban, api true, sanction_seq its log_seq", ban, f)
	}
	if f := awaitError(eve, "kicked"); f["api"] != true || f.Str("until") == "" {
		t.Errorf("the API's ban kicked eve with %v, want api true and an until", f)
	}

	// An invitation: carol, the owner of a private room, reads that the server invited bob.
	carol := servertest.DialJSON(t, s, "carol") // a guest, stored at hello
	servertest.DialJSON(t, s, "bob")
	if status, body := s.API("POST", "/api/rooms", apiKey, map[string]any{"room": "plans", "private": true, "owner": "carol"}); status != http.StatusCreated {
		t.Fatalf("create: %d %v", status, body)
	}
	carol.Join("plans", nil)
	if status, body := s.API("POST", "/api/rooms/plans/invite", apiKey, map[string]any{"name": "bob"}); status != http.StatusCreated {
		t.Fatalf("invite: %d %v", status, body)
	}
	f := carol.AwaitFunc("member_changed invite", func(f servertest.Frame) bool {
		return f.Type() == "member_changed" && f.Str("action") == "invite"
	})
	if f["api"] != true || f.Str("subject_name") != "bob" {
		t.Errorf("the API's invitation reached carol as %v, want api true", f)
	}
}
