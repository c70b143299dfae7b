package api_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"hubbub"
	"hubbub/internal/server"
	"hubbub/internal/servertest"
)

// TestSanctionsAreListedAPageAtATime: a room's bans and mutes come a page at a time, by user
// id, each listed once across the pages, a user's ban and mute together on one page, and the
// last page without next.
func TestSanctionsAreListedAPageAtATime(t *testing.T) {
	s := startAPI(t)
	ann := servertest.DialJSON(t, s, "ann")
	ann.Join("general", nil)
	want := map[string]bool{}
	for i, name := range []string{"bea", "cat", "dan", "eve", "fay"} {
		c := servertest.DialJSON(t, s, name)
		c.Join("general", nil)
		kinds := []string{"ban"}
		switch i {
		case 1:
			kinds = []string{"mute", "ban"} // both: one page must hold them
		case 3:
			kinds = []string{"mute"}
		}
		for _, kind := range kinds {
			if status, body := s.API("POST", "/api/rooms/general/"+kind, apiKey, map[string]any{"name": name, "duration": "1h"}); status != 200 {
				t.Fatalf("%s %s: %d %v", kind, name, status, body)
			}
			want[name+" "+kind] = true
		}
	}
	for _, limit := range []int{1, 2, 3, 100} {
		seen := map[string]bool{}
		after, lastUser := "", ""
		for pages := 0; ; pages++ {
			if pages > len(want) {
				t.Fatalf("limit %d: more pages than sanctions", limit)
			}
			q := url.Values{"limit": {fmt.Sprint(limit)}}
			if after != "" {
				q.Set("after", after)
			}
			status, body := s.API("GET", "/api/rooms/general/sanctions?"+q.Encode(), apiKey, nil)
			if status != http.StatusOK {
				t.Fatalf("limit %d after %q: %d %v", limit, after, status, body)
			}
			list, _ := body["sanctions"].([]any)
			users := map[string]bool{}
			for _, v := range list {
				sn := v.(map[string]any)
				user, key := sn["user"].(string), fmt.Sprint(sn["name"], " ", sn["kind"])
				if seen[key] || !want[key] {
					t.Errorf("limit %d: %s listed again or never imposed (page %v)", limit, key, list)
				}
				if user < lastUser {
					t.Errorf("limit %d: %s out of user order", limit, key)
				}
				seen[key], lastUser, users[user] = true, user, true
			}
			if len(list) > limit && !(limit == 1 && len(users) == 1) {
				t.Errorf("limit %d: a page of %d: %v", limit, len(list), list)
			}
			if after = body.Str("next"); after == "" {
				break
			}
			if len(list) == 0 {
				t.Fatalf("limit %d: an empty page with next %q", limit, after)
			}
		}
		if len(seen) != len(want) {
			t.Errorf("limit %d: listed %v, want %v", limit, seen, want)
		}
	}
	for _, q := range []string{"limit=0", "limit=x", "after=" + strings.Repeat("u", 300)} {
		if status, body := s.API("GET", "/api/rooms/general/sanctions?"+q, apiKey, nil); status != http.StatusBadRequest {
			t.Errorf("%.20s: %d %v, want 400", q, status, body)
		}
	}
}

// TestSanctionsWithoutALimitAreTheLargestPage: a request without limit, as every script
// written before the list was paged sends, gets a room's 105 bans in one answer, not the
// first 100 with a next it does not read.
func TestSanctionsWithoutALimitAreTheLargestPage(t *testing.T) {
	s := startAPI(t)
	servertest.DialJSON(t, s, "ann").Join("general", nil)
	const n = 105
	for i := range n {
		name := fmt.Sprintf("spammer%03d", i)
		if _, err := s.Store.CreateUser(t.Context(), hubbub.User{Name: name, Kind: hubbub.UserAccount}, ""); err != nil {
			t.Fatal(err)
		}
		if status, body := s.API("POST", "/api/rooms/general/ban", apiKey, map[string]any{"name": name, "duration": "1h"}); status != 200 {
			t.Fatalf("ban %s: %d %v", name, status, body)
		}
	}
	status, body := s.API("GET", "/api/rooms/general/sanctions", apiKey, nil)
	if list, _ := body["sanctions"].([]any); status != http.StatusOK || len(list) != n || body.Str("next") != "" {
		t.Errorf("sanctions without a limit: %d, %d listed, next %q; want all %d and no next", status, len(list), body.Str("next"), n)
	}
}

// TestSanctionsPageReadsItsPageOnly: a page of a room's 40 bans reads from the store the bans
// it lists and the few past it that say whether more follow, not the room's whole list (at
// 10,000 bans that read took 11 ms a page); the pages still list every ban once.
func TestSanctionsPageReadsItsPageOnly(t *testing.T) {
	reads := &servertest.SanctionReads{}
	s := servertest.Start(t, servertest.Options{Server: server.Config{APIKey: apiKey},
		WrapStore: func(st hubbub.Store) hubbub.Store { reads.Store = st; return reads }})
	const n, limit = 40, 5
	until := time.Now().Add(time.Hour)
	for i := range n {
		sn := hubbub.Sanction{Room: "general", User: fmt.Sprintf("u_%03d", i), Name: fmt.Sprintf("spammer%03d", i), Kind: hubbub.SanctionBan, Until: until}
		if _, _, _, err := s.Store.Append(t.Context(), new(hubbub.SanctionEntry(sn, "api", hubbub.APIActor, time.Now()))); err != nil {
			t.Fatal(err)
		}
	}
	listed, after := 0, ""
	for pages := 0; ; pages++ {
		if pages > n/limit {
			t.Fatalf("more than %d pages", n/limit)
		}
		reads.Rows.Store(0)
		status, body := s.API("GET", "/api/rooms/general/sanctions?limit="+fmt.Sprint(limit)+"&after="+after, apiKey, nil)
		list, _ := body["sanctions"].([]any)
		if status != http.StatusOK || len(list) > limit {
			t.Fatalf("after %q: %d %v", after, status, body)
		}
		if got := reads.Rows.Load(); got > limit+2 {
			t.Errorf("after %q: the page of %d read %d sanctions from the store", after, len(list), got)
		}
		listed += len(list)
		if after = body.Str("next"); after == "" {
			break
		}
	}
	if listed != n {
		t.Errorf("the pages listed %d bans, want %d", listed, n)
	}
}
