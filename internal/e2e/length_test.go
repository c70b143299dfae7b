package e2e

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"hubbub/internal/server"
	"hubbub/internal/servertest"
)

// exprLengthCount is what the length counter of the form holding the box sel shows, "" while
// it is hidden, with "!" after it when it warns (over the limit).
func exprLengthCount(sel string) string {
	return `(() => { const c = document.querySelector(` + js(sel) + `).closest("form").querySelector(".length-count"); return !c || c.hidden ? "" : c.textContent + (c.classList.contains("over") ? "!" : ""); })()`
}

// exprLengthSaid is what the box's counter last said to a screen reader.
func exprLengthSaid(sel string) string {
	return `document.querySelector(` + js(sel) + `).closest("form").querySelector(".length-said").textContent`
}

// The composer counts a text's bytes as the server does (its --max-text, from the welcome) as
// it is typed: nothing while it is short, the bytes left past 90 % of the limit, and the bytes
// over it, as a warning, past it; a screen reader hears when the text crosses into each, not
// at every key. Enter still refuses a text too long and keeps it. Before, the page said nothing
// of the limit until Enter.
func TestLengthCounterInTheComposer(t *testing.T) {
	b := startBrowser(t)
	srv := servertest.Start(t, servertest.Options{Server: server.Config{MaxText: 100}})
	ann := b.newUser("ann")
	ann.open(srv.URL + "/#long")
	ann.waitFor("the limits", `client.limits.max_text === 100`)
	const box = "#composer-input"

	ann.do("type 80 letters", typeInto(box, strings.Repeat("x", 80)))
	if got := eval[string](ann, exprLengthCount(box)); got != "" {
		t.Errorf("the counter shows %q for 80 bytes of 100, want nothing", got)
	}
	// Six é are 6 characters and 12 bytes: 92 bytes, as the server counts.
	ann.do("type six é", typeInto(box, "éééééé"))
	ann.waitFor("8 bytes left", exprLengthCount(box)+` === "8 bytes left"`)
	if got := eval[string](ann, exprLengthSaid(box)); got != "Near the length limit: 8 bytes left." {
		t.Errorf("a screen reader heard %q nearing the limit", got)
	}
	ann.do("type two more", typeInto(box, "xx"))
	ann.waitFor("6 bytes left", exprLengthCount(box)+` === "6 bytes left"`)
	if got := eval[string](ann, exprLengthSaid(box)); got != "Near the length limit: 8 bytes left." {
		t.Errorf("a screen reader heard %q at a key within the zone, want nothing new", got)
	}
	// Spaces at the end are trimmed by the server: not counted.
	ann.do("type spaces", typeInto(box, "          "))
	if got := eval[string](ann, exprLengthCount(box)); got != "6 bytes left" {
		t.Errorf("the counter shows %q with ten spaces at the end, want them not counted", got)
	}
	ann.do("type a word", typeInto(box, "overflow"))
	ann.waitFor("over the limit", exprLengthCount(box)+` === "12 bytes over!"`)
	if got := eval[string](ann, exprLengthSaid(box)); got != "Too long by 12 bytes: shorten it to send." {
		t.Errorf("a screen reader heard %q past the limit", got)
	}
	if got := eval[string](ann, `document.querySelector("#composer-input").getAttribute("aria-invalid")`); got != "true" {
		t.Errorf("the composer's aria-invalid is %q past the limit, want true", got)
	}
	ann.do("press Enter", pressEnter(chromedp.CSS(box)))
	ann.waitFor("the refusal", `document.getElementById("notice-text").textContent === "That message is too long: 112 bytes, 100 at most (cut 12)."`)
	if n := eval[int](ann, exprPendingCount); n != 0 {
		t.Errorf("%d messages pending after the refusal, want none", n)
	}

	ann.do("shorten it", chromeEval(`document.querySelector("#composer-input").select()`), typeInto(box, strings.Repeat("y", 95)))
	ann.waitFor("5 bytes left", exprLengthCount(box)+` === "5 bytes left"`)
	if got := eval[string](ann, exprLengthSaid(box)); got != "Short enough to send again: 5 bytes left." {
		t.Errorf("a screen reader heard %q back under the limit", got)
	}
	ann.do("send it", pressEnter(chromedp.CSS(box)))
	ann.see("ann", strings.Repeat("y", 95))
	if got := eval[string](ann, exprLengthCount(box)); got != "" {
		t.Errorf("the counter shows %q in the emptied composer, want nothing", got)
	}

	// The edit box counts too.
	ann.do("edit it with the Up arrow", pressKey(chromedp.CSS(box), "ArrowUp"))
	ann.waitFor("the edit box", `document.activeElement.matches(".edit-form textarea")`)
	ann.do("type on", typeInto(".edit-form textarea", "zzzzzzzz"))
	ann.waitFor("over in the edit box", exprLengthCount(".edit-form textarea")+` === "3 bytes over!"`)
}

// The thread's reply box counts, and on a phone's screen the counter is on the screen, above
// the text typed rather than over it, and clear of the send button.
func TestLengthCounterInTheThreadOnAPhone(t *testing.T) {
	b := startBrowser(t)
	srv := servertest.Start(t, servertest.Options{Server: server.Config{MaxText: 100}})
	dee := dialUser(t, srv, "dee", "general")
	parent := dee.say("general", "who is coming?")
	dee.reply("general", parent, "me")
	ann := b.newUser("ann")
	ann.atPhoneSize()
	ann.open(srv.URL + "/#general")
	ann.waitFor("the limits", `client.limits.max_text === 100`)
	ann.do("type 95 letters", typeInto("#composer-input", strings.Repeat("x", 95)))
	ann.waitFor("5 bytes left", exprLengthCount("#composer-input")+` === "5 bytes left"`)
	type box struct{ Top, Bottom, Left, Right float64 }
	rect := func(expr string) box {
		return eval[box](ann, `(() => { const r = `+expr+`.getBoundingClientRect(); return {top: r.top, bottom: r.bottom, left: r.left, right: r.right}; })()`)
	}
	count := rect(`document.querySelector("#composer .length-count")`)
	text := rect(`document.getElementById("composer-input")`)
	send := rect(`document.getElementById("send")`)
	if count.Left < 0 || count.Right > 390 || count.Top < 0 || count.Bottom > 844 {
		t.Errorf("the counter is at %+v, off a 390×844 screen", count)
	}
	if count.Bottom > text.Top+4 || count.Bottom > send.Top {
		t.Errorf("the counter at %+v covers the text (%+v) or the send button (%+v)", count, text, send)
	}

	ann.see("dee", "who is coming?")
	ann.do("open the thread", chromedp.Click(chromedp.CSS("#message-list .msg[data-seq] .thread-link:not([hidden])")))
	ann.waitFor("the thread", `!document.getElementById("thread").hidden`)
	ann.do("type 101 letters", typeInto("#thread-input", strings.Repeat("x", 101)))
	ann.waitFor("over in the thread", exprLengthCount("#thread-input")+` === "1 byte over!"`)
	count = rect(`document.querySelector("#thread-composer .length-count")`)
	if count.Left < 0 || count.Right > 390 || count.Top < 0 || count.Bottom > 844 {
		t.Errorf("the thread's counter is at %+v, off a 390×844 screen", count)
	}
}
