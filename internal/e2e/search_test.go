package e2e

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"hubbub/internal/server"
	"hubbub/internal/servertest"
)

// Expressions over the search panel.
const (
	exprSearchOpen = `!document.getElementById("search").hidden && document.activeElement.id === "search-input"`
	// exprMarked lists the highlighted pieces of every hit's snippet.
	exprMarked = `Array.from(document.querySelectorAll("#search-results .search-snippet mark"), e => e.textContent)`
)

// exprFoundInView says whether the message row seq of the room in view is marked as the hit opened
// and lies within the visible part of the message list.
func exprFoundInView(seq uint64) string {
	return fmt.Sprintf(`(() => {
		const row = document.querySelector('#message-list .msg[data-seq="%d"]');
		if (!row || !row.classList.contains("search-found")) return false;
		const box = document.getElementById("messages").getBoundingClientRect(), r = row.getBoundingClientRect();
		return r.top >= box.top && r.bottom <= box.bottom;
	})()`, seq)
}

// searchFor opens the search panel with Ctrl+F from the composer, chooses the scope ("room" or
// "all") and searches for text.
func (u *user) searchFor(scope, text string) {
	u.t.Helper()
	u.do("focus the composer", chromedp.Focus(chromedp.CSS("#composer-input")))
	u.do("press Ctrl+F", pressCtrl("f", 70))
	u.waitFor("the search panel, focused", exprSearchOpen)
	u.do("choose "+scope, chromedp.Click(chromedp.CSS("#search-scope-"+scope)))
	u.do("type "+text, chromedp.Focus(chromedp.CSS("#search-input")), typeInto("#search-input", text), pressEnter(chromedp.CSS("#search-input")))
}

// searchADirectMessage opens the page as ann, has bob start a DM with her and say "the deploy
// key, in private" there, and searches all her rooms for "deploy": it returns ann with the
// DM's one hit listed.
func searchADirectMessage(t *testing.T) *user {
	t.Helper()
	b := startBrowser(t)
	srv := servertest.Start(t, servertest.Options{})
	bob := dialUser(t, srv, "bob", "general")
	ann := b.newUser("ann")
	ann.open(srv.URL + "/#general")
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	dm, err := bob.conn.DM(ctx, []string{"ann"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bob.conn.Join(ctx, dm.Room, nil, 0); err != nil {
		t.Fatal(err)
	}
	bob.say(dm.Room, "the deploy key, in private")
	ann.waitFor("the DM's unread message in the tab's title", `document.title.startsWith("(1)")`)
	ann.searchFor("all", "deploy")
	ann.waitFor("the DM's hit", `document.querySelectorAll("#search-results .search-hit").length === 1`)
	return ann
}

// A hit in a DM says so beside its sender ("bob DM with bob"), not the people's names alone,
// which read as a second sender ("bob bob").
func TestSearchHitInADirectMessageSaysSo(t *testing.T) {
	ann := searchADirectMessage(t)
	head := eval[string](ann, `document.querySelector("#search-results .search-hit-head").textContent`)
	if want := "bob DM with bob "; !strings.HasPrefix(head, want) {
		t.Errorf("the DM hit's head reads %q, want it to start with %q and a time", head, want)
	}
}

// A search hit opened in another room puts that room in the address as a click on its link
// does, so the sidebar's link back to the room before works: the address stayed at the room
// before, and a click on it, setting the address to what it was, left the DM in view. In the
// DM the scope says "In your conversation with bob", not "In bob" (both found by s30-user).
func TestSearchHitInAnotherRoomThenBack(t *testing.T) {
	ann := searchADirectMessage(t)
	ann.do("open the hit", chromedp.Click(chromedp.CSS("#search-results .search-hit-open")))
	ann.waitFor("the DM in view", `document.getElementById("room-title").textContent === "bob"`)
	// The scope names the DM as a conversation: "In bob" read as if bob were a place.
	if got, want := eval[string](ann, `document.getElementById("search-scope-room-label").textContent`), "In your conversation with bob"; got != want {
		t.Errorf("the search's scope reads %q in the DM, want %q", got, want)
	}
	ann.do("back to general", chromedp.Click(chromedp.CSS(`#room-list [data-room="general"] a`)))
	ann.waitFor("#general in view", `document.getElementById("room-title").textContent === "#general"`)
}

// Ctrl+F opens the search panel; a search finds a message far older than the page loaded, its
// snippet shows the matched word in <mark> and the rest as text (markup in a message stays
// text); clicking the hit opens its room at the message, marked and in view with the messages
// around it; Escape closes the panel and gives the focus back.
func TestSearchFindsAndOpensAnOldMessage(t *testing.T) {
	b := startBrowser(t)
	srv := servertest.Start(t, servertest.Options{Server: server.Config{SendRate: 1e6, SendBurst: 1 << 20}})
	bob := dialUser(t, srv, "bob", "general", "random")
	bob.say("general", "first things first")
	needle := bob.say("general", "the quarterly deploy checklist <b>is ready</b>")
	after := bob.say("general", "right after the checklist")
	chatter := []string{"morning all", "the build is green again", "who has the release notes?",
		"lunch at noon?", "I moved the standup to 10:30", "the staging database is back", "nice work on the fix", "brb"}
	for i := range 120 {
		bob.say("general", chatter[i%len(chatter)])
	}
	bob.say("general", "see you tomorrow")
	bob.say("random", "we never deploy on fridays")

	ann := b.newUser("ann")
	ann.open(srv.URL + "/#random")
	ann.room("general")
	ann.see("bob", "see you tomorrow")
	if eval[bool](ann, fmt.Sprintf(`!!document.querySelector('#message-list .msg[data-seq="%d"]')`, needle)) {
		t.Fatalf("the old message is loaded before the search; the test needs it out of the first page")
	}

	ann.searchFor("room", "deploy")
	ann.waitFor("one hit, deploy highlighted", `document.querySelectorAll("#search-results .search-hit").length === 1 && `+
		exprMarked+`.join() === "deploy"`)
	snippet := eval[string](ann, `document.querySelector("#search-results .search-snippet").textContent`)
	if want := "the quarterly deploy checklist <b>is ready</b>"; snippet != want {
		t.Errorf("the snippet reads %q, want %q", snippet, want)
	}
	if eval[bool](ann, `!!document.querySelector("#search-results .search-snippet b")`) {
		t.Errorf("the message's markup became an element in the snippet")
	}
	// Searched in this room, a hit does not repeat the room the scope names (a long one took two
	// lines over every hit on a phone); searched in all, it says its room.
	head := eval[string](ann, `document.querySelector("#search-results .search-hit-head").textContent`)
	if want := "bob "; !strings.HasPrefix(head, want) || strings.Contains(head, "#general") {
		t.Errorf("the hit's head reads %q, want %q and a time, without the room", head, want)
	}

	ann.do("open the hit", chromedp.Click(chromedp.CSS("#search-results .search-hit-open")))
	ann.waitFor("the message marked and in view", exprFoundInView(needle))
	if !eval[bool](ann, fmt.Sprintf(`!!document.querySelector('#message-list .msg[data-seq="%d"]')`, after)) {
		t.Errorf("the message after the hit is not shown around it")
	}

	ann.do("all my rooms", chromedp.Click(chromedp.CSS("#search-scope-all")))
	ann.waitFor("both rooms' hits", exprMarked+`.length === 2 && Array.from(document.querySelectorAll("#search-results .search-hit"), e => e.dataset.room).join() === "random,general"`)
	if got := eval[[]string](ann, `Array.from(document.querySelectorAll("#search-results .search-hit-room"), e => e.textContent)`); strings.Join(got, ",") != "#random,#general" {
		t.Errorf("the hits of all my rooms name rooms %q, want #random,#general", got)
	}
	if os.Getenv("HUBBUB_SCREENSHOT") == "1" { // the README's picture of search
		shot, err := ann.screenshot()
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile("../../docs/screenshot-search.png", shot, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ann.do("press Escape", pressKey(chromedp.CSS("#search-input"), "Escape"))
	ann.waitFor("the panel closed, the focus back in the composer", `document.getElementById("search").hidden && document.activeElement.id === "composer-input"`)
}

// Chinese text, which has no spaces between words, is found by the characters typed, and the
// matched characters are highlighted in the hit.
func TestSearchFindsChineseText(t *testing.T) {
	b := startBrowser(t)
	srv := servertest.Start(t, servertest.Options{})
	bob := dialUser(t, srv, "bob", "general")
	bob.say("general", "今天天气很好")
	bob.say("general", "我们在聊天室见")

	ann := b.newUser("ann")
	ann.open(srv.URL + "/#general")
	ann.see("bob", "我们在聊天室见")
	ann.searchFor("all", "聊天")
	ann.waitFor("one hit, 聊天 highlighted", `document.querySelectorAll("#search-results .search-hit").length === 1 && `+
		exprMarked+`.join("") === "聊天"`)
	if got := eval[string](ann, `document.querySelector("#search-results .search-snippet").textContent`); got != "我们在聊天室见" {
		t.Errorf("the snippet reads %q", got)
	}
}

// On a server run without its search index (--search-index=false) the page offers no search:
// no search button, and Ctrl+F is the browser's own find. A server that refuses a search only
// when asked (older than welcome's search_off) gets "Search is off on this server." in the
// panel, not an error, and the button goes.
func TestSearchOffHidesTheSearchBox(t *testing.T) {
	b := startBrowser(t)
	srv := servertest.Start(t, servertest.Options{Server: server.Config{SearchOff: true}})
	ann := b.newUser("ann")
	ann.open(srv.URL + "/#general")
	ann.waitFor("the search button hidden", `document.getElementById("search-open").hidden && document.getElementById("search-open").getClientRects().length === 0`)
	ann.do("focus the composer", chromedp.Focus(chromedp.CSS("#composer-input")))
	ann.do("press Ctrl+F", pressCtrl("f", 70))
	if eval[bool](ann, `!document.getElementById("search").hidden`) {
		t.Errorf("Ctrl+F opened the search panel of a server without search")
	}

	// As on an older server: the page does not know until it asks.
	ann.do("forget search_off", chromeEval(`finder.off = false; document.getElementById("search-open").hidden = false`))
	ann.searchFor("room", "anything")
	ann.waitFor("the panel saying search is off", `document.getElementById("search-status").textContent === "Search is off on this server."`)
	ann.waitFor("the search button hidden again", `document.getElementById("search-open").hidden`)
}

// A hit's snippet reads as the message does: "**bob**", "_rollout_" and "`make release`" show
// without their markers, the matched word still marked; a bold opened before the server's cut
// ends without its stars showing either (the snippet showed the raw source, markers and all).
func TestSearchSnippetShowsNoMarkdownMarkers(t *testing.T) {
	b := startBrowser(t)
	srv := servertest.Start(t, servertest.Options{})
	bob := dialUser(t, srv, "bob", "general")
	bob.say("general", "ask **bob** about the _rollout_ and run `make release` after")
	bob.say("general", "**the quarterly numbers came in this morning and they look rather wonderful this time** says ~~everyone~~ [alice](https://example.com/alice)")

	ann := b.newUser("ann")
	ann.open(srv.URL + "/#general")
	ann.see("bob", "the quarterly numbers came in this morning and they look rather wonderful this time says everyone alice")
	ann.searchFor("room", "rollout")
	ann.waitFor("one hit, rollout highlighted", `document.querySelectorAll("#search-results .search-hit").length === 1 && `+
		exprMarked+`.join() === "rollout"`)
	snippet := eval[string](ann, `document.querySelector("#search-results .search-snippet").textContent`)
	if want := "ask bob about the rollout and run make release after"; snippet != want {
		t.Errorf("the snippet reads %q, want %q", snippet, want)
	}

	ann.do("clear the search", chromeEval(`document.getElementById("search-input").value = ""`))
	ann.do("search again", typeInto("#search-input", "wonderful"), pressEnter(chromedp.CSS("#search-input")))
	ann.waitFor("one hit, wonderful highlighted", `document.querySelectorAll("#search-results .search-hit").length === 1 && `+
		exprMarked+`.join() === "wonderful"`)
	snippet = eval[string](ann, `document.querySelector("#search-results .search-snippet").textContent`)
	if !strings.HasPrefix(snippet, "…") || !strings.Contains(snippet, "rather wonderful this time says everyone alice") || strings.ContainsAny(snippet, "*~[]()") {
		t.Errorf("the cut snippet reads %q, want it to start with … and read \"rather wonderful this time says everyone alice\" without markers", snippet)
	}
}
