package api_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"hubbub/internal/servertest"
)

// hitTexts returns the texts of the hits of a search answer, in order.
func hitTexts(body servertest.Frame) []string {
	var out []string
	hits, _ := body["hits"].([]any)
	for _, h := range hits {
		m, _ := h.(map[string]any)["message"].(map[string]any)
		s, _ := m["text"].(string)
		out = append(out, s)
	}
	return out
}

// GET /api/search searches for a user under their read rights (all their rooms, or one they
// may read), or for no user in one named room; bad requests get a status and a code.
func TestAPISearch(t *testing.T) {
	s := startAPI(t)
	ann := servertest.DialJSON(t, s, "ann")
	ann.Send(servertest.Frame{"type": "create", "room": "plans", "private": true})
	ann.Await("room")
	ann.Join("plans", nil)
	// Hits come newest first, then by room name: agora's message, sent second, is first even
	// when both are stamped in one millisecond (with "town" they came plans first then).
	ann.Join("agora", nil)
	for _, m := range [][2]string{{"plans", "the launch codes"}, {"agora", "the launch is tomorrow"}} {
		if f := ann.Say(m[0], m[0], m[1]); f.Type() != "ack" {
			t.Fatalf("say %v: %v", m, f)
		}
		// Newest first across rooms orders by the time in milliseconds, then by room: two
		// messages of one millisecond come by room name whatever the order they were sent in
		// (as in internal/session's TestSearchFindsOnlyWhatTheUserMayRead), so they are sent
		// apart as well as in rooms whose names agree with the order.
		time.Sleep(2 * time.Millisecond)
	}
	bob := servertest.DialJSON(t, s, "bob")
	bob.Join("agora", nil)

	get := func(query url.Values) (int, servertest.Frame) {
		t.Helper()
		return s.API("GET", "/api/search?"+query.Encode(), apiKey, nil)
	}
	for _, tc := range []struct {
		what  string
		query url.Values
		want  []string
	}{
		{"ann's rooms", url.Values{"q": {"launch"}, "user": {"ann"}}, []string{"the launch is tomorrow", "the launch codes"}},
		{"bob's rooms", url.Values{"q": {"launch"}, "user": {"bob"}}, []string{"the launch is tomorrow"}},
		{"plans for no user", url.Values{"q": {"launch"}, "room": {"plans"}}, []string{"the launch codes"}},
		{"ann's messages in agora", url.Values{"q": {"launch"}, "room": {"agora"}, "from": {"ann"}}, []string{"the launch is tomorrow"}},
		{"bob's messages", url.Values{"q": {"launch"}, "user": {"bob"}, "from": {"bob"}}, nil},
	} {
		status, body := get(tc.query)
		if status != http.StatusOK || body.Type() != "search_results" || !slices.Equal(hitTexts(body), tc.want) {
			t.Errorf("%s: %d %v, want the hits %q", tc.what, status, body, tc.want)
		}
	}
	for _, tc := range []struct {
		what   string
		query  url.Values
		status int
		code   string
	}{
		{"plans for bob", url.Values{"q": {"launch"}, "user": {"bob"}, "room": {"plans"}}, 403, "forbidden"},
		{"no user and no room", url.Values{"q": {"launch"}}, 400, "missing_field"},
		{"an empty query", url.Values{"q": {""}, "room": {"agora"}}, 400, "empty"},
		{"a bad since", url.Values{"q": {"launch"}, "room": {"agora"}, "since": {"monday"}}, 400, "bad_field"},
		{"a bad cursor", url.Values{"q": {"launch"}, "room": {"agora"}, "cursor": {"nope"}}, 400, "bad_field"},
		{"a bad limit", url.Values{"q": {"launch"}, "room": {"agora"}, "limit": {"many"}}, 400, "bad_request"},
		{"an unknown user", url.Values{"q": {"launch"}, "user": {"nobody"}}, 404, "not_found"},
		{"a bad room", url.Values{"q": {"launch"}, "room": {"no room"}}, 400, "bad_room"},
		// A misspelt room is not found, as its history is, rather than a search that found nothing.
		{"a misspelt room", url.Values{"q": {"launch"}, "room": {"nosuchroom"}}, 404, "not_found"},
		{"a misspelt room for a user", url.Values{"q": {"launch"}, "room": {"nosuchroom"}, "user": {"ann"}}, 404, "not_found"},
	} {
		if status, body := get(tc.query); status != tc.status || body.Str("code") != tc.code {
			t.Errorf("%s: %d %v, want %d %s", tc.what, status, body, tc.status, tc.code)
		} else if tc.code == "not_found" && tc.query.Get("room") != "" && !strings.Contains(body.Str("message"), tc.query.Get("room")) {
			t.Errorf("%s: %v does not name the room", tc.what, body)
		}
	}
	// A room that exists, where nothing matches, is an empty page.
	for _, room := range []string{"agora", "plans"} {
		if status, body := get(url.Values{"q": {"zebra"}, "room": {room}}); status != http.StatusOK || len(hitTexts(body)) != 0 {
			t.Errorf("no match in %s: %d %v, want 200 and no hits", room, status, body)
		}
	}
}
