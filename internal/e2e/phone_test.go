package e2e

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"hubbub/internal/accounts"
	"hubbub/internal/server"
	"hubbub/internal/servertest"
)

// atPhoneSize gives the user's window a phone's screen: 390×844 CSS pixels at three device
// pixels each, with touch and without hover.
func (u *user) atPhoneSize() {
	u.t.Helper()
	u.do("a phone's screen", chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(3), chromedp.EmulateMobile, chromedp.EmulateTouch))
}

// exprWiderThanItsBox is a JavaScript expression: how many pixels the content of the element with
// this id is wider than the element (0 when it fits, or when the element is not shown).
func exprWiderThanItsBox(id string) string {
	return `(() => { const e = document.getElementById(` + js(id) + `); return e && e.getClientRects().length ? Math.max(0, e.scrollWidth - e.clientWidth) : 0; })()`
}

// A name is up to 32 characters and a room's name up to 64, neither with a space to wrap at. On
// a phone each wraps (or ends in "…") where it is shown — a message's sender, the quote of a
// reply, the notice of a room left, the beginning of the history, the thread, the search and
// the room browser — instead of making the conversation wider than the screen, which pushed
// the time, the notice's Undo and Dismiss, and the panels' text off the side.
func TestLongNamesWrapOnAPhone(t *testing.T) {
	b := startBrowser(t)
	srv := servertest.Start(t, servertest.Options{})
	wide := strings.Repeat("W", 32)
	room := strings.Repeat("longroomname", 5) + "wxyz"
	w := dialUser(t, srv, wide, room)
	seq := w.say(room, "hello from the person with the widest name there is, in the room with the longest name")

	ann := b.newUser("ann")
	ann.atPhoneSize()
	ann.open(srv.URL + "/#" + room)
	ann.see(wide, "hello from the person with the widest name there is, in the room with the longest name")
	w.reply(room, seq, "a reply, which quotes the name")
	ann.say("@" + wide + " hello")
	ann.see("ann", "@"+wide+" hello")
	ann.waitFor("the reply's quote", `!!document.querySelector("#message-list .msg[data-seq] .quote")`)
	if n := eval[int](ann, exprWiderThanItsBox("messages")); n > 0 {
		t.Errorf("the conversation is %d px wider than the phone's screen", n)
	}
	if n := eval[int](ann, `Math.max(...Array.from(document.querySelectorAll("#message-list .quote"), q => q.scrollWidth - q.clientWidth))`); n > 0 {
		t.Errorf("a reply's quote is %d px wider than its box", n)
	}
	if got := eval[int](ann, `document.querySelector("#message-list .meta time").getClientRects().length`); got != 1 {
		t.Errorf("a message's time is on %d lines, want 1", got)
	}

	ann.do("open the thread", chromedp.Click(chromedp.CSS("#message-list .thread-link:not([hidden])")))
	ann.waitFor("the thread", `!document.getElementById("thread").hidden && document.querySelectorAll("#thread-list .msg[data-seq]").length === 1`)
	if n := eval[int](ann, exprWiderThanItsBox("thread")); n > 0 {
		t.Errorf("the thread panel is %d px wider than the phone's screen", n)
	}
	ann.do("close the thread", chromedp.Click(chromedp.CSS("#thread-close")))

	ann.do("search", chromedp.Click(chromedp.CSS("#search-open")))
	ann.do("search for hello", typeInto("#search-input", "hello"), pressEnter(chromedp.CSS("#search-input")))
	ann.waitFor("the hits", `document.querySelectorAll("#search-results .search-hit").length === 2`)
	if n := eval[int](ann, exprWiderThanItsBox("search")); n > 0 {
		t.Errorf("the search panel is %d px wider than the phone's screen", n)
	}
	ann.do("close the search", chromedp.Click(chromedp.CSS("#search-close")))

	// The drawer slides in: its buttons are pressed from the keyboard, wherever they are.
	ann.do("open the rooms", pressEnter(chromedp.CSS("#rooms-toggle")))
	ann.do("browse the rooms", pressEnter(chromedp.CSS("#browse-rooms")))
	ann.waitFor("the room in the browser", `document.querySelectorAll("#directory-list .directory-room").length === 1`)
	if n := eval[int](ann, exprWiderThanItsBox("browse-dialog")); n > 0 {
		t.Errorf("the room browser is %d px wider than the phone's screen", n)
	}
	ann.do("close the browser", chromedp.Click(chromedp.CSS("#browse-close")))

	// Leaving the room says so in the notice, with the room's name (one's only room has no ×).
	ann.do("open the rooms", pressEnter(chromedp.CSS("#rooms-toggle")))
	ann.do("join another room", typeInto("#join-input", "other"), pressEnter(chromedp.CSS("#join-input")))
	ann.waitFor("#other in view", `document.getElementById("room-title").textContent === "#other"`)
	ann.do("open the rooms", pressEnter(chromedp.CSS("#rooms-toggle")))
	ann.do("leave the long room", pressEnter(chromedp.CSS(`#room-list [data-room="`+room+`"] .room-leave`)))
	ann.waitFor("the notice with its Undo", `!document.getElementById("notice").hidden && !!document.querySelector("#notice .notice-action")`)
	if n := eval[int](ann, exprWiderThanItsBox("notice")); n > 0 {
		t.Errorf("the notice is %d px wider than the phone's screen", n)
	}
	// Dismiss is on the screen, where a finger can reach it.
	if right := eval[float64](ann, `document.getElementById("notice-close").getBoundingClientRect().right`); right > 390 {
		t.Errorf("the notice's Dismiss ends at %.0f px, past the phone's 390", right)
	}
}

// On a phone the member list is a drawer over the conversation. Opened from the keyboard, the
// focus goes into it (the list itself, when it has no control to tap) and Escape brings it back
// to the button: it stayed on the button under the drawer, as the first control the drawer holds,
// Invite, is hidden outside private rooms.
func TestMemberDrawerTakesTheFocusOnAPhone(t *testing.T) {
	b := startBrowser(t)
	srv := servertest.Start(t, servertest.Options{})
	ann := b.newUser("ann")
	ann.atPhoneSize()
	ann.open(srv.URL + "/#members-drawer")
	ann.waitFor("ann in the member list", exprMembers+`.includes("ann")`)
	ann.do("open the members with Enter", pressEnter(chromedp.CSS("#members-toggle")))
	ann.waitFor("the member drawer open", `document.getElementById("members").classList.contains("open")`)
	if got := eval[string](ann, `document.getElementById("members").contains(document.activeElement) ? "" : document.activeElement.id || document.activeElement.tagName`); got != "" {
		t.Errorf("the member drawer is open and the focus is on %s, under it, not in the drawer", got)
	}
	ann.do("close with Escape", pressKey(chromedp.CSS("#members"), "Escape"))
	ann.waitFor("the drawer closed and the focus back on its button",
		`!document.getElementById("members").classList.contains("open") && document.activeElement.id === "members-toggle"`)
}

// exprFocusSeen is a JavaScript expression: whether the focused element is what shows at its own
// centre, on top of everything else (not under a drawer or its backdrop).
const exprFocusSeen = `(() => { const e = document.activeElement; if (!e || e === document.body) return false;
	const r = e.getBoundingClientRect(); const top = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
	return !!top && (e === top || e.contains(top)); })()`

// On a phone the room list is a drawer over the page. Tab past its last control closes it, so
// that the focus lands on a control one can see: it moved on to the header's buttons under the
// open drawer and its backdrop, where Enter pressed what nobody could see.
func TestTabOutOfTheRoomDrawerClosesIt(t *testing.T) {
	b := startBrowser(t)
	srv := servertest.Start(t, servertest.Options{})
	ann := b.newUser("ann")
	ann.atPhoneSize()
	ann.open(srv.URL + "/#drawer-tab")
	ann.do("open the rooms with Enter", pressEnter(chromedp.CSS("#rooms-toggle")))
	ann.waitFor("the room drawer open, the focus in it", `document.getElementById("sidebar").classList.contains("open") && document.getElementById("sidebar").contains(document.activeElement)`)
	ann.do("mark the drawer's last control", chromeEval(`Array.from(document.querySelectorAll("#sidebar a, #sidebar button, #sidebar input"))
		.filter(e => e.getClientRects().length > 0).at(-1).setAttribute("data-last-in-drawer", "")`))
	ann.do("Tab from the drawer's last control", pressKey(chromedp.CSS("[data-last-in-drawer]"), "Tab"))
	ann.waitFor("the drawer closed and the focused control in sight",
		`!document.getElementById("sidebar").classList.contains("open") && !document.getElementById("sidebar").contains(document.activeElement) && `+exprFocusSeen)
}

// exprSmallTargets is a JavaScript expression: the controls shown (opacity aside) in the window
// that are less than 40 CSS pixels high or wide, as "what: width×height". A link in a paragraph
// is left out, as is a file's name beside its download button; a radio button or a checkbox
// counts by its label. A link in a message counts (by its height: its width is its words'), and
// so does the topic under the room's name.
const exprSmallTargets = `Array.from(document.querySelectorAll("button, a[href], input, textarea, select, label:has(> input[type=radio]), label:has(> input[type=checkbox])"))
	.filter(e => e.getClientRects().length > 0 && getComputedStyle(e).visibility !== "hidden" && !e.closest(".visually-hidden"))
	.filter(e => !(e.matches("input[type=radio], input[type=checkbox], input[type=hidden]") || e.closest("p, .file-name")))
	.filter(e => { const r = e.getBoundingClientRect(); return r.bottom > 0 && r.top < innerHeight && r.right > 0 && r.left < innerWidth; })
	.map(e => { const r = e.getBoundingClientRect(); return (r.width < 39.5 && !e.closest(".text")) || r.height < 39.5 ?
		(e.id ? "#" + e.id : e.tagName.toLowerCase() + "." + e.className.split(" ").join(".")) + " " + JSON.stringify((e.getAttribute("aria-label") || e.textContent).trim().slice(0, 30)) + ": " + Math.round(r.width) + "×" + Math.round(r.height) : ""; })
	.filter(Boolean)`

// On a touch screen every control is at least 40 px high and wide, a fingertip's size: the
// Rooms and Direct messages "+" were 26 px, a room's × 30, the message's actions 38 high, the
// attach and send buttons, the reaction chips, a reply count, the quote of a reply, the
// notice's Undo, the items of the room's notification menu and the search box less than 40;
// "Add a topic" 19 high and a link in a message 18 (found by s29-chat).
func TestTapTargetsOnAPhone(t *testing.T) {
	b := startBrowser(t)
	srv := servertest.Start(t, servertest.Options{})
	bob := dialUser(t, srv, "bob", "taps", "second")
	seq := bob.say("taps", "a message with a reaction, a reply and a link: https://example.com/taps")
	bob.react("taps", seq, "👍")
	bob.reply("taps", seq, "the reply")

	ann := b.newUser("ann")
	ann.atPhoneSize()
	ann.open(srv.URL + "/#taps")
	ann.say("my own message, which I may edit")
	ann.see("ann", "my own message, which I may edit")
	ann.waitFor("bob's reply, quoted, and the reaction", `!!document.querySelector("#message-list .quote") && !!document.querySelector("#message-list .reaction:not(.reaction-add)")`)
	ann.waitFor("the link in bob's message and the topic", `!!document.querySelector("#message-list .text a") && document.getElementById("room-topic").getClientRects().length > 0`)
	check := func(where string) {
		t.Helper()
		if small := eval[[]string](ann, exprSmallTargets); len(small) > 0 {
			t.Errorf("%s: too small to tap (under 40 px):\n  %s", where, strings.Join(small, "\n  "))
		}
	}
	check("the room")

	ann.do("open the rooms", pressEnter(chromedp.CSS("#rooms-toggle")))
	ann.waitFor("the room drawer", `document.getElementById("sidebar").classList.contains("open")`)
	check("the room drawer")
	ann.do("close it", pressKey(chromedp.CSS("#join-input"), "Escape"))

	ann.do("open the members", pressEnter(chromedp.CSS("#members-toggle")))
	ann.waitFor("the member drawer", `document.getElementById("members").classList.contains("open")`)
	check("the member drawer")
	ann.do("close it", pressKey(chromedp.CSS("#members"), "Escape"))

	ann.do("open the room's notification menu", pressEnter(chromedp.CSS("#notify-open")))
	ann.waitFor("the menu", `!document.getElementById("notify-menu").hidden`)
	check("the notification menu")
	ann.do("close it", pressKey(chromedp.CSS("#notify-menu [role=menuitemradio]"), "Escape"))

	ann.do("search", pressEnter(chromedp.CSS("#search-open")))
	ann.do("search for message", typeInto("#search-input", "message"), pressEnter(chromedp.CSS("#search-input")))
	ann.waitFor("the hits", `document.querySelectorAll("#search-results .search-hit").length === 2`)
	check("the search panel")
	ann.do("close the search", pressEnter(chromedp.CSS("#search-close")))
}

// The fingertip sizes are for a touch screen only (a coarse pointer, as the keyboard hints
// rule says): a window without one — a mouse, a pen, or none, as in a headless browser —
// keeps the desktop's controls. They were given to every window that cannot hover, so such a
// window at 1280×800 (and the README's screenshot, taken in one) showed the Rooms "+" at
// 40 px and the sidebar's footer's two lines of links 84 px high, Set a password far below.
func TestFingertipSizesOnlyForATouchScreen(t *testing.T) {
	b := startBrowser(t)
	srv := servertest.Start(t, servertest.Options{Server: server.Config{Accounts: accounts.Config{Hash: accounts.TestHashParams}}})
	ann := b.newUser("ann")
	ann.open(srv.URL + "/#sizes")
	ann.waitFor("the footer's links", `!document.getElementById("signin-link").hidden && !document.getElementById("account-link").hidden`)
	const exprPlus = `Math.round(document.getElementById("browse-rooms").getBoundingClientRect().height)`
	const exprLinks = `Math.round(document.querySelector(".me-account").getBoundingClientRect().height)`
	if eval[bool](ann, `matchMedia("(pointer: coarse)").matches`) {
		t.Fatal("the test's window has a coarse pointer: it cannot show the desktop's sizes")
	}
	// The footer's three links take two lines of text, 13 px each.
	if plus, links := eval[int](ann, exprPlus), eval[int](ann, exprLinks); plus >= 40 || links >= 60 {
		t.Errorf("at 1280×800 without a touch screen the Rooms + is %d px high and the footer's links %d px; want under 40 and under 60", plus, links)
	}
	ann.atPhoneSize()
	ann.waitFor("fingertip sizes on the phone", exprPlus+` >= 40`)
}

// The composer is one line high while empty, whatever its placeholder: after a message was sent
// in a room with a long name, it kept the height of "Message #…" wrapped over four lines of a
// phone's screen, a third of what the on-screen keyboard leaves.
func TestEmptyComposerIsOneLineOnAPhone(t *testing.T) {
	b := startBrowser(t)
	srv := servertest.Start(t, servertest.Options{})
	room := strings.Repeat("longroomname", 5) + "wxyz"
	ann := b.newUser("ann")
	ann.atPhoneSize()
	ann.open(srv.URL + "/#" + room)
	empty := eval[float64](ann, `document.getElementById("composer-input").getBoundingClientRect().height`)
	ann.say("hello")
	ann.see("ann", "hello")
	ann.do("type two lines", typeInto("#composer-input", "one\ntwo"))
	two := eval[float64](ann, `document.getElementById("composer-input").getBoundingClientRect().height`)
	if two <= empty {
		t.Errorf("the composer holding two lines is %.0f px high, no higher than empty (%.0f px)", two, empty)
	}
	ann.do("send them", pressEnter(chromedp.CSS("#composer-input")))
	ann.see("ann", "one\ntwo")
	if after := eval[float64](ann, `document.getElementById("composer-input").getBoundingClientRect().height`); after > empty {
		t.Errorf("the empty composer is %.0f px high after sending, %.0f px before anything was typed", after, empty)
	}
}

// Keyboard shortcuts mean nothing on a touch screen, so their hints are not shown there (found
// by s29-chat): "Ctrl K" on Jump to…, "↑ ↓ to choose, Enter to open, Escape to close" under the
// switcher, "Enter to save · Escape to cancel" under a message being edited, "press Enter"
// under the join box, "↓ lists the people in your rooms" under New message's To field. A
// window with a mouse shows them.
func TestNoKeyboardHintsOnATouchScreen(t *testing.T) {
	b := startBrowser(t)
	srv := servertest.Start(t, servertest.Options{})
	const exprHints = `Array.from(document.querySelectorAll("kbd, .key-hint")).filter(e => e.getClientRects().length > 0).map(e => e.textContent.trim())`
	const exprJoinHelp = `document.getElementById("join-help").innerText`

	desk := b.newUser("bob")
	desk.open(srv.URL + "/#hints")
	if got := eval[[]string](desk, exprHints); len(got) != 2 || !strings.Contains(eval[string](desk, exprJoinHelp), "press Enter") {
		t.Errorf("with a mouse the hints shown are %q and the join box's help says %q; want Ctrl K and press Enter",
			got, eval[string](desk, exprJoinHelp))
	}

	ann := b.newUser("ann")
	ann.atPhoneSize()
	ann.open(srv.URL + "/#hints")
	ann.say("a message to edit")
	ann.see("ann", "a message to edit")
	check := func(where string) {
		t.Helper()
		if got := eval[[]string](ann, exprHints); len(got) > 0 {
			t.Errorf("%s: keyboard hints shown on a touch screen: %q", where, got)
		}
	}
	check("the room")
	ann.do("edit the last message", pressKey(chromedp.CSS("#composer-input"), "ArrowUp"))
	ann.waitFor("the edit box", `!!document.querySelector("#message-list .edit-actions")`)
	check("editing a message")
	ann.do("cancel the edit", chromedp.Click(chromedp.CSS("#message-list .edit-actions .link-button")))
	ann.do("open the rooms", pressEnter(chromedp.CSS("#rooms-toggle")))
	ann.waitFor("the room drawer", `document.getElementById("sidebar").classList.contains("open")`)
	check("the room drawer")
	if got := eval[string](ann, exprJoinHelp); strings.Contains(got, "Enter") || !strings.Contains(got, "Letters a–z") {
		t.Errorf("the join box's help says %q on a touch screen", got)
	}
	ann.do("open the switcher", pressEnter(chromedp.CSS("#switcher-open")))
	ann.waitFor("the switcher", `document.getElementById("switcher-input") === document.activeElement`)
	check("the room switcher")
	ann.do("close it", pressKey(chromedp.CSS("#switcher-input"), "Escape"))
	ann.waitFor("the switcher closed", `!document.getElementById("switcher-dialog").open`)
	ann.do("open New message", chromeEval(`document.getElementById("new-dm").click()`))
	ann.waitFor("the New message dialog", `document.getElementById("dm-dialog").open`)
	check("New message")
	// "↓ lists the people in your rooms": a phone has no arrow keys.
	if got := eval[string](ann, `document.getElementById("dm-help").innerText`); strings.Contains(got, "↓") || !strings.Contains(got, "separated by commas") {
		t.Errorf("New message's help says %q on a touch screen", got)
	}
}

// On a phone the room list is a drawer out of sight: its button's badge says what waits in it.
// An invitation to a private room raised nothing there (the badge counted unread messages
// only), so it stayed unseen until the drawer happened to be opened; a mention showed in the
// badge's ordinary colour, not in the red of its room's mention badge.
func TestInvitationAndMentionShowOnThePhonesRoomsButton(t *testing.T) {
	b := startBrowser(t)
	srv := servertest.Start(t, servertest.Options{})
	bob := dialUser(t, srv, "bob", "lobby", "elsewhere")
	ann := b.newUser("ann")
	ann.atPhoneSize()
	ann.open(srv.URL + "/#elsewhere")
	ann.do("open lobby", chromeEval(`location.hash = "lobby"`))
	ann.waitFor("lobby in view", `document.getElementById("room-title").textContent === "#lobby"`)
	const badge = `document.getElementById("rooms-toggle-badge")`
	if !eval[bool](ann, badge+`.hidden`) {
		t.Errorf("the rooms button shows a badge with nothing waiting: %q", eval[string](ann, badge+`.textContent`))
	}

	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	if _, err := bob.conn.Create(ctx, "plans", "", true); err != nil {
		t.Fatal(err)
	}
	if err := bob.conn.Invite(ctx, "plans", "ann", bob.nextID()); err != nil {
		t.Fatal(err)
	}
	ann.waitFor("the invitation counted on the rooms button", `!`+badge+`.hidden && `+badge+`.textContent === "1" && `+
		`document.getElementById("rooms-toggle").getAttribute("aria-label") === "Rooms: 1 invitation"`)
	ann.do("open the rooms", pressEnter(chromedp.CSS("#rooms-toggle")))
	// Pressed from the keyboard: a click at where the button is lands beside it while the drawer slides in.
	ann.do("decline it", pressEnter(chromedp.CSS(`#invite-list [data-room="plans"] .invite-decline`)))
	ann.waitFor("the badge gone with the invitation", badge+`.hidden && document.getElementById("invite-list").hidden`)

	bob.say("elsewhere", "@ann a word over here")
	ann.waitFor("the mention counted, in red", `!`+badge+`.hidden && `+badge+`.textContent === "1" && `+badge+`.classList.contains("mention") && `+
		`getComputedStyle(`+badge+`).backgroundColor === getComputedStyle(document.querySelector(".room-list .mentions")).backgroundColor`)
}

// On a phone the header's room name gets the width the connection's state does not need: live,
// the state is its green dot (its word kept for a screen reader), and "#team-lunch" is read
// whole. The pill "● Live" cut it to "#team-l…" beside the bell, the magnifier and the members.
func TestPhoneHeaderKeepsTheRoomsNameWhole(t *testing.T) {
	b := startBrowser(t)
	srv := servertest.Start(t, servertest.Options{})
	ann := b.newUser("ann")
	ann.atPhoneSize()
	ann.open(srv.URL + "/#team-lunch")
	ann.waitFor("the room in view", `document.getElementById("room-title").textContent === "#team-lunch"`)
	if cut := eval[int](ann, exprWiderThanItsBox("room-title")); cut > 0 {
		t.Errorf("the room's name is cut by %d px in the phone's header", cut)
	}
	if got := eval[string](ann, `document.getElementById("conn-status").textContent`); got != "Live" {
		t.Errorf("the status region says %q, want Live", got)
	}
	saveShot(t, ann, "phone-header.png")
}
