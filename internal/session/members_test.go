package session_test

import (
	"strings"
	"testing"

	"hubbub/internal/server"
	"hubbub/internal/servertest"
)

// members of a room that does not exist is refused not_found, as the API's 404 and a read or
// notify of such a room are, instead of an empty page a client would show as "no members"; a
// room that exists with no stored members, or one someone is in without storing it, still
// answers its (empty) page, and a private room is still forbidden to outsiders.
func TestMembersOfARoomThatDoesNotExist(t *testing.T) {
	const apiKey = "test-api-key"
	s := servertest.Start(t, servertest.Options{Server: server.Config{APIKey: apiKey, RoleFor: servertest.Roles("mod")}})
	ann, _ := dial(t, s, "ann")
	mod, _ := dial(t, s, "mod")

	for _, c := range []struct {
		who    string
		client *servertest.JSONClient
	}{{"ann", ann}, {"a server moderator", mod}} {
		f := ask(c.client, servertest.Frame{"type": "members", "room": "nowhere"}, "members")
		wantError(t, c.who+"'s members of a room that does not exist", f, "not_found")
		if f.Str("request") != "members" || !strings.Contains(f.Str("message"), `"nowhere"`) {
			t.Errorf("%s's refusal %v, want it to name the request and the room", c.who, f)
		}
	}
	if status, _ := s.API("GET", "/api/rooms/nowhere/members?stored=1", apiKey, nil); status != 404 {
		t.Errorf("the API's members of a room that does not exist: %d, want 404", status)
	}

	// quiet exists (bob's join stored it) but has no stored member once bob parts it.
	bob, _ := dial(t, s, "bob")
	if f := bob.Join("quiet", nil); f.Type() != "joined" {
		t.Fatalf("bob's join of quiet: %v", f)
	}
	bob.Send(servertest.Frame{"type": "part", "room": "quiet", "id": "p-1"})
	awaitRoom(bob, "unroom", "quiet")
	if f := ask(ann, servertest.Frame{"type": "members", "room": "quiet"}, "members"); f.Type() != "members" || len(f["members"].([]any)) != 0 {
		t.Errorf("members of a room with no stored member: %v, want an empty page", f)
	}
	if status, _ := s.API("GET", "/api/rooms/quiet/members?stored=1", apiKey, nil); status != 200 {
		t.Errorf("the API's members of a room with no stored member: %d, want 200", status)
	}

	// An anonymous user's room is stored nowhere until someone writes in it, but it is there
	// for whoever is in it, and for those asking while someone is.
	tom := servertest.DialJSON(t, s, "")
	tom.Send(servertest.Frame{"type": "hello", "name": "tom"}) // no key: an anonymous user
	tom.Await("welcome")
	if f := tom.Join("open", nil); f.Type() != "joined" {
		t.Fatalf("tom's join of open: %v", f)
	}
	for _, c := range []struct {
		who    string
		client *servertest.JSONClient
	}{{"tom, in it,", tom}, {"ann, while tom is in it,", ann}} {
		if f := ask(c.client, servertest.Frame{"type": "members", "room": "open"}, "members"); f.Type() != "members" {
			t.Errorf("members of a room %s: %v, want a page", c.who, f)
		}
	}

	// A private room is forbidden to someone outside it, as before: not_found is only for a
	// room that is not there.
	create(t, ann, "plans", true)
	wantError(t, "bob's members of a private room", ask(bob, servertest.Frame{"type": "members", "room": "plans"}, "members"), "forbidden")
}
