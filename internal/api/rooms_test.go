package api_test

import (
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"hubbub/internal/server"
	"hubbub/internal/servertest"
)

// listRooms calls GET /api/rooms with query q and returns the rooms by name, their names in
// the order given, and the next cursor.
func listRooms(t *testing.T, s *servertest.Server, q string) (map[string]map[string]any, []string, string) {
	t.Helper()
	status, body := s.API("GET", "/api/rooms"+q, apiKey, nil)
	list, ok := body["rooms"].([]any)
	if status != http.StatusOK || !ok {
		t.Fatalf("GET /api/rooms%s: %d %v", q, status, body)
	}
	byName := map[string]map[string]any{}
	var names []string
	for _, v := range list {
		r := v.(map[string]any)
		name, _ := r["name"].(string)
		byName[name] = r
		names = append(names, name)
	}
	return byName, names, body.Str("next")
}

// TestAPIRoomsListsStoredRooms: rooms are listed from the store, so a room with history and
// nobody connected is listed (it was not: the list held only rooms open on the node), with
// its last seq, the time of its last message, and its live members where the node has them;
// the list is paged by limit and after, and bad values of either get 400.
func TestAPIRoomsListsStoredRooms(t *testing.T) {
	s := servertest.Start(t, servertest.Options{Server: server.Config{APIKey: apiKey, RoomsPageMax: 3}})
	publish := func(room string, n int) {
		for i := range n {
			if status, body := s.API("POST", "/api/rooms/"+room+"/messages", apiKey, map[string]any{"from": "sys", "text": fmt.Sprint("m", i)}); status != http.StatusCreated {
				t.Fatalf("publish to %s: %d %v", room, status, body)
			}
		}
	}
	start := time.Now().Add(-time.Second)
	publish("quiet", 23)
	publish("B-side", 1)
	publish("general", 2)
	ann := servertest.DialJSON(t, s, "ann")
	ann.Join("general", nil)
	bob := servertest.DialJSON(t, s, "bob")
	bob.Join("general", nil)
	bob.Join("lobby", nil) // open here, no message yet

	rooms, names, next := listRooms(t, s, "")
	if want := []string{"B-side", "general", "lobby"}; !slices.Equal(names, want) || next != "lobby" {
		t.Fatalf("first page (the default limit is the maximum, 3): %q next %q, want %q next \"lobby\"", names, next, want)
	}
	rest, names, next := listRooms(t, s, "?after="+next)
	if !slices.Equal(names, []string{"quiet"}) || next != "" {
		t.Fatalf("second page: %q next %q, want [quiet] and no next", names, next)
	}
	rooms["quiet"] = rest["quiet"]

	check := func(name string, lastSeq, members, conns float64, open, dated bool) {
		t.Helper()
		r := rooms[name]
		if r["last_seq"] != lastSeq || r["members"] != members || r["connections"] != conns || r["open_here"] != open {
			t.Errorf("room %s: %v; want last_seq %v, members %v, connections %v, open_here %v", name, r, lastSeq, members, conns, open)
		}
		at, _ := r["last_activity"].(string)
		when, err := time.Parse(time.RFC3339Nano, at)
		if dated && (err != nil || when.Before(start) || when.After(time.Now().Add(time.Second))) {
			t.Errorf("room %s: last_activity %v, want the time of its last message", name, r["last_activity"])
		}
		if !dated && r["last_activity"] != nil {
			t.Errorf("room %s: last_activity %v, want null", name, r["last_activity"])
		}
	}
	check("quiet", 23, 0, 0, false, true)
	check("B-side", 1, 0, 0, false, true)
	check("general", 2, 2, 2, true, true)
	check("lobby", 0, 1, 1, true, false)

	_, names, next = listRooms(t, s, "?limit=1&after=B-side")
	if !slices.Equal(names, []string{"general"}) || next != "general" {
		t.Errorf("limit=1 after B-side: %q next %q", names, next)
	}
	_, names, _ = listRooms(t, s, "?after=m")
	if !slices.Equal(names, []string{"quiet"}) {
		t.Errorf("after a name no room has: %q, want [quiet]", names)
	}

	// A limit past the maximum is answered with the maximum, as every page of the API and of
	// hubbub.v1 is: next says more remain.
	if _, names, next := listRooms(t, s, "?limit=4"); !slices.Equal(names, []string{"B-side", "general", "lobby"}) || next != "lobby" {
		t.Errorf("limit=4, one past the maximum: %q next %q, want the first 3 and next \"lobby\"", names, next)
	}
	for _, q := range []string{"?limit=0", "?limit=-1", "?limit=x", "?after=bad%20room", "?after=-x"} {
		status, body := s.API("GET", "/api/rooms"+q, apiKey, nil)
		if status != http.StatusBadRequest || body.Str("code") != "bad_request" || body.Str("message") == "" {
			t.Errorf("GET /api/rooms%s: %d %v, want 400 bad_request", q, status, body)
		}
	}

	// Nobody connected: the rooms are still there, and still after a restart.
	ann.Conn.Close()
	bob.Conn.Close()
	servertest.WaitConns(t, s, 0)
	s = s.Restart()
	_, names, _ = listRooms(t, s, "")
	if want := []string{"B-side", "general", "quiet"}; !slices.Equal(names, want) {
		t.Errorf("after a restart with nobody connected: %q, want %q", names, want)
	}
}
