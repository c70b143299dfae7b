package api_test

import (
	"net/http"
	"strings"
	"testing"

	"hubbub/internal/servertest"
)

// TestAPINotifyLevel: a backend reads and sets a user's notification level for a room, under
// the user's read rights; bad requests are refused with the status api.md names.
func TestAPINotifyLevel(t *testing.T) {
	s := startAPI(t)
	bobID := addUser(t, s, "bob")
	addUser(t, s, "eve")
	if status, body := s.API("POST", "/api/rooms", apiKey, map[string]any{"room": "plans", "private": true, "owner": "bob"}); status != http.StatusCreated {
		t.Fatalf("create plans: %d %v", status, body)
	}
	status, body := s.API("GET", "/api/rooms/plans/notify?user=bob", apiKey, nil)
	if status != http.StatusOK || body.Str("level") != "mention" || body.Str("user") != bobID || body.Str("name") != "bob" || body.Str("room") != "plans" {
		t.Fatalf("never set: %d %v", status, body)
	}
	status, body = s.API("PUT", "/api/rooms/plans/notify", apiKey, map[string]any{"user": "bob", "level": "all"})
	if status != http.StatusOK || body.Str("level") != "all" {
		t.Fatalf("set all: %d %v", status, body)
	}
	if status, body = s.API("GET", "/api/rooms/plans/notify?user=bob", apiKey, nil); status != http.StatusOK || body.Str("level") != "all" {
		t.Fatalf("read after set: %d %v", status, body)
	}
	if status, body = s.API("GET", "/api/rooms/plans/notify?user=eve", apiKey, nil); status != http.StatusForbidden || body.Str("code") != "forbidden" {
		t.Errorf("eve, outside the private room: %d %v", status, body)
	}
	for _, c := range []struct {
		method, path string
		body         any
		status       int
		code         string
	}{
		{"PUT", "/api/rooms/plans/notify", map[string]any{"user": "bob", "level": "loud"}, 400, "bad_field"},
		{"PUT", "/api/rooms/plans/notify", map[string]any{"user": "bob"}, 400, "missing_field"},
		{"PUT", "/api/rooms/plans/notify", map[string]any{"level": "all"}, 400, "missing_field"},
		{"PUT", "/api/rooms/plans/notify", map[string]any{"user": "eve", "level": "all"}, 403, "forbidden"},
		{"PUT", "/api/rooms/plans/notify", map[string]any{"user": "ghost", "level": "all"}, 404, "not_found"},
		{"PUT", "/api/rooms/plans/notify", "{", 400, "bad_json"},
		{"GET", "/api/rooms/plans/notify", nil, 400, "missing_field"},
		// A misspelt room was answered 200, and a PUT stored a level for a room that is not
		// there, as a read position's PUT did before it said 404.
		{"PUT", "/api/rooms/plasn/notify", map[string]any{"user": "bob", "level": "all"}, 404, "not_found"},
		{"GET", "/api/rooms/plasn/notify?user=bob", nil, 404, "not_found"},
	} {
		if status, body := s.API(c.method, c.path, apiKey, c.body); status != c.status || body.Str("code") != c.code {
			t.Errorf("%s %s %v: %d %v, want %d %s", c.method, c.path, c.body, status, body, c.status, c.code)
		}
	}
	if status, _ := s.API("GET", "/api/rooms/plans/notify?user=bob", "", nil); status != http.StatusUnauthorized {
		t.Errorf("without the key: %d", status)
	}
}

// TestAPINotifyAllOutsideTheRoom: "all" notifies a room's members only, and the API set it for
// a public room the user had never joined with a plain 200 — the backend's user then heard of
// none of its messages, and nothing said why. The answer says so in note now (the level is
// kept: it counts once they join), and says nothing once they are a member.
func TestAPINotifyAllOutsideTheRoom(t *testing.T) {
	s := startAPI(t)
	bob := servertest.DialJSON(t, s, "bob")
	if status, body := s.API("POST", "/api/rooms/general/messages", apiKey, map[string]any{"from": "ann", "text": "hi"}); status != http.StatusCreated {
		t.Fatalf("publish: %d %v", status, body)
	}
	status, body := s.API("PUT", "/api/rooms/general/notify", apiKey, map[string]any{"user": "bob", "level": "all"})
	if status != http.StatusOK || body.Str("level") != "all" || !strings.Contains(body.Str("note"), "not a member of room general") {
		t.Errorf("all, for a room bob never joined: %d %v, want 200 with a note that he is not a member", status, body)
	}
	if status, body := s.API("GET", "/api/rooms/general/notify?user=bob", apiKey, nil); status != http.StatusOK || !strings.Contains(body.Str("note"), "not a member") {
		t.Errorf("reading it: %d %v, want the note too", status, body)
	}
	if status, body := s.API("PUT", "/api/rooms/general/notify", apiKey, map[string]any{"user": "bob", "level": "mention"}); status != http.StatusOK || body["note"] != nil {
		t.Errorf("mention: %d %v, want no note (mentions are not a members' matter)", status, body)
	}
	if j := bob.Join("general", nil); j.Type() != "joined" {
		t.Fatalf("bob's join: %v", j)
	}
	if status, body := s.API("PUT", "/api/rooms/general/notify", apiKey, map[string]any{"user": "bob", "level": "all"}); status != http.StatusOK || body["note"] != nil {
		t.Errorf("all, once bob is a member: %d %v, want no note", status, body)
	}
}
