package api_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"hubbub"
	"hubbub/internal/server"
	"hubbub/internal/servertest"
)

// TestBotsAdmin: an admin creates a bot (its token shown once), lists, renames its rooms,
// rotates and deletes it; a bad request gets a clear error.
func TestBotsAdmin(t *testing.T) {
	s := startAPI(t)
	status, body := s.API("POST", "/api/bots", apiKey, map[string]any{"name": "ci", "rooms": []string{"builds", "deploy-*"}})
	bot, _ := body["bot"].(map[string]any)
	user, _ := bot["user"].(map[string]any)
	token := body.Str("token")
	if status != http.StatusCreated || !strings.HasPrefix(token, hubbub.BotTokenPrefix) || user["kind"] != "bot" || user["name"] != "ci" {
		t.Fatalf("create: %d %v", status, body)
	}
	id, _ := user["id"].(string)
	if status, body := s.API("GET", "/api/bots", apiKey, nil); status != http.StatusOK || !strings.Contains(fmt.Sprint(body["bots"]), id) ||
		strings.Contains(fmt.Sprint(body), token) {
		t.Errorf("list: %d %v (must hold the bot and never its token)", status, body)
	}
	if status, body := s.API("POST", "/api/bots", apiKey, map[string]any{"name": "ci", "rooms": []string{"x"}}); status != http.StatusConflict || body.Str("code") != hubbub.ECodeNameTaken {
		t.Errorf("a second bot named ci: %d %v", status, body)
	}
	if status, body := s.API("POST", "/api/bots", apiKey, map[string]any{"name": "x", "rooms": []string{"bad room"}}); status != http.StatusBadRequest || body.Str("code") != hubbub.ECodeBadRoom {
		t.Errorf("a bad room pattern: %d %v", status, body)
	}
	if status, body := s.API("PATCH", "/api/bots/ci", apiKey, map[string]any{"rooms": []string{"*"}}); status != http.StatusOK ||
		fmt.Sprint(body["bot"].(map[string]any)["rooms"]) != "[*]" {
		t.Errorf("patch rooms: %d %v", status, body)
	}
	if status, body := s.API("POST", "/api/rooms/builds/messages", apiKey, map[string]any{"from": "ops", "text": "build 1 passed"}); status != http.StatusCreated {
		t.Fatalf("a message into builds: %d %v", status, body)
	}
	status, body = s.API("POST", "/api/bots/"+id+"/token", apiKey, nil)
	rotated := body.Str("token")
	if status != http.StatusOK || rotated == "" || rotated == token {
		t.Fatalf("rotate: %d %v", status, body)
	}
	if status, _ := s.API("GET", "/api/rooms/builds/messages", token, nil); status != http.StatusUnauthorized {
		t.Errorf("the rotated-out token: %d, want 401", status)
	}
	if status, _ := s.API("GET", "/api/rooms/builds/messages", rotated, nil); status != http.StatusOK {
		t.Errorf("the new token: %d, want 200", status)
	}
	if status, _ := s.API("DELETE", "/api/bots/ci", apiKey, nil); status != http.StatusNoContent {
		t.Errorf("delete: %d", status)
	}
	if status, body := s.API("DELETE", "/api/bots/ci", apiKey, nil); status != http.StatusNotFound {
		t.Errorf("delete twice: %d %v", status, body)
	}
	if status, _ := s.API("GET", "/api/rooms/builds/messages", rotated, nil); status != http.StatusUnauthorized {
		t.Errorf("a deleted bot's token: %d, want 401", status)
	}
	// A bot's token is no admin key.
	if status, _ := s.API("POST", "/api/bots", rotated, map[string]any{"name": "evil"}); status != http.StatusUnauthorized {
		t.Errorf("bot creation with a (dead) bot token: %d", status)
	}
}

// TestBotTokenREST: a bot's token posts and reads messages of its rooms only, as itself, its
// messages marked; any other endpoint or room is forbidden; it works with the API key off.
func TestBotTokenREST(t *testing.T) {
	s := servertest.Start(t, servertest.Options{}) // no --api-key
	token := hubbub.NewBotToken()
	if _, err := s.Store.CreateBot(t.Context(), "ci", []string{"builds"}, hubbub.SecretHash(token)); err != nil {
		t.Fatal(err)
	}
	alice := servertest.DialJSON(t, s, "alice")
	alice.Join("builds", nil)

	status, body := s.API("POST", "/api/rooms/builds/messages", token, map[string]any{"text": "build 9 passed", "id": "b-9"})
	msg, _ := body["message"].(map[string]any)
	if status != http.StatusCreated || msg["from"] != "ci" || msg["bot"] != true {
		t.Fatalf("a bot's publish: %d %v", status, body)
	}
	if f := alice.Messages("builds", 1)[0]; f["bot"] != true || f.Str("from") != "ci" {
		t.Errorf("alice receives %v, want the bot's message marked", f)
	}
	if status, body := s.API("POST", "/api/rooms/builds/messages", token, map[string]any{"text": "build 9 passed", "id": "b-9"}); status != http.StatusOK || body["duplicate"] != true {
		t.Errorf("the same message and id again: %d %v, want the first message as a duplicate", status, body)
	}
	if status, body := s.API("POST", "/api/rooms/builds/messages", token, map[string]any{"text": "again", "id": "b-9"}); status != http.StatusConflict || body.Str("code") != hubbub.ECodeConflict {
		t.Errorf("the same id with another text: %d %v, want 409 conflict", status, body)
	}
	if status, body := s.API("GET", "/api/rooms/builds/messages", token, nil); status != http.StatusOK || !strings.Contains(fmt.Sprint(body), "build 9 passed") {
		t.Errorf("a bot's history read: %d %v", status, body)
	}
	for _, c := range []struct {
		method, path string
		body         any
	}{
		{"POST", "/api/rooms/general/messages", map[string]any{"text": "hi"}}, // not its room
		{"GET", "/api/rooms/general/messages", nil},
		{"POST", "/api/rooms/builds/messages", map[string]any{"text": "hi", "from": "alice"}}, // not as itself
		{"GET", "/api/rooms", nil},                                                            // not a bot's endpoint
		{"POST", "/api/bots", map[string]any{"name": "child"}},                                // nor an admin's
		{"DELETE", "/api/rooms/builds/messages/1", nil},
	} {
		if status, body := s.API(c.method, c.path, token, c.body); status != http.StatusForbidden || body.Str("code") != hubbub.ECodeForbidden {
			t.Errorf("%s %s with a bot's token: %d %v, want 403 forbidden", c.method, c.path, status, body)
		}
	}
	if status, _ := s.API("POST", "/api/rooms/builds/messages", hubbub.BotTokenPrefix+"nope", map[string]any{"text": "x"}); status != http.StatusUnauthorized {
		t.Errorf("an unknown bot token: %d, want 401", status)
	}
	// Without the key, everything else is still off.
	if status, _ := s.API("GET", "/api/rooms", "", nil); status != http.StatusNotFound {
		t.Errorf("the API without a key on a server without --api-key: %d, want 404", status)
	}
}

// A bot's token on a method its route does not take is answered 405 with Allow, as the API
// key is, not 403: forbidden sent a bot's author looking at its rooms for a wrong method. A
// path no route has is 404 alike; a route the token may not call stays 403.
func TestBotTokenWrongMethodIs405(t *testing.T) {
	s := servertest.Start(t, servertest.Options{}) // no --api-key
	token := hubbub.NewBotToken()
	if _, err := s.Store.CreateBot(t.Context(), "ci", []string{"builds"}, hubbub.SecretHash(token)); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		method, path string
		status       int
		allow        string
	}{
		{"PUT", "/api/rooms/builds/messages", http.StatusMethodNotAllowed, "GET, HEAD, POST"},
		{"DELETE", "/api/rooms/builds/messages", http.StatusMethodNotAllowed, "GET, HEAD, POST"},
		{"POST", "/api/rooms/builds/messages/1", http.StatusMethodNotAllowed, "DELETE, GET, HEAD, PATCH"},
		{"GET", "/api/rooms/builds/nothing", http.StatusNotFound, ""},
		{"PATCH", "/api/rooms/builds/messages/1", http.StatusForbidden, ""}, // the API key's edit
	} {
		req, err := http.NewRequest(c.method, s.URL+c.path, strings.NewReader(`{"text":"x"}`))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != c.status || resp.Header.Get("Allow") != c.allow {
			t.Errorf("%s %s with a bot's token: %d Allow %q %s, want %d Allow %q", c.method, c.path,
				resp.StatusCode, resp.Header.Get("Allow"), body, c.status, c.allow)
		}
	}
}

// postHook posts body (a string, as sent) to path and returns the status and answer.
func postHook(t *testing.T, s *servertest.Server, path, body string) (int, servertest.Frame) {
	t.Helper()
	return s.API("POST", path, "", body)
}

// startWithHook starts a server with the API key and an incoming hook into room, and returns
// the server and the hook's path.
func startWithHook(t *testing.T, room string) (*servertest.Server, string) {
	t.Helper()
	s := servertest.Start(t, servertest.Options{Server: server.Config{APIKey: apiKey}})
	status, body := s.API("POST", "/api/hooks", apiKey, map[string]any{"room": room})
	if status != http.StatusCreated {
		t.Fatalf("create a hook into %s: %d %v", room, status, body)
	}
	return s, body.Str("path")
}

// An incoming hook's body that gives a key twice is refused, as the API's bodies and hubbub.v1's
// frames are: encoding/json would post the last text, which the tool may not have meant. Keys
// the hook does not know are still ignored, and nothing is posted.
func TestIncomingHookRefusesAKeyGivenTwice(t *testing.T) {
	s, path := startWithHook(t, "alerts")
	for _, b := range []string{`{"text":"meant","text":"not meant"}`, `{"text":"meant","Text":"not meant"}`} {
		if status, body := postHook(t, s, path, b); status != http.StatusBadRequest || body.Str("code") != hubbub.ECodeBadJSON {
			t.Errorf("post %s: %d %v, want 400 bad_json", b, status, body)
		}
	}
	if status, body := postHook(t, s, path, `{"text":"once","icon":"x"}`); status != http.StatusCreated || body["message"].(map[string]any)["seq"] != float64(1) {
		t.Fatalf("a post after the refusals: %d %v, want the room's first entry", status, body)
	}
}

// A post without a text names the fields it has: "the message is empty" alone sent the author
// of a misspelt "txt" looking at a message they had written.
func TestIncomingHookNamesTheFieldsOfAPostWithoutText(t *testing.T) {
	s, path := startWithHook(t, "alerts")
	for b, want := range map[string]string{
		`{"txt":"hi","username":"ci"}`: `the body has no "text" (its fields: "txt", "username")`,
		`{}`:                           `the body needs a "text"`,
		`{"text":""}`:                  `the message is empty`,
	} {
		if status, body := postHook(t, s, path, b); status != http.StatusBadRequest || body.Str("code") != hubbub.ECodeEmpty || !strings.Contains(body.Str("message"), want) {
			t.Errorf("post %s: %d %v, want 400 empty saying %q", b, status, body, want)
		}
	}
	// A key matches its field whatever its case: an empty "Text" is the post's text, sent
	// empty, not a field the body lacks (which told its author to look for a misspelling).
	if status, body := postHook(t, s, path, `{"Text":"","username":"ci"}`); status != http.StatusBadRequest || body.Str("message") != "the message is empty" {
		t.Errorf(`post {"Text":""}: %d %v, want 400 "the message is empty"`, status, body)
	}
}

// TestIncomingHook: a hook posts into its room as its bot, once per id; a wrong secret is 401,
// an unknown hook 404, a body too large 413, a bad one 400, too many posts 429; a deleted hook
// is gone.
func TestIncomingHook(t *testing.T) {
	s := servertest.Start(t, servertest.Options{Server: server.Config{APIKey: apiKey, MaxText: 100}})
	status, body := s.API("POST", "/api/hooks", apiKey, map[string]any{"room": "alerts"})
	hook, _ := body["hook"].(map[string]any)
	path := body.Str("path")
	if status != http.StatusCreated || hook["room"] != "alerts" || hook["bot_name"] != "hook-alerts" || !strings.HasPrefix(path, "/hooks/ih_") {
		t.Fatalf("create: %d %v", status, body)
	}
	id, _ := hook["id"].(string)
	alice := servertest.DialJSON(t, s, "alice")
	alice.Join("alerts", nil)

	status, body = postHook(t, s, path, `{"text":"disk 91% on db-1","id":"alert-1"}`)
	msg, _ := body["message"].(map[string]any)
	if status != http.StatusCreated || msg["from"] != "hook-alerts" || msg["bot"] != true || body["duplicate"] != false {
		t.Fatalf("post: %d %v", status, body)
	}
	if status, body := postHook(t, s, path, `{"text":"disk 91% on db-1","id":"alert-1"}`); status != http.StatusOK || body["duplicate"] != true {
		t.Errorf("the same id again: %d %v", status, body)
	}
	if status, body := postHook(t, s, path, `{"text":"from grafana","name":"Grafana","extra":"ignored"}`); status != http.StatusCreated ||
		body["message"].(map[string]any)["from"] != "Grafana" {
		t.Errorf("a post with a name: %d %v", status, body)
	}
	got := alice.Messages("alerts", 2)
	if got[0].Str("text") != "disk 91% on db-1" || got[0]["bot"] != true || got[1].Str("from") != "Grafana" || got[1]["bot"] != true {
		t.Errorf("alice received %v, want each post once, marked as a bot's", got)
	}
	since := uint64(0)
	if j := servertest.DialJSON(t, s, "carol").Join("alerts", &since); j.Num("last_seq") != 2 {
		t.Errorf("the room holds %d entries, want 2 (the resend stored nothing)", j.Num("last_seq"))
	}

	wrong := strings.TrimSuffix(path, path[len(path)-4:]) + "0000"
	for _, c := range []struct {
		path, body string
		status     int
		code       string
	}{
		{wrong, `{"text":"x"}`, http.StatusUnauthorized, "unauthorized"},
		{"/hooks/ih_nope/secret", `{"text":"x"}`, http.StatusNotFound, hubbub.ECodeNotFound},
		{path, `{"text":"` + strings.Repeat("a", 17<<10) + `"}`, http.StatusRequestEntityTooLarge, "too_large"},
		{path, `{"text":`, http.StatusBadRequest, hubbub.ECodeBadJSON},
		{path, `{"text":""}`, http.StatusBadRequest, hubbub.ECodeEmpty},
		{path, `{"text":"` + strings.Repeat("a", 101) + `"}`, http.StatusBadRequest, hubbub.ECodeTooLong},
		{path, `{"text":"x","name":"alice"}`, http.StatusConflict, hubbub.ECodeNameTaken},
	} {
		if status, body := postHook(t, s, c.path, c.body); status != c.status || body.Str("code") != c.code {
			t.Errorf("post %.40s to %s: %d %v, want %d %s", c.body, c.path, status, body, c.status, c.code)
		}
	}
	if status, _ := s.API("GET", path, "", nil); status != http.StatusMethodNotAllowed {
		t.Errorf("GET of a hook: %d, want 405", status)
	}

	// A disabled bot posts nothing through its hooks.
	u, _, err := s.Store.UserByName(t.Context(), "hook-alerts")
	if err != nil {
		t.Fatal(err)
	}
	off, on := true, false
	if _, err := s.Store.UpdateUser(t.Context(), u.ID, hubbub.UserChange{Disabled: &off}); err != nil {
		t.Fatal(err)
	}
	if status, body := postHook(t, s, path, `{"text":"while disabled"}`); status != http.StatusForbidden {
		t.Errorf("a post as a disabled bot: %d %v, want 403", status, body)
	}
	if _, err := s.Store.UpdateUser(t.Context(), u.ID, hubbub.UserChange{Disabled: &on}); err != nil {
		t.Fatal(err)
	}

	// The bucket (burst 10 by default) runs out; the answer says when to retry.
	limited := false
	for i := range 30 {
		status, body := postHook(t, s, path, fmt.Sprintf(`{"text":"flood %d"}`, i))
		if status == http.StatusTooManyRequests {
			limited = body.Str("code") == hubbub.ECodeRateLimited
			break
		}
	}
	if !limited {
		t.Errorf("30 posts at once were never refused with 429 rate_limited")
	}

	if status, body := s.API("GET", "/api/hooks", apiKey, nil); status != http.StatusOK || !strings.Contains(fmt.Sprint(body), id) ||
		strings.Contains(fmt.Sprint(body), path) {
		t.Errorf("list: %d %v (must hold the hook and never its secret)", status, body)
	}
	if status, _ := s.API("DELETE", "/api/hooks/"+id, apiKey, nil); status != http.StatusNoContent {
		t.Errorf("delete: %d", status)
	}
	if status, _ := postHook(t, s, path, `{"text":"x"}`); status != http.StatusNotFound {
		t.Errorf("a deleted hook: %d, want 404", status)
	}
}

// TestIncomingHooksSharingABot: two hooks that post as one bot into one room each keep their
// own ids — both tools sending "id":"1" get both posts stored, and each one's resend is still
// found.
func TestIncomingHooksSharingABot(t *testing.T) {
	s := servertest.Start(t, servertest.Options{Server: server.Config{APIKey: apiKey}})
	var paths []string
	for range 2 {
		status, body := s.API("POST", "/api/hooks", apiKey, map[string]any{"room": "alerts", "bot": "ci"})
		if status != http.StatusCreated {
			t.Fatalf("create: %d %v", status, body)
		}
		paths = append(paths, body.Str("path"))
	}
	for i, path := range paths {
		status, body := postHook(t, s, path, fmt.Sprintf(`{"text":"from tool %d","id":"1"}`, i))
		if status != http.StatusCreated || body["duplicate"] != false {
			t.Fatalf("tool %d's first post: %d %v, want 201 and stored", i, status, body)
		}
	}
	for i, path := range paths {
		status, body := postHook(t, s, path, fmt.Sprintf(`{"text":"from tool %d","id":"1"}`, i))
		msg, _ := body["message"].(map[string]any)
		if status != http.StatusOK || body["duplicate"] != true || msg["text"] != fmt.Sprintf("from tool %d", i) {
			t.Errorf("tool %d's resend: %d %v, want 200 with its own first post", i, status, body)
		}
	}
	since := uint64(0)
	if j := servertest.DialJSON(t, s, "carol").Join("alerts", &since); j.Num("last_seq") != 2 {
		t.Errorf("the room holds %d entries, want 2 (one per tool)", j.Num("last_seq"))
	}
}

// TestBotCreateNeedsRooms: POST /api/bots without rooms (or with none) made a bot that may join
// and post nowhere, with a 201 and its token shown that once — the backend found out from the
// bot's first forbidden join. It is 400 missing_field now, as hubbub bot create without --rooms
// is a usage error, and no bot is made.
func TestBotCreateNeedsRooms(t *testing.T) {
	s := startAPI(t)
	for _, req := range []map[string]any{{"name": "ci"}, {"name": "ci", "rooms": []string{}}, {"name": "ci", "rooms": nil}} {
		status, body := s.API("POST", "/api/bots", apiKey, req)
		if status != http.StatusBadRequest || body.Str("code") != hubbub.ECodeMissing || !strings.Contains(body.Str("message"), "rooms") {
			t.Errorf("create %v: %d %v, want 400 missing_field about rooms", req, status, body)
		}
	}
	if status, body := s.API("GET", "/api/bots", apiKey, nil); status != http.StatusOK || strings.Contains(fmt.Sprint(body), `ci`) {
		t.Errorf("a refused bot was made: %d %v", status, body)
	}
	if status, body := s.API("POST", "/api/bots", apiKey, map[string]any{"name": "ci", "rooms": []string{"builds"}}); status != http.StatusCreated {
		t.Errorf("create with rooms: %d %v", status, body)
	}
}

// TestBotRoomsEmptiedIsAPause: PATCH /api/bots/{bot} with "rooms": [] (as hubbub bot rooms with
// an empty list) leaves the bot in no room, a pause that keeps its token (docs/api.md, Bots):
// its token's posts are then 403 forbidden, as in any room its patterns do not cover, and once
// its rooms are given back the same token posts again.
func TestBotRoomsEmptiedIsAPause(t *testing.T) {
	s := startAPI(t)
	status, body := s.API("POST", "/api/bots", apiKey, map[string]any{"name": "ci", "rooms": []string{"builds"}})
	token := body.Str("token")
	if status != http.StatusCreated || token == "" {
		t.Fatalf("create: %d %v", status, body)
	}
	post := func(text string) (int, servertest.Frame) {
		return s.API("POST", "/api/rooms/builds/messages", token, map[string]any{"text": text})
	}
	read := func() int {
		status, _ := s.API("GET", "/api/rooms/builds/messages", token, nil)
		return status
	}
	if status, body := post("build 1 passed"); status != http.StatusCreated {
		t.Fatalf("the bot's post to builds: %d %v", status, body)
	}

	status, body = s.API("PATCH", "/api/bots/ci", apiKey, map[string]any{"rooms": []string{}})
	bot, _ := body["bot"].(map[string]any)
	if status != http.StatusOK || fmt.Sprint(bot["rooms"]) != "[]" || bot["token"] != true {
		t.Fatalf(`PATCH "rooms": []: %d %v, want 200, no rooms and its token kept`, status, body)
	}
	// The node that took the change forgets its cached bot before answering (Service.BotChanged).
	if status := read(); status != http.StatusForbidden {
		t.Errorf("the paused bot's read of builds: %d, want 403", status)
	}
	if status, body := post("build 2 passed"); status != http.StatusForbidden || body.Str("code") != hubbub.ECodeForbidden {
		t.Errorf("the paused bot's post to builds: %d %v, want 403 forbidden", status, body)
	}
	if status, body := s.API("GET", "/api/bots/ci", apiKey, nil); status != http.StatusOK || !strings.Contains(fmt.Sprint(body), "ci") {
		t.Errorf("the paused bot: %d %v, want it still listed", status, body)
	}

	status, body = s.API("PATCH", "/api/bots/ci", apiKey, map[string]any{"rooms": []string{"builds"}})
	if bot, _ := body["bot"].(map[string]any); status != http.StatusOK || fmt.Sprint(bot["rooms"]) != "[builds]" {
		t.Fatalf(`PATCH "rooms": ["builds"]: %d %v`, status, body)
	}
	if status := read(); status != http.StatusOK {
		t.Errorf("the resumed bot's read of builds: %d, want 200", status)
	}
	status, body = post("build 3 passed")
	if msg, _ := body["message"].(map[string]any); status != http.StatusCreated || msg["from"] != "ci" || msg["bot"] != true {
		t.Fatalf("the resumed bot's post to builds with the same token: %d %v", status, body)
	}
	// What it posted while paused was never stored.
	if status, body := s.API("GET", "/api/rooms/builds/messages", apiKey, nil); status != http.StatusOK ||
		strings.Contains(fmt.Sprint(body), "build 2") || !strings.Contains(fmt.Sprint(body), "build 3") {
		t.Errorf("builds holds %d %v, want builds 1 and 3", status, body)
	}
}

// TestIncomingHookPostsAsItsBot: a hook's post is checked as a post with its bot's own token
// is — a tester's hook into #general posted there as a bot whose only room was builds, and went
// on posting while the bot was paused (rooms emptied). A hook outside its bot's rooms cannot be
// made; one made before that rule (in the store) is refused with the token's own answer; an
// emptied room list refuses its posts until the rooms are given back (through the API or on
// the store directly, as `hubbub bot rooms` does); a private room takes only a member bot's
// posts; a muted bot posts nothing.
func TestIncomingHookPostsAsItsBot(t *testing.T) {
	s := startAPI(t)
	status, body := s.API("POST", "/api/bots", apiKey, map[string]any{"name": "ci", "rooms": []string{"builds"}})
	token := body.Str("token")
	if status != http.StatusCreated || token == "" {
		t.Fatalf("create the bot: %d %v", status, body)
	}
	ci, _, err := s.Store.UserByName(t.Context(), "ci")
	if err != nil {
		t.Fatal(err)
	}

	// A hook outside the bot's rooms is refused, naming them; inside them it is made.
	status, body = s.API("POST", "/api/hooks", apiKey, map[string]any{"room": "general", "bot": "ci"})
	if status != http.StatusForbidden || body.Str("code") != hubbub.ECodeForbidden || !strings.Contains(body.Str("message"), "its rooms: builds") {
		t.Errorf("a hook into general as ci (rooms builds): %d %v, want 403 forbidden naming its rooms", status, body)
	}
	if status, body := s.API("GET", "/api/hooks", apiKey, nil); strings.Contains(fmt.Sprint(body), "general") {
		t.Errorf("the refused hook was made: %d %v", status, body)
	}
	status, body = s.API("POST", "/api/hooks", apiKey, map[string]any{"room": "builds", "bot": "ci"})
	builds := body.Str("path")
	if status != http.StatusCreated {
		t.Fatalf("a hook into builds as ci: %d %v", status, body)
	}

	// A hook stored outside the bot's rooms (made before creation checked them) answers as
	// the bot's token does there.
	secret := hubbub.NewHookSecret()
	old, err := s.Store.CreateIncomingHook(t.Context(), hubbub.IncomingHook{Room: "general", Bot: ci.ID, SecretHash: hubbub.SecretHash(secret)})
	if err != nil {
		t.Fatal(err)
	}
	_, viaToken := s.API("POST", "/api/rooms/general/messages", token, map[string]any{"text": "outside its rooms"})
	status, body = postHook(t, s, "/hooks/"+old.ID+"/"+secret, `{"text":"outside its rooms"}`)
	if status != http.StatusForbidden || body.Str("code") != hubbub.ECodeForbidden || body.Str("message") != viaToken.Str("message") ||
		!strings.Contains(body.Str("message"), `bot "ci" may not use room "general" (its rooms: builds)`) {
		t.Errorf("a post through a hook outside its bot's rooms: %d %v, want 403 as the token's %v", status, body, viaToken)
	}

	post := func(text string) (int, servertest.Frame) {
		return postHook(t, s, builds, fmt.Sprintf(`{"text":%q}`, text))
	}
	if status, body := post("build 1 passed"); status != http.StatusCreated {
		t.Fatalf("a post into builds: %d %v", status, body)
	}
	// Paused through the API, then given its rooms back.
	if status, body := s.API("PATCH", "/api/bots/ci", apiKey, map[string]any{"rooms": []string{}}); status != http.StatusOK {
		t.Fatalf("pause: %d %v", status, body)
	}
	status, body = post("while paused")
	if status != http.StatusForbidden || body.Str("code") != hubbub.ECodeForbidden || !strings.Contains(body.Str("message"), "paused") {
		t.Errorf("a post while the bot is paused: %d %v, want 403 forbidden saying it is paused", status, body)
	}
	if status, body := s.API("PATCH", "/api/bots/ci", apiKey, map[string]any{"rooms": []string{"builds"}}); status != http.StatusOK {
		t.Fatalf("resume: %d %v", status, body)
	}
	if status, body := post("build 2 passed"); status != http.StatusCreated {
		t.Errorf("a post once resumed: %d %v, want 201", status, body)
	}
	// Paused on the store, as `hubbub bot rooms ci ''` does beside a running server: no
	// BotChanged reaches it, and the next post is refused all the same.
	none, back := []string{}, []string{"builds"}
	if _, err := s.Store.UpdateBot(t.Context(), ci.ID, hubbub.BotChange{Rooms: &none}); err != nil {
		t.Fatal(err)
	}
	if status, body := post("paused on the store"); status != http.StatusForbidden {
		t.Errorf("a post after the store paused the bot: %d %v, want 403", status, body)
	}
	if _, err := s.Store.UpdateBot(t.Context(), ci.ID, hubbub.BotChange{Rooms: &back}); err != nil {
		t.Fatal(err)
	}
	if status, body := post("build 3 passed"); status != http.StatusCreated {
		t.Errorf("a post after the store resumed the bot: %d %v, want 201", status, body)
	}

	// A private room takes the posts of a bot that is its member only.
	if status, body := s.API("PATCH", "/api/bots/ci", apiKey, map[string]any{"rooms": []string{"builds", "ops*"}}); status != http.StatusOK {
		t.Fatalf("rooms builds, ops*: %d %v", status, body)
	}
	for _, room := range []map[string]any{{"room": "ops", "private": true}, {"room": "ops-ci", "private": true, "owner": "ci"}} {
		if status, body := s.API("POST", "/api/rooms", apiKey, room); status != http.StatusCreated {
			t.Fatalf("create %v: %d %v", room, status, body)
		}
	}
	hookInto := func(room string) string {
		status, body := s.API("POST", "/api/hooks", apiKey, map[string]any{"room": room, "bot": "ci"})
		if status != http.StatusCreated {
			t.Fatalf("a hook into %s: %d %v", room, status, body)
		}
		return body.Str("path")
	}
	_, viaToken = s.API("POST", "/api/rooms/ops/messages", token, map[string]any{"text": "not a member"})
	status, body = postHook(t, s, hookInto("ops"), `{"text":"not a member"}`)
	if status != http.StatusForbidden || body.Str("code") != hubbub.ECodeForbidden || body.Str("message") != viaToken.Str("message") {
		t.Errorf("a post into a private room the bot is not a member of: %d %v, want 403 as the token's %v", status, body, viaToken)
	}
	if status, body := postHook(t, s, hookInto("ops-ci"), `{"text":"a member"}`); status != http.StatusCreated {
		t.Errorf("a post into a private room the bot owns: %d %v, want 201", status, body)
	}

	// Moderation applies to it as to anyone.
	if status, body := s.API("POST", "/api/rooms/builds/mute", apiKey, map[string]any{"name": "ci", "duration": "1h"}); status != http.StatusOK {
		t.Fatalf("mute: %d %v", status, body)
	}
	if status, body := post("while muted"); status != http.StatusForbidden || body.Str("code") != hubbub.ECodeMuted {
		t.Errorf("a post while the bot is muted: %d %v, want 403 muted", status, body)
	}

	// Nothing refused was stored.
	if status, body := s.API("GET", "/api/rooms/builds/messages", apiKey, nil); !strings.Contains(fmt.Sprint(body), "build 3 passed") ||
		strings.Contains(fmt.Sprint(body), "paused") || strings.Contains(fmt.Sprint(body), "muted") {
		t.Errorf("builds holds %d %v", status, body)
	}
	if status, body := s.API("GET", "/api/rooms/general/messages", apiKey, nil); strings.Contains(fmt.Sprint(body), "outside its rooms") {
		t.Errorf("general holds %d %v", status, body)
	}
}

// TestIncomingHookBodyThatIsNoObject: a hook's body that is JSON but no object — a tool that
// posts a list of alerts, or a bare string — was answered in encoding/json's words ("cannot
// unmarshal array into Go value of type api.hookPost"), and null as an empty message. Each is
// 400 bad_json saying the body must be an object now, as the API's bodies are, and nothing is
// posted.
func TestIncomingHookBodyThatIsNoObject(t *testing.T) {
	s, path := startWithHook(t, "alerts")
	for _, b := range []string{`[{"text":"disk full"}]`, `"disk full"`, ` 5`, `null`, `true`} {
		status, f := postHook(t, s, path, b)
		if msg := f.Str("message"); status != http.StatusBadRequest || f.Str("code") != hubbub.ECodeBadJSON ||
			!strings.Contains(msg, "must be a JSON object") || strings.Contains(msg, "Go ") {
			t.Errorf("post %s: %d %v, want 400 bad_json: the body must be a JSON object", b, status, f)
		}
	}
	if status, body := postHook(t, s, path, `{"text":"disk full"}`); status != http.StatusCreated || body["message"].(map[string]any)["seq"] != float64(1) {
		t.Fatalf("a post after the refusals: %d %v, want the room's first entry", status, body)
	}
}

// TestIncomingHookIntoADMNeedsItsBot: a hook into a DM was made for a bot that is not one of
// its people — a new bot, "hook-dm.…", or one whose rooms cover dm.* — and each of its posts
// was then refused as a DM its poster is not in ("no direct message …: start one"), though the
// DM exists: a DM's people are fixed, so the hook could never post. Such a hook is refused when
// it is made (403 forbidden, no bot made); a hook as a bot among the DM's people posts there.
func TestIncomingHookIntoADMNeedsItsBot(t *testing.T) {
	s := servertest.Start(t, servertest.Options{Server: server.Config{APIKey: apiKey}})
	alice := servertest.DialJSON(t, s, "alice")
	servertest.DialJSON(t, s, "bob")
	dmOf := func(names ...string) string {
		t.Helper()
		status, body := s.API("POST", "/api/dms", apiKey, map[string]any{"names": names})
		room, _ := body["room"].(map[string]any)
		name, _ := room["room"].(string)
		if status != http.StatusCreated || !hubbub.IsDMRoom(name) {
			t.Fatalf("a DM of %v: %d %v", names, status, body)
		}
		return name
	}
	people := dmOf("alice", "bob")
	if status, body := s.API("POST", "/api/bots", apiKey, map[string]any{"name": "helper", "rooms": []string{"dm.*"}}); status != http.StatusCreated {
		t.Fatalf("create the bot: %d %v", status, body)
	}
	for _, req := range []map[string]any{{"room": people}, {"room": people, "bot": "newbot"}, {"room": people, "bot": "helper"}} {
		status, body := s.API("POST", "/api/hooks", apiKey, req)
		if status != http.StatusForbidden || body.Str("code") != hubbub.ECodeForbidden || !strings.Contains(body.Str("message"), "could never post") {
			t.Errorf("a hook %v into a DM its bot is not in: %d %v, want 403 forbidden", req, status, body)
		}
	}
	if status, body := s.API("GET", "/api/bots", apiKey, nil); status != http.StatusOK || len(body["bots"].([]any)) != 1 {
		t.Errorf("bots after the refusals: %d %v, want helper alone (no bot made for a refused hook)", status, body)
	}

	withHelper := dmOf("alice", "helper")
	status, body := s.API("POST", "/api/hooks", apiKey, map[string]any{"room": withHelper, "bot": "helper"})
	if status != http.StatusCreated {
		t.Fatalf("a hook as a bot among the DM's people: %d %v, want 201", status, body)
	}
	if status, body := postHook(t, s, body.Str("path"), `{"text":"your build passed"}`); status != http.StatusCreated {
		t.Fatalf("its post: %d %v, want 201", status, body)
	}
	alice.Join(withHelper, nil)
	if got := alice.Messages(withHelper, 1)[0]; got.Str("text") != "your build passed" || got.Str("from") != "helper" {
		t.Errorf("alice read %v in the DM, want the hook's post as helper", got)
	}
}
