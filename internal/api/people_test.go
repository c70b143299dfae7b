package api_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"

	"hubbub"
	"hubbub/internal/servertest"
)

// addUser stores an account for name directly in the server's store, as `hubbub user add`
// does, and returns its id.
func addUser(t *testing.T, s *servertest.Server, name string) string {
	t.Helper()
	u, err := s.Store.(hubbub.UserStore).CreateUser(context.Background(), hubbub.User{Name: name}, "")
	if err != nil {
		t.Fatal(err)
	}
	return u.ID
}

// names returns the values of field of each object of list.
func names(list any, field string) []string {
	var out []string
	items, _ := list.([]any)
	for _, v := range items {
		m, _ := v.(map[string]any)
		s, _ := m[field].(string)
		out = append(out, s)
	}
	return out
}

// TestAPIUsers: the users are listed in id order, paged; one is found by name, look-alike
// spellings included; a name no user holds is 404 and a bad one 400.
func TestAPIUsers(t *testing.T) {
	s := startAPI(t)
	ids := []string{addUser(t, s, "ann"), addUser(t, s, "bob"), addUser(t, s, "cy")}
	slices.Sort(ids)
	status, body := s.API("GET", "/api/users?limit=2", apiKey, nil)
	if got := names(body["users"], "id"); status != http.StatusOK || !slices.Equal(got, ids[:2]) || body.Str("next") != ids[1] {
		t.Fatalf("first page: %d %v", status, body)
	}
	status, body = s.API("GET", "/api/users?limit=2&after="+body.Str("next"), apiKey, nil)
	if got := names(body["users"], "id"); status != http.StatusOK || !slices.Equal(got, ids[2:]) || body.Str("next") != "" {
		t.Errorf("second page: %d %v", status, body)
	}
	status, body = s.API("GET", "/api/users/ANN", apiKey, nil)
	if status != http.StatusOK || body.Str("name") != "ann" || body.Str("kind") != "account" || body.Str("role") != "member" || !strings.HasPrefix(body.Str("id"), "u_") {
		t.Errorf("GET /api/users/ANN: %d %v", status, body)
	}
	for path, want := range map[string]struct {
		status int
		code   string
	}{
		"/api/users/nobody":       {404, "not_found"},
		"/api/users/%20x":         {400, "bad_name"},
		"/api/users?limit=0":      {400, "bad_request"},
		"/api/users?limit=x":      {400, "bad_request"},
		"/api/users/nobody/rooms": {404, "not_found"},
	} {
		if status, body := s.API("GET", path, apiKey, nil); status != want.status || body.Str("code") != want.code {
			t.Errorf("GET %s: %d %v, want %d %s", path, status, body, want.status, want.code)
		}
	}
}

// TestAPIDirectory: public rooms, with topics, by a part of the name or topic, paged; private
// rooms and DMs are not listed.
func TestAPIDirectory(t *testing.T) {
	s := startAPI(t)
	for _, r := range []map[string]any{
		{"room": "alpha", "topic": "Engineering"},
		{"room": "beta"},
		{"room": "eng-chat"},
		{"room": "secret-eng", "private": true},
	} {
		if status, body := s.API("POST", "/api/rooms", apiKey, r); status != http.StatusCreated {
			t.Fatalf("create %v: %d %v", r, status, body)
		}
	}
	status, body := s.API("GET", "/api/directory?q=ENG&limit=1", apiKey, nil)
	if got := names(body["rooms"], "room"); status != http.StatusOK || !slices.Equal(got, []string{"alpha"}) || body.Str("next") != "alpha" {
		t.Fatalf("page 1: %d %v", status, body)
	}
	status, body = s.API("GET", "/api/directory?q=ENG&limit=1&after=alpha", apiKey, nil)
	if got := names(body["rooms"], "room"); status != http.StatusOK || !slices.Equal(got, []string{"eng-chat"}) {
		t.Errorf("page 2: %d %v", status, body)
	}
	status, body = s.API("GET", "/api/directory", apiKey, nil)
	if got := names(body["rooms"], "room"); status != http.StatusOK || !slices.Equal(got, []string{"alpha", "beta", "eng-chat"}) {
		t.Errorf("all: %d %v", status, body)
	}
	for _, q := range []string{"?limit=0", "?after=bad%20room", "?q=" + strings.Repeat("x", 1000)} {
		if status, body := s.API("GET", "/api/directory"+q, apiKey, nil); status != http.StatusBadRequest || body.Str("code") != "bad_request" {
			t.Errorf("GET /api/directory%s: %d %v", q, status, body)
		}
	}
}

// TestAPIActsAsTheNamedUser: a publish, edit, reaction and delete with from act as the stored
// user who holds the name (their id on the entry, their spelling of the name), and as the
// anonymous user of a name no user holds; a disabled user may not act.
func TestAPIActsAsTheNamedUser(t *testing.T) {
	s := startAPI(t)
	annID := addUser(t, s, "ann")
	status, body := s.API("POST", "/api/rooms/general/messages", apiKey, map[string]any{"from": "ANN", "text": "hi"})
	msg, _ := body["message"].(map[string]any)
	if status != http.StatusCreated || msg["from"] != "ann" {
		t.Fatalf("publish as ANN: %d %v", status, body)
	}
	stored, err := s.Store.Before(context.Background(), "general", 0, 10)
	if err != nil || len(stored) != 1 || stored[0].User != annID {
		t.Fatalf("the stored message: %+v %v, want user %s", stored, err, annID)
	}
	if status, body := s.API("POST", "/api/rooms/general/messages", apiKey, map[string]any{"from": "bot", "text": "beep"}); status != http.StatusCreated {
		t.Fatalf("publish as a bot no user is: %d %v", status, body)
	}
	stored, _ = s.Store.Before(context.Background(), "general", 0, 10)
	if key, _ := hubbub.NameKey("bot"); len(stored) != 2 || stored[1].User != hubbub.AnonymousUserID(key) {
		t.Errorf("the bot's message: %+v", stored)
	}
	// ann edits and reacts to her message under another spelling; the bot may not edit it.
	if status, body := s.API("PATCH", "/api/rooms/general/messages/1", apiKey, map[string]any{"from": "Ann", "text": "hello"}); status != http.StatusOK {
		t.Errorf("ann's edit: %d %v", status, body)
	}
	if status, body := s.API("PATCH", "/api/rooms/general/messages/1", apiKey, map[string]any{"from": "bot", "text": "pwned"}); status != http.StatusForbidden {
		t.Errorf("the bot's edit of ann's message: %d %v, want 403", status, body)
	}
	if status, body := s.API("POST", "/api/rooms/general/messages/1/reactions/👍", apiKey, map[string]any{"from": "ann"}); status != http.StatusCreated || body.Str("from") != "ann" {
		t.Errorf("ann's reaction: %d %v", status, body)
	}
	if status, body := s.API("POST", "/api/rooms/general/messages/1/reactions/👍", apiKey, map[string]any{"from": "ANN"}); status != http.StatusOK || body["changed"] != false || body.Num("count") != 1 {
		t.Errorf("ann's reaction again, spelled otherwise: %d %v", status, body)
	}
	if status, body := s.API("DELETE", "/api/rooms/general/messages/1", apiKey, map[string]any{"from": "ann"}); status != http.StatusOK {
		t.Errorf("ann's delete: %d %v", status, body)
	}
	disabled := true
	if _, err := s.Store.(hubbub.UserStore).UpdateUser(context.Background(), annID, hubbub.UserChange{Disabled: &disabled}); err != nil {
		t.Fatal(err)
	}
	if status, body := s.API("POST", "/api/rooms/general/messages", apiKey, map[string]any{"from": "ann", "text": "hi"}); status != http.StatusForbidden || body.Str("code") != "forbidden" {
		t.Errorf("publish as a disabled user: %d %v", status, body)
	}
}
