package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"

	"hubbub/internal/server"
	"hubbub/internal/servertest"
)

// The room log in the browser (issue 15): replies, reactions, edits, deletes and mentions, as
// two people see them on their pages.

// rowSel is the CSS selector of message seq's row in the main list.
func rowSel(seq uint64) string { return fmt.Sprintf(`#message-list li[data-seq="%d"]`, seq) }

// row is the JavaScript expression of message seq's row in the main list (null if absent).
func row(seq uint64) string { return `document.querySelector(` + js(rowSel(seq)) + `)` }

// seqOf returns the seq of the row showing text, waiting for it to be shown.
func (u *user) seqOf(from, text string) uint64 {
	u.t.Helper()
	u.see(from, text)
	return uint64(eval[int](u, `Number(Array.from(document.querySelectorAll("#message-list .msg[data-seq]")).find(e =>
		e.dataset.from === `+js(from)+` && e.querySelector(".text").textContent === `+js(text)+`).dataset.seq)`))
}

// exprQuote reads the quote of message seq's row: "from|snippet", or "" without one.
func exprQuote(seq uint64) string {
	return `(() => { const q = ` + row(seq) + `?.querySelector(".quote");
		return q ? q.querySelector(".quote-from").textContent + "|" + q.querySelector(".quote-text").textContent : ""; })()`
}

// exprInView is true when message seq's row is inside the visible part of the message list.
func exprInView(seq uint64) string {
	return `(() => { const r = ` + row(seq) + `; if (!r) return false;
		const a = r.getBoundingClientRect(), b = document.getElementById("messages").getBoundingClientRect();
		return a.top >= b.top - 1 && a.bottom <= b.bottom + 1; })()`
}

// exprChip reads the chip of emoji on message seq: "count|pressed|title", or "none".
func exprChip(seq uint64, emoji string) string {
	return `(() => { const c = ` + row(seq) + `?.querySelector(` + js(`.reaction[data-emoji="`+emoji+`"]`) + `);
		return c ? c.querySelector(".count").textContent + "|" + c.getAttribute("aria-pressed") + "|" + c.title : "none"; })()`
}

// exprThreadTexts lists the texts of the replies in the thread panel, "|"-separated.
const exprThreadTexts = `Array.from(document.querySelectorAll("#thread-list .msg[data-seq] .text"), e => e.textContent).join("|")`

// exprUncovered is true when the element with this id is what a click at its centre reaches:
// shown, and not under another element such as a side panel.
func exprUncovered(id string) string {
	return `(() => { const e = document.getElementById(` + js(id) + `); if (!e || !e.getClientRects().length) return false;
		const r = e.getBoundingClientRect(), top = document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2);
		return !!top && e.contains(top); })()`
}

// On a wide screen the thread and search panels take the member list's column, beside the
// conversation: the header keeps its connection status, its notification bell and its search
// button in sight and within reach of the mouse. They were under the panel, which reached to
// the top of the window: the status was hidden (a lost connection too), and a click on the
// search button closed the thread instead, with its × there.
func TestHeaderControlsStayUncoveredBesideAPanel(t *testing.T) {
	b := startBrowser(t)
	srv := servertest.Start(t, servertest.Options{})
	gopher := dialUser(t, srv, "gopher", "panels")
	parent := gopher.say("panels", "the deploy is done")
	gopher.reply("panels", parent, "which version?")
	ann := b.newUser("ann")
	ann.open(srv.URL + "/#panels")
	ann.waitFor("the reply count", row(parent)+`?.querySelector(".thread-link")?.textContent === "1 reply"`)
	ann.do("open the thread", chromedp.Click(chromedp.CSS(rowSel(parent)+" .thread-link")))
	ann.waitFor("the thread beside the conversation", `!document.getElementById("thread").hidden && `+exprThreadTexts+` === "which version?"`)
	for _, id := range []string{"conn-status", "notify-open", "search-open", "thread-close"} {
		ann.waitFor("#"+id+" uncovered with the thread open", exprUncovered(id))
	}

	ann.do("click the search button", chromedp.Click(chromedp.CSS("#search-open")))
	ann.waitFor("the search panel, open", `!document.getElementById("search").hidden && document.activeElement.id === "search-input"`)
	for _, id := range []string{"conn-status", "notify-open", "search-open", "search-close"} {
		ann.waitFor("#"+id+" uncovered with the search panel open", exprUncovered(id))
	}
	ann.do("click the search button again", chromedp.Click(chromedp.CSS("#search-open")))
	ann.waitFor("the search panel, closed", `document.getElementById("search").hidden`)
}

// A reply shows its parent quoted, even when the parent is older than what the page loaded;
// the quote jumps to the parent; the parent counts its replies and opens them in the thread
// panel, where one can reply too. Replying from the composer quotes, and Escape cancels it. A
// copied link to a message opens the page with that message in view.
func TestReplyQuotesParentJumpsAndThreads(t *testing.T) {
	b := startBrowser(t)
	srv := servertest.Start(t, servertest.Options{Server: server.Config{SendRate: 10000, SendBurst: 10000}})
	gopher := dialUser(t, srv, "gopher", "threads")
	const question = "which port does staging use?"
	parent := gopher.say("threads", question)
	for i := 1; i <= 60; i++ { // more than a join replays: the parent is not on the pages at first
		gopher.say("threads", fmt.Sprintf("filler %02d", i))
	}
	ann := b.newUser("ann")
	bob := b.newUser("bob")
	ann.open(srv.URL + "/#threads")
	bob.open(srv.URL + "/#threads")
	ann.see("gopher", "filler 60")
	if eval[bool](ann, row(parent)+` !== null`) {
		t.Fatal("the parent is on ann's page before any history was loaded: the test proves nothing")
	}

	answer := gopher.reply("threads", parent, "3434, as always")
	for _, u := range []*user{ann, bob} {
		u.see("gopher", "3434, as always")
		u.waitFor("the quoted parent", exprQuote(answer)+` === `+js("gopher|"+question))
	}

	ann.do("click the quote", chromedp.Click(chromedp.CSS(rowSel(answer)+" .quote")))
	ann.waitFor("the parent in view and focused", exprInView(parent)+` && document.activeElement === `+row(parent))
	ann.waitFor("the parent's reply count", row(parent)+`.querySelector(".thread-link").textContent === "1 reply"`)

	ann.do("open the thread", chromedp.Click(chromedp.CSS(rowSel(parent)+" .thread-link")))
	ann.waitFor("the thread with its reply", `!document.getElementById("thread").hidden && `+exprThreadTexts+` === "3434, as always" && `+
		`document.querySelector("#thread-parent .text").textContent === `+js(question))
	ann.do("reply in the thread", chromeSendKeys("#thread-input", "thanks!"), pressEnter(chromedp.CSS("#thread-input")))
	ann.waitFor("the reply in the thread, stored", exprThreadTexts+` === "3434, as always|thanks!" && !document.querySelector("#thread-list .msg.pending")`)
	ann.waitFor("two replies", row(parent)+`.querySelector(".thread-link").textContent === "2 replies"`)
	thanks := bob.seqOf("ann", "thanks!")
	bob.waitFor("the quote on ann's thread reply", exprQuote(thanks)+` === `+js("gopher|"+question))
	ann.do("close the thread with Escape", pressKey(chromedp.CSS("#thread-input"), "Escape"))
	ann.waitFor("the thread closed", `document.getElementById("thread").hidden`)

	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	page, err := gopher.conn.Thread(ctx, "threads", parent, 0, 50)
	if err != nil {
		t.Fatal(err)
	}
	var stored []string
	for _, m := range page.Messages {
		stored = append(stored, m.From+": "+m.Text)
	}
	if got, want := strings.Join(stored, "; "), "gopher: 3434, as always; ann: thanks!"; got != want {
		t.Errorf("the thread as stored: %s, want %s", got, want)
	}

	// Reply from the composer: the bar says to whom, the message quotes it.
	filler := bob.seqOf("gopher", "filler 60")
	bob.do("reply to filler 60", chromedp.Click(chromedp.CSS(rowSel(filler)+` .msg-actions [data-action="reply"]`)))
	bob.waitFor("the reply bar", `!document.getElementById("replying").hidden && document.getElementById("replying-from").textContent === "gopher" && `+
		`document.activeElement.id === "composer-input"`)
	bob.say("good point")
	point := ann.seqOf("bob", "good point")
	ann.waitFor("the quote of filler 60", exprQuote(point)+` === "gopher|filler 60"`)
	bob.waitFor("the reply bar gone after sending", `document.getElementById("replying").hidden`)

	bob.do("start another reply", chromedp.Click(chromedp.CSS(rowSel(filler)+` .msg-actions [data-action="reply"]`)))
	bob.waitFor("the reply bar", `!document.getElementById("replying").hidden`)
	bob.do("cancel it with Escape", pressKey(chromedp.CSS("#composer-input"), "Escape"))
	bob.waitFor("the reply bar gone", `document.getElementById("replying").hidden`)
	bob.say("not a reply")
	plain := ann.seqOf("bob", "not a reply")
	if q := eval[string](ann, exprQuote(plain)); q != "" {
		t.Errorf("a message sent after Escape quotes %q", q)
	}

	// A link to the old parent, copied on ann's page, opens carol's page with it in view.
	ann.do("copy the parent's link", chromedp.Click(chromedp.CSS(rowSel(parent)+` .msg-actions [data-action="link"]`)))
	link := fmt.Sprintf("%s/#threads/%d", srv.URL, parent)
	ann.waitFor("the link in the notice", `document.getElementById("notice-text").textContent.endsWith(`+js(link)+`)`)
	carol := b.newUser("carol")
	carol.open(link)
	carol.waitFor("the linked message in view and focused", exprInView(parent)+` && document.activeElement === `+row(parent))
}

// A reaction chosen in the picker shows as a chip with its count on every page; clicking a chip
// adds or takes back my own; its title says who reacted. A page that joins later shows the
// same reactions.
func TestReactionsShowOnEveryPage(t *testing.T) {
	b := startBrowser(t)
	srv := servertest.Start(t, servertest.Options{})
	ann := b.newUser("ann")
	bob := b.newUser("bob")
	ann.open(srv.URL + "/#reactions")
	bob.open(srv.URL + "/#reactions")
	bob.say("lunch at noon?")
	seq := ann.seqOf("bob", "lunch at noon?")
	bob.see("bob", "lunch at noon?")

	ann.do("open the picker", chromedp.Click(chromedp.CSS(rowSel(seq)+` .msg-actions [data-action="pick"]`)))
	ann.waitFor("the picker, focused", `!document.getElementById("emoji-menu").hidden && document.getElementById("emoji-menu").contains(document.activeElement)`)
	ann.do("pick 👍", chromedp.Click(chromedp.CSS(`#emoji-menu [data-emoji="👍"]`)))
	ann.waitFor("ann's 👍", exprChip(seq, "👍")+` === "1|true|You reacted with 👍"`)
	bob.waitFor("ann's 👍 on bob's page", exprChip(seq, "👍")+` === "1|false|ann reacted with 👍"`)

	bob.do("bob adds his", chromedp.Click(chromedp.CSS(rowSel(seq)+` .reaction[data-emoji="👍"]`)))
	bob.waitFor("two 👍, one bob's", exprChip(seq, "👍")+` === "2|true|You and ann reacted with 👍"`)
	ann.waitFor("two 👍 on ann's page", exprChip(seq, "👍")+` === "2|true|You and bob reacted with 👍"`)

	ann.do("ann takes hers back", chromedp.Click(chromedp.CSS(rowSel(seq)+` .reaction[data-emoji="👍"]`)))
	ann.waitFor("one 👍, not ann's", exprChip(seq, "👍")+` === "1|false|bob reacted with 👍"`)
	bob.waitFor("one 👍, bob's", exprChip(seq, "👍")+` === "1|true|You reacted with 👍"`)

	gopher := dialUser(t, srv, "gopher", "reactions")
	gopher.react("reactions", seq, "🎉")
	for _, u := range []*user{ann, bob} {
		u.waitFor("gopher's 🎉", exprChip(seq, "🎉")+` === "1|false|gopher reacted with 🎉"`)
	}

	carol := b.newUser("carol")
	carol.open(srv.URL + "/#reactions")
	carol.see("bob", "lunch at noon?")
	carol.waitFor("the reactions of a fresh join", exprChip(seq, "👍")+` === "1|false|bob reacted with 👍" && `+
		exprChip(seq, "🎉")+` === "1|false|gopher reacted with 🎉"`)
	bob.do("reload", chromeReload())
	bob.waitFor("bob's 👍 still his after a reload", exprChip(seq, "👍")+` === "1|true|You reacted with 👍"`)
}

// The Up arrow in an empty composer edits my last message in place; Enter saves, and the other
// page shows the new text marked "(edited)"; Escape cancels. The earlier texts are shown to the
// sender. A message deleted from its toolbar becomes a tombstone on the other page. Nobody is
// offered to edit or delete another's message.
func TestEditAndDeleteReachTheOtherPage(t *testing.T) {
	b := startBrowser(t)
	srv := servertest.Start(t, servertest.Options{})
	ann := b.newUser("ann")
	bob := b.newUser("bob")
	ann.open(srv.URL + "/#edits")
	bob.open(srv.URL + "/#edits")
	ann.say("see you tomorrow")
	seq := bob.seqOf("ann", "see you tomorrow")
	ann.see("ann", "see you tomorrow")

	const editBox = "#message-list .edit-form textarea"
	ann.do("press Up in the empty composer", pressKey(chromedp.CSS("#composer-input"), "ArrowUp"))
	ann.waitFor("the edit box, focused, with the text", `document.activeElement === document.querySelector(`+js(editBox)+`) && `+
		`document.activeElement.value === "see you tomorrow" && document.activeElement.closest(".msg").dataset.seq === "`+fmt.Sprint(seq)+`"`)
	ann.do("edit and save", chromeSendKeys(editBox, " at 10"), pressEnter(chromedp.CSS(editBox)))
	bob.see("ann", "see you tomorrow at 10")
	edited := row(seq) + `.querySelector(".meta .edited")`
	bob.waitFor("(edited) with its time", edited+`?.textContent === "(edited)" && `+edited+`.title.startsWith("Edited ")`)
	ann.see("ann", "see you tomorrow at 10")
	ann.waitFor("the edit box closed, the composer focused", `!document.querySelector(".edit-form") && document.activeElement.id === "composer-input"`)

	ann.do("press Up again", pressKey(chromedp.CSS("#composer-input"), "ArrowUp"))
	ann.waitFor("the edit box", `!!document.querySelector(`+js(editBox)+`)`)
	ann.do("type, then Escape", chromeSendKeys(editBox, " or not"), pressKey(chromedp.CSS(editBox), "Escape"))
	ann.waitFor("the edit cancelled", `!document.querySelector(".edit-form") && document.activeElement.id === "composer-input"`)
	ann.see("ann", "see you tomorrow at 10")

	// The sender sees the earlier texts; the others see only that it was edited.
	ann.do("show the earlier versions", chromedp.Click(chromedp.CSS(rowSel(seq)+" .meta button.edited")))
	ann.waitFor("both versions", `document.getElementById("revisions-dialog").open && Array.from(document.querySelectorAll("#revisions-list .revision-text"), e => e.textContent).join("|") === "see you tomorrow|see you tomorrow at 10"`)
	ann.do("close them", chromedp.Click(chromedp.CSS("#revisions-close")))
	if eval[bool](bob, row(seq)+`.querySelector(".meta button.edited") !== null`) {
		t.Error("bob is offered ann's earlier versions")
	}

	ann.say("wrong room, sorry")
	gone := bob.seqOf("ann", "wrong room, sorry")
	ann.see("ann", "wrong room, sorry")
	ann.do("delete it", chromedp.Click(chromedp.CSS(rowSel(gone)+` .msg-actions [data-action="delete"]`)))
	ann.waitFor("the confirmation", `document.getElementById("mod-dialog").open && document.getElementById("mod-title").textContent === "Delete your message?"`)
	ann.do("confirm", chromedp.Click(chromedp.CSS("#mod-confirm")))
	tombstone := `(() => { const t = ` + row(gone) + `?.querySelector(".text"); return !!t && t.classList.contains("deleted") && t.textContent === "Message deleted"; })()`
	bob.waitFor("the tombstone", tombstone)
	ann.waitFor("the tombstone", tombstone)

	offered := `Array.from(document.querySelectorAll('#message-list .msg[data-from="ann"] .msg-actions [data-action="edit"], #message-list .msg[data-from="ann"] .msg-actions [data-action="delete"]')).filter(b => !b.hidden).length`
	if n := eval[int](bob, offered); n != 0 {
		t.Errorf("bob is offered %d edit or delete buttons on ann's messages", n)
	}
	if n := eval[int](ann, offered); n != 2 {
		t.Errorf("ann is offered %d edit and delete buttons on her messages, want 2 (the deleted one has none)", n)
	}
}

// A message that mentions me is highlighted, and so is the @mention in it; others' pages mark
// the mention but not the message. With the tab hidden and notifications allowed, a mention
// of me shows a browser notification; another message does not.
func TestMentionHighlightAndNotification(t *testing.T) {
	b := startBrowser(t)
	srv := servertest.Start(t, servertest.Options{})
	ann := b.newUser("ann")
	bob := b.newUser("bob")
	ann.open(srv.URL + "/#mentions")
	bob.open(srv.URL + "/#mentions")
	gopher := dialUser(t, srv, "gopher", "mentions")
	ann.waitFor("everyone among the members", exprMembers+`.join() === "ann,bob,gopher"`)

	seq := gopher.say("mentions", "@ann can you check the build?")
	ann.see("gopher", "@ann can you check the build?")
	bob.see("gopher", "@ann can you check the build?")
	ann.waitFor("the message and the mention highlighted", row(seq)+`.classList.contains("mentions-me") && `+
		row(seq)+`.querySelector(".mention.mention-me")?.textContent === "@ann"`)
	if !eval[bool](bob, row(seq)+`.querySelector(".mention")?.textContent === "@ann" && !`+row(seq)+`.querySelector(".mention-me") && !`+row(seq)+`.classList.contains("mentions-me")`) {
		t.Errorf("bob's page marks ann's mention as his\n%s", bob.describe())
	}

	// A headless browser has no notification center and its tabs are never hidden, so the page
	// is given both: Notification records what the page shows, visibilityState says hidden.
	ann.do("hide the tab, allow notifications", chromeEval(`(() => {
		window.shown = [];
		window.Notification = class { constructor(title, opts) { window.shown.push(title + " — " + opts.body); } static get permission() { return "granted"; } };
		Object.defineProperty(document, "visibilityState", { configurable: true, get: () => "hidden" });
	})()`))
	gopher.say("mentions", "no mention in this one")
	gopher.say("mentions", "@ann ping")
	ann.see("gopher", "@ann ping")
	if got := eval[[]string](ann, `window.shown`); strings.Join(got, "\n") != "gopher mentioned you in #mentions — @ann ping" {
		t.Errorf("notifications shown: %q, want one for the mention", got)
	}
}

// A direct message reaches a hidden tab as a notification, as a mention does: the page showed
// one for mentions only, so a DM written to someone looking at another tab went unnoticed,
// though the server's notify level "mention" counts DMs as mentions.
func TestDirectMessageNotifiesAHiddenTab(t *testing.T) {
	b := startBrowser(t)
	srv := servertest.Start(t, servertest.Options{})
	bob := dialUser(t, srv, "bob")
	ann := b.newUser("ann")
	ann.open(srv.URL + "/#lobby")
	ann.do("open New message", chromedp.Click(chromedp.CSS("#new-dm")))
	ann.do("write to bob", chromeSendKeys("#dm-names", "bob"), pressEnter(chromedp.CSS("#dm-names")))
	ann.waitFor("the DM in view under bob's name", `document.getElementById("room-title").textContent === "bob"`)
	dm := eval[string](ann, `location.hash.slice(1)`)
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	if _, err := bob.conn.Join(ctx, dm, nil, 0); err != nil {
		t.Fatalf("bob: join the DM: %v", err)
	}
	ann.room("lobby")

	// As in TestMentionHighlightAndNotification: a stand-in Notification, a hidden tab.
	ann.do("hide the tab, allow notifications", chromeEval(`(() => {
		window.shown = [];
		window.Notification = class { constructor(title, opts) { window.shown.push(title + " — " + opts.body); } static get permission() { return "granted"; } };
		Object.defineProperty(document, "visibilityState", { configurable: true, get: () => "hidden" });
	})()`))
	bob.say(dm, "are you free at three?")
	// The page shows a notification as the message arrives (the client's messages event).
	ann.waitFor("the message in the page", `Array.from(client.rooms.get(`+js(dm)+`).messages.values()).some(m => m.text === "are you free at three?")`)
	if got := eval[[]string](ann, `window.shown`); strings.Join(got, "\n") != "bob wrote to you — are you free at three?" {
		t.Errorf("notifications shown: %q, want one for the direct message", got)
	}
}

// A page that was away while messages were edited, deleted, reacted to and replied to comes
// back (rejoining with since) to the same view as a page that joins fresh.
func TestRejoinCatchesUpWithChangesMadeWhileAway(t *testing.T) {
	b := startBrowser(t)
	srv := servertest.Start(t, servertest.Options{})
	ann := b.newUser("ann")
	ann.open(srv.URL + "/#catchup")
	gopher := dialUser(t, srv, "gopher", "catchup")
	draft := gopher.say("catchup", "first draft")
	doomed := gopher.say("catchup", "to be deleted")
	liked := gopher.say("catchup", "react to me")
	ann.see("gopher", "react to me")
	gopher.react("catchup", liked, "👍")
	ann.waitFor("the first reaction", exprChip(liked, "👍")+` === "1|false|gopher reacted with 👍"`)

	ann.do("go away", chromeEval(`client.pause()`))
	ann.waitFor("the page offline", exprState+` === "idle"`)
	gopher.edit("catchup", draft, "final text")
	gopher.deleteMessage("catchup", doomed)
	gopher.react("catchup", liked, "👍") // taken back
	gopher.react("catchup", liked, "🎉")
	gopher.reply("catchup", liked, "a reply")
	gopher.say("catchup", "after")
	ann.do("come back", chromeEval(`client.start(ui.name)`))
	ann.see("gopher", "after")

	view := `Array.from(document.querySelectorAll("#message-list .msg[data-seq]"), e => [e.dataset.seq, e.dataset.from,
		e.querySelector(".text").textContent, e.querySelector(".meta .edited")?.textContent || "",
		Array.from(e.querySelectorAll(".reaction[data-emoji]"), c => c.dataset.emoji + c.querySelector(".count").textContent).join(","),
		e.querySelector(".thread-link").hidden ? "" : e.querySelector(".thread-link").textContent,
		e.querySelector(".quote")?.textContent || ""].join("|")).join("\n")`
	carol := b.newUser("carol")
	carol.open(srv.URL + "/#catchup")
	carol.see("gopher", "after")
	carol.waitFor("the reply count", row(liked)+`.querySelector(".thread-link").textContent === "1 reply"`)
	fresh := eval[string](carol, view)
	for _, want := range []string{"|final text|(edited)|", "|Message deleted|", "|🎉1|1 reply|", "|a reply|||", "react to me"} {
		if !strings.Contains(fresh, want) {
			t.Errorf("a fresh join shows no %q:\n%s", want, fresh)
		}
	}
	ann.waitFor("the same view as a fresh join", view+` === `+js(fresh))
}

// A message's actions work from the keyboard: its toolbar is one Tab stop whose buttons the
// arrow keys move between, with labels; the picker takes the focus, the arrows and Enter;
// Escape closes it and gives the focus back.
func TestMessageActionsFromTheKeyboard(t *testing.T) {
	b := startBrowser(t)
	srv := servertest.Start(t, servertest.Options{})
	ann := b.newUser("ann")
	ann.open(srv.URL + "/#keys")
	gopher := dialUser(t, srv, "gopher", "keys")
	seq := gopher.say("keys", "press the keys")
	ann.see("gopher", "press the keys")

	bar := rowSel(seq) + " .msg-actions"
	stops := eval[[]string](ann, `Array.from(document.querySelectorAll(`+js(bar+" button")+`)).filter(b => !b.hidden).map(b => b.tabIndex + " " + b.getAttribute("aria-label"))`)
	if got, want := strings.Join(stops, ", "), "0 Add a reaction, -1 Reply, -1 Copy link to message"; got != want {
		t.Errorf("the toolbar's buttons: %s, want %s", got, want)
	}
	ann.do("focus the toolbar", chromedp.Focus(chromedp.CSS(bar+` [data-action="pick"]`)))
	ann.waitFor("the toolbar shown", `getComputedStyle(document.querySelector(`+js(bar)+`)).opacity === "1"`)
	ann.do("ArrowRight", pressKey(chromedp.CSS(bar+` [data-action="pick"]`), "ArrowRight"))
	ann.waitFor("Reply focused, the only Tab stop", `document.activeElement.dataset.action === "reply" && document.activeElement.tabIndex === 0 && `+
		`document.querySelector(`+js(bar+` [data-action="pick"]`)+`).tabIndex === -1`)
	ann.do("Enter on Reply", pressEnter(chromedp.CSS(bar+` [data-action="reply"]`)))
	ann.waitFor("the reply bar, the composer focused", `!document.getElementById("replying").hidden && document.activeElement.id === "composer-input"`)
	ann.do("Escape", pressKey(chromedp.CSS("#composer-input"), "Escape"))
	ann.waitFor("no reply bar", `document.getElementById("replying").hidden`)

	ann.do("Enter on the reaction button", pressEnter(chromedp.CSS(bar+` [data-action="pick"]`)))
	ann.waitFor("the picker with the focus on 👍", `!document.getElementById("emoji-menu").hidden && document.activeElement.dataset.emoji === "👍"`)
	ann.do("Escape", pressKey(chromedp.CSS("#emoji-menu [data-emoji]"), "Escape"))
	ann.waitFor("the picker closed, the focus back", `document.getElementById("emoji-menu").hidden && document.activeElement === document.querySelector(`+js(bar+` [data-action="pick"]`)+`)`)
	ann.do("open it again", pressEnter(chromedp.CSS(bar+` [data-action="pick"]`)))
	ann.waitFor("the picker", `!document.getElementById("emoji-menu").hidden`)
	ann.do("ArrowRight", pressKey(chromedp.CSS(`#emoji-menu [data-emoji="👍"]`), "ArrowRight"))
	ann.waitFor("❤️ focused", `document.activeElement.dataset.emoji === "❤️"`)
	ann.do("Enter on ❤️", pressEnter(chromedp.CSS(`#emoji-menu [data-emoji="❤️"]`)))
	ann.waitFor("ann's ❤️", exprChip(seq, "❤️")+` === "1|true|You reacted with ❤️"`)
}

// A link to a message the room never had (/#links/999: a typo, or a link copied on another
// server) said "That message is not in #links any more.", as if it had been deleted. It says
// the room has no such message; a message that was there and went still reads "any more".
func TestLinkToAMessageNeverSent(t *testing.T) {
	b := startBrowser(t)
	srv := servertest.Start(t, servertest.Options{})
	ann := b.newUser("ann")
	ann.open(srv.URL + "/#links")
	ann.say("one")
	ann.see("ann", "one")
	ann.do("open a link to message 999", chromedp.Navigate(srv.URL+"/#links/999"))
	ann.waitFor("a notice", `!document.getElementById("notice").hidden`)
	if got, want := eval[string](ann, `document.getElementById("notice-text").textContent`), "There is no message 999 in #links."; got != want {
		t.Errorf("the notice of a link to message 999: %q, want %q", got, want)
	}
}

// A message's toolbar, used with the mouse, goes when the pointer leaves the message: after a
// reaction picked from it, the focus back on its button kept it up (:focus-within) over the
// message while the pointer was on the next one, whose toolbar showed too (found by s30-user).
func TestMessageToolbarGoesWithThePointer(t *testing.T) {
	b := startBrowser(t)
	srv := servertest.Start(t, servertest.Options{})
	ann := b.newUser("ann")
	ann.open(srv.URL + "/#pointer")
	gopher := dialUser(t, srv, "gopher", "pointer")
	first := gopher.say("pointer", "the first message")
	second := gopher.say("pointer", "the second message")
	ann.see("gopher", "the second message")

	ann.do("open the picker", chromedp.Click(chromedp.CSS(rowSel(first)+` .msg-actions [data-action="pick"]`)))
	ann.waitFor("the picker", `!document.getElementById("emoji-menu").hidden`)
	ann.do("pick 👍", chromedp.Click(chromedp.CSS(`#emoji-menu [data-emoji="👍"]`)))
	ann.waitFor("ann's 👍", exprChip(first, "👍")+` === "1|true|You reacted with 👍"`)
	ann.waitFor("the picker closed", `document.getElementById("emoji-menu").hidden`)

	at := eval[[]float64](ann, `(() => { const r = `+row(second)+`.querySelector(".text").getBoundingClientRect(); return [r.x + 5, r.y + r.height / 2]; })()`)
	ann.do("point at the second message", chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, at[0], at[1]))
	shown := func(seq uint64) string {
		return `getComputedStyle(` + row(seq) + `.querySelector(".msg-actions")).opacity === "1"`
	}
	ann.waitFor("the second message's toolbar", shown(second))
	if eval[bool](ann, shown(first)) {
		t.Error("the first message's toolbar is still shown with the pointer on the second message")
	}
}

// The changes before a room's first message stay in its timeline when that message comes: a
// private room made empty, bob invited and joining, then his first words. The invitation and
// his joining were shown, then vanished as his message arrived (they were older than the first
// message held, so taken to wait for a history page, which never carries them).
func TestChangesBeforeTheFirstMessageStayShown(t *testing.T) {
	b := startBrowser(t)
	srv := servertest.Start(t, servertest.Options{})
	ann := b.newUser("ann")
	bob := b.newUser("bob")
	ann.open(srv.URL + "/#lobby")
	bob.open(srv.URL + "/#lobby")

	ann.createPrivateRoom("plans")
	ann.waitFor("plans in view", `document.getElementById("room-title").textContent === "#plans"`)
	ann.invite("bob")
	notices := `Array.from(document.querySelectorAll("#message-list .room-notice .room-notice-text"), e => e.textContent)`
	bob.acceptInvitation("plans")
	bob.waitFor("plans in view", `document.getElementById("room-title").textContent === "#plans"`)
	ann.waitFor("his joining shown", notices+`.includes("bob joined")`)
	bob.say("count me in")
	ann.see("bob", "count me in")
	ann.waitFor("the beginning of the room reached", `document.getElementById("history-note").textContent === "This is the beginning of #plans."`)

	got := eval[[]string](ann, `Array.from(document.querySelectorAll("#message-list .room-notice-text, #message-list .msg[data-seq] .text"), e => e.textContent)`)
	// Her own joining as the room's creator, its first entry, comes first: her page's fresh
	// join of the new room asks for its notices (notices: true), as a reload does.
	want := []string{"ann joined", "ann invited bob", "bob joined", "count me in"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("ann's timeline of plans reads %q, want %q", got, want)
	}
}

// A mention typed in another case ("@ANN") is ann's: the server resolves it to her and counts
// it in her mention badge, and her page highlights it as hers. The page compared the name as
// typed with hers, so it drew "@ANN" as someone else's mention while the badge counted it.
func TestMentionInAnotherCaseIsHighlightedAsMine(t *testing.T) {
	b := startBrowser(t)
	srv := servertest.Start(t, servertest.Options{})
	ann := b.newUser("ann")
	ann.open(srv.URL + "/#mentions")
	gopher := dialUser(t, srv, "gopher", "mentions")
	ann.waitFor("gopher among the members", exprMembers+`.includes("gopher")`)

	seq := gopher.say("mentions", "@ANN the build is red")
	ann.see("gopher", "@ANN the build is red")
	ann.waitFor("the message and the mention highlighted as mine", row(seq)+`.classList.contains("mentions-me") && `+
		row(seq)+`.querySelector(".mention.mention-me")?.textContent === "@ANN"`)
}

// An @name that mentions no one is said to have notified nobody: "@zed" when no zed is in the
// room (no such user, or one outside this private room). It went as text, and the sender
// thought zed was told. A mention that resolves, in any case, and code say nothing.
func TestMentionOfNobodySaysNobodyWasNotified(t *testing.T) {
	b := startBrowser(t)
	srv := servertest.Start(t, servertest.Options{})
	ann := b.newUser("ann")
	ann.do("record the notices", recordNotices())
	ann.open(srv.URL + "/#mentions")
	dialUser(t, srv, "gopher", "mentions")
	ann.waitFor("gopher among the members", exprMembers+`.includes("gopher")`)

	ann.say("thanks @Gopher, see `@nobody` in the code")
	ann.see("ann", "thanks @Gopher, see @nobody in the code")
	ann.say("and @zed will help, or @yan.")
	ann.see("ann", "and @zed will help, or @yan.")
	ann.waitFor("the notice", `window.noticesSeen.length > 0`)
	want := "No one named @zed or @yan is in #mentions: nobody was notified."
	if got := eval[[]string](ann, `window.noticesSeen`); strings.Join(got, "\n") != want {
		t.Errorf("notices shown: %q, want only %q", got, want)
	}
}

// A reply to my message is a mention of me, as Slack and Zulip tell you of a reply: while I
// look at another room it raises that room's mention badge, and in the room it is highlighted
// as a mention and says "replied to you", though its text does not name me. Before, it was one
// more unread message. A reply to someone else's message is not mine.
func TestReplyToMyMessageIsAMention(t *testing.T) {
	b := startBrowser(t)
	srv := servertest.Start(t, servertest.Options{})
	ann := b.newUser("ann")
	ann.open(srv.URL + "/#keys")
	gopher := dialUser(t, srv, "gopher", "keys")
	ann.waitFor("gopher among the members", exprMembers+`.includes("gopher")`)
	ann.say("who has the keys?")
	mine := ann.seqOf("ann", "who has the keys?")
	theirs := gopher.say("keys", "and the map?")
	ann.see("gopher", "and the map?")
	ann.room("lobby")

	gopher.reply("keys", theirs, "in the car")
	gopher.reply("keys", mine, "I do")
	ann.waitFor("keys' badges: two unread, one of them a mention", exprBadge("keys")+` === "2" && `+exprMentionBadge("keys")+` === "1"`)

	ann.room("keys")
	answer := ann.seqOf("gopher", "I do")
	ann.waitFor("the reply to me highlighted, saying so", row(answer)+`.classList.contains("mentions-me") && `+
		row(answer)+`.querySelector(".meta .replied-me")?.textContent === "replied to you"`)
	other := ann.seqOf("gopher", "in the car")
	if eval[bool](ann, row(other)+`.classList.contains("mentions-me") || !!`+row(other)+`.querySelector(".replied-me")`) {
		t.Errorf("the reply to gopher's message is marked as mine\n%s", ann.describe())
	}

	// A hidden tab is told, as of a mention (TestMentionHighlightAndNotification's stand-ins).
	ann.do("hide the tab, allow notifications", chromeEval(`(() => {
		window.shown = [];
		window.Notification = class { constructor(title, opts) { window.shown.push(title + " — " + opts.body); } static get permission() { return "granted"; } };
		Object.defineProperty(document, "visibilityState", { configurable: true, get: () => "hidden" });
	})()`))
	gopher.reply("keys", theirs, "or the bus")
	gopher.reply("keys", mine, "the spare set too")
	ann.see("gopher", "the spare set too")
	if got := eval[[]string](ann, `window.shown`); strings.Join(got, "\n") != "gopher replied to you in #keys — the spare set too" {
		t.Errorf("notifications shown: %q, want one for the reply to ann", got)
	}
}
