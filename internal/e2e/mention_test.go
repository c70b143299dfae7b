package e2e

import (
	"testing"

	"github.com/chromedp/chromedp"

	"hubbub/internal/servertest"
)

// exprMentionOptions lists the names the @name suggestions show, "" while the list is hidden.
const exprMentionOptions = `(() => { const l = document.getElementById("mention-list"); return l.hidden ? "" : Array.from(l.querySelectorAll("[role=option]"), o => o.dataset.name).join("|"); })()`

// exprMentionMarked is the name of the suggestion under the arrow keys, as the composer tells a
// screen reader (aria-activedescendant), "" for none.
const exprMentionMarked = `(() => { const id = document.getElementById("composer-input").getAttribute("aria-activedescendant"); const o = id && document.getElementById(id); return o && o.getAttribute("aria-selected") === "true" ? o.dataset.name : ""; })()`

// Typing "@ca" in the composer lists the room's people whose name starts with "ca" (carol),
// then those with a word starting so ("Dee Cavendish", a name with a space, written whole as
// the server resolves it); Tab takes the first, Down and Enter the next, Escape closes the list
// and Enter then sends. The message reaches carol as a mention of her. Before, the page
// offered nothing: a misspelt name notified nobody.
func TestMentionSuggestionsInTheComposer(t *testing.T) {
	b := startBrowser(t)
	srv := servertest.Start(t, servertest.Options{})
	dialUser(t, srv, "Dee Cavendish", "general")
	dialUser(t, srv, "bob", "general")
	carol := b.newUser("carol")
	carol.open(srv.URL + "/#general")
	carol.room("general")
	ann := b.newUser("ann")
	ann.open(srv.URL + "/#general")
	ann.room("general")
	ann.waitFor("carol among the members", exprMembers+`.includes("carol")`)

	ann.do("type @ca", typeInto("#composer-input", "@ca"))
	ann.waitFor("carol, then Dee Cavendish, offered", exprMentionOptions+` === "carol|Dee Cavendish"`)
	if got := eval[string](ann, exprMentionMarked); got != "carol" {
		t.Errorf("the composer's active option is %q, want carol", got)
	}
	ann.do("press Tab", pressKey(chromedp.CSS("#composer-input"), "Tab"))
	ann.waitFor("@carol in the composer", `document.getElementById("composer-input").value === "@carol "`)
	if got := eval[string](ann, exprMentionOptions); got != "" {
		t.Errorf("the list still shows %q after a name was picked", got)
	}
	if !eval[bool](ann, `document.activeElement.id === "composer-input" && !document.getElementById("composer-input").hasAttribute("aria-activedescendant")`) {
		t.Errorf("the focus left the composer, or it still points at an option")
	}
	ann.do("write the rest and send", typeInto("#composer-input", "lunch?"), pressEnter(chromedp.CSS("#composer-input")))
	ann.see("ann", "@carol lunch?")
	carol.see("ann", "@carol lunch?")
	carol.waitFor("the mention highlighted", `Array.from(document.querySelectorAll("#message-list .msg.mentions-me[data-seq]")).some(e =>
		e.querySelector(".text").textContent === "@carol lunch?" && e.querySelector(".text .mention-me")?.textContent === "@carol")`)

	ann.do("type @CA", typeInto("#composer-input", "ask @CA"))
	ann.waitFor("the list, whatever the case", exprMentionOptions+` === "carol|Dee Cavendish"`)
	// An input method composing text (Japanese, Chinese…) takes its own Enter: no name is picked.
	ann.do("an Enter of an input method", chromeEval(`document.getElementById("composer-input").dispatchEvent(new KeyboardEvent("keydown", {key: "Enter", isComposing: true, bubbles: true, cancelable: true}))`))
	if got := eval[string](ann, `document.getElementById("composer-input").value`); got != "ask @CA" {
		t.Errorf("an input method's Enter made the composer %q, want it left to the input method", got)
	}
	ann.do("press Down", pressKey(chromedp.CSS("#composer-input"), "ArrowDown"))
	ann.waitFor("Dee Cavendish marked", exprMentionMarked+` === "Dee Cavendish"`)
	ann.do("press Enter", pressEnter(chromedp.CSS("#composer-input")))
	ann.waitFor("the whole name in the composer", `document.getElementById("composer-input").value === "ask @Dee Cavendish "`)
	ann.do("type @b", typeInto("#composer-input", "and @b"))
	ann.waitFor("bob offered", exprMentionOptions+` === "bob"`)
	ann.do("press Escape", pressKey(chromedp.CSS("#composer-input"), "Escape"))
	ann.waitFor("the list closed", exprMentionOptions+` === ""`)
	// Typing on after Escape leaves it closed: the input event is handled before typeInto returns.
	ann.do("type o", typeInto("#composer-input", "o"))
	if got := eval[string](ann, exprMentionOptions); got != "" {
		t.Errorf("the list Escape closed opened again on the next letter, showing %q", got)
	}
	ann.do("press Enter", pressEnter(chromedp.CSS("#composer-input")))
	ann.see("ann", "ask @Dee Cavendish and @bo")
	if got := eval[string](ann, `document.getElementById("composer-input").value`); got != "" {
		t.Errorf("the composer holds %q after Enter with the list closed, want it sent", got)
	}
}

// On a phone's screen the suggestions show above the composer, inside the screen, without
// covering the box being typed in.
func TestMentionSuggestionsOnAPhone(t *testing.T) {
	b := startBrowser(t)
	srv := servertest.Start(t, servertest.Options{})
	dialUser(t, srv, "carol", "general")
	ann := b.newUser("ann")
	ann.atPhoneSize()
	ann.open(srv.URL + "/#general")
	ann.waitFor("carol in the room", `(client.rooms.get("general")?.members || []).includes("carol")`)
	ann.do("type @ca", typeInto("#composer-input", "@ca"))
	ann.waitFor("carol offered", exprMentionOptions+` === "carol"`)
	type box struct{ Top, Bottom, Left, Right float64 }
	list := eval[box](ann, `(() => { const r = document.getElementById("mention-list").getBoundingClientRect(); return {top: r.top, bottom: r.bottom, left: r.left, right: r.right}; })()`)
	composer := eval[box](ann, `(() => { const r = document.getElementById("composer").getBoundingClientRect(); return {top: r.top, bottom: r.bottom, left: r.left, right: r.right}; })()`)
	if list.Bottom > composer.Top || list.Top < 0 || list.Left < 0 || list.Right > 390 {
		t.Errorf("the list is at %+v on a 390 px screen, the composer at %+v: it must be above the composer, on the screen", list, composer)
	}
	ann.do("tap carol", chromedp.Click(chromedp.CSS(`#mention-list [data-name="carol"]`)))
	ann.waitFor("@carol in the composer", `document.getElementById("composer-input").value === "@carol " && document.activeElement.id === "composer-input"`)
}

// The thread's reply box suggests names too: Enter takes the one marked instead of sending the
// reply, and Escape closes the list, not the thread.
func TestMentionSuggestionsInTheThread(t *testing.T) {
	b := startBrowser(t)
	srv := servertest.Start(t, servertest.Options{})
	dee := dialUser(t, srv, "Dee Cavendish", "general")
	dialUser(t, srv, "carol", "general")
	parent := dee.say("general", "who is coming?")
	dee.reply("general", parent, "me")
	ann := b.newUser("ann")
	ann.open(srv.URL + "/#general")
	ann.see("Dee Cavendish", "who is coming?")
	ann.waitFor("the reply count", `document.querySelector("#message-list .msg[data-seq] .thread-link:not([hidden])") !== null`)
	ann.do("open the thread", chromedp.Click(chromedp.CSS("#message-list .msg[data-seq] .thread-link:not([hidden])")))
	ann.waitFor("the thread", `!document.getElementById("thread").hidden && document.querySelectorAll("#thread-list .msg[data-seq]").length === 1`)

	ann.do("type @ca", typeInto("#thread-input", "@ca"))
	ann.waitFor("carol offered", exprMentionOptions+` === "carol|Dee Cavendish"`)
	ann.do("press Enter", pressEnter(chromedp.CSS("#thread-input")))
	ann.waitFor("@carol in the reply box", `document.getElementById("thread-input").value === "@carol "`)
	ann.do("type @d", typeInto("#thread-input", "and @d"))
	ann.waitFor("Dee offered", exprMentionOptions+` === "Dee Cavendish"`)
	ann.do("press Escape", pressKey(chromedp.CSS("#thread-input"), "Escape"))
	ann.waitFor("the list closed", exprMentionOptions+` === ""`)
	if eval[bool](ann, `document.getElementById("thread").hidden`) {
		t.Fatal("Escape closed the thread, not the list")
	}
	ann.do("send the reply", pressEnter(chromedp.CSS("#thread-input")))
	ann.waitFor("the reply in the thread", `Array.from(document.querySelectorAll("#thread-list .msg[data-seq] .text"), e => e.textContent).includes("@carol and @d")`)
}

// The edit box suggests names too: Enter takes the name instead of saving, the next Enter saves.
func TestMentionSuggestionsInTheEditBox(t *testing.T) {
	b := startBrowser(t)
	srv := servertest.Start(t, servertest.Options{})
	dialUser(t, srv, "carol", "general")
	ann := b.newUser("ann")
	ann.open(srv.URL + "/#general")
	ann.waitFor("carol in the room", `(client.rooms.get("general")?.members || []).includes("carol")`)
	ann.say("lunch?")
	ann.see("ann", "lunch?")
	ann.do("edit it with the Up arrow", pressKey(chromedp.CSS("#composer-input"), "ArrowUp"))
	ann.waitFor("the edit box", `document.activeElement.matches(".edit-form textarea")`)
	ann.do("type @ca", typeInto(".edit-form textarea", " @ca"))
	ann.waitFor("carol offered", exprMentionOptions+` === "carol"`)
	ann.do("press Enter", pressEnter(chromedp.CSS(".edit-form textarea")))
	ann.waitFor("@carol in the edit box", `document.querySelector(".edit-form textarea")?.value === "lunch? @carol "`)
	ann.do("save", pressEnter(chromedp.CSS(".edit-form textarea")))
	ann.see("ann", "lunch? @carol")
}

// A name taken from the suggestions goes into the box's undo history: Ctrl+Z takes it out
// again, leaving the @fragment typed, and the text after the caret is kept. The page wrote it
// with setRangeText, which the browser does not record: Ctrl+Z undid what was typed before
// it instead, and the name stayed.
func TestMentionSuggestionUndoes(t *testing.T) {
	b := startBrowser(t)
	srv := servertest.Start(t, servertest.Options{})
	dialUser(t, srv, "carol", "general")
	ann := b.newUser("ann")
	ann.open(srv.URL + "/#general")
	ann.waitFor("carol in the room", `(client.rooms.get("general")?.members || []).includes("carol")`)
	const box = `document.getElementById("composer-input")`
	ann.do("type a line, then @ca before its end", typeInto("#composer-input", "lunch, see you"),
		chromeEval(box+`.setSelectionRange(6, 6)`), typeInto("#composer-input", " @ca"))
	ann.waitFor("carol offered", exprMentionOptions+` === "carol"`)
	ann.do("press Tab", pressKey(chromedp.CSS("#composer-input"), "Tab"))
	ann.waitFor("@carol written, the caret after it", box+`.value === "lunch, @carol  see you" && `+box+`.selectionStart === 14 && `+box+`.selectionEnd === 14`)
	ann.do("press Ctrl+Z", chromedp.Focus(chromedp.CSS("#composer-input")), pressCtrl("z", 90))
	ann.waitFor("the name taken out, the @fragment left", box+`.value === "lunch, @ca see you"`)
}

// An @ typed before the room's roster came lists the room's offline members as soon as it
// comes, with no other key: the list was made from who is connected, and the members who are
// not appeared only at the next key. An @ typed when no roster is on its way asks for one.
func TestMentionSuggestionsWaitForTheRoster(t *testing.T) {
	b := startBrowser(t)
	srv := servertest.Start(t, servertest.Options{})
	dave := dialUser(t, srv, "dave", "general", "random")
	_ = dave.conn.Close() // a stored member, offline
	dialUser(t, srv, "dora", "general", "random")
	ann := b.newUser("ann")
	ann.open(srv.URL + "/#random")
	ann.room("general")
	offline := `Array.from(document.querySelectorAll("#member-offline-list .offline-name"), e => e.textContent).join()`
	ann.waitFor("dave among the offline members", offline+` === "dave"`)

	// The answers to the page's roster requests are held until the test lets them through.
	ann.do("hold the rosters", chromeEval(`(() => {
		const real = client.onRoster;
		window.heldRosters = [];
		client.onRoster = (f) => heldRosters.push(f);
		window.releaseRosters = () => { client.onRoster = real; heldRosters.splice(0).forEach((f) => real.call(client, f)); };
	})()`))
	ann.do("open random, then general again", chromeEval(`selectRoom("random")`), chromeEval(`selectRoom("general")`))
	ann.waitFor("general's roster asked", `heldRosters.some((f) => f.room === "general")`)
	ann.do("type @d", typeInto("#composer-input", "@d"))
	ann.waitFor("dora offered", exprMentionOptions+` === "dora"`)
	ann.do("let the rosters through", chromeEval(`releaseRosters()`))
	ann.waitFor("dave offered too", exprMentionOptions+` === "dora|dave"`)

	// A roster asked for and never taken (its answer is dropped here; the page asks on
	// opening a room, and a lost connection loses an answer on its way): the @ asks again.
	ann.do("clear the composer", chromeEval(`document.getElementById("composer-input").value = ""`))
	ann.do("drop the rosters", chromeEval(`(() => {
		const real = client.onRoster;
		client.onRoster = function (f) { this.rosterAsked.delete(f.room); };
		window.dropped = client.onRoster;
		window.takeRosters = () => { client.onRoster = real; };
	})()`))
	ann.do("open random, then general again", chromeEval(`selectRoom("random")`), chromeEval(`selectRoom("general")`))
	ann.waitFor("general's roster dropped", `!client.rosterAsked.has("general") && ui.roster.room === ""`)
	// Nor is one due later (the page asks again 1.5 s after people come and go): only the @ asks.
	ann.do("take rosters again", chromeEval(`clearTimeout(ui.rosterTimer)`), chromeEval(`takeRosters()`))
	ann.do("type @d", typeInto("#composer-input", "@d"))
	ann.waitFor("dave offered", exprMentionOptions+` === "dora|dave"`)
}
