package e2e

import (
	"strings"
	"testing"

	"hubbub/internal/server"
	"hubbub/internal/servertest"
)

// A member who renames is said so in the page, and a moderator's menu on their old message
// reaches them under the new name: bob posts, then goes by "moderator" (his phone says hello
// with the name). The moderator's page says "bob is now moderator" in the room and lists
// moderator, not bob; the menu of bob's message offers "Ban moderator (was bob)…", and the
// ban keeps the renamed bob out. Before, the page said nothing, and the ban of that menu
// banned the name bob, which nobody held, while moderator stayed.
func TestRenamedAuthorIsShownAndBannedByTheirUserID(t *testing.T) {
	b := startBrowser(t)
	srv := servertest.Start(t, servertest.Options{Server: server.Config{RoleFor: servertest.Roles("mod")}})
	mod := b.newUser("mod")
	mod.open(srv.URL + "/#general")
	bob := dialUser(t, srv, "bob", "general")
	bob.say("general", "I am bob")
	mod.see("bob", "I am bob")
	mod.waitFor("bob among the members", exprMembers+`.join() === "bob,mod"`)

	phone := servertest.DialJSON(t, srv, "")
	phone.Send(servertest.Frame{"type": "hello", "name": "moderator", "key": "key-of-bob"})
	if w := phone.Await("welcome"); w.Str("name") != "moderator" {
		t.Fatalf("bob's phone: %v", w)
	}
	mod.waitFor("the rename in the timeline", `Array.from(document.querySelectorAll("#message-list .room-notice-text"), e => e.textContent).includes("bob is now moderator")`)
	mod.waitFor("the member list under the new name", exprMembers+`.join() === "mod,moderator"`)

	mod.openModMenu("bob's message", `#message-list li[data-seq="1"] .mod-button`)
	label := eval[string](mod, `(document.querySelector('#mod-menu [data-action="ban"]') || {}).textContent || ""`)
	if label != "Ban moderator (was bob)…" {
		t.Errorf("the ban in the menu of bob's message reads %q, want it to name moderator (was bob)", label)
	}
	mod.chooseModAction("ban")
	if title := eval[string](mod, `document.getElementById("mod-title").textContent`); !strings.Contains(title, "moderator (was bob)") {
		t.Errorf("the ban dialog's title: %q, want it to name moderator (was bob)", title)
	}
	mod.confirmModeration("", "24h", "moderator is banned from #general until")
	if f := phone.Join("general", nil); f.Type() != "error" || f.Str("code") != "banned" {
		t.Errorf("the renamed bob's join after the ban: %v, want banned", f)
	}
}
