package e2e

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"hubbub/internal/server"
	"hubbub/internal/servertest"
)

// A message a moderator deletes turns into a tombstone on an open page, live, and stays one
// for a page that loads the history afterwards.
func TestDeletedMessageBecomesATombstone(t *testing.T) {
	b := startBrowser(t)
	srv := servertest.Start(t, servertest.Options{Server: server.Config{APIKey: "e2e-api-key"}})
	ann := b.newUser("ann")
	ann.open(srv.URL + "/#general")
	gopher := dialUser(t, srv, "gopher", "general")
	gopher.say("general", "this one goes away")
	ann.see("gopher", "this one goes away")

	if code, _ := srv.API("DELETE", "/api/rooms/general/messages/1", "e2e-api-key", nil); code != http.StatusOK {
		t.Fatalf("delete: status %d", code)
	}
	tombstone := `(() => { const t = document.querySelector('#message-list li[data-seq="1"] .text');
		return !!t && t.classList.contains("deleted") && t.textContent === "Message deleted"; })()`
	gone := `!document.getElementById("message-list").textContent.includes("this one goes away")`
	ann.waitFor("the live tombstone", tombstone+" && "+gone)

	cy := b.newUser("cy")
	cy.open(srv.URL + "/#general")
	cy.waitFor("the tombstone in history", tombstone+" && "+gone)
}

// Moderators and admins moderate from the page (issue 14, item 15): a message's menu deletes it,
// a member's menu mutes, kicks or bans them, each confirmed in a dialog that takes a reason (and
// a duration for mutes and bans). Members see none of these controls.
func TestModerationControlsForModeratorsOnly(t *testing.T) {
	b := startBrowser(t)
	srv := servertest.Start(t, servertest.Options{Server: server.Config{RoleFor: servertest.Roles("mod")}})
	mod := b.newUser("mod")
	eve := b.newUser("eve")
	mod.open(srv.URL + "/#general")
	eve.open(srv.URL + "/#general")
	gopher := dialUser(t, srv, "gopher", "general")
	gopher.say("general", "buy cheap watches")
	gopher.say("general", "a fine message")
	for _, u := range []*user{mod, eve} {
		u.see("gopher", "buy cheap watches")
		u.waitFor("everyone among the members", exprMembers+`.join() === "eve,gopher,mod"`)
	}
	visibleControls := `Array.from(document.querySelectorAll(".mod-button")).filter(e => e.getClientRects().length > 0).length`
	if n := eval[int](eve, visibleControls); n != 0 {
		t.Errorf("eve, a member, sees %d moderation buttons", n)
	}
	if n := eval[int](mod, visibleControls); n == 0 {
		t.Fatalf("the moderator sees no moderation buttons\n%s", mod.describe())
	}
	if n := eval[int](mod, `document.querySelectorAll('#member-list [data-name="mod"] .mod-button').length`); n != 0 {
		t.Error("the moderator is offered to moderate herself")
	}

	menu := mod.moderate
	confirm := mod.confirmModeration

	menu("gopher's message", `#message-list li[data-seq="1"] .mod-button`, "delete")
	if n := eval[int](mod, `[document.getElementById("mod-duration"), document.getElementById("mod-reason")].filter(e => e.getClientRects().length > 0).length`); n != 0 {
		t.Error("deleting a message asks for a reason or a duration, which the server does not take")
	}
	confirm("", "", "Message deleted")
	tombstone := `(() => { const t = document.querySelector('#message-list li[data-seq="1"] .text');
		return !!t && t.textContent === "Message deleted"; })()`
	eve.waitFor("the tombstone", tombstone)
	mod.waitFor("the tombstone", tombstone)

	menu("gopher in the member list", `#member-list [data-name="gopher"] .mod-button`, "mute")
	confirm("cool down", "10m", "gopher is muted in #general until")
	if code := gopher.sendRefused("general", "more watches"); code != "muted" {
		t.Errorf("gopher's send after the mute: %s, want muted", code)
	}

	menu("eve in the member list", `#member-list [data-name="eve"] .mod-button`, "kick")
	if eval[bool](mod, `document.getElementById("mod-duration").getClientRects().length > 0`) {
		t.Error("a kick asks for a duration")
	}
	confirm("off topic", "", "eve was removed from #general")
	eve.waitFor("the kick with its reason", exprRoomOutShown+` && `+exprRoomOutText+`.includes("off topic")`)
	mod.waitFor("eve gone from the members", exprMembers+`.join() === "gopher,mod"`)

	menu("gopher in the member list", `#member-list [data-name="gopher"] .mod-button`, "ban")
	confirm("spam", "24h", "gopher is banned from #general until")
	mod.waitFor("gopher gone from the members", exprMembers+`.join() === "mod"`)
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	if _, err := gopher.conn.Join(ctx, "general", nil, 0); err == nil || !strings.Contains(err.Error(), "banned") {
		t.Errorf("gopher's join after the ban: %v, want banned", err)
	}
}

// A moderator moderates a member who is away too: the offline list's entries have the menu,
// and a ban from it keeps them out when they come back. Before, only the people online had it,
// so a troll who left could not be banned from the page.
func TestModeratorBansAnOfflineMember(t *testing.T) {
	b := startBrowser(t)
	srv := servertest.Start(t, servertest.Options{Server: server.Config{RoleFor: servertest.Roles("mod")}})
	troll := dialUser(t, srv, "troll", "general")
	troll.say("general", "buy cheap watches")
	if err := troll.conn.Close(); err != nil {
		t.Fatal(err)
	}
	mod := b.newUser("mod")
	mod.open(srv.URL + "/#general")
	entry := `#member-offline-list [data-name="troll"]`
	mod.waitFor("troll among the offline members", `!!document.querySelector(`+js(entry)+`)`)
	mod.moderate("troll", entry+" .mod-button", "ban")
	mod.confirmModeration("", "24h", "troll is banned from #general until")

	back := dialUser(t, srv, "troll")
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	if _, err := back.conn.Join(ctx, "general", nil, 0); err == nil || !strings.Contains(err.Error(), "banned") {
		t.Errorf("troll's join after the ban from the offline list: %v, want banned", err)
	}
}

// Only an admin moderates the server's admins and moderators (the rank rule): a moderator's
// menu on an admin says so instead of offering a mute, kick or ban the server would refuse,
// and the members list shows who the admin is. The admin is offered all of it.
func TestModeratorIsNotOfferedToModerateAnAdmin(t *testing.T) {
	b := startBrowser(t)
	srv := servertest.Start(t, servertest.Options{Server: server.Config{RoleFor: servertest.Roles("mod", "admin")}})
	admin := b.newUser("admin")
	admin.open(srv.URL + "/#general")
	admin.say("welcome, everyone")
	mod := b.newUser("mod")
	mod.open(srv.URL + "/#general")
	mod.see("admin", "welcome, everyone")
	mod.waitFor("the admin's badge", `(document.querySelector('#member-list [data-name="admin"] .member-role') || {}).textContent === "admin"`)

	mod.do("open the admin's menu", chromedp.Click(chromedp.CSS(`#member-list [data-name="admin"] .mod-button`)))
	mod.waitFor("the menu", `!document.getElementById("mod-menu").hidden`)
	if text := eval[string](mod, `document.getElementById("mod-menu").textContent`); !strings.Contains(text, "admin is a server admin: only an admin may moderate them") {
		t.Errorf("the moderator's menu on the admin reads %q, want why there is nothing to do", text)
	}
	if n := eval[int](mod, `document.querySelectorAll("#mod-menu [data-action]").length`); n != 0 {
		t.Errorf("the moderator is offered %d actions on the admin", n)
	}
	mod.do("close the menu", chromedp.KeyEvent("\x1b"))
	mod.waitFor("the menu closed", `document.getElementById("mod-menu").hidden`)
	mod.do("open the admin's message's menu", chromedp.Click(chromedp.CSS(`#message-list li[data-seq="1"] .mod-button`)))
	mod.waitFor("the menu", `!document.getElementById("mod-menu").hidden`)
	if n := eval[int](mod, `document.querySelectorAll('#mod-menu [data-action="delete"]').length`); n != 0 {
		t.Error("the moderator is offered to delete the admin's message")
	}

	admin.waitFor("the moderator's badge", `(document.querySelector('#member-list [data-name="mod"] .member-role') || {}).textContent === "moderator"`)
	admin.do("open the moderator's menu", chromedp.Click(chromedp.CSS(`#member-list [data-name="mod"] .mod-button`)))
	admin.waitFor("mute offered to the admin", `!!document.querySelector('#mod-menu [data-action="mute"]')`)
}

// In a private room a kick leaves the member a member, who may come straight back (protocol.md,
// Moderation): the owner's menu says so, beside "Take … out of the members", which ends that.
// It offered "Remove bob from #plans…" and "They can join again right away", and the owner who
// chose it believed bob out of the room while he could still read it.
func TestKickFromAPrivateRoomSaysTheyStayAMember(t *testing.T) {
	b := startBrowser(t)
	srv := servertest.Start(t, servertest.Options{})
	bob := dialUser(t, srv, "bob")
	ann := b.newUser("ann")
	ann.open(srv.URL + "/#lobby")
	ann.createPrivateRoom("plans")
	ann.waitFor("plans in view", `document.getElementById("room-title").textContent === "#plans"`)
	ann.invite("bob")
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	if _, err := bob.conn.Join(ctx, "plans", nil, 0); err != nil {
		t.Fatalf("bob: join plans: %v", err)
	}
	ann.waitFor("bob among the members", exprMembers+`.includes("bob")`)

	ann.do("open bob's menu", chromedp.Click(chromedp.CSS(`#member-list [data-name="bob"] .mod-button`)))
	items := eval[[]string](ann, `Array.from(document.querySelectorAll("#mod-menu [data-action=kick], #mod-menu [data-action=remove-member]"), e => e.textContent)`)
	if want := []string{"Kick bob out of #plans for now…", "Take bob out of the members of #plans"}; strings.Join(items, "|") != strings.Join(want, "|") {
		t.Errorf("the menu offers %q, want %q", items, want)
	}
	ann.do("choose the kick", chromedp.Click(chromedp.CSS(`#mod-menu [data-action="kick"]`)))
	ann.waitFor("the kick dialog", `document.getElementById("mod-dialog").open`)
	if got := eval[string](ann, `document.getElementById("mod-text").textContent`); !strings.HasPrefix(got, "They stay a member and can come back right away.") {
		t.Errorf("the kick dialog says %q, want that bob stays a member", got)
	}
	ann.do("confirm", chromedp.Click(chromedp.CSS("#mod-confirm")))
	ann.waitFor("the notice", `document.getElementById("notice-text").textContent === "bob is out of #plans for now. They are still a member, and may come back."`)
	// As said: bob comes straight back.
	if _, err := bob.conn.Join(ctx, "plans", nil, 0); err != nil {
		t.Errorf("bob: join plans again after the kick: %v", err)
	}
}

// A moderator's member menu offers to lift only what is in force, and to impose only what is
// not: it offered "Lift gopher’s mute" and "Lift gopher’s ban" on everyone, the page knowing
// nothing of the room's sanctions, and a lift of nothing read as done. The roster tells a
// moderator the room's bans and mutes (protocol.md, members), on a reload too, and a banned
// member of a public room, whom the members no longer list, stays under Offline to be let back.
func TestMemberMenuOffersToLiftOnlyWhatIsInForce(t *testing.T) {
	b := startBrowser(t)
	srv := servertest.Start(t, servertest.Options{Server: server.Config{RoleFor: servertest.Roles("mod")}})
	troll := dialUser(t, srv, "troll", "general")
	if err := troll.conn.Close(); err != nil {
		t.Fatal(err)
	}
	gopher := dialUser(t, srv, "gopher", "general")
	mod := b.newUser("mod")
	mod.open(srv.URL + "/#general")
	mod.waitFor("gopher among the members", exprMembers+`.join() === "gopher,mod"`)

	// offered opens the menu of the entry and returns its actions, sorted, and closes it.
	offered := func(what, entry string) string {
		t.Helper()
		mod.waitFor(what+" listed", `!!document.querySelector(`+js(entry+" .mod-button")+`)`)
		mod.do("open the menu of "+what, chromedp.Click(chromedp.CSS(entry+" .mod-button")))
		mod.waitFor("the menu of "+what, `!document.getElementById("mod-menu").hidden`)
		got := eval[string](mod, `Array.from(document.querySelectorAll("#mod-menu [data-action]"), e => e.dataset.action).sort().join()`)
		mod.do("close the menu", chromedp.KeyEvent("\x1b"))
		mod.waitFor("the menu closed", `document.getElementById("mod-menu").hidden`)
		return got
	}
	online := `#member-list [data-name="gopher"]`
	// The roster (with its sanctions) comes after the presence: troll, offline, is in it.
	offline := `!!document.querySelector('#member-offline-list [data-name="troll"]')`
	mod.waitFor("troll among the offline members", offline)
	if got, want := offered("gopher", online), "ban,kick,mute"; got != want {
		t.Errorf("menu of gopher, neither muted nor banned: %s, want %s", got, want)
	}

	mod.moderate("gopher", online+" .mod-button", "mute")
	mod.confirmModeration("", "10m", "gopher is muted in #general until")
	if got, want := offered("gopher, muted", online), "ban,kick,unmute"; got != want {
		t.Errorf("menu of gopher, muted: %s, want %s", got, want)
	}

	// A reload knows it from the server, not from the answer to this page's mute.
	mod.do("reload", chromeReload())
	mod.waitFor("gopher among the members", exprMembers+`.join() === "gopher,mod"`)
	mod.waitFor("troll among the offline members", offline)
	if got, want := offered("gopher, muted, after a reload", online), "ban,kick,unmute"; got != want {
		t.Errorf("menu of gopher, muted, after a reload: %s, want %s", got, want)
	}
	mod.moderate("gopher", online+" .mod-button", "ban")
	mod.confirmModeration("", "24h", "gopher is banned from #general until")
	mod.waitFor("gopher gone from the members", exprMembers+`.join() === "mod"`)
	banned := `#member-offline-list [data-name="gopher"]`
	mod.waitFor("gopher under Offline as banned", `(document.querySelector(`+js(banned+" .last-seen")+`) || {}).textContent?.startsWith("banned until")`)
	if got, want := offered("gopher, banned", banned), "unban,unmute"; got != want {
		t.Errorf("menu of gopher, muted and banned: %s, want %s", got, want)
	}

	mod.do("open the menu of gopher", chromedp.Click(chromedp.CSS(banned+" .mod-button")))
	mod.waitFor("the menu", `!document.getElementById("mod-menu").hidden`)
	mod.do("lift the ban", chromedp.Click(chromedp.CSS(`#mod-menu [data-action="unban"]`)))
	mod.waitFor("the confirmation", `document.getElementById("notice-text").textContent.includes("gopher’s ban in #general is lifted")`)
	mod.waitFor("gopher no longer listed as banned", `!document.querySelector(`+js(banned)+`)`)
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	if _, err := gopher.conn.Join(ctx, "general", nil, 0); err != nil {
		t.Errorf("gopher's join after the ban was lifted: %v", err)
	}
}

// A moderator's page follows the bans, mutes and lifts of others (here the server API's) as
// they happen: before, it learnt of them only when it asked for the members again, which a
// mute or a lift of someone away never made it do, so its menu offered to mute the muted and
// listed the unbanned as banned until a reload.
func TestMemberMenuFollowsOtherModeratorsLive(t *testing.T) {
	b := startBrowser(t)
	const key = "e2e-api-key"
	srv := servertest.Start(t, servertest.Options{Server: server.Config{RoleFor: servertest.Roles("mod"), APIKey: key}})
	troll := dialUser(t, srv, "troll", "general")
	if err := troll.conn.Close(); err != nil {
		t.Fatal(err)
	}
	if code, f := srv.API("POST", "/api/rooms/general/ban", key, map[string]any{"name": "troll", "duration": "1h"}); code != http.StatusOK {
		t.Fatalf("ban troll: %d %v", code, f)
	}
	dialUser(t, srv, "gopher", "general")
	mod := b.newUser("mod")
	mod.open(srv.URL + "/#general")
	mod.waitFor("gopher among the members", exprMembers+`.join() === "gopher,mod"`)
	banned := `#member-offline-list [data-name="troll"]`
	mod.waitFor("troll under Offline as banned", `(document.querySelector(`+js(banned+" .last-seen")+`) || {}).textContent?.startsWith("banned until")`)

	// Another moderator mutes gopher, then lifts troll's ban. The page asks for the members
	// no more from here (it asks again when someone arrives or leaves, and one such ask may
	// still be on its way from the joins above): what it learns of them comes live.
	eval[bool](mod, `(client.askMembers = () => true, true)`)
	if code, f := srv.API("POST", "/api/rooms/general/mute", key, map[string]any{"name": "gopher", "duration": "10m"}); code != http.StatusOK {
		t.Fatalf("mute gopher: %d %v", code, f)
	}
	if code, f := srv.API("DELETE", "/api/rooms/general/bans/troll", key, nil); code != http.StatusOK {
		t.Fatalf("unban troll: %d %v", code, f)
	}
	mod.waitFor("troll no longer listed as banned", `!document.querySelector(`+js(banned)+`)`)
	// The mute came before the lift, on the same connection.
	online := `#member-list [data-name="gopher"]`
	mod.do("open the menu of gopher", chromedp.Click(chromedp.CSS(online+" .mod-button")))
	mod.waitFor("the menu of gopher", `!document.getElementById("mod-menu").hidden`)
	got := eval[string](mod, `Array.from(document.querySelectorAll("#mod-menu [data-action]"), e => e.dataset.action).sort().join()`)
	if want := "ban,kick,unmute"; got != want {
		t.Errorf("menu of gopher, muted by another moderator: %s, want %s", got, want)
	}
}

// A ban, mute or lift is an entry of the room's log, shown to every member in the timeline as
// a notice, live and after being away (the page rejoins with since): before, a member's page
// learnt nothing of it, and a moderator's only while its members list was open.
func TestSanctionsShownInTheTimeline(t *testing.T) {
	b := startBrowser(t)
	const key = "e2e-api-key"
	srv := servertest.Start(t, servertest.Options{Server: server.Config{RoleFor: servertest.Roles("mod"), APIKey: key}})
	gopher := dialUser(t, srv, "gopher", "general")
	ann := b.newUser("ann")
	ann.open(srv.URL + "/#general")
	gopher.say("general", "hello")
	ann.see("gopher", "hello")
	notices := `Array.from(document.querySelectorAll("#message-list .room-notice .room-notice-text"), e => e.textContent)`

	if code, f := srv.API("POST", "/api/rooms/general/mute", key, map[string]any{"name": "gopher", "duration": "10m", "reason": "shouting"}); code != http.StatusOK {
		t.Fatalf("mute gopher: %d %v", code, f)
	}
	// The server API's, which the entry says (api: true), reads as a server admin's, not "api".
	ann.waitFor("the mute shown, live", notices+`.some(t => /^a server admin muted gopher until .+: shouting$/.test(t))`)

	ann.do("go away", chromeEval(`client.pause()`))
	ann.waitFor("the page offline", exprState+` === "idle"`)
	if code, f := srv.API("DELETE", "/api/rooms/general/mutes/gopher", key, nil); code != http.StatusOK {
		t.Fatalf("unmute gopher: %d %v", code, f)
	}
	gopher.say("general", "thanks")
	ann.do("come back", chromeEval(`client.start(ui.name)`))
	ann.see("gopher", "thanks")
	ann.waitFor("the lift shown, replayed", notices+`.includes("a server admin lifted gopher's mute")`)
	if got := eval[[]string](ann, notices); len(got) != 2 {
		t.Errorf("notices %q, want the mute and its lift, once each", got)
	}
}

// A kick is said in the timeline of everyone in the room, "eve was kicked by carol": the page
// said nothing, and the name left the member list as a leave of one's own does. A ban is said
// once, by its entry's line, and the leave it makes (a presence leave with moderation "ban")
// is not said again; the server API's kick reads "a server admin". The member taken out reads
// who did it, until when and why, where the page said "a moderator" whoever it was.
func TestKicksAndBansAreSaidOnceInTheTimeline(t *testing.T) {
	b := startBrowser(t)
	const key = "e2e-api-key"
	srv := servertest.Start(t, servertest.Options{Server: server.Config{RoleFor: servertest.Roles("carol"), APIKey: key}})
	carol := dialUser(t, srv, "carol", "general")
	dialUser(t, srv, "eve", "general")
	dialUser(t, srv, "yan", "general")
	dialUser(t, srv, "zed", "general")
	ann := b.newUser("ann")
	ann.open(srv.URL + "/#general")
	ann.waitFor("everyone listed", exprMembers+`.join() === "ann,carol,eve,yan,zed"`)
	notices := `Array.from(document.querySelectorAll("#message-list .room-notice .room-notice-text"), e => e.textContent)`
	ctx := t.Context()

	if _, err := carol.conn.Kick(ctx, "general", "eve", "cool off"); err != nil {
		t.Fatalf("carol's kick: %v", err)
	}
	ann.waitFor("the kick said", notices+`.includes("eve was kicked by carol")`)
	// The list agrees with the line: it kept her, online, until it asked for the members again.
	if got := eval[[]string](ann, exprMembers); slices.Contains(got, "eve") {
		t.Errorf("the page says eve was kicked and lists her among the members: %q", got)
	}
	if _, err := carol.conn.Ban(ctx, "general", "zed", time.Hour, "spam"); err != nil {
		t.Fatalf("carol's ban: %v", err)
	}
	ann.waitFor("the ban said", notices+`.some(t => /^carol banned zed until .+: spam$/.test(t))`)
	ann.waitFor("zed no longer listed", exprMembers+`.join() === "ann,carol,yan"`)
	if code, f := srv.API("POST", "/api/rooms/general/kick", key, map[string]any{"name": "yan"}); code != http.StatusOK {
		t.Fatalf("the API's kick: %d %v", code, f)
	}
	ann.waitFor("the API's kick said", notices+`.includes("yan was kicked by a server admin")`)
	if got := eval[[]string](ann, notices); len(got) != 3 {
		t.Errorf("notices %q, want the kick, the ban and the API's kick, once each", got)
	}

	// Taken out herself, ann reads who, until when and why, and the ban's line says "you".
	if _, err := carol.conn.Ban(ctx, "general", "ann", time.Hour, "flooding"); err != nil {
		t.Fatalf("carol's ban of ann: %v", err)
	}
	ann.waitFor("ann's ban explained", exprRoomOutShown+` && /^You were banned from #general by carol until .+: flooding\.$/.test(document.getElementById("room-out-text").textContent)`)
	ann.waitFor("the ban's line", notices+`.some(t => /^carol banned you until .+: flooding$/.test(t))`)
}

// What the server API does as itself reads "a server admin" on the page, by the frames' api
// flag: a plain kick, whose kicked error has no by, until or reason (the bar read "You were
// removed from #general by a moderator"), and an invitation (the timeline read "api invited
// bob", the audit log's name, which any user may hold).
func TestServerAPIsPlainKickAndInvitationReadAsAServerAdmin(t *testing.T) {
	b := startBrowser(t)
	const key = "e2e-api-key"
	srv := servertest.Start(t, servertest.Options{Server: server.Config{APIKey: key}})
	dialUser(t, srv, "bob")
	ann := b.newUser("ann")
	ann.open(srv.URL + "/#general")
	ann.waitFor("ann in general", exprMembers+`.includes("ann")`)
	api := func(path string, body map[string]any, want int) {
		t.Helper()
		if code, f := srv.API("POST", path, key, body); code != want {
			t.Fatalf("POST %s: %d %v", path, code, f)
		}
	}

	api("/api/rooms/general/kick", map[string]any{"name": "ann"}, http.StatusOK)
	ann.waitFor("the API's kick explained", exprRoomOutShown+` && document.getElementById("room-out-text").textContent === "You were removed from #general by a server admin."`)

	api("/api/rooms", map[string]any{"room": "plans", "private": true, "owner": "ann"}, http.StatusCreated)
	ann.do("open plans", chromeEval(`location.hash = "plans"`))
	ann.waitFor("plans in view", `document.getElementById("room-title").textContent === "#plans"`)
	api("/api/rooms/plans/invite", map[string]any{"name": "bob"}, http.StatusCreated)
	notices := `Array.from(document.querySelectorAll("#message-list .room-notice .room-notice-text"), e => e.textContent)`
	ann.waitFor("the API's invitation said", notices+`.includes("a server admin invited bob")`)
	if got := eval[[]string](ann, notices); slices.ContainsFunc(got, func(s string) bool { return strings.HasPrefix(s, "api ") }) {
		t.Errorf("notices %q name the API as api", got)
	}
	if dir := os.Getenv("HUBBUB_E2E_ARTIFACTS"); dir != "" { // to look at the timeline
		if png, err := ann.screenshot(); err == nil {
			_ = os.WriteFile(filepath.Join(dir, "api-invitation.png"), png, 0o644)
		}
	}
}

// moderate opens the moderation menu (⋯) of a message row or member entry (button, a CSS
// selector; what names it) and picks action: its dialog is open.
func (u *user) moderate(what, button, action string) {
	u.t.Helper()
	u.openModMenu(what, button)
	u.chooseModAction(action)
}

// openModMenu opens the moderation menu of a message row or member entry.
func (u *user) openModMenu(what, button string) {
	u.t.Helper()
	u.do("open the menu of "+what, chromedp.Click(chromedp.CSS(button)))
	u.waitFor("the menu of "+what, `!document.getElementById("mod-menu").hidden`)
}

// chooseModAction picks action in the open moderation menu and waits for its dialog.
func (u *user) chooseModAction(action string) {
	u.t.Helper()
	u.do("choose "+action, chromedp.Click(chromedp.CSS(`#mod-menu [data-action="`+action+`"]`)))
	u.waitFor("the "+action+" dialog", `document.getElementById("mod-dialog").open`)
}

// confirmModeration fills in the open dialog (a reason and a duration, each if not empty) and
// confirms it; the page then says done, the server's answer.
func (u *user) confirmModeration(reason, duration, done string) {
	u.t.Helper()
	if duration != "" {
		u.do("choose "+duration, chromedp.SetValue(chromedp.CSS("#mod-duration"), duration))
	}
	if reason != "" {
		u.do("give the reason", typeInto("#mod-reason", reason))
	}
	u.do("confirm", chromedp.Click(chromedp.CSS("#mod-confirm")))
	u.waitFor("the confirmation "+done, `!document.getElementById("mod-dialog").open && `+
		`document.getElementById("notice-text").textContent.includes(`+js(done)+`)`)
}
