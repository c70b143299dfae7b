package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"hubbub/internal/server"
	"hubbub/internal/servertest"
	"hubbub/internal/wire"
)

// A room's moderator moderates it from the page, as from `hubbub chat`: bob, no server
// moderator, is made a moderator of the public room #community while he looks at it, and its
// messages and members get their ⋯ at once (before, the page asked the welcome's server role
// only, and every ⋯ stayed hidden). He bans gopher until lifted, the ban dialog's new length.
func TestRoomModeratorGetsControlsLive(t *testing.T) {
	b := startBrowser(t)
	srv := servertest.Start(t, servertest.Options{})
	ann := dialUser(t, srv, "ann")
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	if _, err := ann.conn.Create(ctx, "community", "", false); err != nil {
		t.Fatal(err)
	}
	gopher := dialUser(t, srv, "gopher", "community")
	gopher.say("community", "buy cheap watches")
	bob := b.newUser("bob")
	bob.open(srv.URL + "/#community")
	bob.see("gopher", "buy cheap watches")
	bob.waitFor("gopher among the members", `!!document.querySelector('#member-list [data-name="gopher"]')`)
	visible := func(sel string) string {
		return `Array.from(document.querySelectorAll(` + js(sel) + `)).filter(e => e.getClientRects().length > 0).length`
	}
	if n := eval[int](bob, visible(".mod-button")); n != 0 {
		t.Fatalf("bob, a member, sees %d moderation buttons", n)
	}

	id := ann.nextID()
	ann.request("make bob a moderator", id, wire.RoleRequest{Type: wire.TypeRole, Room: "community", Name: "bob", Role: "moderator", ID: id})
	bob.waitFor("the ⋯ of gopher's message", visible(`#message-list li[data-seq] .mod-button`)+` > 0`)
	bob.waitFor("the ⋯ of gopher in the members", visible(`#member-list [data-name="gopher"] .mod-button`)+` === 1`)

	bob.moderate("gopher", `#member-list [data-name="gopher"] .mod-button`, "ban")
	bob.confirmModeration("", "forever", "gopher is banned from #community until lifted")
	back := dialUser(t, srv, "gopher")
	if _, err := back.conn.Join(ctx, "community", nil, 0); err == nil || !strings.Contains(err.Error(), "until lifted") {
		t.Errorf("gopher's join after the ban: %v, want banned until lifted", err)
	}
}

// A muted user's composer says so, with Send disabled, and comes back when the mute is
// lifted: before, they found out only when what they had typed was refused.
func TestMutedComposerSaysSo(t *testing.T) {
	b := startBrowser(t)
	srv := servertest.Start(t, servertest.Options{Server: server.Config{RoleFor: servertest.Roles("mod")}})
	mod := dialUser(t, srv, "mod", "general")
	eve := b.newUser("eve")
	eve.open(srv.URL + "/#general")
	mod.waitMembers("general", "eve", "mod")
	placeholder := `document.getElementById("composer-input").placeholder`
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	if _, err := mod.conn.Mute(ctx, "general", "eve", 3600e9, "calm down"); err != nil {
		t.Fatal(err)
	}
	eve.waitFor("the composer saying she is muted", placeholder+`.startsWith("You are muted in #general until ") && document.getElementById("send").disabled`)
	if _, err := mod.conn.Unmute(ctx, "general", "eve"); err != nil {
		t.Fatal(err)
	}
	eve.waitFor("the composer back", placeholder+` === "Message #general" && !document.getElementById("send").disabled`)
}

// A moderator sees who is muted in the member list, and until when: online under the name,
// offline beside the last seen. Before, a mute showed only in the member's ⋯ menu (as the
// lift it offered), and a moderator of a busy room could not tell who was muted.
func TestMembersListShowsMutes(t *testing.T) {
	b := startBrowser(t)
	srv := servertest.Start(t, servertest.Options{Server: server.Config{RoleFor: servertest.Roles("mod", "boss")}})
	boss := dialUser(t, srv, "boss", "general")
	dialUser(t, srv, "eve", "general")
	mod := b.newUser("mod")
	mod.open(srv.URL + "/#general")
	mod.waitFor("eve among the members", exprMembers+`.includes("eve")`)
	muted := `(document.querySelector('#member-list [data-name="eve"] .member-muted') || {}).textContent || ""`
	if got := eval[string](mod, muted); got != "" {
		t.Fatalf("eve's row says %q before any mute", got)
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	if _, err := boss.conn.Mute(ctx, "general", "eve", time.Hour, "calm down"); err != nil {
		t.Fatal(err)
	}
	mod.waitFor("eve's row saying she is muted", muted+`.startsWith("muted until ")`)
	if _, err := boss.conn.Unmute(ctx, "general", "eve"); err != nil {
		t.Fatal(err)
	}
	mod.waitFor("eve's row without the mute", muted+` === ""`)
}
