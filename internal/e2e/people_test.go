package e2e

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"

	"hubbub/internal/accounts"
	"hubbub/internal/server"
	"hubbub/internal/servertest"
)

// People in the browser (issue 16): direct messages, private rooms and invitations, the room
// browser, unread and mention badges with the "new since you left" divider kept the same on
// two devices of one user, and the Ctrl+K room switcher.

// sideRoom is the CSS selector of a room's entry in the sidebar, rooms or DMs.
func sideRoom(room string) string { return `.room-list [data-room="` + room + `"]` }

// exprDMs lists the sidebar's direct messages by their titles, "|"-separated.
const exprDMs = `Array.from(document.querySelectorAll("#dm-list .room .room-name"), e => e.textContent).join("|")`

// exprBadge reads a room's unread badge in the sidebar: its count, or "" while it is hidden.
func exprBadge(room string) string {
	return `(() => { const b = document.querySelector(` + js(sideRoom(room)+` .unread`) + `); return b && !b.hidden ? b.dataset.count : ""; })()`
}

// exprMentionBadge reads a room's mention badge in the sidebar, "" while it is hidden.
func exprMentionBadge(room string) string {
	return `(() => { const b = document.querySelector(` + js(sideRoom(room)+` .mentions`) + `); return b && !b.hidden ? b.dataset.count : ""; })()`
}

// exprDividerBefore is true when the "new since you left" divider is the row just before the
// message showing text.
func exprDividerBefore(text string) string {
	return `(() => { const d = document.querySelectorAll("#message-list .unread-divider"); if (d.length !== 1) return false;
		let n = d[0].nextElementSibling; while (n && !n.matches(".msg")) n = n.nextElementSibling;
		return !!n && n.querySelector(".text").textContent === ` + js(text) + `; })()`
}

// pressCtrl presses key with the Control key held (Ctrl+K), on whatever has the focus.
func pressCtrl(key string, code int64) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		for _, p := range []input.DispatchKeyEventParams{
			{Type: input.DispatchKeyEventTypeRawKeyDown},
			{Type: input.DispatchKeyEventTypeKeyUp},
		} {
			p.Key, p.Code, p.WindowsVirtualKeyCode, p.NativeVirtualKeyCode = key, "Key"+key, code, code
			p.Modifiers = 2 // Ctrl (Alt=1, Ctrl=2, Meta=4, Shift=8)
			if _, err := cdp.Call(ctx, t, input.DispatchKeyEvent, p); err != nil {
				return chromedp.Void{}, err
			}
		}
		return chromedp.Void{}, nil
	}
}

// Ctrl+K opens the room switcher with the focus in it; typing filters the rooms, the arrow
// keys choose, Enter opens and Escape closes it, giving the focus back. It lists every room
// but the one in view, and a DM as the sidebar shows it, "@eve" (found in session 33: it
// listed the room in view, and the DM as "eve", which the sidebar shows as "@ eve").
func TestCtrlKSwitchesRooms(t *testing.T) {
	b := startBrowser(t)
	srv := servertest.Start(t, servertest.Options{})
	eve := dialUser(t, srv, "eve")
	ann := b.newUser("ann")
	ann.open(srv.URL + "/#alpha")
	ann.room("beta")
	ann.room("gamma")
	ann.room("alpha")
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	dm, err := eve.conn.DM(ctx, []string{"ann"})
	if err != nil {
		t.Fatalf("eve: dm ann: %v", err)
	}
	ann.waitFor("eve's DM in the sidebar", exprDMs+` === "eve"`)
	ann.do("focus the composer", chromedp.Focus(chromedp.CSS("#composer-input")))

	options := `Array.from(document.querySelectorAll("#switcher-list [role=option]"), e => e.dataset.room).join()`
	labels := `Array.from(document.querySelectorAll("#switcher-list [role=option] .switcher-label"), e => e.textContent).join()`
	ann.do("press Ctrl+K", pressCtrl("k", 75))
	ann.waitFor("the switcher, focused, listing every room but alpha, in view", `document.getElementById("switcher-dialog").open && `+
		`document.activeElement.id === "switcher-input" && `+options+` === `+js("beta,gamma,"+dm.Room))
	if got := eval[string](ann, labels); got != "#beta,#gamma,@eve" {
		t.Errorf("the switcher's labels are %q, want #beta,#gamma,@eve", got)
	}
	ann.do("type @ev", typeInto("#switcher-input", "@ev"))
	ann.waitFor("only the DM", options+` === `+js(dm.Room))
	ann.do("clear it", chromeEval(`document.getElementById("switcher-input").value = ""; document.getElementById("switcher-input").dispatchEvent(new Event("input"))`))
	ann.waitFor("every room but alpha again", options+` === `+js("beta,gamma,"+dm.Room))
	ann.do("type gam", typeInto("#switcher-input", "gam"))
	ann.waitFor("only gamma", options+` === "gamma" && document.getElementById("switcher-input").getAttribute("aria-activedescendant") === "switcher-option-0"`)
	ann.do("press Enter", pressEnter(chromedp.CSS("#switcher-input")))
	ann.waitFor("gamma in view, the switcher closed", `document.getElementById("room-title").textContent === "#gamma" && `+
		`!document.getElementById("switcher-dialog").open && document.activeElement.id === "composer-input"`)

	ann.do("press Ctrl+K again", pressCtrl("k", 75))
	ann.waitFor("the switcher, without gamma", `document.getElementById("switcher-dialog").open && `+options+` === `+js("alpha,beta,"+dm.Room))
	ann.do("go down to beta", pressKey(chromedp.CSS("#switcher-input"), "ArrowDown"), pressKey(chromedp.CSS("#switcher-input"), "Enter"))
	ann.waitFor("beta in view", `document.getElementById("room-title").textContent === "#beta"`)

	ann.do("press Ctrl+K, then Escape", pressCtrl("k", 75))
	ann.waitFor("the switcher", `document.getElementById("switcher-dialog").open`)
	ann.do("press Escape", pressKey(chromedp.CSS("#switcher-input"), "Escape"))
	ann.waitFor("closed, the focus back in the composer", `!document.getElementById("switcher-dialog").open && document.activeElement.id === "composer-input"`)
}

// The member panel lists a room's offline members alphabetically by name, whatever their case
// or accents, as a reader looks for someone — it listed them in user id order, which looks
// random. (The stored members arrive by pages in id order; what is shown is sorted.)
func TestOfflineMembersAreListedByName(t *testing.T) {
	b := startBrowser(t)
	srv := servertest.Start(t, servertest.Options{})
	names := []string{"zed", "Bea", "amy", "Émile", "carl", "Dave"}
	for _, n := range names {
		g := dialUser(t, srv, n, "general")
		_ = g.conn.Close()
	}
	ann := b.newUser("ann")
	ann.open(srv.URL + "/#general")
	offline := `Array.from(document.querySelectorAll("#member-offline-list .offline-name"), e => e.textContent).join()`
	ann.waitFor("the six offline members", offline+`.split(",").length === 6`)
	if got, want := eval[string](ann, offline), "amy,Bea,carl,Dave,Émile,zed"; got != want {
		t.Errorf("offline members listed as %q, want %q", got, want)
	}
}

// exprMemberRows lists the member panel's rows as "name:state:status" (status: an offline row's
// status line, "" for a row of those online), "|"-separated: the online list, then "/", then
// the Offline list.
const exprMemberRows = `(() => {
	const rows = (id) => Array.from(document.querySelectorAll("#" + id + " .member"), (li) =>
		li.dataset.name + ":" + li.dataset.state + ":" + (li.querySelector(".last-seen")?.textContent ?? "")).join("|");
	return rows("member-list") + "/" + rows("member-offline-list");
})()`

// A DM's member panel listed bob, connected but not in the DM (his client joined no room),
// under "Offline" with "online" as his status line: the list of those online was the room's
// presence, the status line the server's presence of the user. Someone the server says is
// connected is listed with those online now, online or away, and under Offline are only those
// it says are not, each with when they were last seen; the heading counts both who are here and
// who are connected.
func TestMemberPanelListsConnectedMembersOnline(t *testing.T) {
	b := startBrowser(t)
	srv := servertest.Start(t, servertest.Options{})
	dialUser(t, srv, "bob") // connected, and in no room
	carl := dialUser(t, srv, "carl")
	_ = carl.conn.Close() // a stored user, offline
	ann := b.newUser("ann")
	ann.open(srv.URL + "/#lobby")
	ann.do("open New message", chromedp.Click(chromedp.CSS("#new-dm")))
	ann.do("write to bob and carl", chromeSendKeys("#dm-names", "bob, carl"), pressEnter(chromedp.CSS("#dm-names")))
	ann.waitFor("the DM in view", `document.getElementById("room-title").textContent === "bob, carl"`)
	// The roster (the stored members with their presence) comes in one frame: once carl shows
	// under Offline, bob's place is settled.
	ann.waitFor("carl under Offline", exprMemberRows+`.split("/")[1].includes("carl:")`)
	got := eval[string](ann, exprMemberRows)
	online, offline, _ := strings.Cut(got, "/")
	if online != "ann:online:|bob:online:" || offline != "carl:offline:offline" && !strings.HasPrefix(offline, "carl:offline:last seen ") {
		t.Errorf("the member panel lists (online/Offline) %q, want ann and bob online, carl offline and when he was last seen", got)
	}
	if got := eval[string](ann, `document.getElementById("member-count").textContent`); got != "2 online" {
		t.Errorf("the heading counts %q, want 2 online", got)
	}
}

// The unread and mention badges follow edits and deletes live, as the server counts them after
// a reload: a deleted unread message no longer counts, nor does its mention; an edit that drops
// my name takes the mention away, and one that adds it to an unread message counts it. Before,
// the page's counts only ever went up: "secret @1 3 unread" stayed after the mention was edited
// out and a message deleted, until a reload said "2 unread" and no mention.
func TestUnreadBadgesFollowEditsAndDeletes(t *testing.T) {
	b := startBrowser(t)
	srv := servertest.Start(t, servertest.Options{})
	erin := b.newUser("erin")
	erin.open(srv.URL + "/#eng")
	erin.room("secret")
	erin.room("eng")
	fred := dialUser(t, srv, "fred", "secret")

	badges := func(what, unread, mentions string) {
		t.Helper()
		title := "!document.title.startsWith(\"(\")"
		if unread != "" {
			title = `document.title.startsWith(` + js("("+unread+") ") + `)`
		}
		erin.waitFor(what, exprBadge("secret")+` === `+js(unread)+` && `+exprMentionBadge("secret")+` === `+js(mentions)+` && `+title)
	}
	urgent := fred.say("secret", "@erin urgent look")
	plain := fred.say("secret", "plain message")
	doomed := fred.say("secret", "going to delete")
	badges("3 unread, 1 mention", "3", "1")

	fred.edit("secret", urgent, "urgent look")
	badges("the mention edited out", "3", "")
	fred.deleteMessage("secret", doomed)
	badges("the deleted message no longer unread", "2", "")
	fred.edit("secret", plain, "plain message, @erin")
	badges("a mention edited into an unread message", "2", "1")
	ping := fred.say("secret", "@erin once more")
	badges("a second mention", "3", "2")
	fred.deleteMessage("secret", ping)
	badges("the deleted mention gone", "2", "1")
	saveShot(t, erin, "badges-after-edits-and-deletes.png")

	// What the page counted is what the server says.
	erin.doWithin(3*waitTimeout, "reload", chromeReload())
	erin.waitFor("a live connection", exprLive)
	badges("the server's counts after a reload", "2", "1")
}

// While the page reconnects it cannot know who is online, and its member panel no longer says
// it does: it went on listing everyone it last knew as online, green dots and "Members · 2
// online", for as long as the server was away, though bob had gone meanwhile. The names stay,
// marked unknown and grey, the heading says "reconnecting…", and once the page is back the
// server's presence replaces them: carol, who came meanwhile, online, bob under Offline.
func TestMemberPanelSaysPresenceIsUnknownWhileReconnecting(t *testing.T) {
	b := startBrowser(t)
	srv := servertest.Start(t, servertest.Options{DataPath: filepath.Join(t.TempDir(), "hubbub.db")})
	dialUser(t, srv, "bob", "ops") // a connection of the first server only: gone after the restart
	ann := b.newUser("ann")
	ann.open(srv.URL + "/#ops")
	const heading = `document.getElementById("member-count").textContent`
	ann.waitFor("ann and bob online", exprMemberRows+` === "ann:online:|bob:online:/" && `+heading+` === "2 online"`)

	srv.Stop()
	ann.waitFor("the reconnecting state", exprState+` === "reconnecting"`)
	ann.waitFor("everyone's presence unknown", exprMemberRows+` === "ann:unknown:|bob:unknown:/" && `+heading+` === "reconnecting…"`)
	if got := eval[string](ann, `document.querySelector('#member-list [data-name="bob"] .presence').title`); got != "Not known while reconnecting" {
		t.Errorf("bob's presence dot is titled %q while reconnecting", got)
	}
	saveShot(t, ann, "members-while-reconnecting.png")

	srv = servertest.Start(t, srv.Opts) // same address, same file
	dialUser(t, srv, "carol", "ops")
	ann.do("click Retry now", chromeEval(`(() => { const b = document.getElementById("reconnect-now"); if (!b.hidden) b.click(); })()`))
	ann.waitFor("a live connection", exprLive)
	ann.waitFor("the new server's presence: ann and carol online, bob offline",
		exprMemberRows+`.startsWith("ann:online:|carol:online:/bob:offline:") && `+heading+` === "2 online"`)
	saveShot(t, ann, "members-after-reconnecting.png")
}

// The member panel's heading counts who is online on a line under "Members": beside a private
// room's + (and the scroll bar of a long list) the count wrapped there anyway, led by the dot
// that had separated it ("· 1 online" under "Members").
func TestMemberCountNeverStartsALineWithItsDot(t *testing.T) {
	b := startBrowser(t)
	srv := servertest.Start(t, servertest.Options{})
	ann := b.newUser("ann")
	ann.open(srv.URL + "/#lobby")
	ann.createPrivateRoom("plans")
	ann.waitFor("plans in view, its + and its count", `document.getElementById("room-title").textContent === "#plans" && `+
		`!document.getElementById("invite-button").hidden && document.getElementById("member-count").textContent === "1 online"`)
	got := eval[string](ann, `(() => {
		const h = document.getElementById("members-heading"), c = document.getElementById("member-count");
		const dot = getComputedStyle(c, "::before").content.includes("·");
		const ownLine = c.getBoundingClientRect().left - h.getBoundingClientRect().left < 2;
		return (dot ? "dot" : "no dot") + ", " + (ownLine ? "own line" : "beside Members");
	})()`)
	if got == "dot, own line" {
		t.Errorf("the member count starts its line with its dot (%s)", got)
	}
	saveShot(t, ann, "member-count.png")
}

// exprCut is a JavaScript expression: whether the element matching sel shows its text cut
// ("christ…"), or "missing" when there is none.
func exprCut(sel string) string {
	return `(() => { const e = document.querySelector(` + js(sel) + `); if (!e || !e.getClientRects().length) return "missing"; ` +
		`return e.scrollWidth > e.clientWidth ? "cut to " + e.getBoundingClientRect().width + " px" : "whole"; })()`
}

// My own entry in the member panel shows my name whole beside "owner" and "you", on a desktop
// (1280×800) and in a phone's drawer (390×844): the role and "(you)" took the line, and
// "christopher" read "christ…" in both.
func TestOwnNameIsWholeInTheMemberPanel(t *testing.T) {
	b := startBrowser(t)
	srv := servertest.Start(t, servertest.Options{})
	chris := b.newUser("christopher")
	chris.open(srv.URL + "/#lobby")
	chris.createPrivateRoom("plans")
	own := `#member-list [data-name="christopher"]`
	chris.waitFor("my entry, owner", `document.getElementById("room-title").textContent === "#plans" && `+
		`(document.querySelector(`+js(own+" .member-role")+`) || {}).textContent === "owner"`)
	if got := eval[string](chris, exprCut(own+" .member-name")); got != "whole" {
		t.Errorf("at 1280×800 my name in the member panel is %s", got)
	}
	if got := eval[string](chris, `document.querySelector(`+js(own)+`).textContent`); !strings.Contains(got, "owner") || !strings.Contains(got, "you") {
		t.Errorf("my entry reads %q, want my role and that it is me", got)
	}
	saveShot(t, chris, "own-name-1280.png")

	chris.atPhoneSize()
	chris.do("open the members", chromeEval(`document.getElementById("members-toggle").click()`))
	chris.waitFor("the members' drawer", `getComputedStyle(document.querySelector(".members")).visibility === "visible"`)
	if got := eval[string](chris, exprCut(own+" .member-name")); got != "whole" {
		t.Errorf("at 390×844 my name in the members' drawer is %s", got)
	}
	saveShot(t, chris, "own-name-390.png")
}

// A private room's lock, in the sidebar and beside its title, is drawn (an inline SVG), not the
// 🔒 character: a system without an emoji font, as this test machine is, showed an empty box.
func TestPrivateRoomLockIsDrawn(t *testing.T) {
	b := startBrowser(t)
	srv := servertest.Start(t, servertest.Options{})
	ann := b.newUser("ann")
	ann.open(srv.URL + "/#lobby")
	ann.createPrivateRoom("plans")
	ann.waitFor("plans in view, marked private", `document.getElementById("room-title").textContent === "#plans" && !document.getElementById("room-private").hidden`)
	// drawn says how a mark shows: "drawn" for a visible SVG and no text beside it.
	drawn := func(sel string) string {
		return eval[string](ann, `(() => { const e = document.querySelector(`+js(sel)+`); if (!e) return "missing";
			const text = Array.from(e.childNodes).filter(n => n.nodeType === Node.TEXT_NODE || !n.matches(".visually-hidden, svg")).map(n => n.textContent).join("").trim();
			const svg = e.querySelector("svg"), r = svg && svg.getBoundingClientRect();
			if (text) return "the text " + JSON.stringify(text);
			return r && r.width >= 10 && r.height >= 10 ? "drawn" : "no picture"; })()`)
	}
	// The sidebar marks the room when the room list says it is private: "#" until then.
	ann.waitFor("the sidebar's mark", `!!document.querySelector(`+js(sideRoom("plans")+" .hash svg")+`) || document.querySelector(`+js(sideRoom("plans")+" .hash")+`).textContent !== "#"`)
	if got := drawn(sideRoom("plans") + " .hash"); got != "drawn" {
		t.Errorf("the sidebar marks plans private with %s, want a drawn lock", got)
	}
	if got := drawn("#room-private"); got != "drawn" {
		t.Errorf("the title marks plans private with %s, want a drawn lock", got)
	}
	if got := eval[string](ann, `document.querySelector(`+js(sideRoom("lobby")+" .hash")+`).textContent`); got != "#" {
		t.Errorf("lobby, a public room, is marked %q, want #", got)
	}
	saveShot(t, ann, "private-lock.png")
}

// exprFooter is a JavaScript expression: how the sidebar's footer shows my name and its links
// (Change name, Sign in, Set a password): "whole" when the name is all there inside the footer
// and every link is shown inside it too, then on how many lines the name is; otherwise what is
// wrong.
const exprFooter = `(() => {
	const me = document.querySelector(".me"), box = me.getBoundingClientRect();
	const outer = document.querySelector(".me-name"), name = document.getElementById("me-name");
	if (!outer.getClientRects().length) return "not shown";
	if (outer.scrollWidth > outer.clientWidth) return "cut to " + outer.clientWidth + " of " + outer.scrollWidth + " px";
	const r = name.getBoundingClientRect();
	if (r.left < box.left || r.right > box.right) return "wider than the footer (" + r.left + "–" + r.right + " px in " + box.left + "–" + box.right + ")";
	for (const id of ["rename", "signin-link", "account-link"]) {
		const l = document.getElementById(id), lr = l.getBoundingClientRect();
		if (!l.getClientRects().length) return id + " not shown";
		if (lr.left < box.left || lr.right > box.right || lr.bottom > box.bottom) return JSON.stringify(l.textContent) + " outside the footer";
	}
	const lines = name.getClientRects().length;
	return "whole, on " + lines + (lines === 1 ? " line" : " lines");
})()`

// The sidebar's footer shows my name whole, with Change name, Sign in and Set a password on the
// line under it, at 1280×800 and in a phone's drawer (390×844): "christopher" on one line, and
// a name of 32 bytes with no space wrapped. Beside Change name the name had 74 px at 1280×800
// ("christo…") and 126 px in the drawer, which cut the long name.
func TestOwnNameIsWholeInTheSidebarFooter(t *testing.T) {
	b := startBrowser(t)
	srv := servertest.Start(t, servertest.Options{Server: server.Config{Accounts: accounts.Config{Hash: accounts.TestHashParams}}})
	for _, c := range []struct {
		name    string
		oneLine bool // a name that fits on the line is not broken
	}{
		{"christopher", true},
		{strings.Repeat("W", 32), false},
	} {
		u := b.newUser(c.name)
		u.open(srv.URL + "/#lobby")
		u.waitFor("the footer with my name and the account's links", `document.getElementById("me-name").textContent === `+js(c.name)+
			` && !document.getElementById("signin-link").hidden && !document.getElementById("account-link").hidden`)
		check := func(size string) {
			t.Helper()
			got := eval[string](u, exprFooter)
			if !strings.HasPrefix(got, "whole") || c.oneLine && got != "whole, on 1 line" {
				t.Errorf("at %s the footer shows %q %s", size, c.name, got)
			}
		}
		check("1280×800")
		saveShot(t, u, "footer-1280-"+c.name[:1]+".png")

		u.atPhoneSize()
		u.do("open the rooms' drawer", chromeEval(`document.getElementById("rooms-toggle").click()`))
		u.waitFor("the rooms' drawer", `getComputedStyle(document.getElementById("sidebar")).visibility === "visible"`)
		check("390×844")
		saveShot(t, u, "footer-390-"+c.name[:1]+".png")
	}
}

// A private room's invitee who is connected was listed under "Offline" as "invited", as if
// away, when the owner could ask them to accept now: the member panel lists the invited under
// "Invited", each with their real presence — bob, connected, online and not joined yet; carl,
// offline, with the ring of the offline — and none of them under Offline.
func TestMemberPanelShowsAnInviteesPresence(t *testing.T) {
	b := startBrowser(t)
	srv := servertest.Start(t, servertest.Options{})
	dialUser(t, srv, "bob") // connected, and in no room
	carl := dialUser(t, srv, "carl")
	_ = carl.conn.Close() // a stored user, offline
	ann := b.newUser("ann")
	ann.open(srv.URL + "/#lobby")
	ann.createPrivateRoom("plans")
	ann.waitFor("plans in view", `document.getElementById("room-title").textContent === "#plans"`)
	ann.invite("bob")
	ann.invite("carl")
	invited := `Array.from(document.querySelectorAll("#member-invited-list .member"), (li) => li.dataset.name + ":" + li.dataset.state + ":" + li.querySelector(".presence").getAttribute("aria-label") + ":" + li.querySelector(".last-seen").textContent).join("|")`
	ann.waitFor("both invitees listed", `document.querySelectorAll("#member-invited-list .member").length === 2`)
	got := eval[string](ann, invited)
	bob, carlRow, _ := strings.Cut(got, "|")
	if bob != "bob:online:Online:online, not joined yet" || !strings.HasPrefix(carlRow, "carl:offline:Offline:not joined yet") {
		t.Errorf("the invited are listed as %q, want bob online and carl offline, neither joined", got)
	}
	if heading := eval[string](ann, `document.getElementById("invited-heading").hidden ? "" : document.getElementById("invited-heading").textContent`); heading != "Invited" {
		t.Errorf("the invitees' heading is %q, want Invited", heading)
	}
	if off := eval[string](ann, exprMemberRows); strings.Contains(off, "bob") || strings.Contains(off, "carl") {
		t.Errorf("an invitee is listed among the members (online/Offline): %q", off)
	}
	if got := eval[string](ann, `document.getElementById("member-count").textContent`); got != "1 online" {
		t.Errorf("the heading counts %q, want 1 online (an invitee is not a member yet)", got)
	}
	saveShot(t, ann, "invited-presence.png")
}
