package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"hubbub/internal/servertest"
)

// On a first visit the welcome dialog is alone on the page: no red "Not connected" behind it,
// since nothing has tried to connect yet (issue 14, item 15). Once a name is chosen the status
// shows the connection.
func TestFirstVisitShowsNoConnectionErrorBehindTheWelcome(t *testing.T) {
	b := startBrowser(t)
	srv := servertest.Start(t, servertest.Options{})
	ann := b.newUser("ann")
	ann.do("open", chromedp.Navigate(srv.URL+"/#first"))
	ann.waitFor("the name dialog", `document.getElementById("name-dialog").open`)
	shown := `(() => { const c = document.getElementById("conn"); return c.getClientRects().length > 0 ? c.innerText.trim() : ""; })()`
	if got := eval[string](ann, shown); got != "" {
		t.Errorf("behind the welcome dialog the connection status shows %q", got)
	}
	ann.do("type a name", typeInto("#name-input", "ann"), pressEnter(chromedp.CSS("#name-input")))
	ann.waitFor("the live status shown", exprLive+` && `+shown+` === "Live"`)
}

// Leaving a room with its × can be undone from the notice it leaves (issue 14, item 15): the
// room comes back in its place, joined again, with what was said meanwhile.
func TestLeavingARoomCanBeUndone(t *testing.T) {
	b := startBrowser(t)
	srv := servertest.Start(t, servertest.Options{})
	ann := b.newUser("ann")
	ann.open(srv.URL + "/#alpha")
	ann.room("beta")
	ann.room("gamma")
	gopher := dialUser(t, srv, "gopher", "alpha", "beta", "gamma")
	ann.room("beta")
	gopher.say("beta", "before leaving")
	ann.see("gopher", "before leaving")
	rooms := `Array.from(document.querySelectorAll("#room-list .room"), e => e.dataset.room).join()`
	ann.waitFor("three rooms", rooms+` === "alpha,beta,gamma"`)

	ann.do("leave beta", chromedp.Click(chromedp.CSS(`#room-list [data-room="beta"] .room-leave`)))
	ann.waitFor("beta gone, with an undo", rooms+` === "alpha,gamma" && !document.getElementById("notice").hidden && `+
		`document.getElementById("notice-text").textContent.includes("#beta") && !!document.querySelector("#notice button.notice-action")`)
	gopher.waitMembers("beta", "gopher") // she really left: the server no longer counts her
	gopher.say("beta", "while ann was away")

	ann.do("undo", chromedp.Click(chromedp.CSS("#notice button.notice-action")))
	ann.waitFor("beta back in its place and in view", rooms+` === "alpha,beta,gamma" && document.getElementById("room-title").textContent === "#beta"`)
	ann.see("gopher", "while ann was away")
	ann.waitFor("ann a member of beta again", exprMembers+`.join() === "ann,gopher"`)
	gopher.say("beta", "after the undo")
	ann.see("gopher", "after the undo")
	ann.seeOnce("before leaving", "while ann was away", "after the undo")
}

// An Undo of a leave keeps the room when the server's unroom, the answer to the leave's part,
// comes after the Undo's join: it travels the user's channel, not the connection's order, and
// on a busy machine it took the room away again (beta gone after the Undo, though the server
// had ann a member of it). The page holds the unroom back until the Undo, as a slow channel
// does, and lets it go then.
func TestLeaveUndoneBeforeTheUnroomCameKeepsTheRoom(t *testing.T) {
	b := startBrowser(t)
	srv := servertest.Start(t, servertest.Options{})
	ann := b.newUser("ann")
	ann.open(srv.URL + "/#alpha")
	ann.room("beta")
	gopher := dialUser(t, srv, "gopher", "alpha", "beta")
	rooms := `Array.from(document.querySelectorAll("#room-list .room"), e => e.dataset.room).join()`
	ann.waitFor("two rooms", rooms+` === "alpha,beta"`)
	ann.waitFor("the server's room list", `client.hasRoomList && client.myRooms.has("beta")`)
	eval[bool](ann, `(() => { // hold unroom frames back until releaseUnrooms
		const receive = client.receivePeople;
		window.heldUnrooms = [];
		client.receivePeople = function (f, r) {
			if (f.type === "unroom" && window.heldUnrooms) { window.heldUnrooms.push([f, r]); return; }
			return receive.call(this, f, r);
		};
		window.releaseUnrooms = () => { const held = window.heldUnrooms; window.heldUnrooms = null; for (const [f, r] of held) client.receivePeople(f, r); return held.length; };
		return true;
	})()`)

	ann.do("leave beta", chromedp.Click(chromedp.CSS(`#room-list [data-room="beta"] .room-leave`)))
	ann.waitFor("beta gone, its unroom held", rooms+` === "alpha" && window.heldUnrooms.length === 1 && !!document.querySelector("#notice button.notice-action")`)
	ann.do("undo", chromedp.Click(chromedp.CSS("#notice button.notice-action")))
	ann.waitFor("beta back and joined", rooms+` === "alpha,beta" && client.rooms.get("beta") && client.rooms.get("beta").joined`)
	if n := eval[int](ann, `window.releaseUnrooms()`); n != 1 {
		t.Fatalf("released %d unroom frames, want the part's one", n)
	}
	gopher.say("beta", "after the late unroom")
	ann.see("gopher", "after the late unroom") // the page has read past the released unroom
	ann.waitFor("beta still in my rooms", rooms+` === "alpha,beta" && client.myRooms.has("beta") === client.hasRoomList`)
	gopher.waitMembers("beta", "ann", "gopher")
}

// A room left with its × stays left when the page is opened again at its bare address: a later
// visit to "/" opens the first of my rooms. It opened lobby, which joined it and put it back
// in my rooms (on every device), however often I had left it.
func TestBareAddressOpensMyRoomNotALeftLobby(t *testing.T) {
	b := startBrowser(t)
	srv := servertest.Start(t, servertest.Options{})
	ann := b.newUser("ann")
	ann.open(srv.URL + "/")
	ann.waitFor("lobby in view", `document.getElementById("room-title").textContent === "#lobby"`)
	ann.room("work")
	rooms := `Array.from(document.querySelectorAll("#room-list .room"), e => e.dataset.room).join()`
	ann.waitFor("two rooms", rooms+` === "lobby,work"`)
	ann.room("lobby") // its × shows on the room in view
	ann.do("leave lobby", chromedp.Click(chromedp.CSS(`#room-list [data-room="lobby"] .room-leave`)))
	// The server has handled the part once its unroom is here: a page opened before that may
	// read a list that has lobby still (another connection's, read first).
	ann.waitFor("lobby gone, for the server too", rooms+` === "work" && !client.partsSent.has("lobby")`)

	ann.doWithin(3*waitTimeout, "open the bare address again", chromedp.Navigate(srv.URL+"/"))
	ann.waitFor("a live connection", exprLive)
	ann.say("back at work")
	ann.see("ann", "back at work") // the page and the server agree on what ann is in by now
	ann.waitFor("work in view, lobby still left", `document.getElementById("room-title").textContent === "#work" && `+rooms+` === "work"`)
	gopher := dialUser(t, srv, "gopher", "lobby")
	gopher.waitMembers("lobby", "gopher")
}

// A room left with its × stays left when a list of my rooms asked for before the leave comes
// after it, as on a slow link: the list, read by the server before the part, names the room
// still. The page took the room back into its list and joined it again, which listed it again
// on the server too, and then took the part's unroom for an Undo's and kept the room (CI: the
// test above, lobby back after work). The page holds the list (asked for when work was joined)
// and the unroom back, and lets the list go first, then the unroom.
func TestLeftRoomStaysLeftWhenAnOlderRoomListComesAfter(t *testing.T) {
	b := startBrowser(t)
	srv := servertest.Start(t, servertest.Options{})
	ann := b.newUser("ann")
	ann.open(srv.URL + "/#lobby")
	ann.waitFor("the server's room list", `client.hasRoomList && client.myRooms.has("lobby")`)
	eval[bool](ann, `(() => { // hold rooms and unroom frames back until release
		const receive = client.receivePeople;
		window.held = [];
		client.receivePeople = function (f, r) {
			if ((f.type === "rooms" || f.type === "unroom") && window.held) { window.held.push([f, r]); return; }
			return receive.call(this, f, r);
		};
		window.heldOf = (type) => window.held.filter(([f]) => f.type === type).length;
		window.release = () => { // the rooms frames first, then the unroom frames
			const held = window.held; window.held = null;
			held.sort(([a], [b]) => (a.type === "rooms" ? 0 : 1) - (b.type === "rooms" ? 0 : 1));
			for (const [f, r] of held) client.receivePeople(f, r);
			return held.map(([f]) => f.type).join();
		};
		return true;
	})()`)
	ann.room("work")
	rooms := `Array.from(document.querySelectorAll("#room-list .room"), e => e.dataset.room).join()`
	ann.waitFor("two rooms, the list asked for on joining work held", rooms+` === "lobby,work" && heldOf("rooms") > 0`)
	ann.room("lobby") // its × shows on the room in view
	ann.do("leave lobby", chromedp.Click(chromedp.CSS(`#room-list [data-room="lobby"] .room-leave`)))
	ann.waitFor("lobby gone, its unroom held", rooms+` === "work" && heldOf("unroom") === 1`)
	if got := eval[string](ann, `release()`); !strings.HasSuffix(got, "rooms,unroom") {
		t.Fatalf("released %q, want rooms frames and then the part's unroom", got)
	}
	ann.waitFor("lobby still left", rooms+` === "work" && !client.myRooms.has("lobby") && !client.rooms.has("lobby")`)
	ann.say("still at work")
	ann.see("ann", "still at work") // the server has read past anything the page sent on release
	gopher := dialUser(t, srv, "gopher", "lobby")
	gopher.waitMembers("lobby", "gopher")
	ann.doWithin(3*waitTimeout, "open the bare address again", chromedp.Navigate(srv.URL+"/"))
	ann.waitFor("a live connection", exprLive)
	ann.waitFor("the server's room list, without lobby", `client.hasRoomList && client.roomsAsked === 0 && !client.myRooms.has("lobby") && `+rooms+` === "work"`)
}

// The bare address opens the room the tab had in view, as the account pages come back to it:
// a password set from #beta (Set a password, then the account page's redirect to /) landed in
// the first of my rooms (found by s30-user).
func TestBareAddressReopensTheRoomInView(t *testing.T) {
	b := startBrowser(t)
	srv := servertest.Start(t, servertest.Options{})
	ann := b.newUser("ann")
	ann.open(srv.URL + "/#alpha")
	ann.room("beta")
	ann.room("gamma")
	ann.room("beta")
	ann.doWithin(3*waitTimeout, "open the account page", chromedp.Navigate(srv.URL+"/account"), waitVisibleAfterNavigation(chromedp.CSS("#password")))
	ann.doWithin(3*waitTimeout, "come back to the bare address", chromedp.Navigate(srv.URL+"/"))
	ann.waitFor("a live connection", exprLive)
	ann.waitFor("#beta in view", `document.getElementById("room-title").textContent === "#beta"`)
}

// A room name the page refuses says rooms are ASCII: "Été" was told to use letters and start
// with one, which it does (found being a new user).
func TestRoomNameRefusedSaysASCII(t *testing.T) {
	b := startBrowser(t)
	srv := servertest.Start(t, servertest.Options{})
	ann := b.newUser("ann")
	ann.open(srv.URL + "/#general")
	ann.do("join Été", typeInto("#join-input", "Été"), pressEnter(chromedp.CSS("#join-input")))
	ann.waitFor("the reason", `!document.getElementById("join-error").hidden`)
	if got := eval[string](ann, `document.getElementById("join-error").textContent`); !strings.Contains(got, "a–z") {
		t.Errorf("the reason says %q, want it to say which letters (a–z)", got)
	}
	// A link to a room by a name that is none says so too, in the notice.
	ann.do("follow a link to #Été", chromedp.Navigate(srv.URL+"/#%C3%89t%C3%A9"))
	ann.waitFor("the notice", `!document.getElementById("notice").hidden && document.getElementById("notice-text").textContent.includes("a–z")`)
	if got := eval[string](ann, `document.getElementById("join-help").textContent`); !strings.Contains(got, "a–z") {
		t.Errorf("the join form's help says %q, want it to say which letters (a–z)", got)
	}
}

// On a phone the join form is in the sidebar drawer, which covers the page's notice: a room
// name refused there says why beside the form, where the person is looking, and the note
// goes once they type again.
func TestRoomNameRefusedOnAPhoneSaysWhyBesideTheForm(t *testing.T) {
	b := startBrowser(t)
	srv := servertest.Start(t, servertest.Options{})
	ann := b.newUser("ann")
	ann.do("a phone's screen", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateTouch))
	ann.open(srv.URL + "/#general")
	ann.do("open the sidebar", chromedp.Click(chromedp.CSS("#rooms-toggle")))
	ann.do("join Été", typeInto("#join-input", "Été"), pressEnter(chromedp.CSS("#join-input")))
	// What is on top at the middle of the reason is the reason itself: it is seen.
	seen := `(() => { const e = document.getElementById("join-error"); if (!e || e.hidden) return ""; const r = e.getBoundingClientRect();
		const top = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2); return top && e.contains(top) ? e.textContent : ""; })()`
	ann.waitFor("the reason beside the join form, in view", seen+`.includes("a–z")`)
	ann.do("type again", typeInto("#join-input", "x"))
	ann.waitFor("the reason gone", `document.getElementById("join-error").hidden`)
}

// The room browser counts a room's members, stored, and the room's header those online: each
// says which it counts, so that "3" in one and "2" in the other do not read as a mistake.
func TestRoomBrowserAndHeaderSayWhatTheyCount(t *testing.T) {
	b := startBrowser(t)
	srv := servertest.Start(t, servertest.Options{})
	gone := dialUser(t, srv, "gone", "lobby")
	_ = gone.conn.Close() // a member, not online
	dialUser(t, srv, "bob", "lobby")
	ann := b.newUser("ann")
	ann.open(srv.URL + "/#lobby")
	ann.waitFor("ann and bob online", exprMembers+`.join() === "ann,bob"`)
	ann.waitFor("the header says online", `document.getElementById("member-count").textContent === "2 online" && `+
		`document.getElementById("members-toggle").title === "2 online"`)
	ann.do("open the room browser", chromedp.Click(chromedp.CSS("#browse-rooms")))
	ann.waitFor("lobby's members, stored", `((document.querySelector('#directory-list [data-room="lobby"] .directory-meta') || {}).textContent || "").startsWith("3 members")`)
}

// placeholderCut is a script giving the placeholders of the page's visible inputs that do not
// fit their box, as "id: text (N px over)": a placeholder is drawn clipped, without an ellipsis,
// so a cut one reads as a different hint.
const placeholderCut = `(() => {
  const ctx = document.createElement("canvas").getContext("2d");
  const cut = [];
  for (const el of document.querySelectorAll("input[placeholder], textarea[placeholder]")) {
    if (el.getClientRects().length === 0 || getComputedStyle(el).visibility !== "visible") continue;
    const cs = getComputedStyle(el);
    ctx.font = cs.font;
    const room = el.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight) -
      (el.type === "search" ? 20 : 0); // a search box keeps room for its clear button
    const over = Math.ceil(ctx.measureText(el.placeholder).width - room);
    if (over > 0) cut.push(el.id + ": " + el.placeholder + " (" + over + " px over)");
  }
  return cut.join("; ");
})()`

// On a phone (375 px wide) every placeholder of the search panel and the room browser is
// whole: the room browser's was cut to "Search public rooms by name o".
func TestSearchPlaceholdersFitAPhone(t *testing.T) {
	b := startBrowser(t)
	srv := servertest.Start(t, servertest.Options{})
	ann := b.newUser("ann")
	ann.do("phone viewport", chromedp.EmulateViewport(375, 740, chromedp.EmulateMobile))
	ann.open(srv.URL + "/#lobby")
	ann.do("open the search", chromedp.Click(chromedp.CSS("#search-open")))
	ann.waitFor("the search panel", `!document.getElementById("search").hidden`)
	if cut := eval[string](ann, placeholderCut); cut != "" {
		t.Errorf("in the search panel at 375 px: %s", cut)
	}
	saveShot(t, ann, "search-375.png")
	ann.do("close it", chromedp.Click(chromedp.CSS("#search-close")))
	ann.do("open the rooms drawer", chromedp.Click(chromedp.CSS("#rooms-toggle")))
	ann.waitFor("the drawer open, still", `getComputedStyle(document.getElementById("sidebar")).visibility === "visible" && `+
		`document.getElementById("sidebar").getBoundingClientRect().left === 0`)
	ann.do("open the room browser", chromedp.Click(chromedp.CSS("#browse-rooms")))
	ann.waitFor("the room browser", `document.getElementById("browse-dialog").open`)
	if cut := eval[string](ann, placeholderCut); cut != "" {
		t.Errorf("in the room browser at 375 px: %s", cut)
	}
	saveShot(t, ann, "rooms-375.png")
}

// saveShot writes a screenshot of u's page as name under $HUBBUB_E2E_SHOTS, when set, for a
// person to look at.
func saveShot(t *testing.T, u *user, name string) {
	dir := os.Getenv("HUBBUB_E2E_SHOTS")
	if dir == "" {
		return
	}
	png, err := u.screenshot()
	if err == nil {
		err = os.WriteFile(filepath.Join(dir, name), png, 0o644)
	}
	if err != nil {
		t.Logf("screenshot %s: %v", name, err)
	}
}

// Room names are one room whatever their case: opening #General when general exists shows
// general, with its history, and what is said there reaches its members (the server's
// room_case, which the page follows). The list holds general, not a second, empty General.
func TestOpeningARoomInAnotherCaseOpensIt(t *testing.T) {
	b := startBrowser(t)
	srv := servertest.Start(t, servertest.Options{})
	gopher := dialUser(t, srv, "gopher", "general")
	gopher.say("general", "said in general")
	ann := b.newUser("ann")
	ann.open(srv.URL + "/#General")
	ann.waitFor("general in view", `document.getElementById("room-title").textContent === "#general"`)
	ann.see("gopher", "said in general")
	rooms := `Array.from(document.querySelectorAll("#room-list .room"), e => e.dataset.room).join()`
	ann.waitFor("general alone in the list", rooms+` === "general"`)
	ann.say("hello from ann")
	gopher.waitMembers("general", "ann", "gopher")
}

// Joining a public room from the sidebar's form shows its topic in the header at once, as the
// room browser lists it: the header offered "Add a topic" over a room that had one until the
// page was reloaded (found by s30-user).
func TestJoiningARoomShowsItsTopic(t *testing.T) {
	b := startBrowser(t)
	srv := servertest.Start(t, servertest.Options{})
	gopher := dialUser(t, srv, "gopher", "lobby")
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	if _, err := gopher.conn.Create(ctx, "plans", "Q3 roadmap", false); err != nil {
		t.Fatalf("gopher: create plans: %v", err)
	}
	ann := b.newUser("ann")
	ann.open(srv.URL + "/#lobby")
	ann.room("plans")
	ann.waitFor("the topic in the header", `document.getElementById("room-topic").textContent === "Q3 roadmap"`)
}

// exprNameLines counts the lines that the room's name (the text name) takes in the element id,
// from the boxes the browser laid its characters out in; 0 when the name is not there.
func exprNameLines(id, name string) string {
	return `(() => {
		const el = document.getElementById(` + js(id) + `), name = ` + js(name) + `;
		const at = el.textContent.indexOf(name);
		if (at < 0) return 0;
		const range = document.createRange();
		const walk = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
		let seen = 0, started = false;
		for (let n = walk.nextNode(); n; n = walk.nextNode()) {
			const len = n.data.length;
			if (!started && at < seen + len) { range.setStart(n, at - seen); started = true; }
			if (started && at + name.length <= seen + len) { range.setEnd(n, at + name.length - seen); break; }
			seen += len;
		}
		return new Set(Array.from(range.getClientRects(), r => Math.round(r.top))).size;
	})()`
}

// The invite dialog's title keeps a room's name whole: "#secret-plans" broke at its hyphen,
// "#secret-" at a line's end and "plans" on the next, on a phone (375 px) and on a desktop.
// A name longer than a whole line wraps inside the dialog, never past its edge.
func TestInviteTitleKeepsTheRoomNameWhole(t *testing.T) {
	b := startBrowser(t)
	srv := servertest.Start(t, servertest.Options{})
	ann := b.newUser("ann")
	ann.do("desktop viewport", chromedp.EmulateViewport(1280, 800))
	ann.open(srv.URL + "/#lobby")
	long := "the-quarterly-planning-room-for-the-secret-launch-of-2027"
	for _, room := range []string{long, "secret-plans"} {
		ann.do("open the room browser", chromedp.Click(chromedp.CSS("#browse-rooms")))
		ann.waitFor("the directory", `document.getElementById("browse-dialog").open`)
		ann.do("create "+room, chromeSendKeys("#create-name", room), chromedp.Click(chromedp.CSS("#create-private")), chromedp.Click(chromedp.CSS("#create-submit")))
		ann.waitFor(room+" in view", `document.getElementById("room-title").textContent === `+js("#"+room))
	}
	const exprFits = `(() => { const h = document.getElementById("invite-title"), d = document.getElementById("invite-dialog").getBoundingClientRect(), r = h.getBoundingClientRect();
		return h.scrollWidth <= h.clientWidth && r.left >= d.left && r.right <= d.right; })()`
	desktop := func() { ann.do("desktop viewport", chromedp.EmulateViewport(1280, 800)) }
	phone := func() { ann.do("phone viewport", chromedp.EmulateViewport(375, 740, chromedp.EmulateMobile)) }
	// invite opens the invite dialog from the members' list: on a phone, its drawer first.
	invite := func(onPhone bool) {
		t.Helper()
		if onPhone {
			ann.do("open the members", pressEnter(chromedp.CSS("#members-toggle")))
			ann.waitFor("the member drawer open, in view", `document.getElementById("members").classList.contains("open") && `+
				`document.getElementById("invite-button").getBoundingClientRect().right <= innerWidth`)
		}
		ann.waitFor("the invite button", `!document.getElementById("invite-button").hidden`)
		ann.do("open the invite dialog", chromedp.Click(chromedp.CSS("#invite-button")))
		ann.waitFor("the invite dialog", `document.getElementById("invite-dialog").open`)
	}
	closeInvite := func() {
		ann.do("close it", pressKey(chromedp.CSS("#invite-name"), "Escape"))
		ann.waitFor("the dialog closed", `!document.getElementById("invite-dialog").open`)
	}
	for _, onPhone := range []bool{false, true} {
		what := map[bool]string{false: "desktop", true: "phone"}[onPhone]
		if onPhone {
			phone()
		}
		invite(onPhone)
		if n := eval[int](ann, exprNameLines("invite-title", "#secret-plans")); n != 1 {
			t.Errorf("%s: the invite title %q puts #secret-plans on %d lines, want 1", what, eval[string](ann, `document.getElementById("invite-title").textContent`), n)
		}
		if !eval[bool](ann, exprFits) {
			t.Errorf("%s: the invite title runs past the dialog", what)
		}
		saveShot(t, ann, "invite-"+what+".png")
		closeInvite()
	}
	// The long name, on the phone: longer than a line, it wraps inside the dialog.
	desktop()
	ann.room(long)
	phone()
	invite(true)
	if !eval[bool](ann, exprFits) {
		t.Errorf("phone: the invite title with a long name runs past the dialog")
	}
	saveShot(t, ann, "invite-phone-long.png")
}
