package session_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"hubbub/internal/server"
	"hubbub/internal/servertest"
)

// Search (docs/protocol.md, Search) with real clients of a real server on a real SQLite file:
// which rooms a search covers is decided when it runs, from what the store says then.

// unlimitedSearches starts a server whose rate of searches is no limit for a test.
var unlimitedSearches = servertest.Options{Server: server.Config{SearchRate: 1e6, SearchBurst: 1e6}}

// onEveryStore runs a search test on a server keeping its history in SQLite, and in
// PostgreSQL when the tests have one (pgtest: HUBBUB_TEST_POSTGRES), searches unlimited.
func onEveryStore(t *testing.T, test func(*testing.T, servertest.Options)) {
	t.Run("sqlite", func(t *testing.T) { test(t, unlimitedSearches) })
	t.Run("postgres", func(t *testing.T) {
		opts := unlimitedSearches
		opts.Postgres = servertest.PostgresSchemas.Schema(t)
		test(t, opts)
	})
}

// search sends a search frame (with a fresh id) and returns its answer: search_results, or
// the error naming it.
func search(t *testing.T, c *servertest.JSONClient, f servertest.Frame) servertest.Frame {
	t.Helper()
	f["type"] = "search"
	id := fmt.Sprintf("s-%d", time.Now().UnixNano())
	f["id"] = id
	c.Send(f)
	got := c.AwaitFunc("the answer to search "+id, func(g servertest.Frame) bool {
		return (g.Type() == "search_results" || g.Type() == "error") && g.Str("id") == id
	})
	if got.Type() == "error" && got.Str("request") != "search" {
		t.Fatalf("an error answering search does not name it: %v", got)
	}
	return got
}

// hitsOf returns the hits of a search_results frame as "room text", in order, failing t if the
// frame is not one.
func hitsOf(t *testing.T, f servertest.Frame) []string {
	t.Helper()
	if f.Type() != "search_results" {
		t.Fatalf("got %v, want search_results", f)
	}
	list, _ := f["hits"].([]any)
	out := make([]string, 0, len(list))
	for _, h := range list {
		m := h.(map[string]any)["message"].(map[string]any)
		out = append(out, m["room"].(string)+" "+m["text"].(string))
	}
	return out
}

// searchHits searches for c and returns the hits as hitsOf does.
func searchHits(t *testing.T, c *servertest.JSONClient, f servertest.Frame) []string {
	t.Helper()
	return hitsOf(t, search(t, c, f))
}

func wantHits(t *testing.T, what string, got []string, want ...string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s: hits %q, want %q", what, got, want)
	}
}

// A private room's messages are found by its members only, and only while they are members:
// not by an outsider (stored or anonymous), not by an invitee before their join, not by a
// member after their removal; a public room's by anyone who may read it, and in "all my
// rooms" only while it is in the user's list.
func TestSearchFindsOnlyWhatTheUserMayRead(t *testing.T) {
	onEveryStore(t, testSearchFindsOnlyWhatTheUserMayRead)
}

func testSearchFindsOnlyWhatTheUserMayRead(t *testing.T, opts servertest.Options) {
	s := servertest.Start(t, opts)
	ann, _ := dial(t, s, "ann")
	create(t, ann, "plans", true)
	ann.Join("plans", nil)
	ann.Join("town", nil)
	wantAck(t, "ann in plans", ann.Say("plans", "a-1", "the launch codes are secret"), 2, 0)
	// Newest first across rooms orders by the time in milliseconds, then by room: sent in the
	// same millisecond, plans would sort before town whatever the order they were sent in.
	time.Sleep(2 * time.Millisecond)
	if f := ann.Say("town", "a-2", "the launch is tomorrow"); f.Type() != "ack" {
		t.Fatalf("ann in town: %v", f)
	}
	both := []string{"town the launch is tomorrow", "plans the launch codes are secret"}
	wantHits(t, "ann, all her rooms", searchHits(t, ann, servertest.Frame{"q": "launch"}), both...)
	wantHits(t, "ann, plans", searchHits(t, ann, servertest.Frame{"q": "launch", "room": "plans"}), both[1])

	bob, _ := dial(t, s, "bob")
	wantHits(t, "bob in no room", searchHits(t, bob, servertest.Frame{"q": "launch"}))
	bob.Join("town", nil)
	wantHits(t, "bob, all his rooms", searchHits(t, bob, servertest.Frame{"q": "launch"}), both[0])
	wantError(t, "bob, plans", search(t, bob, servertest.Frame{"q": "launch", "room": "plans"}), "forbidden")
	wantHits(t, "bob, town without being in it on this connection",
		searchHits(t, servertest.DialJSON(t, s, "bob"), servertest.Frame{"q": "launch", "room": "town"}), both[0])

	tom := servertest.DialJSON(t, s, "")
	tom.Send(servertest.Frame{"type": "hello", "name": "tom"}) // no key: anonymous, no list
	tom.Await("welcome")
	wantHits(t, "an anonymous user in no room", searchHits(t, tom, servertest.Frame{"q": "launch"}))
	tom.Join("town", nil)
	wantHits(t, "an anonymous user in town", searchHits(t, tom, servertest.Frame{"q": "launch"}), both[0])
	wantError(t, "an anonymous user, plans", search(t, tom, servertest.Frame{"q": "launch", "room": "plans"}), "forbidden")

	wantAck(t, "ann invites bob", request(ann, servertest.Frame{"type": "invite", "room": "plans", "name": "bob", "id": "i-1"}), 3, 0)
	awaitRoom(bob, "room", "plans")
	wantHits(t, "bob invited", searchHits(t, bob, servertest.Frame{"q": "launch"}), both[0])
	wantError(t, "bob invited, plans", search(t, bob, servertest.Frame{"q": "launch", "room": "plans"}), "forbidden")
	if f := bob.Join("plans", nil); f.Type() != "joined" {
		t.Fatalf("bob's join: %v", f)
	}
	wantHits(t, "bob a member", searchHits(t, bob, servertest.Frame{"q": "launch"}), both...)

	wantAck(t, "ann removes bob", request(ann, servertest.Frame{"type": "remove", "room": "plans", "name": "bob", "id": "r-1"}), 5, 0)
	awaitRoom(bob, "unroom", "plans")
	wantHits(t, "bob removed", searchHits(t, bob, servertest.Frame{"q": "launch"}), both[0])
	wantError(t, "bob removed, plans", search(t, bob, servertest.Frame{"q": "launch", "room": "plans"}), "forbidden")

	bob.Send(servertest.Frame{"type": "part", "room": "town", "id": "p-1"})
	awaitRoom(bob, "unroom", "town")
	wantHits(t, "bob after parting town", searchHits(t, bob, servertest.Frame{"q": "launch"}))
}

// Pages of a search visit every hit once, newest first; from, since and until narrow them; the
// request's id and query come back; each hit carries its message as history has it and a
// snippet with the matched word marked.
func TestSearchPagesAndFilters(t *testing.T) { onEveryStore(t, testSearchPagesAndFilters) }

func testSearchPagesAndFilters(t *testing.T, opts servertest.Options) {
	s := servertest.Start(t, opts)
	ann, _ := dial(t, s, "ann")
	bob, _ := dial(t, s, "bob")
	ann.Join("r", nil)
	bob.Join("r", nil)
	var want []string
	for i := range 5 {
		text := fmt.Sprintf("alpha number %d", i)
		if f := ann.Say("r", fmt.Sprintf("a-%d", i), text); f.Type() != "ack" {
			t.Fatalf("say: %v", f)
		}
		want = append([]string{"r " + text}, want...)
	}
	if f := bob.Say("r", "b-1", "alpha from bob"); f.Type() != "ack" {
		t.Fatalf("say: %v", f)
	}
	ann.Say("r", "a-9", "nothing to see")

	first := search(t, ann, servertest.Frame{"q": "alpha", "room": "r", "limit": 1})
	if first.Str("q") != "alpha" || first.Str("room") != "r" || first.Str("next") == "" || first["partial"] != nil {
		t.Fatalf("the first page: %v", first)
	}
	hit := first["hits"].([]any)[0].(map[string]any)
	msg := hit["message"].(map[string]any)
	if msg["from"] != "bob" || msg["text"] != "alpha from bob" || msg["seq"] == nil || msg["time"] == nil || msg["id"] == "" {
		t.Errorf("the newest hit's message: %v", msg)
	}
	var marked []string
	for _, p := range hit["snippet"].([]any) {
		if part := p.(map[string]any); part["hit"] == true {
			marked = append(marked, part["text"].(string))
		}
	}
	if len(marked) == 0 || !strings.EqualFold(marked[0], "alpha") {
		t.Errorf("the snippet %v marks %q, want alpha", hit["snippet"], marked)
	}

	var all []string
	cursor := ""
	for page := 0; page < 10; page++ {
		f := servertest.Frame{"q": "alpha", "limit": 2}
		if cursor != "" {
			f["cursor"] = cursor
		}
		res := search(t, ann, f)
		all = append(all, hitsOf(t, res)...)
		if cursor = res.Str("next"); cursor == "" {
			break
		}
	}
	wantHits(t, "every page", all, append([]string{"r alpha from bob"}, want...)...)

	wantHits(t, "from bob", searchHits(t, ann, servertest.Frame{"q": "alpha", "from": "bob"}), "r alpha from bob")
	wantHits(t, "from a name no one holds", searchHits(t, ann, servertest.Frame{"q": "alpha", "from": "nobody"}))
	future := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	past := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
	wantHits(t, "since an hour from now", searchHits(t, ann, servertest.Frame{"q": "alpha", "since": future}))
	wantHits(t, "until an hour ago", searchHits(t, ann, servertest.Frame{"q": "alpha", "until": past}))
	if got := searchHits(t, ann, servertest.Frame{"q": "alpha", "since": past, "until": future}); len(got) != 6 {
		t.Errorf("between an hour ago and an hour from now: %q", got)
	}
	if got := searchHits(t, ann, servertest.Frame{"q": "alpha", "order": "relevance"}); len(got) != 6 {
		t.Errorf("by relevance: %q", got)
	}

	// A hit's reactions say whether the searcher holds them, as a history page does.
	if f := react(ann, "r", uint64(msg["seq"].(float64)), "re-1", "👍"); f.Type() != "ack" {
		t.Fatalf("react: %v", f)
	}
	me := func(c *servertest.JSONClient) any {
		res := search(t, c, servertest.Frame{"q": "alpha", "from": "bob"})
		m := res["hits"].([]any)[0].(map[string]any)["message"].(map[string]any)
		rs, _ := m["reactions"].([]any)
		if len(rs) != 1 {
			t.Fatalf("the hit's reactions: %v", m)
		}
		return rs[0].(map[string]any)["me"]
	}
	if got := me(ann); got != true {
		t.Errorf("ann's own reaction on a hit: me %v, want true", got)
	}
	if got := me(bob); got != nil {
		t.Errorf("ann's reaction as bob finds it: me %v, want absent", got)
	}
}

// Bad searches get an error frame with a code and change nothing; a connection that searches
// faster than --search-rate is told so. The burst is the ten refusals the session makes (the
// eleventh case is refused while the frame is read, before any search) and the good search.
func TestSearchRefusesBadRequests(t *testing.T) {
	s := servertest.Start(t, servertest.Options{Server: server.Config{SearchRate: 0.001, SearchBurst: 11}})
	ann, _ := dial(t, s, "ann")
	ann.Join("r", nil)
	ann.Say("r", "a-1", "hello world")
	for _, tc := range []struct {
		what string
		f    servertest.Frame
		code string
	}{
		{"an empty query", servertest.Frame{"q": ""}, "empty"},
		{"a blank query", servertest.Frame{"q": "   "}, "empty"},
		{"no query", servertest.Frame{}, "empty"},
		{"a query too long", servertest.Frame{"q": strings.Repeat("word ", 60)}, "too_long"},
		{"a cursor the server did not make", servertest.Frame{"q": "hello", "cursor": "not-a-cursor"}, "bad_field"},
		{"a since that is no time", servertest.Frame{"q": "hello", "since": "yesterday"}, "bad_field"},
		{"a since that is a number", servertest.Frame{"q": "hello", "since": 5}, "bad_field"},
		{"an until before since", servertest.Frame{"q": "hello", "since": "2026-12-02T00:00:00Z", "until": "2026-12-01T00:00:00Z"}, "bad_field"},
		{"an unknown order", servertest.Frame{"q": "hello", "order": "best"}, "bad_field"},
		{"a bad room", servertest.Frame{"q": "hello", "room": "no room!"}, "bad_room"},
		{"a bad sender's name", servertest.Frame{"q": "hello", "from": "\u0000"}, "bad_name"},
	} {
		wantError(t, tc.what, search(t, ann, tc.f), tc.code)
	}
	wantHits(t, "a good search after the bad ones", searchHits(t, ann, servertest.Frame{"q": "hello"}), "r hello world")
	wantError(t, "the search past the burst", search(t, ann, servertest.Frame{"q": "hello"}), "rate_limited")
	if f := ann.Say("r", "a-2", "still here"); f.Type() != "ack" {
		t.Errorf("a send after the searches: %v", f)
	}
}

// A search that runs out of --search-timeout is answered unavailable, and the connection goes
// on: the deadline bounds each search, in one room or in all of the user's.
func TestSearchTimeoutAnswersUnavailable(t *testing.T) {
	s := servertest.Start(t, servertest.Options{Server: server.Config{SearchTimeout: time.Nanosecond}})
	ann, _ := dial(t, s, "ann")
	ann.Join("r", nil)
	ann.Say("r", "a-1", "hello world")
	wantError(t, "a search of all rooms", search(t, ann, servertest.Frame{"q": "hello"}), "unavailable")
	wantError(t, "a search of one room", search(t, ann, servertest.Frame{"q": "hello", "room": "r"}), "unavailable")
	if f := ann.Say("r", "a-2", "still here"); f.Type() != "ack" {
		t.Errorf("a send after the searches: %v", f)
	}
}

// A search of all my rooms is checked as every search is, whether or not I have a room yet: a
// query with no word, or a cursor the server did not make, is refused for a new guest with no
// rooms and for a keyless connection in none, as for a member of many — not answered with an
// empty page that tells the client its query was fine and found nothing.
func TestSearchOfNoRoomsRefusesBadRequests(t *testing.T) {
	s := servertest.Start(t, unlimitedSearches)
	guest, rooms := dial(t, s, "ann")
	if len(rooms) != 0 {
		t.Fatalf("a new guest's rooms: %v, want none", rooms)
	}
	anon := servertest.DialJSON(t, s, "")
	anon.Send(servertest.Frame{"type": "hello", "name": "bob"})
	anon.Await("welcome")
	for who, c := range map[string]*servertest.JSONClient{"a guest with no rooms": guest, "a keyless connection in no room": anon} {
		for _, tc := range []struct {
			what string
			f    servertest.Frame
			code string
		}{
			{"a query of punctuation only", servertest.Frame{"q": "!!!"}, "empty"},
			{"a query of an empty phrase", servertest.Frame{"q": `""`}, "empty"},
			{"a cursor the server did not make", servertest.Frame{"q": "hello", "cursor": "not-a-cursor"}, "bad_field"},
		} {
			wantError(t, who+": "+tc.what, search(t, c, tc.f), tc.code)
		}
		wantHits(t, who+": a good search", searchHits(t, c, servertest.Frame{"q": "hello"}))
	}
}

// TestSearchOfAnUnknownRoom: a search in a room that does not exist is not_found, naming it,
// as the room's history is, rather than a page that found nothing; a room that exists is
// searched, one that keyless clients opened (stored nowhere) among them.
func TestSearchOfAnUnknownRoom(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	ann, _ := dial(t, s, "ann")
	ann.Join("r", nil)
	ann.Say("r", "a-1", "hello world")
	f := search(t, ann, servertest.Frame{"q": "hello", "room": "nosuchroom"})
	wantError(t, "a misspelt room", f, "not_found")
	if !strings.Contains(f.Str("message"), "nosuchroom") {
		t.Errorf("the not_found does not name the room: %v", f)
	}
	wantHits(t, "the room", searchHits(t, ann, servertest.Frame{"q": "hello", "room": "r"}), "r hello world")
	wantHits(t, "no match in the room", searchHits(t, ann, servertest.Frame{"q": "zebra", "room": "r"}))

	zed := servertest.DialJSON(t, s, "")
	zed.Send(servertest.Frame{"type": "hello", "name": "zed"}) // keyless: its rooms are memory only
	zed.Await("welcome")
	if f := zed.Join("keyless", nil); f.Type() != "joined" {
		t.Fatalf("zed's join: %v", f)
	}
	wantHits(t, "a room keyless clients opened", searchHits(t, ann, servertest.Frame{"q": "hello", "room": "keyless"}))
}
