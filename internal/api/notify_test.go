package api_test

import (
	"net/http"
	"testing"
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
