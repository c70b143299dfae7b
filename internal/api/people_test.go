package api_test

import (
	"context"
	"fmt"
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
	u, err := s.Store.CreateUser(context.Background(), hubbub.User{Name: name}, "")
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
	if _, err := s.Store.UpdateUser(context.Background(), annID, hubbub.UserChange{Disabled: &disabled}); err != nil {
		t.Fatal(err)
	}
	if status, body := s.API("POST", "/api/rooms/general/messages", apiKey, map[string]any{"from": "ann", "text": "hi"}); status != http.StatusForbidden || body.Str("code") != "forbidden" {
		t.Errorf("publish as a disabled user: %d %v", status, body)
	}
}

// TestAPIRoomsAndInvites: a backend creates a private room with an owner and a public one,
// reads their metadata, invites a user (who gets it live, and in their room list), lists the
// stored members, and sets a user's read position, which reaches their connections; bad
// input gets its status and code.
func TestAPIRoomsAndInvites(t *testing.T) {
	s := startAPI(t)
	addUser(t, s, "ann")
	bob := servertest.DialJSON(t, s, "bob") // a guest, stored at hello
	bobID := bob.User
	if bobID == "" || !strings.HasPrefix(bobID, "u_") {
		t.Fatalf("bob is no stored user: %q", bobID)
	}

	status, body := s.API("POST", "/api/rooms", apiKey, map[string]any{"room": "plans", "topic": " Q3\tplans ", "private": true, "owner": "ann"})
	if status != http.StatusCreated || body.Str("room") != "plans" || body.Str("topic") != "Q3 plans" || body["private"] != true || body.Num("members") != 1 {
		t.Fatalf("create: %d %v", status, body)
	}
	if status, body := s.API("POST", "/api/rooms", apiKey, map[string]any{"room": "plans"}); status != http.StatusConflict || body.Str("code") != "exists" {
		t.Errorf("create again: %d %v, want 409 exists", status, body)
	}
	if status, body := s.API("POST", "/api/rooms", apiKey, map[string]any{"room": "open", "topic": "anyone"}); status != http.StatusCreated || body.Num("members") != 0 {
		t.Errorf("create a public room with no owner: %d %v", status, body)
	}
	for _, c := range []struct {
		body   any
		status int
		code   string
	}{
		{map[string]any{"room": "dm.x"}, 400, "bad_room"},
		{map[string]any{"room": "bad room"}, 400, "bad_room"},
		{map[string]any{"room": "lobby", "private": true}, 400, "bad_room"},
		{map[string]any{"room": "t", "topic": strings.Repeat("x", hubbub.MaxTopicLen+1)}, 400, "too_long"},
		{map[string]any{"room": "t", "owner": "nobody"}, 404, "not_found"},
		{map[string]any{"room": "t", "colour": "red"}, 400, "bad_json"},
	} {
		if status, body := s.API("POST", "/api/rooms", apiKey, c.body); status != c.status || body.Str("code") != c.code {
			t.Errorf("create %v: %d %v, want %d %s", c.body, status, body, c.status, c.code)
		}
	}
	if status, body := s.API("GET", "/api/rooms/plans", apiKey, nil); status != http.StatusOK || body.Str("topic") != "Q3 plans" || body.Num("last_seq") != 1 {
		t.Errorf("GET /api/rooms/plans: %d %v", status, body)
	}
	if status, body := s.API("GET", "/api/rooms/nowhere", apiKey, nil); status != http.StatusNotFound || body.Str("code") != "not_found" {
		t.Errorf("GET /api/rooms/nowhere: %d %v", status, body)
	}

	// The invitation: bob's connection gets the room at once, and it is in his list.
	status, body = s.API("POST", "/api/rooms/plans/invite", apiKey, map[string]any{"name": "bob", "id": "inv-1"})
	mc, _ := body["member_changed"].(map[string]any)
	if status != http.StatusCreated || mc["subject"] != bobID || mc["action"] != "invite" || mc["from"] != "api" || mc["log_seq"] != float64(2) {
		t.Fatalf("invite: %d %v", status, body)
	}
	bob.AwaitFunc("bob's invitation", func(f servertest.Frame) bool {
		return f.Type() == "room" && f.Str("room") == "plans" && f["invited"] == true
	})
	if status, body := s.API("POST", "/api/rooms/plans/invite", apiKey, map[string]any{"name": "bob", "id": "inv-1"}); status != http.StatusOK || body["duplicate"] != true {
		t.Errorf("the same invitation again: %d %v", status, body)
	}
	if status, body := s.API("POST", "/api/rooms/plans/invite", apiKey, map[string]any{"name": "bob"}); status != http.StatusConflict || body.Str("code") != "exists" {
		t.Errorf("inviting an invitee: %d %v, want 409 exists", status, body)
	}
	for _, c := range []struct {
		path   string
		body   any
		status int
		code   string
	}{
		{"/api/rooms/open/invite", map[string]any{"name": "bob"}, 400, "bad_field"},
		{"/api/rooms/nowhere/invite", map[string]any{"name": "bob"}, 404, "not_found"},
		{"/api/rooms/plans/invite", map[string]any{"name": "ghost"}, 404, "not_found"},
		{"/api/rooms/plans/invite", map[string]any{}, 400, "bad_name"},
		{"/api/rooms/plans/invite", map[string]any{"name": "bob", "id": strings.Repeat("i", 65)}, 400, "bad_id"},
		{"/api/rooms/plans/invite", map[string]any{"name": "ann", "id": "inv-1"}, 409, "conflict"}, // bob's invitation's id
	} {
		if status, body := s.API("POST", c.path, apiKey, c.body); status != c.status || body.Str("code") != c.code {
			t.Errorf("POST %s %v: %d %v, want %d %s", c.path, c.body, status, body, c.status, c.code)
		}
	}
	status, body = s.API("GET", "/api/users/bob/rooms", apiKey, nil)
	rooms, _ := body["rooms"].([]any)
	if status != http.StatusOK || len(rooms) != 1 || rooms[0].(map[string]any)["invited"] != true {
		t.Errorf("bob's rooms: %d %v", status, body)
	}

	// The stored members, paged; the live names stay the default answer.
	status, body = s.API("GET", "/api/rooms/plans/members?stored=1&limit=1", apiKey, nil)
	first := names(body["members"], "name")
	if status != http.StatusOK || len(first) != 1 || body.Str("next") == "" {
		t.Fatalf("stored members, page 1: %d %v", status, body)
	}
	status, body = s.API("GET", "/api/rooms/plans/members?stored=1&limit=1&after="+body.Str("next"), apiKey, nil)
	all := append(first, names(body["members"], "name")...)
	slices.Sort(all)
	if status != http.StatusOK || !slices.Equal(all, []string{"ann", "bob"}) || body.Str("next") != "" {
		t.Errorf("stored members, page 2: %d %v (all %q)", status, body, all)
	}
	if status, body := s.API("GET", "/api/rooms/plans/members?stored=maybe", apiKey, nil); status != http.StatusBadRequest {
		t.Errorf("stored=maybe: %d %v", status, body)
	}

	// bob accepts and reads; a backend moves his read position, which his connections hear.
	bob.Join("plans", nil)
	for i := range 3 {
		if status, body := s.API("POST", "/api/rooms/plans/messages", apiKey, map[string]any{"from": "ann", "text": fmt.Sprint("m", i)}); status != http.StatusCreated {
			t.Fatalf("publish: %d %v", status, body)
		}
	}
	status, body = s.API("GET", "/api/users/bob/rooms", apiKey, nil)
	if r := body["rooms"].([]any)[0].(map[string]any); status != http.StatusOK || r["unread"] != float64(3) {
		t.Errorf("bob's unread: %d %v", status, body)
	}
	status, body = s.API("PUT", "/api/rooms/plans/read", apiKey, map[string]any{"user": "bob", "seq": 99})
	if status != http.StatusOK || body.Str("user") != bobID || body.Num("seq") != 6 {
		t.Fatalf("read: %d %v (a seq past the last is the last, 6)", status, body)
	}
	bob.AwaitFunc("bob's read position", func(f servertest.Frame) bool {
		return f.Type() == "read" && f.Str("room") == "plans" && f.Num("seq") == 6
	})
	status, body = s.API("GET", "/api/users/bob/rooms", apiKey, nil)
	if r := body["rooms"].([]any)[0].(map[string]any); status != http.StatusOK || r["unread"] != float64(0) || r["read_seq"] != float64(6) {
		t.Errorf("bob's rooms after reading: %d %v", status, body)
	}
	addUser(t, s, "eve")
	for _, c := range []struct {
		path   string
		body   any
		status int
		code   string
	}{
		{"/api/rooms/plans/read", map[string]any{"user": "eve", "seq": 1}, 403, "forbidden"}, // not a member
		{"/api/rooms/plans/read", map[string]any{"user": "ghost", "seq": 1}, 404, "not_found"},
		{"/api/rooms/plans/read", map[string]any{"seq": 1}, 400, "missing_field"},
		// no seq moved nothing and answered 200, as if the backend had said where bob read to
		{"/api/rooms/plans/read", map[string]any{"user": "bob"}, 400, "missing_field"},
		{"/api/rooms/plans/read", map[string]any{"user": "bob", "seq": 0}, 400, "missing_field"},
		{"/api/rooms/plans/read", map[string]any{"user": "bob", "seq": -1}, 400, "bad_json"},
		// a room no one joined or wrote to: a typo, not a read position of 0
		{"/api/rooms/nosuchroom/read", map[string]any{"user": "bob", "seq": 1}, 404, "not_found"},
	} {
		if status, body := s.API("PUT", c.path, apiKey, c.body); status != c.status || body.Str("code") != c.code {
			t.Errorf("PUT %s %v: %d %v, want %d %s", c.path, c.body, status, body, c.status, c.code)
		}
	}
}

// TestAPIDirectMessages: a DM between users is created once (every member's connections get
// it, titled with the others' names) and found again by the same people in any order and
// spelling; bad sets of names are refused.
func TestAPIDirectMessages(t *testing.T) {
	s := startAPI(t)
	ann := servertest.DialJSON(t, s, "ann")
	bob := servertest.DialJSON(t, s, "bob")
	addUser(t, s, "cy")
	status, body := s.API("POST", "/api/dms", apiKey, map[string]any{"names": []string{"ann", "bob"}})
	room, _ := body["room"].(map[string]any)
	name, _ := room["room"].(string)
	if status != http.StatusCreated || !hubbub.IsDMRoom(name) || room["dm"] != true || body["created"] != true ||
		!slices.Equal(names2(body["people"]), []string{"ann", "bob"}) {
		t.Fatalf("create a DM: %d %v", status, body)
	}
	for _, c := range []struct {
		who  *servertest.JSONClient
		peer string
	}{{ann, "bob"}, {bob, "ann"}} {
		f := c.who.AwaitFunc("the DM", func(f servertest.Frame) bool { return f.Type() == "room" && f.Str("room") == name })
		if !slices.Equal(names2(f["people"]), []string{c.peer}) {
			t.Errorf("the DM's people for %s: %v", c.peer, f)
		}
	}
	status, body = s.API("POST", "/api/dms", apiKey, map[string]any{"names": []string{"BOB", "ann", "bob"}})
	if room, _ := body["room"].(map[string]any); status != http.StatusOK || room["room"] != name || body["created"] != false {
		t.Errorf("the DM again: %d %v", status, body)
	}
	status, body = s.API("POST", "/api/dms", apiKey, map[string]any{"names": []string{"ann", "bob", "cy"}})
	if room, _ := body["room"].(map[string]any); status != http.StatusCreated || room["room"] == name {
		t.Errorf("a DM of three is another room: %d %v", status, body)
	}
	many := []string{"ann"}
	for i := range hubbub.MaxDMMembers {
		n := fmt.Sprint("p", i)
		addUser(t, s, n)
		many = append(many, n)
	}
	for _, c := range []struct {
		names  []string
		status int
		code   string
	}{
		{[]string{"ann"}, 400, "bad_field"},
		{[]string{"ann", "ANN"}, 400, "bad_field"},
		{[]string{"ann", "ghost"}, 404, "not_found"},
		{[]string{"ann", " x"}, 400, "bad_name"},
		{many, 409, "limit"},
	} {
		if status, body := s.API("POST", "/api/dms", apiKey, map[string]any{"names": c.names}); status != c.status || body.Str("code") != c.code {
			t.Errorf("dm %q: %d %v, want %d %s", c.names, status, body, c.status, c.code)
		}
	}
	// The DM is private: ann's read position there is hers, not cy's, for whom it is one that
	// nobody started.
	if status, body := s.API("PUT", "/api/rooms/"+name+"/read", apiKey, map[string]any{"user": "cy", "seq": 1}); status != http.StatusNotFound {
		t.Errorf("cy's read position in ann and bob's DM: %d %v", status, body)
	}
}

// names2 returns a JSON list of strings as a slice.
func names2(v any) []string {
	var out []string
	items, _ := v.([]any)
	for _, s := range items {
		str, _ := s.(string)
		out = append(out, str)
	}
	return out
}

// TestAPIRefusesAStrayDMRoom: a publish to, or an incoming hook for, a room named like a DM's
// that no one started is 404, as a member's join of it is; before, the publish made a room the
// directory listed as public and nobody could join. A DM that exists takes the API's posts.
func TestAPIRefusesAStrayDMRoom(t *testing.T) {
	s := startAPI(t)
	servertest.DialJSON(t, s, "ann")
	servertest.DialJSON(t, s, "bob")
	stray := "dm.0123456789abcdef01234567"
	if status, body := s.API("POST", "/api/rooms/"+stray+"/messages", apiKey, map[string]any{"from": "ann", "text": "hi"}); status != http.StatusNotFound || body.Str("code") != "not_found" {
		t.Errorf("publish to a DM no one started: %d %v, want 404 not_found", status, body)
	}
	if status, body := s.API("POST", "/api/hooks", apiKey, map[string]any{"room": stray}); status != http.StatusNotFound || body.Str("code") != "not_found" {
		t.Errorf("a hook for a DM no one started: %d %v, want 404 not_found", status, body)
	}
	if status, body := s.API("GET", "/api/directory", apiKey, nil); status != http.StatusOK || slices.Contains(names(body["rooms"], "room"), stray) {
		t.Errorf("the directory lists the stray DM room: %d %v", status, body)
	}
	status, body := s.API("POST", "/api/dms", apiKey, map[string]any{"names": []string{"ann", "bob"}})
	room, _ := body["room"].(map[string]any)
	dm, _ := room["room"].(string)
	if status != http.StatusCreated {
		t.Fatalf("create a DM: %d %v", status, body)
	}
	if status, body := s.API("POST", "/api/rooms/"+dm+"/messages", apiKey, map[string]any{"from": "ann", "text": "hi bob"}); status != http.StatusCreated {
		t.Errorf("publish to a DM that exists: %d %v", status, body)
	}
}

// TestAPIDMWithABot: POST /api/dms refuses a bot whose room patterns do not cover DMs (it could
// never join the DM) with 403 naming it, and makes the DM with a bot whose patterns do.
func TestAPIDMWithABot(t *testing.T) {
	s := startAPI(t)
	servertest.DialJSON(t, s, "ann")
	if status, body := s.API("POST", "/api/bots", apiKey, map[string]any{"name": "ci", "rooms": []string{"*"}}); status != http.StatusCreated {
		t.Fatalf("create bot ci: %d %v", status, body)
	}
	if status, body := s.API("POST", "/api/bots", apiKey, map[string]any{"name": "helper", "rooms": []string{"dm.*"}}); status != http.StatusCreated {
		t.Fatalf("create bot helper: %d %v", status, body)
	}
	status, body := s.API("POST", "/api/dms", apiKey, map[string]any{"names": []string{"ann", "ci"}})
	if status != http.StatusForbidden || body.Str("code") != "forbidden" || !strings.Contains(body.Str("message"), `"ci"`) {
		t.Errorf("a DM with a bot that may not use DMs: %d %v, want 403 naming it", status, body)
	}
	if status, body := s.API("POST", "/api/dms", apiKey, map[string]any{"names": []string{"ann", "helper"}}); status != http.StatusCreated {
		t.Errorf("a DM with a bot that may: %d %v, want 201", status, body)
	}
}

// TestAPIRefusesBidiControlsInNames: a name may not hold a bidirectional override or isolate
// (U+202A–U+202E, U+2066–U+2069), which would make "ann\u202Egnp.exe" show as "annexe.png" and
// reorder whatever a terminal or the page prints after it. Names hold printable characters
// only, and these are format characters, not printable (docs/protocol.md, Identity). Message
// text keeps them: right-to-left writing needs them there.
func TestAPIRefusesBidiControlsInNames(t *testing.T) {
	s := startAPI(t)
	servertest.DialJSON(t, s, "ann")
	for _, r := range []rune{0x202A, 0x202B, 0x202C, 0x202D, 0x202E, 0x2066, 0x2067, 0x2068, 0x2069} {
		name := "ann" + string(r) + "gnp.exe"
		if status, body := s.API("POST", "/api/bots", apiKey, map[string]any{"name": name, "rooms": []string{"*"}}); status != http.StatusBadRequest || body.Str("code") != "bad_name" {
			t.Errorf("a bot named with %U: %d %v, want 400 bad_name", r, status, body)
		}
		if status, body := s.API("POST", "/api/rooms/general/messages", apiKey, map[string]any{"from": name, "text": "x"}); status != http.StatusBadRequest || body.Str("code") != "bad_name" {
			t.Errorf("a publish from a name with %U: %d %v, want 400 bad_name", r, status, body)
		}
		if status, body := s.API("POST", "/api/rooms", apiKey, map[string]any{"room": "r" + string(r)}); status != http.StatusBadRequest || body.Str("code") != "bad_room" {
			t.Errorf("a room named with %U: %d %v, want 400 bad_room", r, status, body)
		}
		c := servertest.DialJSON(t, s, "")
		c.Send(servertest.Frame{"type": "hello", "name": name, "key": "k"})
		if f := c.AwaitFunc("welcome or error", func(f servertest.Frame) bool { return f.Type() == "welcome" || f.Type() == "error" }); f.Str("code") != "bad_name" {
			t.Errorf("a hello named with %U: %v, want bad_name", r, f)
		}
	}
	// In message text they stay, as typed.
	rtl := "שלום \u2067ann\u2069 !"
	if status, body := s.API("POST", "/api/rooms/general/messages", apiKey, map[string]any{"from": "ann", "text": rtl}); status != http.StatusCreated || body["message"].(map[string]any)["text"] != rtl {
		t.Errorf("a message with isolates: %d %v, want it stored as typed", status, body)
	}
}

// TestAPIFindsAndModeratesAUserByID: a message's user id finds its sender as they are now —
// GET /api/users/{id}?by=id answers the user under the name they renamed to — and a ban
// and its lift by that id reach them under that name. Before, the path was read as a name
// (404), and the ban's "user" was not read (missing_field for no name).
func TestAPIFindsAndModeratesAUserByID(t *testing.T) {
	s := startAPI(t)
	id := addUser(t, s, "bob")
	name := "moderator"
	if _, err := s.Store.UpdateUser(context.Background(), id, hubbub.UserChange{Name: &name}); err != nil {
		t.Fatal(err)
	}
	status, body := s.API("GET", "/api/users/"+id+"?by=id", apiKey, nil)
	if status != http.StatusOK || body.Str("name") != "moderator" || body.Str("id") != id {
		t.Fatalf("GET /api/users/{id}?by=id: %d %v, want the user, named moderator", status, body)
	}
	for path, want := range map[string]int{
		"/api/users/u_0000?by=id":  http.StatusNotFound,
		"/api/users/bob?by=nobody": http.StatusBadRequest,
	} {
		if status, body := s.API("GET", path, apiKey, nil); status != want {
			t.Errorf("GET %s: %d %v, want %d", path, status, body, want)
		}
	}
	if status, body := s.API("POST", "/api/rooms/general/messages", apiKey, map[string]any{"from": "someone", "text": "hi"}); status != http.StatusOK && status != http.StatusCreated {
		t.Fatalf("a message to make the room: %d %v", status, body)
	}
	status, body = s.API("POST", "/api/rooms/general/ban", apiKey, map[string]any{"user": id, "duration": "1h"})
	if status != http.StatusOK || body.Str("name") != "moderator" || body.Str("user") != id {
		t.Fatalf("ban by id: %d %v, want moderator banned", status, body)
	}
	status, body = s.API("GET", "/api/rooms/general/sanctions", apiKey, nil)
	if got := names(body["sanctions"], "user"); status != http.StatusOK || !slices.Equal(got, []string{id}) {
		t.Errorf("general's sanctions after the ban: %d %v, want one of %s", status, body, id)
	}
	status, body = s.API("DELETE", "/api/rooms/general/bans/"+id+"?by=id", apiKey, nil)
	if status != http.StatusOK || body.Str("name") != "moderator" {
		t.Errorf("unban by id: %d %v", status, body)
	}
	if status, body := s.API("POST", "/api/rooms/general/mute", apiKey, map[string]any{"user": "u_0000", "duration": "1h"}); status != http.StatusNotFound {
		t.Errorf("mute of an id nobody has: %d %v, want 404", status, body)
	}
}
