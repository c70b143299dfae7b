package e2e

import (
	"context"
	"testing"

	"github.com/chromedp/chromedp"

	"hubbub"
	"hubbub/internal/servertest"
)

// exprNotifyChecked is the level the room's notification menu shows checked ("" for none).
const exprNotifyChecked = `(document.querySelector('#notify-menu [aria-checked="true"]') || {dataset: {}}).dataset.level || ""`

// The bell in the room's header opens the room's notification menu with the level the server
// holds checked (mention, until chosen); choosing "All messages" stores it for the user, says so,
// and the menu opened again shows it; Escape closes the menu and gives the focus back.
func TestNotifyMenuSetsTheRoomsLevel(t *testing.T) {
	b := startBrowser(t)
	srv := servertest.Start(t, servertest.Options{})
	ann := b.newUser("ann")
	ann.open(srv.URL + "/#general")
	ann.room("general")
	ann.waitFor("the bell", `document.getElementById("notify-open").getClientRects().length > 0`)

	ann.do("open the menu", chromedp.Click(chromedp.CSS("#notify-open")))
	ann.waitFor("mention checked", `!document.getElementById("notify-menu").hidden && `+exprNotifyChecked+` === "mention"`)
	ann.do("choose all messages", chromedp.Click(chromedp.CSS(`#notify-menu [data-level="all"]`)))
	ann.waitFor("the banner says so", `document.getElementById("notice-text").textContent.includes("every message")`)
	if !eval[bool](ann, `document.getElementById("notify-menu").hidden && document.activeElement.id === "notify-open"`) {
		t.Errorf("the menu stays open after a choice, or the focus is not back on the bell")
	}

	ctx := context.Background()
	u, found, err := srv.Store.UserByName(ctx, "ann")
	if err != nil || !found {
		t.Fatalf("ann is not stored: %v", err)
	}
	if level, err := srv.Store.NotifyLevel(ctx, u.ID, "general"); err != nil || level != hubbub.NotifyAll {
		t.Fatalf("the store holds %q (%v) for ann in general, want all", level, err)
	}

	ann.do("open the menu again", chromedp.Click(chromedp.CSS("#notify-open")))
	ann.waitFor("all checked", `!document.getElementById("notify-menu").hidden && `+exprNotifyChecked+` === "all"`)
	ann.do("press Escape", pressKey(chromedp.CSS(`#notify-menu [data-level="all"]`), "Escape"))
	ann.waitFor("the menu closed, the focus on the bell", `document.getElementById("notify-menu").hidden && document.activeElement.id === "notify-open"`)
}
