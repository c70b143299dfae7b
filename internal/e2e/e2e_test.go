package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"hubbub/internal/server"
	"hubbub/internal/servertest"
)

// Two people in separate browser profiles talk in a room; each sees the other's message, who is
// there, and who is typing. A third comes later and finds the conversation in the history.
func TestTwoBrowsersChatAndThirdSeesHistory(t *testing.T) {
	b := startBrowser(t)
	srv := servertest.Start(t, servertest.Options{})
	ann := b.newUser("ann")
	bob := b.newUser("bob")
	url := srv.URL + "/#e2e-chat"

	ann.open(url)
	bob.open(url)
	ann.waitFor("bob among the members", exprMembers+`.includes("bob")`)

	ann.say("hi bob, are you there?")
	bob.see("ann", "hi bob, are you there?")
	bob.say("yes! hi ann")
	ann.see("bob", "yes! hi ann")
	ann.say("great")
	bob.see("ann", "great")

	// Typing, without sending, shows on the other side.
	bob.do("type", chromeSendKeys("#composer-input", "I am typing"))
	ann.waitFor("bob's typing notice", `document.getElementById("typing").textContent === "bob is typing…"`)

	carol := b.newUser("carol")
	carol.open(url)
	carol.see("ann", "hi bob, are you there?")
	carol.see("bob", "yes! hi ann")
	carol.see("ann", "great")
	carol.seeOnce("hi bob, are you there?", "yes! hi ann", "great")
	carol.waitFor("everyone among the members", exprMembers+`.join() === "ann,bob,carol"`)
	ann.waitFor("carol among ann's members", exprMembers+`.join() === "ann,bob,carol"`)
	for _, u := range []*user{ann, bob} {
		u.seeOnce("hi bob, are you there?", "yes! hi ann", "great")
		if n := eval[int](u, exprPendingCount); n != 0 {
			t.Errorf("%s: %d messages still pending after their acks", u.name, n)
		}
	}

	// Leaving the page leaves the room at once (the page closes its socket on pagehide, even
	// when the browser keeps it in the back/forward cache).
	bob.do("leave the page", chromeEval(`location.href = "about:blank"`))
	ann.waitFor("bob gone from the members", exprMembers+`.join() === "ann,carol"`)

	// The page remembers the name: a reload connects without asking again.
	ann.do("reload", chromeReload())
	ann.waitFor("a live connection after reload", exprLive)
	if eval[bool](ann, `document.getElementById("name-dialog").open`) {
		t.Error("ann: the name prompt came back after a reload")
	}
	ann.see("bob", "yes! hi ann")
}

// Message text is data: markup in it is shown as text and runs nothing, and only http(s) URLs
// become links, built by the page with safe attributes.
func TestMessageTextIsNeverMarkup(t *testing.T) {
	b := startBrowser(t)
	srv := servertest.Start(t, servertest.Options{})
	ann := b.newUser("ann")
	bob := b.newUser("bob")
	url := srv.URL + "/#xss"
	ann.open(url)
	bob.open(url)

	payload := `<img src=x onerror="window.pwned=1;document.title='pwned'"> <b>bold</b>`
	ann.say(payload)
	links := `see https://example.com/page?q=1, and javascript:alert(1) too`
	dialUser(t, srv, "gopher", "xss").say("xss", links)
	// A sender who avoids the browser cannot do more: the Go client sends the payload too.
	dialUser(t, srv, "mallory", "xss").say("xss", `<script>window.pwned=2</script><svg onload="window.pwned=3">`)

	for _, u := range []*user{ann, bob} {
		u.see("ann", payload)
		u.see("gopher", links)
		u.see("mallory", `<script>window.pwned=2</script><svg onload="window.pwned=3">`)
		if got := eval[string](u, `String(window.pwned)`); got != "undefined" {
			t.Errorf("%s: injected script ran: window.pwned = %s", u.name, got)
		}
		if title := eval[string](u, `document.title`); strings.Contains(title, "pwned") {
			t.Errorf("%s: injected handler ran: title %q", u.name, title)
		}
		// The page's own icons are SVG; what came from a person (the text, and a reply's quote
		// of it) must hold no element but the links the page builds.
		if n := eval[int](u, `document.querySelectorAll(["img", "b", "script", "svg", "[onerror]"].flatMap(e =>
			["#message-list .text " + e, "#message-list .quote-text " + e])).length`); n != 0 {
			t.Errorf("%s: message text became %d elements", u.name, n)
		}
		got := eval[[]string](u, `Array.from(document.querySelectorAll("#message-list .text a"), a =>
			[a.getAttribute("href"), a.rel, a.target, a.textContent].join(" | "))`)
		want := []string{"https://example.com/page?q=1 | noopener noreferrer nofollow | _blank | https://example.com/page?q=1"}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("%s: links = %q, want %q", u.name, got, want)
		}
	}
}

// The server stops and starts again on the same address and the same SQLite file. The page
// shows that it is reconnecting, keeps what was typed meanwhile as pending, comes back by
// itself, and then shows everything once: what it had, what others sent while it was away,
// and its own message, which the server stores once.
func TestReconnectAfterServerRestart(t *testing.T) {
	b := startBrowser(t)
	srv := servertest.Start(t, servertest.Options{DataPath: filepath.Join(t.TempDir(), "hubbub.db")})
	ann := b.newUser("ann")
	ann.open(srv.URL + "/#ops")
	gopher := dialUser(t, srv, "gopher", "ops")
	gopher.say("ops", "before the restart")
	ann.see("gopher", "before the restart")
	ann.say("ann was here")
	ann.see("ann", "ann was here")

	srv.Stop()
	ann.waitFor("the reconnecting state", exprState+` === "reconnecting"`)
	ann.say("typed while the server was down")
	ann.waitFor("the offline message pending", `Array.from(document.querySelectorAll("#message-list .msg.pending .text"), e => e.textContent).includes("typed while the server was down")`)

	// After three failed attempts the page waits 2–4 s before the next: time enough for the
	// server to come back and for others to talk before the page returns, so that it has to
	// catch up through the replay of its rejoin.
	ann.waitFor("three failed reconnects", `Number(document.getElementById("conn-status").dataset.attempt) >= 3`)
	srv = servertest.Start(t, srv.Opts) // same address, same file
	gopher = dialUser(t, srv, "gopher", "ops")
	var during []string
	for i := 1; i <= 3; i++ {
		text := fmt.Sprintf("sent during the outage %d", i)
		gopher.say("ops", text)
		during = append(during, text)
	}
	if state := eval[string](ann, exprState); state != "reconnecting" {
		t.Logf("the page came back before the messages were sent (state %s); they arrived live", state)
	}
	// "Retry now" skips the rest of the wait (if the page has not come back on its own already:
	// the check and the click happen in one step on the page, so they cannot race).
	ann.do("click Retry now", chromeEval(`(() => { const b = document.getElementById("reconnect-now"); if (!b.hidden) b.click(); })()`))
	ann.waitFor("a live connection after the restart", exprLive)
	for _, text := range during {
		ann.see("gopher", text)
	}
	ann.see("ann", "typed while the server was down")
	ann.waitFor("no pending messages", exprPendingCount+` === 0`)
	ann.seeOnce(append(during, "before the restart", "ann was here", "typed while the server was down")...)

	stored := gopher.history("ops")
	n := 0
	for _, s := range stored {
		if s == "typed while the server was down" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("the offline message is stored %d times, want once; stored: %q", n, stored)
	}

	// Live traffic flows both ways on the new connection.
	ann.say("back online")
	gopher.say("ops", "welcome back")
	ann.see("gopher", "welcome back")
	ann.seeOnce("back online", "welcome back")
}

// Messages in a room that is not in view raise its unread count; opening the room clears it.
// Rooms are joined from the keyboard.
func TestUnreadCountInRoomNotInView(t *testing.T) {
	b := startBrowser(t)
	srv := servertest.Start(t, servertest.Options{})
	ann := b.newUser("ann")
	ann.open(srv.URL + "/#alpha")
	ann.room("beta") // joins through the form, with Enter
	ann.room("alpha")
	gopher := dialUser(t, srv, "gopher", "alpha", "beta")

	badge := func(room string) string {
		return `document.querySelector(` + js(`#room-list [data-room="`+room+`"] .unread`) + `)`
	}
	gopher.say("beta", "one for beta")
	ann.waitFor("beta's badge at 1", badge("beta")+`.dataset.count === "1" && !`+badge("beta")+`.hidden`)
	gopher.say("beta", "two for beta")
	ann.waitFor("beta's badge at 2", badge("beta")+`.dataset.count === "2"`)
	ann.waitFor("the count in the title", `document.title.startsWith("(2) ")`)

	gopher.say("alpha", "hello alpha")
	ann.see("gopher", "hello alpha")
	if got := eval[string](ann, badge("alpha")+`.dataset.count`); got != "0" {
		t.Errorf("the room in view counts %s unread, want 0", got)
	}

	ann.room("beta")
	ann.see("gopher", "two for beta")
	ann.waitFor("beta's badge cleared", badge("beta")+`.hidden`)
	ann.seeOnce("one for beta", "two for beta")
}

// Scrolling up loads older messages with history requests until the beginning of the room,
// each message once and in order.
func TestScrollUpLoadsHistory(t *testing.T) {
	b := startBrowser(t)
	srv := servertest.Start(t, servertest.Options{Server: server.Config{SendRate: 10000, SendBurst: 10000}})
	gopher := dialUser(t, srv, "gopher", "archive")
	const total = 130 // more than the 50 a join replays and the 50 of one history page
	var all []string
	for i := 1; i <= total; i++ {
		text := fmt.Sprintf("archived message %03d", i)
		gopher.say("archive", text)
		all = append(all, text)
	}

	ann := b.newUser("ann")
	ann.open(srv.URL + "/#archive")
	ann.see("gopher", all[total-1])
	for page := 0; ; page++ {
		if eval[int](ann, exprSeqs+`.length`) == total {
			break
		}
		if page > total/10 {
			t.Fatalf("history never reached the first message\n%s", ann.describe())
		}
		before := eval[int](ann, exprSeqs+`.length`)
		ann.do("scroll to the top", chromeEval(`document.getElementById("messages").scrollTop = 0`))
		ann.waitFor("an older page", exprSeqs+`.length > `+fmt.Sprint(before))
		// The messages that were in view stay in view: the older ones appear above them.
		if top := eval[float64](ann, `document.getElementById("messages").scrollTop`); top <= 0 {
			t.Errorf("after loading older messages the view jumped to the top (scrollTop %v)", top)
		}
	}
	ann.waitFor("the beginning of the room", `document.getElementById("history-note").textContent.includes("beginning")`)
	ann.seeOnce(all...)
	if first := eval[string](ann, exprConfirmedText+`[0]`); first != all[0] {
		t.Errorf("first message shown is %q, want %q", first, all[0])
	}
}

// TestScreenshot writes docs/screenshot.png: two rooms, a conversation with markdown, a reply
// quoting its parent, reactions, an edited message, a mention of the reader, and a thread open
// beside it. It runs only with HUBBUB_SCREENSHOT=1, so an ordinary run does not rewrite the file.
func TestScreenshot(t *testing.T) {
	if os.Getenv("HUBBUB_SCREENSHOT") != "1" {
		t.Skip("set HUBBUB_SCREENSHOT=1 to rewrite docs/screenshot.png")
	}
	b := startBrowser(t)
	srv := servertest.Start(t, servertest.Options{})
	ann := b.newUser("ann")
	ann.open(srv.URL + "/#random")
	ann.room("general")
	bob := dialUser(t, srv, "bob", "general", "random")
	carol := dialUser(t, srv, "carol", "general")
	dave := dialUser(t, srv, "dave", "general")
	build := bob.say("general", "Morning all! The new build is up on **staging**.")
	notes := carol.say("general", "Nice. Release notes are here: https://example.com/hubbub/releases/0.1")
	carol.say("general", "I went through the reconnect changes — restarting the server no longer drops anything.")
	for _, u := range []*goUser{carol, dave} {
		u.react("general", build, "🎉")
	}
	dave.react("general", notes, "👍")
	killed := dave.say("general", "I killed a node mid-conversation and my client caught up on reconnect.")
	dave.edit("general", killed, "I killed a node mid-conversation and my client caught up on reconnect, edits included.")
	bob.reply("general", killed, "Same here with `hubbub chat` — not one message lost.")
	carol.reply("general", killed, "Did you try it with PostgreSQL too?")
	bob.say("random", "Anyone up for lunch at noon?")
	bob.say("random", "The ramen place reopened 🍜")
	dave.reply("general", build, "@ann could you write up the deploy steps?")
	ann.see("dave", "@ann could you write up the deploy steps?")
	ann.say("Sure, this afternoon.")
	ann.see("ann", "Sure, this afternoon.")
	bob.react("general", killed, "👍")
	carol.react("general", killed, "👍")
	bob.say("random", "Booked a table for six.")
	bob.say("random", "@ann are you coming?")
	ann.waitFor("random's unread badge", `document.querySelector('#room-list [data-room="random"] .unread').dataset.count === "4"`)

	// The people of issue 16: a topic, a private room, two direct messages with unread badges.
	topic := bob.nextID()
	bob.request("set the topic", topic, map[string]any{"type": "topic", "room": "general", "topic": "Builds, releases and deploys", "id": topic})
	ann.waitFor("the topic", `document.getElementById("room-topic").textContent === "Builds, releases and deploys"`)
	ann.do("open the room browser", chromedp.Click(chromedp.CSS("#browse-rooms")))
	ann.do("create a private room", chromeSendKeys("#create-name", "launch"), chromeSendKeys("#create-topic", "Go-live checklist"),
		chromedp.Click(chromedp.CSS("#create-private")), chromedp.Click(chromedp.CSS("#create-submit")))
	ann.waitFor("launch in view", `document.getElementById("room-title").textContent === "#launch"`)
	for _, to := range [][]*goUser{{bob}, {carol, dave}} {
		ann.do("open New message", chromedp.Click(chromedp.CSS("#new-dm")))
		names := to[0].name
		if len(to) > 1 {
			names += ", " + to[1].name
		}
		ann.do("write to "+names, chromeSendKeys("#dm-names", names), pressEnter(chromedp.CSS("#dm-names")))
		ann.waitFor("the DM with "+names, `document.getElementById("room-title").textContent === `+js(names))
		dm := eval[string](ann, `location.hash.slice(1)`)
		ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
		if _, err := to[0].conn.Join(ctx, dm, nil, 0); err != nil {
			t.Fatalf("%s: join the DM: %v", to[0].name, err)
		}
		cancel()
		ann.room("general")
		to[0].say(dm, map[int]string{1: "Lunch at noon? 🍜", 2: "Can you review the release notes before five?"}[len(to)])
		ann.waitFor("the DM's badge", `document.querySelector(`+js(`#dm-list [data-room="`+dm+`"] .unread`)+`).dataset.count === "1"`)
	}
	ann.waitFor("the reactions", exprChip(killed, "👍")+` === "2|false|bob and carol reacted with 👍"`)
	ann.do("open the thread", chromedp.Click(chromedp.CSS(rowSel(killed)+" .thread-link")))
	ann.waitFor("the thread", exprThreadTexts+` === "Same here with hubbub chat — not one message lost.|Did you try it with PostgreSQL too?"`)
	carol.typing("general")
	ann.waitFor("carol typing", `document.getElementById("typing").textContent === "carol is typing…"`)
	ann.do("blur, move the mouse away", chromeEval(`document.activeElement.blur()`), chromedp.MouseClickXY(640, 20))

	png, err := ann.screenshot()
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join("..", "..", "docs", "screenshot.png")
	if dir := os.Getenv("HUBBUB_SCREENSHOT_DIR"); dir != "" {
		out = filepath.Join(dir, "screenshot.png")
	}
	if err := os.WriteFile(out, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s (%d bytes)", out, len(png))

	// docs/screenshot-rooms.png: the room browser, with the public rooms and the create form.
	ann.do("close the thread", chromedp.Click(chromedp.CSS("#thread-close")))
	ann.do("open the room browser", chromedp.Click(chromedp.CSS("#browse-rooms")))
	ann.waitFor("the directory", `document.querySelectorAll("#directory-list .directory-room").length === 2`)
	ann.do("move the focus off the search box", chromeEval(`document.getElementById("browse-search").blur()`))
	if png, err = ann.screenshot(); err != nil {
		t.Fatal(err)
	}
	out = filepath.Join(filepath.Dir(out), "screenshot-rooms.png")
	if err := os.WriteFile(out, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s (%d bytes)", out, len(png))
}

// A send the server refuses is marked failed with a Retry button; Retry sends it again with the
// same client id, and it is then stored once.
func TestFailedSendRetriesWithSameID(t *testing.T) {
	b := startBrowser(t)
	// One send, then one more every two seconds: the second of two quick sends is refused.
	srv := servertest.Start(t, servertest.Options{Server: server.Config{SendRate: 0.5, SendBurst: 1}})
	ann := b.newUser("ann")
	ann.open(srv.URL + "/#retry")
	// Both sends go out in one JavaScript task, so they reach the server back to back: typed
	// key by key, as ann.say does, they could be more than the 2 s refill apart on a busy
	// machine, and the second would then be accepted.
	eval[bool](ann, `(() => {
		const input = document.getElementById("composer-input"), form = document.getElementById("composer");
		for (const text of ["first", "second, too soon"]) { input.value = text; form.requestSubmit(); }
		return true;
	})()`)
	ann.waitFor("the second message failed", `!!document.querySelector("#message-list .msg.failed .retry")`)
	id := eval[string](ann, `document.querySelector("#message-list .msg.failed").dataset.pendingId`)
	if !strings.Contains(eval[string](ann, `document.querySelector("#message-list .msg.failed .status").textContent`), "too fast") {
		t.Errorf("the failed message does not say why\n%s", ann.describe())
	}

	// Retry until the rate limit lets it through (the first retry may come too soon as well).
	for i := 0; ; i++ {
		ann.do("click Retry", chromedp.Click(chromedp.CSS("#message-list .msg.failed .retry")))
		ann.waitFor("an answer to the retry", `!document.querySelector("#message-list .msg.pending:not(.failed)")`)
		if eval[int](ann, exprPendingCount) == 0 {
			break
		}
		if i == 10 {
			t.Fatalf("the retry never went through\n%s", ann.describe())
		}
		time.Sleep(time.Second) // pacing, not an assertion: the limiter refills a send every 2 s
	}
	ann.see("ann", "second, too soon")
	ann.seeOnce("first", "second, too soon")

	gopher := dialUser(t, srv, "gopher", "retry")
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	page, err := gopher.conn.History(ctx, "retry", 0, 50)
	if err != nil {
		t.Fatal(err)
	}
	var found []string
	for _, m := range page.Messages {
		if m.Text == "second, too soon" {
			found = append(found, m.ClientID)
		}
	}
	if len(found) != 1 || found[0] != id {
		t.Errorf("stored client ids of the retried message = %q, want [%q]", found, id)
	}
}

// On a phone-sized screen nothing overflows sideways, the room list is a drawer that opens and
// closes from the keyboard, and the conversation stays usable.
func TestPhoneLayoutAndKeyboard(t *testing.T) {
	b := startBrowser(t)
	srv := servertest.Start(t, servertest.Options{})
	ann := b.newUser("ann")
	ann.do("phone viewport", chromedp.EmulateViewport(375, 740, chromedp.EmulateMobile))
	ann.open(srv.URL + "/#phone")
	ann.say("a message that is long enough to wrap over more than one line on a narrow phone screen, with https://example.com/a/rather/long/link/that/must/wrap/too")
	ann.see("ann", "a message that is long enough to wrap over more than one line on a narrow phone screen, with https://example.com/a/rather/long/link/that/must/wrap/too")

	if w := eval[int](ann, `document.documentElement.scrollWidth - innerWidth`); w > 0 {
		t.Errorf("the page overflows the phone's width by %d px", w)
	}
	sidebarShown := `getComputedStyle(document.getElementById("sidebar")).visibility === "visible"`
	if eval[bool](ann, sidebarShown) {
		t.Error("the room list covers the conversation on a phone")
	}
	ann.do("open the rooms with Enter", pressEnter(chromedp.CSS("#rooms-toggle")))
	ann.waitFor("the room drawer and the focus in it", sidebarShown+` && document.getElementById("sidebar").contains(document.activeElement)`)
	ann.do("join a room from the keyboard",
		typeInto("#join-input", "second-room"),
		pressEnter(chromedp.CSS("#join-input")))
	ann.waitFor("the new room in view, the drawer closed", `document.getElementById("room-title").textContent === "#second-room" && `+
		`getComputedStyle(document.getElementById("sidebar")).visibility === "hidden"`)
	ann.do("open the rooms again", pressEnter(chromedp.CSS("#rooms-toggle")))
	ann.waitFor("the room drawer", sidebarShown)
	ann.do("close with Escape", pressKey(chromedp.CSS(`#room-list [data-room="phone"] a`), "Escape"))
	ann.waitFor("the drawer closed and the focus back on its button",
		`!document.getElementById("sidebar").classList.contains("open") && document.activeElement.id === "rooms-toggle"`)
	if w := eval[int](ann, `document.documentElement.scrollWidth - innerWidth`); w > 0 {
		t.Errorf("the page overflows the phone's width by %d px", w)
	}
}

// A message whose frame is larger than the server reads (welcome's limits.frame, here a
// --read-limit of 2,048 bytes, under what 1,500 quotes escape to) is refused on the page with a
// notice and kept in the composer; the connection stays up. From a server that does not say
// (limits.frame removed, as from one older than it), the page sends it, the server closes the
// connection with 1009, and the message fails, shown with why, instead of going again after
// every reconnect — it did, and the page reconnected for ever.
func TestTooLargeFrameIsKeptAndRefused(t *testing.T) {
	b := startBrowser(t)
	srv := servertest.Start(t, servertest.Options{Server: server.Config{ReadLimit: 2048}})
	ann := b.newUser("ann")
	ann.open(srv.URL + "/#big")
	ann.waitFor("the limits", `document.getElementById("composer-input").placeholder === "Message #big"`)
	quotes := strings.Repeat(`"`, 1500)
	ann.say(quotes)
	ann.waitFor("the notice", `document.getElementById("notice-text").textContent.startsWith("That message is too large to send")`)
	if got := eval[string](ann, `document.getElementById("composer-input").value`); got != quotes {
		t.Errorf("the composer holds %d characters after the refusal, want the 1500 pasted", len(got))
	}
	if n := eval[int](ann, exprPendingCount); n != 0 {
		t.Errorf("%d messages pending after the refusal, want none", n)
	}

	ann.do("forget the limit, as from an older server", chromeEval(`delete client.limits.frame; document.getElementById("composer-input").value = ""`))
	ann.say(quotes)
	ann.waitFor("the message failed", `(document.querySelector("#message-list .msg.failed .status") || {}).textContent?.includes("closed the connection")`)
	ann.waitFor("a live connection again", exprLive)
	ann.say("short")
	ann.see("ann", "short")
	if got := eval[[]string](ann, exprConfirmedText); len(got) != 1 {
		t.Errorf("messages stored %q, want only the short one", got)
	}
	if n := eval[int](ann, `document.querySelectorAll("#message-list .msg.failed").length`); n != 1 {
		t.Errorf("%d failed messages shown, want the large one", n)
	}
}

// A message longer than the server's --max-text, pasted whole, is refused on the page with a
// notice and kept in the composer to shorten; nothing is sent. The composer's maxLength cut a
// paste of 5,000 characters to its first 4,096 without a word, and sent that part.
func TestTooLongMessageIsKeptAndRefused(t *testing.T) {
	b := startBrowser(t)
	srv := servertest.Start(t, servertest.Options{})
	ann := b.newUser("ann")
	ann.open(srv.URL + "/#long")
	ann.waitFor("the limits", `document.getElementById("composer-input").placeholder === "Message #long"`)
	ann.say(strings.Repeat("x", 5000))
	ann.waitFor("the notice", `document.getElementById("notice-text").textContent === "That message is too long: 5000 bytes, 4096 at most (cut 904)."`)
	if n := eval[int](ann, `document.getElementById("composer-input").value.length`); n != 5000 {
		t.Errorf("the composer holds %d characters after the refusal, want the 5000 pasted", n)
	}
	ann.do("shorten it", chromeEval(`document.getElementById("composer-input").value = ""`))
	ann.say("short")
	ann.see("ann", "short")
	if got := eval[[]string](ann, exprConfirmedText); len(got) != 1 {
		t.Errorf("messages sent %q, want only the short one", got)
	}
}
