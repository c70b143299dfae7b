package e2e

import (
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"hubbub/internal/hub"
	"hubbub/internal/server"
	"hubbub/internal/servertest"
	"hubbub/internal/wire"

	"github.com/chromedp/chromedp"
)

// A room's notices read the same after a reload: the owner sets the topic, invites bob and
// bans eve while ann watches; she reloads the page, and the lines are there again, in their
// places among the messages, once each. Before, a reload showed the messages alone: a fresh
// join replayed messages only, and every "carol set the topic", "carol invited bob" and
// "carol banned eve" line was gone.
func TestRoomNoticesSurviveAReload(t *testing.T) {
	b := startBrowser(t)
	srv := servertest.Start(t, servertest.Options{Server: server.Config{RoleFor: servertest.Roles("carol")}})
	carol := dialUser(t, srv, "carol")
	dialUser(t, srv, "bob")
	dialUser(t, srv, "eve")
	ann := b.newUser("ann")
	ann.open(srv.URL + "/#lobby")
	ann.waitFor("a live connection", exprLive)

	ctx := t.Context()
	carol.privateRoomWith("plans", "ann")
	ann.do("open plans", chromeEval(`location.hash = "plans"`))
	ann.waitFor("plans in view", `document.getElementById("room-title").textContent === "#plans"`)
	carol.say("plans", "the plan")
	ann.see("carol", "the plan")
	carol.request("set the topic", "t-1", wire.TopicRequest{Type: wire.TypeTopic, Room: "plans", Topic: "Q3 launch", ID: "t-1"})
	carol.request("invite bob", "i-bob", wire.InviteRequest{Type: wire.TypeInvite, Room: "plans", Name: "bob", ID: "i-bob"})
	if _, err := carol.conn.Ban(ctx, "plans", "eve", time.Hour, "spam"); err != nil {
		t.Fatalf("carol bans eve: %v", err)
	}
	carol.say("plans", "after the ban")
	ann.see("carol", "after the ban")

	// The timeline, notices and messages in their order, as the page shows it.
	timeline := `Array.from(document.querySelectorAll("#message-list .room-notice .room-notice-text, #message-list .msg[data-seq] .text"), e => e.textContent)`
	notices := `Array.from(document.querySelectorAll("#message-list .room-notice .room-notice-text"), e => e.textContent)`
	ann.waitFor("the lines said live", notices+`.includes("carol set the topic: Q3 launch") && `+
		notices+`.includes("carol invited bob") && `+notices+`.some(t => /^carol banned eve until .+: spam$/.test(t))`)
	before := eval[[]string](ann, timeline)
	if !slices.Contains(before, "the plan") || !slices.Contains(before, "carol invited bob") {
		t.Fatalf("the timeline reads %q, want its messages and notices", before)
	}

	ann.do("reload", chromeReload())
	ann.waitFor("plans in view again", `document.getElementById("room-title").textContent === "#plans"`)
	ann.see("carol", "after the ban")
	ann.waitFor("the lines after the reload", notices+`.some(t => /^carol banned eve until .+: spam$/.test(t))`)
	if after := eval[[]string](ann, timeline); !slices.Equal(after, before) {
		t.Errorf("after the reload the timeline reads\n%q\nwant, as before it,\n%q", after, before)
	}
	// A live line after the reload is added once, beside the replayed ones.
	carol.request("change the topic", "t-2", wire.TopicRequest{Type: wire.TypeTopic, Room: "plans", Topic: "Q4", ID: "t-2"})
	ann.waitFor("the live topic line", notices+`.includes("carol set the topic: Q4")`)
	if got := eval[[]string](ann, notices); len(got) != len(slices.Compact(slices.Clone(got))) {
		t.Errorf("notices %q: one is shown twice", got)
	}
	if dir := os.Getenv("HUBBUB_E2E_ARTIFACTS"); dir != "" { // to look at the timeline
		if png, err := ann.screenshot(); err == nil {
			_ = os.WriteFile(filepath.Join(dir, "notices-after-reload.png"), png, 0o644)
		}
	}
}

// Scrolling back after a reload brings the notices of the older part too: a fresh join that
// replays the newest messages only (a server's --history of 2 here) shows the lines of their
// span, and the page before them the lines of its own, the topic set before the first
// message among them; none twice.
func TestOlderPageBringsItsNotices(t *testing.T) {
	b := startBrowser(t)
	srv := servertest.Start(t, servertest.Options{Hub: hub.Config{History: 2}})
	carol := dialUser(t, srv, "carol")
	dialUser(t, srv, "bob")
	ann := b.newUser("ann")
	ann.open(srv.URL + "/#lobby")
	ann.waitFor("a live connection", exprLive)
	carol.privateRoomWith("plans", "ann")
	carol.request("set the topic", "t-1", wire.TopicRequest{Type: wire.TypeTopic, Room: "plans", Topic: "Q3 launch", ID: "t-1"})
	carol.say("plans", "one")
	carol.say("plans", "two")
	carol.request("invite bob", "i-bob", wire.InviteRequest{Type: wire.TypeInvite, Room: "plans", Name: "bob", ID: "i-bob"})
	carol.say("plans", "three")

	ann.do("open plans", chromeEval(`location.hash = "plans"`))
	ann.see("carol", "three")
	notices := `Array.from(document.querySelectorAll("#message-list .room-notice .room-notice-text"), e => e.textContent)`
	ann.waitFor("the invitation of bob, in the replayed span", notices+`.includes("carol invited bob")`)
	ann.do("page back", chromeEval(`client.loadOlder("plans")`))
	ann.see("carol", "one")
	ann.waitFor("the topic, from the older page", notices+`.includes("carol set the topic: Q3 launch")`)
	got := eval[[]string](ann, notices)
	for _, want := range []string{"carol invited ann", "carol set the topic: Q3 launch", "carol invited bob"} {
		if n := len(slices.DeleteFunc(slices.Clone(got), func(s string) bool { return s != want })); n != 1 {
			t.Errorf("notices %q hold %q %d times, want once", got, want, n)
		}
	}
}

// privateRoomWith makes room a private room of g's, joined, with invitee invited to it.
func (g *goUser) privateRoomWith(room, invitee string) {
	g.t.Helper()
	if _, err := g.conn.Create(g.t.Context(), room, "", true); err != nil {
		g.t.Fatalf("%s creates %s: %v", g.name, room, err)
	}
	if _, err := g.conn.Join(g.t.Context(), room, nil, 0); err != nil {
		g.t.Fatalf("%s joins %s: %v", g.name, room, err)
	}
	g.request("invite "+invitee, "i-"+invitee, wire.InviteRequest{Type: wire.TypeInvite, Room: room, Name: invitee, ID: "i-" + invitee})
}

// A DM the server API started (POST /api/dms) was shown with "someone added ann" and
// "someone added bob": its joins are nobody's (no user started it), and the page named an
// actor it did not have. They read "ann was added" and "bob was added".
func TestAPIStartedDMNamesNoActor(t *testing.T) {
	b := startBrowser(t)
	const key = "e2e-api-key"
	srv := servertest.Start(t, servertest.Options{Server: server.Config{APIKey: key}})
	dialUser(t, srv, "bob")
	ann := b.newUser("ann")
	ann.open(srv.URL + "/#lobby")
	ann.waitFor("a live connection", exprLive)
	code, f := srv.API("POST", "/api/dms", key, map[string]any{"names": []string{"ann", "bob"}})
	if code != http.StatusCreated {
		t.Fatalf("POST /api/dms: status %d %v", code, f)
	}
	meta, _ := f["room"].(map[string]any)
	room, _ := meta["room"].(string)
	ann.do("open New message", chromedp.Click(chromedp.CSS("#new-dm")))
	ann.waitFor("the dialog", `document.getElementById("dm-dialog").open && document.activeElement.id === "dm-names"`)
	ann.do("write to bob", chromeSendKeys("#dm-names", "bob"), pressEnter(chromedp.CSS("#dm-names")))
	ann.waitFor("the DM open", `document.getElementById("room-title").textContent === "bob" && !document.getElementById("dm-dialog").open`)
	if hash := eval[string](ann, `location.hash`); hash != "#"+room {
		t.Fatalf("the page opened %s, want the API's DM #%s", hash, room)
	}
	notices := `Array.from(document.querySelectorAll("#message-list .room-notice .room-notice-text"), e => e.textContent)`
	ann.waitFor("the DM's joins", notices+`.length >= 2`)
	got := eval[[]string](ann, notices)
	for _, n := range got {
		if strings.Contains(n, "someone") {
			t.Errorf("the DM's notices %q name an actor the API's DM has not", got)
			break
		}
	}
	if !slices.Contains(got, "bob was added") {
		t.Errorf("the DM's notices read %q, want \"bob was added\" among them", got)
	}
}

// When the server left some of a span's notices out (more than its --notice-limit), one
// quiet line heads that span saying some earlier room events are not shown: on a fresh join,
// after the oldest replayed message; on an older page that holds the room's first message,
// at the top. Before, the page said nothing, and a room whose invitations outran the limit
// read as if nothing had happened before the newest of them.
func TestLeftOutNoticesAreSaid(t *testing.T) {
	b := startBrowser(t)
	srv := servertest.Start(t, servertest.Options{Hub: hub.Config{History: 2, NoticeLimit: 1}})
	carol := dialUser(t, srv, "carol")
	dialUser(t, srv, "bob")
	dialUser(t, srv, "dave")
	ann := b.newUser("ann")
	ann.open(srv.URL + "/#lobby")
	ann.waitFor("a live connection", exprLive)
	carol.privateRoomWith("plans", "ann")
	carol.request("set the topic", "t-1", wire.TopicRequest{Type: wire.TypeTopic, Room: "plans", Topic: "Q3 launch", ID: "t-1"})
	carol.say("plans", "one")
	carol.say("plans", "two")
	carol.request("invite bob", "i-bob", wire.InviteRequest{Type: wire.TypeInvite, Room: "plans", Name: "bob", ID: "i-bob"})
	carol.request("invite dave", "i-dave", wire.InviteRequest{Type: wire.TypeInvite, Room: "plans", Name: "dave", ID: "i-dave"})
	carol.say("plans", "three")

	timeline := `Array.from(document.querySelectorAll("#message-list .room-notice-gap, #message-list .room-notice .room-notice-text, #message-list .msg[data-seq] .text"), ` +
		`e => e.classList.contains("room-notice-gap") ? "GAP: " + e.textContent : e.textContent)`
	const gap = "GAP: Some earlier room events are not shown"
	ann.do("open plans", chromeEval(`location.hash = "plans"`))
	ann.see("carol", "three")
	// The replay is "two" and "three", and the newest notice after "two": the line heads it.
	ann.waitFor("the line after two", timeline+`.includes("`+gap+`")`)
	got := eval[[]string](ann, timeline)
	if i := slices.Index(got, "two"); i < 0 || i+1 >= len(got) || got[i+1] != gap || slices.Contains(got, "carol invited bob") {
		t.Errorf("after the fresh join the timeline reads %q, want the line right after \"two\", and bob's invitation (left out) not shown", got)
	}
	// Paging back reaches the room's first message: that page's span starts at the room's
	// start, whose older notices (the newest kept) are said left out at the top. (The page
	// may have asked for it on its own while the replay came: either way, one line there.)
	ann.do("page back", chromeEval(`client.loadOlder("plans")`))
	ann.see("carol", "one")
	ann.waitFor("the line of the older page", `(t => t.filter(x => x === "`+gap+`").length === 2)(`+timeline+`)`)
	got = eval[[]string](ann, timeline)
	if len(got) < 2 || got[0] != gap || slices.Index(got, "one") < 1 || slices.Index(got, "one") > slices.Index(got, "two") {
		t.Errorf("after paging back the timeline reads %q, want it to start with the line, above \"one\"", got)
	}
}
