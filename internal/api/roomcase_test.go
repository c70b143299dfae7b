package api_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"hubbub/internal/servertest"
)

// TestAPIRoomNamesAnyCase: the HTTP API takes a room named in any case as the room stored
// under another (docs/protocol.md, Room names) — a publish to /api/rooms/General reaches the
// members of general and its history, not a new room beside it — and refuses to create a
// room another spelling of which exists.
func TestAPIRoomNamesAnyCase(t *testing.T) {
	s := startAPI(t)
	ann := servertest.DialJSON(t, s, "ann")
	ann.Join("general", nil)

	status, body := s.API("POST", "/api/rooms/General/messages", apiKey, map[string]any{"from": "hook", "text": "deploy done"})
	msg, _ := body["message"].(map[string]any)
	if status != http.StatusCreated || msg["room"] != "general" {
		t.Fatalf("publish to General: %d %v, want 201 in general", status, body)
	}
	if f := ann.Await("message"); f.Str("room") != "general" || f.Str("text") != "deploy done" {
		t.Errorf("ann in general got %v", f)
	}

	status, body = s.API("GET", "/api/rooms/GENERAL/messages", apiKey, nil)
	msgs, _ := body["messages"].([]any)
	if status != http.StatusOK || len(msgs) != 1 {
		t.Errorf("history of GENERAL: %d %v, want general's one message", status, body)
	}
	status, body = s.API("GET", "/api/search?q=deploy&room=General", apiKey, nil)
	if hits, _ := body["hits"].([]any); status != http.StatusOK || len(hits) != 1 {
		t.Errorf("search in General: %d %v, want general's one hit", status, body)
	}
	if status, body := s.API("GET", "/api/rooms/General", apiKey, nil); status != http.StatusOK || body.Str("room") != "general" {
		t.Errorf("GET /api/rooms/General: %d %v, want general's metadata", status, body)
	}
	if status, body := s.API("POST", "/api/rooms", apiKey, map[string]any{"room": "GENERAL"}); status != http.StatusConflict || body.Str("code") != "exists" {
		t.Errorf("create GENERAL beside general: %d %v, want 409 exists", status, body)
	}
	// A room no spelling of which exists is still made as named.
	if status, body := s.API("POST", "/api/rooms", apiKey, map[string]any{"room": "Plans"}); status != http.StatusCreated || body.Str("room") != "Plans" {
		t.Errorf("create Plans: %d %v, want 201 Plans", status, body)
	}
	if status, body := s.API("GET", "/api/rooms/plans", apiKey, nil); status != http.StatusOK || body.Str("room") != "Plans" {
		t.Errorf("GET /api/rooms/plans: %d %v, want Plans", status, body)
	}
}

// TestAPIHookRoomAnyCase: an incoming hook made for GENERAL posts to general.
func TestAPIHookRoomAnyCase(t *testing.T) {
	s := startAPI(t)
	ann := servertest.DialJSON(t, s, "ann")
	ann.Join("general", nil)
	status, body := s.API("POST", "/api/hooks", apiKey, map[string]any{"room": "GENERAL"})
	hook, _ := body["hook"].(map[string]any)
	if status != http.StatusCreated || hook["room"] != "general" {
		t.Fatalf("create a hook for GENERAL: %d %v, want 201 for general", status, body)
	}
}

// TestAPIRoomMadeMeanwhile: a room name whose other spelling the store holds, though the API
// took it for a room of its own when it resolved it, is answered as the API answers it a
// moment later: POST /api/rooms is 409 exists naming the stored room, and a publish posts to
// the stored room. (The API takes "ops" for a room because this node holds it open for a
// connection without a key, which stores nothing, while "OPS" is made: what two first uses on
// two nodes at one instant look like.)
func TestAPIRoomMadeMeanwhile(t *testing.T) {
	s := startAPI(t)
	kim := servertest.DialJSON(t, s, "")
	kim.Send(servertest.Frame{"type": "hello", "name": "kim"}) // no key: an anonymous user
	kim.Await("welcome")
	kim.Join("ops", nil)
	if status, body := s.API("POST", "/api/rooms", apiKey, map[string]any{"room": "OPS"}); status != http.StatusCreated {
		t.Fatalf("create OPS: %d %v", status, body)
	}

	status, body := s.API("POST", "/api/rooms", apiKey, map[string]any{"room": "ops"})
	if status != http.StatusConflict || body.Str("code") != "exists" || !strings.Contains(body.Str("message"), `"OPS"`) {
		t.Errorf("create ops beside OPS: %d %v, want 409 exists naming OPS", status, body)
	}
	status, body = s.API("POST", "/api/rooms/ops/messages", apiKey, map[string]any{"from": "hook", "text": "deploy done"})
	if msg, _ := body["message"].(map[string]any); status != http.StatusCreated || msg["room"] != "OPS" {
		t.Errorf("publish to ops beside OPS: %d %v, want 201 in OPS", status, body)
	}
	status, body = s.API("GET", "/api/rooms/OPS/messages", apiKey, nil)
	if msgs, _ := body["messages"].([]any); status != http.StatusOK || len(msgs) != 1 {
		t.Errorf("history of OPS: %d %v, want the one message", status, body)
	}
	if status, body := s.API("GET", "/api/rooms/ops", apiKey, nil); status != http.StatusNotFound {
		t.Errorf("GET /api/rooms/ops: %d %v, want 404: no room ops was stored", status, body)
	}
}

// roomsNamed returns every "room" string an answer holds, at any depth.
func roomsNamed(v any) []string {
	var out []string
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if s, ok := x.(string); ok && k == "room" {
				out = append(out, s)
			}
			out = append(out, roomsNamed(x)...)
		}
	case servertest.Frame:
		out = roomsNamed(map[string]any(v))
	case []any:
		for _, x := range v {
			out = append(out, roomsNamed(x)...)
		}
	}
	return out
}

// TestAPIEveryRoomRouteResolves: every route whose path names a room takes it in any case as
// the room stored under another spelling, and answers for the stored name: each call below
// names GENERAL, beside the room general, and succeeds as it would by general's name, its
// answer naming general only (and an invitation to the public room is refused naming general).
func TestAPIEveryRoomRouteResolves(t *testing.T) {
	s := startAPI(t)
	ann := servertest.DialJSON(t, s, "ann")
	ann.Join("general", nil)
	if status, body := s.API("POST", "/api/rooms/general/messages", apiKey, map[string]any{"from": "hook", "text": "one"}); status != http.StatusCreated {
		t.Fatalf("publish to general: %d %v", status, body)
	}
	for _, c := range []struct {
		method, path string
		body         any
		status       int
	}{
		{"GET", "", nil, http.StatusOK},
		{"GET", "/members", nil, http.StatusOK},
		{"GET", "/members?stored=1", nil, http.StatusOK},
		{"GET", "/messages", nil, http.StatusOK},
		{"POST", "/messages", map[string]any{"from": "hook", "text": "two"}, http.StatusCreated},
		{"GET", "/messages/1", nil, http.StatusOK},
		{"PATCH", "/messages/1", map[string]any{"from": "hook", "text": "one, edited"}, http.StatusOK},
		{"POST", "/messages/1/reactions/%F0%9F%91%8D", map[string]any{"from": "hook"}, http.StatusCreated},
		{"DELETE", "/messages/1/reactions/%F0%9F%91%8D", map[string]any{"from": "hook"}, http.StatusOK},
		{"GET", "/messages/1/replies", nil, http.StatusOK},
		{"GET", "/messages/1/revisions", nil, http.StatusOK},
		{"PUT", "/read", map[string]any{"user": "ann", "seq": 1}, http.StatusOK},
		{"GET", "/notify?user=ann", nil, http.StatusOK},
		{"PUT", "/notify", map[string]any{"user": "ann", "level": "all"}, http.StatusOK},
		{"POST", "/invite", map[string]any{"name": "ann"}, http.StatusBadRequest},
		{"POST", "/kick", map[string]any{"name": "eve"}, http.StatusOK},
		{"POST", "/ban", map[string]any{"name": "eve", "duration": "1h"}, http.StatusOK},
		{"DELETE", "/bans/eve", nil, http.StatusOK},
		{"POST", "/mute", map[string]any{"name": "eve", "duration": "1h"}, http.StatusOK},
		{"DELETE", "/mutes/eve", nil, http.StatusOK},
		{"GET", "/sanctions", nil, http.StatusOK},
		{"DELETE", "/messages/2", nil, http.StatusOK},
	} {
		status, body := s.API(c.method, "/api/rooms/GENERAL"+c.path, apiKey, c.body)
		named := roomsNamed(body)
		if body.Str("code") != "" { // a refusal names the room in its message
			named = append(named, body.Str("message"))
		}
		if all := fmt.Sprint(named); status != c.status || !strings.Contains(all, "general") || strings.Contains(all, "GENERAL") {
			t.Errorf("%s /api/rooms/GENERAL%s: %d %v; want %d for general (rooms named: %q)", c.method, c.path, status, body, c.status, named)
		}
	}
}

// TestAPIBotRoomAnyCase: a bot's token is checked against the room it names as stored, with
// which its room patterns are compared whatever their case, as room names are: a bot of
// general posts by any spelling into general, so does a bot of General or of Gen*, and a bot
// of Team-* is still refused general.
func TestAPIBotRoomAnyCase(t *testing.T) {
	s := startAPI(t)
	ann := servertest.DialJSON(t, s, "ann")
	ann.Join("general", nil)
	_, body := s.API("POST", "/api/bots", apiKey, map[string]any{"name": "ci", "rooms": []string{"general"}})
	ci := body.Str("token")
	_, body = s.API("POST", "/api/bots", apiKey, map[string]any{"name": "cd", "rooms": []string{"General"}})
	cd := body.Str("token")
	if ci == "" || cd == "" {
		t.Fatalf("bots' tokens %q, %q", ci, cd)
	}
	status, body := s.API("POST", "/api/rooms/General/messages", ci, map[string]any{"text": "build passed"})
	if msg, _ := body["message"].(map[string]any); status != http.StatusCreated || msg["room"] != "general" {
		t.Errorf("bot of general posting to General: %d %v, want 201 in general", status, body)
	}
	if f := ann.Await("message"); f.Str("text") != "build passed" {
		t.Errorf("ann got %v", f)
	}
	_, body = s.API("POST", "/api/bots", apiKey, map[string]any{"name": "gen", "rooms": []string{"GEN*"}})
	gen := body.Str("token")
	_, body = s.API("POST", "/api/bots", apiKey, map[string]any{"name": "team", "rooms": []string{"Team-*"}})
	team := body.Str("token")
	for _, token := range []string{cd, gen} {
		for _, path := range []string{"/api/rooms/General/messages", "/api/rooms/general/messages"} {
			status, body := s.API("POST", path, token, map[string]any{"text": "deployed"})
			if msg, _ := body["message"].(map[string]any); status != http.StatusCreated || msg["room"] != "general" {
				t.Errorf("bot of General or GEN* posting to %s: %d %v, want 201 in general", path, status, body)
			}
			if f := ann.Await("message"); f.Str("text") != "deployed" {
				t.Errorf("ann got %v", f)
			}
		}
	}
	if status, body := s.API("POST", "/api/rooms/general/messages", team, map[string]any{"text": "x"}); status != http.StatusForbidden {
		t.Errorf("bot of Team-* posting to general: %d %v, want 403", status, body)
	}
}
