package e2e

import (
	"testing"

	"github.com/chromedp/chromedp"

	"hubbub/internal/servertest"
)

// ann, the only owner of a private room, leaves it with its ×: bob, its other member, reads in
// the room that he owns it now, as ann left, and his page lets him invite people.
func TestOwnerLeavingHandsTheRoomToTheOtherMember(t *testing.T) {
	b := startBrowser(t)
	srv := servertest.Start(t, servertest.Options{})
	ann := b.newUser("ann")
	bob := b.newUser("bob")
	ann.open(srv.URL + "/#lobby")
	bob.open(srv.URL + "/#lobby")

	ann.createPrivateRoom("plans")
	ann.waitFor("the new room in view", `document.getElementById("room-title").textContent === "#plans"`)
	ann.invite("bob")
	bob.acceptInvitation("plans")
	bob.waitFor("plans in view, no invite button for a member", `document.getElementById("room-title").textContent === "#plans" && `+
		`document.getElementById("invite-button").hidden`)
	ann.waitFor("bob's joining shown", `Array.from(document.querySelectorAll("#message-list .room-notice"), e => e.textContent).some(t => t.startsWith("bob joined"))`)

	ann.do("leave plans", chromedp.Click(chromedp.CSS(sideRoom("plans")+" .room-leave")))
	bob.waitFor("ann's leaving and the handover shown", `(() => { const ts = Array.from(document.querySelectorAll("#message-list .room-notice .room-notice-text"), e => e.textContent);`+
		` const i = ts.indexOf("ann left"); return i >= 0 && ts[i+1] === "bob is now the owner, as ann left"; })()`)
	bob.waitFor("the invite button for the owner", `!document.getElementById("invite-button").hidden`)
}
