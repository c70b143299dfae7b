package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"hubbub"
)

// The search cases (issue 17): hubbub.Searcher's contract on every store.

// searcher returns s as a Searcher (every Store is one).
func searcher(_ testing.TB, s hubbub.Store) hubbub.Searcher { return s }

// search runs one page of q and fails t on error.
func search(t testing.TB, s hubbub.Store, q hubbub.SearchQuery) hubbub.SearchPage {
	t.Helper()
	p, err := searcher(t, s).Search(t.Context(), q)
	if err != nil {
		t.Fatalf("Search(%+v): %v", q, err)
	}
	if len(p.Hits) > max(q.Limit, 0) && q.Limit > 0 {
		t.Errorf("Search(%+v) returned %d hits, more than its limit", q, len(p.Hits))
	}
	return p
}

// searchAll pages through every hit of q (at most 100 pages) and returns them in order.
func searchAll(t testing.TB, s hubbub.Store, q hubbub.SearchQuery) []hubbub.SearchHit {
	t.Helper()
	var all []hubbub.SearchHit
	for range 100 {
		p := search(t, s, q)
		all = append(all, p.Hits...)
		if p.Next == "" {
			return all
		}
		if len(p.Hits) == 0 {
			t.Fatalf("Search(%+v) returned an empty page with a Next", q)
		}
		q.Cursor = p.Next
	}
	t.Fatalf("Search(%+v): more than 100 pages", q)
	return nil
}

// hitTexts returns the texts of hits, in order.
func hitTexts(hits []hubbub.SearchHit) []string {
	out := make([]string, len(hits))
	for i, h := range hits {
		out[i] = h.Message.Text
	}
	return out
}

// checkFinds fails t unless searching text in rooms finds exactly the messages with texts
// want (in any order).
func checkFinds(t testing.TB, s hubbub.Store, rooms []string, text string, want ...string) {
	t.Helper()
	got := hitTexts(searchAll(t, s, hubbub.SearchQuery{Rooms: rooms, Text: text, Limit: hubbub.MaxSearchLimit}))
	slices.Sort(got)
	want = slices.Clone(want)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("search %q in %v found %q, want %q", text, rooms, got, want)
	}
}

// searchCode fails t unless q fails with code.
func searchCode(t testing.TB, s hubbub.Store, q hubbub.SearchQuery, code string) {
	t.Helper()
	_, err := searcher(t, s).Search(t.Context(), q)
	if hubbub.ErrorCode(err) != code {
		t.Errorf("Search(text %q, %d rooms, cursor %q) = %v, want code %s", q.Text, len(q.Rooms), q.Cursor, err, code)
	}
}

// testSearchEdit: an edited message is found by its current text only, and a hit is the
// message in its current state, as Before returns it, with a snippet around the match.
func testSearchEdit(t *testing.T, open opener) {
	s := open(t, hubbub.Retention{})
	m := mustAppend(t, s, msg("r", "alice", "the old wording of it"))
	mustAppend(t, s, msg("r", "bob", "something else"))
	checkFinds(t, s, []string{"r"}, "wording", m.Text)
	mustAppend(t, s, react("r", "bob", m.Seq, "👍"))
	mustAppend(t, s, edit("r", "alice", m.Seq, "a brand new phrasing"))
	checkFinds(t, s, []string{"r"}, "wording")
	checkFinds(t, s, []string{"r"}, "old")
	checkFinds(t, s, []string{"r"}, "phrasing", "a brand new phrasing")
	p := search(t, s, hubbub.SearchQuery{Rooms: []string{"r"}, Text: "BRAND"})
	cur := entryAt(t, before(t, s, "r", 0, 10), m.Seq)
	if len(p.Hits) != 1 {
		t.Fatalf("search after the edit: %d hits, want 1", len(p.Hits))
	}
	if diff := sameMessage(p.Hits[0].Message, cur); diff != "" {
		t.Errorf("the hit is not the message as Before returns it: %s", diff)
	}
	want := []hubbub.SnippetPart{{Text: "a "}, {Text: "brand", Hit: true}, {Text: " new phrasing"}}
	if !slices.Equal(p.Hits[0].Snippet, want) {
		t.Errorf("snippet %+v, want %+v", p.Hits[0].Snippet, want)
	}
}

// testSearchDelete: a deleted message is not found, neither by its text nor by an edit's.
func testSearchDelete(t *testing.T, open opener) {
	s := open(t, hubbub.Retention{})
	a := mustAppend(t, s, msg("r", "alice", "secret plans"))
	b := mustAppend(t, s, msg("r", "alice", "public plans"))
	mustAppend(t, s, edit("r", "alice", b.Seq, "public plans, edited"))
	checkFinds(t, s, []string{"r"}, "plans", a.Text, "public plans, edited")
	mustAppend(t, s, del("r", "alice", a.Seq, false))
	mustAppend(t, s, del("r", "bob", b.Seq, true))
	checkFinds(t, s, []string{"r"}, "plans")
	checkFinds(t, s, []string{"r"}, "secret")
	checkFinds(t, s, []string{"r"}, "edited")
}

// testSearchPrune: what retention removed is not found.
func testSearchPrune(t *testing.T, open opener) {
	s := open(t, hubbub.Retention{MaxPerRoom: 2})
	for i := range 4 {
		mustAppend(t, s, msg("r", "alice", fmt.Sprintf("needle %d", i)))
	}
	prune(t, s, "r")
	checkFinds(t, s, []string{"r"}, "needle", "needle 2", "needle 3")
}

// testSearchRooms: only the rooms asked for are searched; none asked for gives an empty page.
func testSearchRooms(t *testing.T, open opener) {
	s := open(t, hubbub.Retention{})
	for _, r := range []string{"a", "b", "c", "a.b"} {
		mustAppend(t, s, msg(r, "alice", "needle in "+r))
	}
	checkFinds(t, s, []string{"a", "b"}, "needle", "needle in a", "needle in b")
	checkFinds(t, s, []string{"c", "nowhere"}, "needle", "needle in c")
	checkFinds(t, s, []string{"a.b", "a.b"}, "needle", "needle in a.b")
	checkFinds(t, s, []string{"nowhere"}, "needle")
	if p := search(t, s, hubbub.SearchQuery{Text: "needle"}); len(p.Hits) != 0 || p.Next != "" {
		t.Errorf("search of no rooms = %+v, want an empty page", p)
	}
}

// testSearchFilters: User keeps one user's messages (by id, whatever the name), Since and
// Until a range of times (Since ≤ Time < Until).
func testSearchFilters(t *testing.T, open opener) {
	s := open(t, hubbub.Retention{})
	var ms []hubbub.Entry
	for i, from := range []string{"alice", "bob", "alice", "bob"} {
		e := msg("r", from, fmt.Sprintf("report %d", i))
		e.User = "u_" + from
		ms = append(ms, mustAppend(t, s, e))
		time.Sleep(2 * time.Millisecond) // times are at millisecond precision
	}
	renamed := msg("r", "alicia", "report 4")
	renamed.User = "u_alice"
	ms = append(ms, mustAppend(t, s, renamed))
	q := hubbub.SearchQuery{Rooms: []string{"r"}, Text: "report", User: "u_alice"}
	if got := hitTexts(searchAll(t, s, q)); !slices.Equal(got, []string{"report 4", "report 2", "report 0"}) {
		t.Errorf("alice's reports: %q", got)
	}
	q = hubbub.SearchQuery{Rooms: []string{"r"}, Text: "report", Since: ms[1].Time, Until: ms[3].Time}
	if got := hitTexts(searchAll(t, s, q)); !slices.Equal(got, []string{"report 2", "report 1"}) {
		t.Errorf("reports from the second's time to before the fourth's: %q", got)
	}
	q = hubbub.SearchQuery{Rooms: []string{"r"}, Text: "report", Since: ms[3].Time, User: "u_bob"}
	if got := hitTexts(searchAll(t, s, q)); !slices.Equal(got, []string{"report 3"}) {
		t.Errorf("bob's reports since the fourth: %q", got)
	}
	q = hubbub.SearchQuery{Rooms: []string{"r"}, Text: "report", Until: ms[0].Time}
	if got := searchAll(t, s, q); len(got) != 0 {
		t.Errorf("reports before the first: %q", hitTexts(got))
	}
}

// testSearchLanguages: the matching rules of hubbub.Searcher — prefixes, case and
// diacritics, CJK runs inside text, phrases, every word.
func testSearchLanguages(t *testing.T, open opener) {
	s := open(t, hubbub.Retention{})
	texts := []string{
		"我们在聊天室见面",            // Chinese: "we meet in the chat room"
		"天聊不是词",               // the same characters in another order
		"新しいチャットルームへようこそ",     // Japanese, katakana inside hiragana
		"東京で会いましょう",           // Japanese, kanji and hiragana
		"한국어 채팅방입니다",          // Korean
		"Rendez-vous au Café", // diacritics
		"CAFE OLÉ",
		"We deployed the new release",
		"release new things",
		"deploy?",
	}
	for _, x := range texts {
		mustAppend(t, s, msg("r", "alice", x))
	}
	rooms := []string{"r"}
	checkFinds(t, s, rooms, "聊天", texts[0])
	checkFinds(t, s, rooms, "聊天室见", texts[0])
	checkFinds(t, s, rooms, "天聊", texts[1])
	checkFinds(t, s, rooms, "聊", texts[0], texts[1])
	checkFinds(t, s, rooms, "チャット", texts[2])
	checkFinds(t, s, rooms, "ルーム", texts[2])
	checkFinds(t, s, rooms, "東京", texts[3])
	checkFinds(t, s, rooms, "会い", texts[3])
	checkFinds(t, s, rooms, "채팅", texts[4])
	checkFinds(t, s, rooms, "cafe", texts[5], texts[6])
	checkFinds(t, s, rooms, "CAFÉ olé", texts[6])
	checkFinds(t, s, rooms, "rendez vous", texts[5])
	checkFinds(t, s, rooms, "deploy", texts[7], texts[9])
	checkFinds(t, s, rooms, "deployed", texts[7])
	checkFinds(t, s, rooms, "DEPLOYING")
	checkFinds(t, s, rooms, "new release", texts[7], texts[8])
	checkFinds(t, s, rooms, `"new release"`, texts[7])
	checkFinds(t, s, rooms, `"release new"`, texts[8])
	checkFinds(t, s, rooms, `"new rel"`)
	checkFinds(t, s, rooms, `rel "new"`, texts[7], texts[8])
	checkFinds(t, s, rooms, "new release friday")
	checkFinds(t, s, rooms, `deploy" OR "x`)
	checkFinds(t, s, rooms, `NEAR(deploy release) *`)
	checkFinds(t, s, rooms, `'; DROP TABLE messages; --`)
	checkFinds(t, s, rooms, `release:* | new`, texts[7], texts[8])
}

// testSearchOrder: newest first by default (Time, then room ascending, then seq descending);
// by relevance the message made of the query's words before one that mentions them once; the
// same query over the same data gives the same hits in the same order.
func testSearchOrder(t *testing.T, open opener) {
	s := open(t, hubbub.Retention{})
	long := "a long message that talks about many things and mentions the deploy only once among all these words"
	mustAppend(t, s, msg("r", "alice", "deploy deploy"))
	time.Sleep(2 * time.Millisecond)
	mustAppend(t, s, msg("r", "alice", long))
	time.Sleep(2 * time.Millisecond)
	mustAppend(t, s, msg("r", "alice", "the deploy is done"))
	rooms := []string{"r"}
	q := hubbub.SearchQuery{Rooms: rooms, Text: "deploy"}
	if got := hitTexts(searchAll(t, s, q)); !slices.Equal(got, []string{"the deploy is done", long, "deploy deploy"}) {
		t.Errorf("newest first: %q", got)
	}
	q.Order = hubbub.SearchRelevance
	if got := hitTexts(searchAll(t, s, q)); len(got) != 3 || got[0] != "deploy deploy" || got[2] != long {
		t.Errorf("by relevance: %q, want the short one first and the long one last", got)
	}
	// Ties: many messages of one time, in several rooms, stay in one order.
	var batch []hubbub.Entry
	for i := range 12 {
		batch = append(batch, mustAppend(t, s, msg([]string{"x", "y", "z"}[i%3], "bob", "tie tie")))
	}
	rooms = []string{"x", "y", "z"}
	for _, order := range []hubbub.SearchOrder{hubbub.SearchNewest, hubbub.SearchRelevance} {
		q := hubbub.SearchQuery{Rooms: rooms, Text: "tie", Order: order, Limit: 5}
		first, again := searchAll(t, s, q), searchAll(t, s, q)
		if !slices.EqualFunc(first, again, func(a, b hubbub.SearchHit) bool { return a.Message.ID == b.Message.ID }) || len(first) != len(batch) {
			t.Errorf("%s: the same query gave two orders or missed hits (%d, %d hits)", order, len(first), len(again))
		}
		for i := 1; i < len(first); i++ {
			a, b := first[i-1].Message, first[i].Message
			if a.Time.Before(b.Time) || a.Time.Equal(b.Time) && (a.Room > b.Room || a.Room == b.Room && a.Seq < b.Seq) {
				t.Errorf("%s: %s/%d at %v before %s/%d at %v: not newest, room, seq", order, a.Room, a.Seq, a.Time, b.Room, b.Seq, b.Time)
			}
		}
	}
}

// testSearchPaging: paging with Next visits every hit once, in both orders; a cursor of
// another query, or one no store made, fails with ECodeBadField.
func testSearchPaging(t *testing.T, open opener) {
	s := open(t, hubbub.Retention{})
	want := map[string]bool{}
	for i := range 23 {
		room := []string{"p", "q"}[i%2]
		text := fmt.Sprintf("page %s", strings.Repeat("filler ", i%4))
		e := mustAppend(t, s, msg(room, "alice", text))
		want[e.ID] = true
		mustAppend(t, s, msg(room, "alice", "unrelated"))
	}
	for _, order := range []hubbub.SearchOrder{hubbub.SearchNewest, hubbub.SearchRelevance} {
		q := hubbub.SearchQuery{Rooms: []string{"p", "q"}, Text: "page", Order: order, Limit: 4}
		hits := searchAll(t, s, q)
		seen := map[string]bool{}
		for _, h := range hits {
			if seen[h.Message.ID] || !want[h.Message.ID] {
				t.Errorf("%s: hit %s/%d twice or not a match", order, h.Message.Room, h.Message.Seq)
			}
			seen[h.Message.ID] = true
		}
		if len(seen) != len(want) {
			t.Errorf("%s: paging visited %d of %d hits", order, len(seen), len(want))
		}
		first := search(t, s, q)
		if first.Next == "" || len(first.Hits) != 4 {
			t.Fatalf("%s: first page %d hits, next %q", order, len(first.Hits), first.Next)
		}
		other := q
		other.Text, other.Cursor = "unrelated", first.Next
		searchCode(t, s, other, hubbub.ECodeBadField)
		other = q
		other.User, other.Cursor = "someone", first.Next
		searchCode(t, s, other, hubbub.ECodeBadField)
		for _, forged := range []string{"x", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", first.Next[:len(first.Next)/2], first.Next + "=="} {
			other = q
			other.Cursor = forged
			searchCode(t, s, other, hubbub.ECodeBadField)
		}
	}
	q := hubbub.SearchQuery{Rooms: []string{"p", "q"}, Text: "page", Order: "oldest"}
	searchCode(t, s, q, hubbub.ECodeBadField)
}

// testSearchLimits: a query with nothing to search for, too long a text or too many rooms
// fails with its code; Limit 0 is DefaultSearchLimit, a larger one than MaxSearchLimit is
// MaxSearchLimit.
func testSearchLimits(t *testing.T, open opener) {
	s := open(t, hubbub.Retention{})
	for range hubbub.MaxSearchLimit + 5 {
		mustAppend(t, s, msg("r", "alice", "lots"))
	}
	rooms := []string{"r"}
	for _, text := range []string{"", "   ", `"" -- !? ...`, "\xff"} {
		searchCode(t, s, hubbub.SearchQuery{Rooms: rooms, Text: text}, hubbub.ECodeEmpty)
	}
	searchCode(t, s, hubbub.SearchQuery{Rooms: rooms, Text: strings.Repeat("x", hubbub.MaxSearchQueryLen+1)}, hubbub.ECodeLimit)
	if p := search(t, s, hubbub.SearchQuery{Rooms: rooms, Text: strings.Repeat("l", hubbub.MaxSearchQueryLen)}); len(p.Hits) != 0 {
		t.Errorf("a longest query found %d", len(p.Hits))
	}
	many := make([]string, hubbub.MaxSearchRooms+1)
	for i := range many {
		many[i] = fmt.Sprintf("room%d", i)
	}
	searchCode(t, s, hubbub.SearchQuery{Rooms: many, Text: "lots"}, hubbub.ECodeLimit)
	many = append(many[:hubbub.MaxSearchRooms-1], "r")
	if p := search(t, s, hubbub.SearchQuery{Rooms: many, Text: "lots"}); len(p.Hits) != hubbub.DefaultSearchLimit || p.Next == "" {
		t.Errorf("MaxSearchRooms rooms, no limit: %d hits (next %q), want %d and more", len(p.Hits), p.Next, hubbub.DefaultSearchLimit)
	}
	if p := search(t, s, hubbub.SearchQuery{Rooms: rooms, Text: "lots", Limit: 1000}); len(p.Hits) != hubbub.MaxSearchLimit || p.Next == "" {
		t.Errorf("limit 1000: %d hits, want %d", len(p.Hits), hubbub.MaxSearchLimit)
	}
	if got := searchAll(t, s, hubbub.SearchQuery{Rooms: rooms, Text: "lots", Limit: 1000}); len(got) != hubbub.MaxSearchLimit+5 {
		t.Errorf("all pages: %d hits, want %d", len(got), hubbub.MaxSearchLimit+5)
	}
}

// testSearchContext: Search fails with ctx's error once ctx is done or past its deadline.
func testSearchContext(t *testing.T, open opener) {
	s := open(t, hubbub.Retention{})
	mustAppend(t, s, msg("r", "alice", "hello"))
	ctx, cancel := context.WithTimeout(t.Context(), -time.Second)
	defer cancel()
	if _, err := searcher(t, s).Search(ctx, hubbub.SearchQuery{Rooms: []string{"r"}, Text: "hello"}); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Search past its deadline: %v, want context.DeadlineExceeded", err)
	}
	ctx, cancel = context.WithCancel(t.Context())
	cancel()
	if _, err := searcher(t, s).Search(ctx, hubbub.SearchQuery{Rooms: []string{"r"}, Text: "hello"}); !errors.Is(err, context.Canceled) {
		t.Errorf("Search with a cancelled context: %v, want context.Canceled", err)
	}
}

// RunSearchIndexOff checks a store run for a while without its search index (the server's
// --search-index=false) and then with it again. open opens the same data each time, with
// the index or without; the test closes what it opens. Without the index a search fails with
// ECodeDisabled; with it again, every message appended meanwhile is found by its current
// text, a message indexed before and edited meanwhile by its new text only, and a message
// deleted meanwhile not at all, whether it had been indexed or not.
func RunSearchIndexOff(t *testing.T, open func(t *testing.T, index bool) hubbub.Store) {
	a := open(t, true)
	one := mustAppend(t, a, msg("r", "alice", "needle one"))
	two := mustAppend(t, a, msg("r", "alice", "needle two"))
	checkFinds(t, a, []string{"r"}, "needle", one.Text, two.Text)
	mustClose(t, a)

	b := open(t, false)
	for _, q := range []hubbub.SearchQuery{
		{Rooms: []string{"r"}, Text: "needle"},
		{Rooms: []string{"r", "q"}, Text: "needle", Order: hubbub.SearchRelevance},
	} {
		searchCode(t, b, q, hubbub.ECodeDisabled)
	}
	three := mustAppend(t, b, msg("r", "bob", "needle three"))
	mustAppend(t, b, msg("q", "bob", "needle four in a new room"))
	five := mustAppend(t, b, msg("r", "bob", "needle five"))
	mustAppend(t, b, edit("r", "alice", one.Seq, "haystack one")) // indexed before
	mustAppend(t, b, edit("r", "bob", three.Seq, "needle three, edited"))
	mustAppend(t, b, del("r", "alice", two.Seq, false)) // indexed before
	mustAppend(t, b, del("r", "bob", five.Seq, false))
	mustClose(t, b)

	c := open(t, true)
	checkFinds(t, c, []string{"r", "q"}, "needle", "needle three, edited", "needle four in a new room")
	checkFinds(t, c, []string{"r"}, "haystack", "haystack one")
	checkFinds(t, c, []string{"r", "q"}, "one", "haystack one")
	checkFinds(t, c, []string{"r", "q"}, "five")
	checkFinds(t, c, []string{"r", "q"}, "two")
	// What the index holds now keeps up with the appends as before.
	mustAppend(t, c, msg("q", "alice", "needle six"))
	checkFinds(t, c, []string{"q"}, "needle", "needle four in a new room", "needle six")
}

// mustClose closes s and fails t on error.
func mustClose(t testing.TB, s hubbub.Store) {
	t.Helper()
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
}
