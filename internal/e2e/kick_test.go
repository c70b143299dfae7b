package e2e

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"hubbub/internal/hub"
	"hubbub/internal/server"
	"hubbub/internal/servertest"
)

// Expressions over the bar that replaces the composer in a room the person is not in.
const (
	exprRoomOutShown  = `(() => { const o = document.getElementById("room-out"); return !o.hidden && o.getClientRects().length > 0; })()`
	exprRoomOutText   = `document.getElementById("room-out").textContent`
	exprComposerShown = `document.getElementById("composer").getClientRects().length > 0`
)

// A moderator removes someone from a room (issue 14, item 9). Their page says so with the
// moderator's reason instead of "Joining…" forever, stops listing them as a member, offers
// nothing to type into that would then claim "no answer from the server", and lets them join
// again with one click; after a ban the same click explains until when they are banned, and
// works again once the ban is lifted.
func TestKickedUserSeesWhyAndCanJoinAgain(t *testing.T) {
	b := startBrowser(t)
	const key = "e2e-api-key"
	srv := servertest.Start(t, servertest.Options{Server: server.Config{APIKey: key}})
	api := func(method, path string, body any) {
		t.Helper()
		if code, f := srv.API(method, path, key, body); code != http.StatusOK {
			t.Fatalf("%s %s: status %d %v", method, path, code, f)
		}
	}
	ann := b.newUser("ann")
	ann.open(srv.URL + "/#general")
	gopher := dialUser(t, srv, "gopher", "general")
	ann.waitFor("gopher among the members", exprMembers+`.join() === "ann,gopher"`)
	ann.say("hello before")
	ann.see("ann", "hello before")

	api("POST", "/api/rooms/general/kick", map[string]string{"name": "ann", "reason": "too loud"})
	// The server API kicked her: the kicked error names no moderator.
	ann.waitFor("the kick shown with its reason", exprRoomOutShown+` && document.getElementById("room-out-text").textContent === "You were removed from #general by a server admin: too loud."`)
	if got := eval[[]string](ann, exprMembers); slices.Contains(got, "ann") {
		t.Errorf("ann's page still lists her among the members of a room she was removed from: %q", got)
	}
	if eval[bool](ann, exprComposerShown) {
		t.Error("the composer is still offered in a room ann was removed from")
	}
	if note := eval[string](ann, `document.getElementById("history-note").textContent`); strings.Contains(note, "Joining") {
		t.Errorf("the history bar says %q after the kick", note)
	}
	gopher.say("general", "said while ann was out")

	ann.do("join again", chromedp.Click(chromedp.CSS("#rejoin")))
	ann.waitFor("ann back in the room", `!(`+exprRoomOutShown+`) && `+exprComposerShown+` && `+exprMembers+`.join() === "ann,gopher"`)
	ann.see("gopher", "said while ann was out")
	ann.say("back again")
	ann.see("ann", "back again")

	// A ban removes her too; joining again is refused, and the page says until when.
	api("POST", "/api/rooms/general/ban", map[string]string{"name": "ann", "duration": "1h", "reason": "spam"})
	ann.waitFor("the ban's removal shown", exprRoomOutShown+` && `+exprRoomOutText+`.includes("banned from #general by a server admin until") && `+
		exprRoomOutText+`.includes("spam")`)
	ann.do("try to join again", chromedp.Click(chromedp.CSS("#rejoin")))
	ann.waitFor("the ban explained", exprRoomOutShown+` && `+exprRoomOutText+`.includes("banned from #general until")`)
	if eval[bool](ann, exprComposerShown) {
		t.Error("the composer is offered in a room ann is banned from")
	}
	api("DELETE", "/api/rooms/general/bans/ann", nil)
	ann.do("try again after the ban", chromedp.Click(chromedp.CSS("#rejoin")))
	ann.waitFor("ann back after the ban", `!(`+exprRoomOutShown+`) && `+exprMembers+`.join() === "ann,gopher"`)
	ann.say("after the ban")
	ann.see("ann", "after the ban")
	ann.seeOnce("hello before", "said while ann was out", "back again", "after the ban")
	if n := eval[int](ann, exprPendingCount); n != 0 {
		t.Errorf("%d messages still pending\n%s", n, ann.describe())
	}
}

// A room the server cannot store (it keeps --max-stored-rooms already) is refused with the
// server's words and no "Try again", which could not help until the operator raises the cap;
// the rooms that exist stay usable.
func TestNewRoomPastTheCapSaysWhy(t *testing.T) {
	b := startBrowser(t)
	srv := servertest.Start(t, servertest.Options{Hub: hub.Config{MaxStoredRooms: 1}})
	gopher := dialUser(t, srv, "gopher", "general") // general is the one room the server keeps
	ann := b.newUser("ann")
	ann.open(srv.URL + "/#general")
	ann.waitFor("gopher among the members", exprMembers+`.join() === "ann,gopher"`)
	ann.room("brand-new")
	ann.waitFor("the refusal shown", exprRoomOutShown+` && `+exprRoomOutText+`.includes("Could not join #brand-new") && `+
		exprRoomOutText+`.includes("at most 1 rooms")`)
	if eval[bool](ann, `document.getElementById("rejoin").getClientRects().length > 0`) {
		t.Error(`the page offers "Try again" for a room the server cannot store`)
	}
	ann.room("general")
	ann.waitFor("general usable", `!(`+exprRoomOutShown+`) && `+exprComposerShown)
	gopher.say("general", "still here")
	ann.see("gopher", "still here")
}
