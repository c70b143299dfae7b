package e2e

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"hubbub"
	"hubbub/internal/accounts"
	"hubbub/internal/server"
	"hubbub/internal/servertest"
)

// sameUser opens the page in u's window as the user of other's window: a second device of one
// guest has the first one's name and key (in an app, an account or a token does this).
func (u *user) sameUser(other *user, url string) {
	u.t.Helper()
	key := eval[string](other, `localStorage.getItem("hubbub.key")`)
	name := eval[string](other, `localStorage.getItem("hubbub.name")`)
	u.doWithin(3*waitTimeout, "open "+url, chromedp.Navigate(url))
	u.do("take the first device's key",
		chromeEval(`localStorage.setItem("hubbub.key", `+js(key)+`); localStorage.setItem("hubbub.name", `+js(name)+`)`),
		chromeReload())
	u.waitFor("a live connection", exprLive)
}

// ann starts a direct message with bob from "New message": it opens on her page under bob's
// name, and reaches bob's sidebar live under hers, with an unread badge; opening it shows the
// message and clears the badge. Starting it again finds the same conversation.
func TestDirectMessageBetweenTwoBrowsers(t *testing.T) {
	b := startBrowser(t)
	srv := servertest.Start(t, servertest.Options{})
	ann := b.newUser("ann")
	bob := b.newUser("bob")
	ann.open(srv.URL + "/#lobby")
	bob.open(srv.URL + "/#lobby")

	ann.do("open New message", chromedp.Click(chromedp.CSS("#new-dm")))
	ann.waitFor("the dialog", `document.getElementById("dm-dialog").open && document.activeElement.id === "dm-names"`)
	ann.do("write to no one", chromeSendKeys("#dm-names", "nobody-here"), pressEnter(chromedp.CSS("#dm-names")))
	ann.waitFor("the refusal in the dialog, which stays open", `document.getElementById("dm-dialog").open && `+
		`document.getElementById("dm-error").textContent !== "" && !document.getElementById("dm-submit").disabled`)
	ann.do("clear the names", chromeEval(`document.getElementById("dm-names").value = ""`))
	ann.do("write to bob", chromeSendKeys("#dm-names", "bob"), pressEnter(chromedp.CSS("#dm-names")))
	ann.waitFor("the DM in view under bob's name", `!document.getElementById("dm-dialog").open && `+
		`document.getElementById("room-title").textContent === "bob" && `+exprDMs+` === "bob"`)
	dm := eval[string](ann, `location.hash.slice(1)`)
	if len(dm) < 4 || dm[:3] != "dm." {
		t.Fatalf("the DM's address is #%s, want #dm.…", dm)
	}
	ann.waitFor("joined", `document.getElementById("composer-input").placeholder === "Message bob"`)
	ann.say("hi bob, a word in private?")
	ann.see("ann", "hi bob, a word in private?")

	bob.waitFor("the DM in bob's sidebar under ann's name, unread", exprDMs+` === "ann" && `+exprBadge(dm)+` === "1"`)
	bob.waitFor("the count in the title", `document.title.startsWith("(1) ")`)
	bob.do("open the DM", chromedp.Click(chromedp.CSS(sideRoom(dm)+" a")))
	bob.see("ann", "hi bob, a word in private?")
	bob.waitFor("the badge cleared", exprBadge(dm)+` === "" && !document.title.startsWith("(")`)
	bob.say("sure")
	ann.see("bob", "sure")

	// The same people find the same room again.
	ann.room("lobby")
	ann.do("open New message again", chromedp.Click(chromedp.CSS("#new-dm")))
	ann.do("write to bob again", chromeSendKeys("#dm-names", "bob"), pressEnter(chromedp.CSS("#dm-names")))
	ann.waitFor("the same DM", `location.hash === `+js("#"+dm)+` && `+exprDMs+` === "bob"`)
	ann.see("bob", "sure")
}

// A DM is named for its people wherever the page speaks of it, never by its id (dm.…): the line
// above its first message, the empty conversation's invitation to say hello, the thread panel's
// title, a refused message's reason. They said "No messages in #dm.5f3c… yet", "Thread
// #dm.5f3c…" and "Not sent — you are muted in room "dm.5a48…" until 2026-12-06T02:28:01Z".
func TestDirectMessageIsNeverCalledByItsID(t *testing.T) {
	b := startBrowser(t)
	srv := servertest.Start(t, servertest.Options{Server: server.Config{RoleFor: servertest.Roles("bob")}})
	bob := dialUser(t, srv, "bob") // bob exists (a server moderator), and stays out of the DM's page
	ann := b.newUser("ann")
	ann.open(srv.URL + "/#lobby")
	ann.do("open New message", chromedp.Click(chromedp.CSS("#new-dm")))
	ann.do("write to bob", chromeSendKeys("#dm-names", "bob"), pressEnter(chromedp.CSS("#dm-names")))
	ann.waitFor("the DM in view under bob's name", `document.getElementById("room-title").textContent === "bob"`)
	const note = `document.getElementById("history-note").textContent`
	ann.waitFor("the empty DM's note", note+` === "No messages in your conversation with bob yet. Say hello!"`)

	ann.say("a word in private?")
	seq := ann.seqOf("ann", "a word in private?")
	ann.waitFor("the note above the first message", note+` === "This is the beginning of your conversation with bob."`)
	ann.do("reply in a thread", chromedp.Click(chromedp.CSS(rowSel(seq)+` .msg-actions [data-action="reply"]`)))
	ann.say("more in the thread")
	ann.waitFor("the reply count", row(seq)+`?.querySelector(".thread-link")?.textContent === "1 reply"`)
	ann.do("open the thread", chromedp.Click(chromedp.CSS(rowSel(seq)+" .thread-link")))
	ann.waitFor("the thread titled for bob", `!document.getElementById("thread").hidden && `+
		`document.getElementById("thread-title-room").textContent === "bob"`)

	// bob, a server moderator, mutes ann there: her message box says so, naming the DM for
	// him and the mute's end in her own time (it said it in her next message's refusal, before
	// the box followed her mutes).
	dm := eval[string](ann, `ui.active`)
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	if _, err := bob.conn.Mute(ctx, dm, "ann", 10*time.Minute, ""); err != nil {
		t.Fatal(err)
	}
	const placeholder = `document.getElementById("composer-input").placeholder`
	ann.waitFor("the box saying she is muted", placeholder+`.startsWith("You are muted in ")`)
	if got := eval[string](ann, placeholder); !strings.Contains(got, "muted in your conversation with bob until") || regexp.MustCompile(`\d{4}-\d\d-\d\dT`).MatchString(got) {
		t.Errorf("the message box says %q, want the DM named for bob and the time in the reader's", got)
	}
	if text := eval[string](ann, `document.body.innerText`); strings.Contains(text, "dm.") {
		t.Errorf("the page shows the DM's id:\n%s", text)
	}
}

// A DM the page opens as it loads (a reload in it, or the way back from the account page to
// the room the tab had in view) is named for its people in the message box too, once the room
// list says who they are. The title followed the list, but the box kept what the page knew
// before it: "Message Direct message", for a screen reader its label and the log's too.
func TestDirectMessageOpenedOnLoadNamesItsPeopleInTheMessageBox(t *testing.T) {
	b := startBrowser(t)
	srv := servertest.Start(t, servertest.Options{})
	dialUser(t, srv, "bob") // bob exists, and stays out of the DM's page
	ann := b.newUser("ann")
	ann.open(srv.URL + "/#lobby")
	ann.do("open New message", chromedp.Click(chromedp.CSS("#new-dm")))
	ann.do("write to bob", chromeSendKeys("#dm-names", "bob"), pressEnter(chromedp.CSS("#dm-names")))
	ann.waitFor("the DM in view under bob's name", `document.getElementById("room-title").textContent === "bob"`)

	ann.do("reload in the DM", chromeReload())
	ann.waitFor("the DM in view again under bob's name, live", exprLive+` && document.getElementById("room-title").textContent === "bob"`)
	got := eval[[]string](ann, `[document.getElementById("composer-input").placeholder, document.getElementById("composer-label").textContent,
		document.getElementById("messages").getAttribute("aria-label")]`)
	want := []string{"Message bob", "Message bob", "Messages in bob"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("after a reload in the DM the message box and the log say %q, want %q", got, want)
	}
}

// ann creates a private room from the room browser, with a topic; bob cannot join it; her
// invitation reaches his page live, and joining from it lets him read and write there. The
// invitation and his joining show in the room as notices, and the room is not in the directory.
func TestInviteToPrivateRoomReachesTheInviteeLive(t *testing.T) {
	b := startBrowser(t)
	srv := servertest.Start(t, servertest.Options{})
	ann := b.newUser("ann")
	bob := b.newUser("bob")
	ann.open(srv.URL + "/#lobby")
	bob.open(srv.URL + "/#lobby")

	ann.do("open the room browser", chromedp.Click(chromedp.CSS("#browse-rooms")))
	ann.waitFor("the directory with lobby", `document.getElementById("browse-dialog").open && `+
		`!!document.querySelector('#directory-list [data-room="lobby"]')`)
	ann.do("create a private room",
		chromeSendKeys("#create-name", "plans"),
		chromeSendKeys("#create-topic", "Q3 launch"),
		chromedp.Click(chromedp.CSS("#create-private")),
		chromedp.Click(chromedp.CSS("#create-submit")))
	ann.waitFor("the new room in view with its topic", `!document.getElementById("browse-dialog").open && `+
		`document.getElementById("room-title").textContent === "#plans" && `+
		`document.getElementById("room-topic").textContent === "Q3 launch" && !document.getElementById("room-private").hidden`)
	ann.say("the plan is secret")
	ann.see("ann", "the plan is secret")

	bob.do("try to join plans", chromeSendKeys("#join-input", "plans"), pressEnter(chromedp.CSS("#join-input")))
	bob.waitFor("refused: private", `!document.getElementById("room-out").hidden && `+
		`document.getElementById("room-out-text").textContent.includes("private")`)
	if n := eval[int](bob, `document.querySelectorAll("#message-list .msg[data-seq]").length`); n != 0 {
		t.Errorf("bob sees %d messages of a private room he is not in", n)
	}
	bob.do("leave it", chromedp.Click(chromedp.CSS(sideRoom("plans")+" .room-leave")))
	bob.room("lobby")

	ann.invite("bob")

	bob.waitFor("the invitation in bob's sidebar, live", `!document.getElementById("invite-list").hidden && `+
		`document.querySelector('#invite-list [data-room="plans"] .invite-name').textContent === "#plans"`)
	bob.do("accept it", chromedp.Click(chromedp.CSS(`#invite-list [data-room="plans"] .invite-accept`)))
	bob.waitFor("plans in view", `document.getElementById("room-title").textContent === "#plans" && document.getElementById("invite-list").hidden`)
	bob.see("ann", "the plan is secret")
	bob.say("count me in")
	ann.see("bob", "count me in")
	ann.waitFor("bob's joining shown", `Array.from(document.querySelectorAll("#message-list .room-notice"), e => e.textContent).some(t => t.startsWith("bob joined"))`)

	// The owner takes him out again: the room leaves his sidebar at once.
	ann.waitFor("bob among the members", exprMembers+`.includes("bob")`)
	ann.do("open bob's menu", chromedp.Click(chromedp.CSS(`#member-list [data-name="bob"] .mod-button`)))
	ann.do("take bob out", chromedp.Click(chromedp.CSS(`#mod-menu [data-action="remove-member"]`)))
	bob.waitFor("plans gone from bob's sidebar", `!document.querySelector(`+js(sideRoom("plans"))+`) && `+
		`document.getElementById("room-title").textContent !== "#plans"`)
	ann.waitFor("his removal shown", `Array.from(document.querySelectorAll("#message-list .room-notice"), e => e.textContent).some(t => t.startsWith("ann removed bob"))`)

	// The directory lists public rooms only.
	bob.do("open the room browser", chromedp.Click(chromedp.CSS("#browse-rooms")))
	bob.waitFor("the directory", `!!document.querySelector('#directory-list [data-room="lobby"]')`)
	if eval[bool](bob, `!!document.querySelector('#directory-list [data-room="plans"]')`) {
		t.Error("the directory lists the private room plans")
	}
	bob.do("search", chromeSendKeys("#browse-search", "zzz"))
	bob.waitFor("no match", `document.getElementById("directory-list").children.length === 0 && `+
		`document.getElementById("directory-status").textContent.includes("zzz")`)
}

// One user on two devices: messages in a room neither has in view raise its badges on both
// (a mention too); reading it on one clears them on the other; the device that opens the room
// later shows "new since you left" above the first message the user has not read anywhere.
func TestUnreadDividerAndBadgesOnASecondDevice(t *testing.T) {
	b := startBrowser(t)
	srv := servertest.Start(t, servertest.Options{})
	laptop := b.newUser("ann")
	laptop.open(srv.URL + "/#alpha")
	laptop.room("beta")
	laptop.room("alpha")
	phone := b.newUser("ann")
	phone.sameUser(laptop, srv.URL+"/#alpha")
	phone.waitFor("beta in the phone's sidebar, from the user's rooms", `!!document.querySelector(`+js(sideRoom("beta"))+`)`)
	gopher := dialUser(t, srv, "gopher", "beta")

	for i := 1; i <= 2; i++ {
		gopher.say("beta", fmt.Sprintf("beta %d", i))
	}
	gopher.say("beta", "@ann a question for you")
	for _, d := range []*user{laptop, phone} {
		d.waitFor("beta's badges", exprBadge("beta")+` === "3" && `+exprMentionBadge("beta")+` === "1"`)
		d.waitFor("the total in the title", `document.title.startsWith("(3) ")`)
	}

	laptop.room("beta")
	laptop.see("gopher", "@ann a question for you")
	phone.waitFor("beta read on the laptop clears the phone's badges", exprBadge("beta")+` === "" && `+exprMentionBadge("beta")+` === ""`)
	laptop.room("alpha")

	gopher.say("beta", "while ann was away")
	gopher.say("beta", "and one more")
	for _, d := range []*user{laptop, phone} {
		d.waitFor("beta's badge at 2", exprBadge("beta")+` === "2"`)
	}
	phone.room("beta")
	phone.see("gopher", "and one more")
	phone.waitFor("the divider above the first unread message", exprDividerBefore("while ann was away"))
	laptop.waitFor("the laptop's badge cleared by the phone", exprBadge("beta")+` === ""`)
	laptop.room("beta")
	laptop.see("gopher", "and one more")
	if eval[int](laptop, `document.querySelectorAll("#message-list .unread-divider").length`) != 0 {
		t.Error("the laptop shows a divider in a room read on the phone")
	}
}

// addAccount stores an account as `hubbub user add` does, on a server started with
// accounts.TestHashParams.
func addAccount(t *testing.T, srv *servertest.Server, name, password string) hubbub.User {
	t.Helper()
	h, err := accounts.NewHasher(accounts.TestHashParams, 1)
	if err != nil {
		t.Fatal(err)
	}
	u, err := accounts.AddUser(context.Background(), srv.Store, h, name, hubbub.RoleMember, password)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// On a server with accounts, a visitor signs in from the page: the welcome dialog links to the
// sign-in page, which brings them back to the chat under their account's name with no name
// asked, Account and Sign out in the sidebar (Account added by s30-user: the account page had no
// link); after signing out the page asks a name again. A guest's page
// logs no error on the way (it asked GET /api/me, which answered 401 to every guest's load).
func TestSignInThroughThePage(t *testing.T) {
	b := startBrowser(t)
	srv := servertest.Start(t, servertest.Options{Server: server.Config{Accounts: accounts.Config{Hash: accounts.TestHashParams}}})
	addAccount(t, srv, "ann", "correct horse battery")

	ann := b.newUser("ann")
	ann.doWithin(3*waitTimeout, "open", chromedp.Navigate(srv.URL+"/#lobby"))
	ann.waitFor("the welcome dialog with a sign-in link", `document.getElementById("name-dialog").open && !document.getElementById("name-signin").hidden`)
	if errs := ann.consoleErrors(); len(errs) > 0 {
		t.Errorf("a guest's page logged errors:\n  %s", strings.Join(errs, "\n  "))
	}
	// Each step that loads a page waits for an element of the next one (a poll across a
	// navigation loses its context).
	ann.do("follow it", chromedp.Click(chromedp.CSS("#name-signin-link")), waitVisibleAfterNavigation(chromedp.CSS("#password")))
	ann.do("sign in",
		typeInto("#name", "ann"),
		typeInto("#password", "correct horse battery"),
		pressEnter(chromedp.CSS("#password")),
		waitVisibleAfterNavigation(chromedp.CSS("#composer-input")))
	ann.waitFor("back in the chat, live, under the account's name", `location.pathname === "/" && !!document.getElementById("conn-status") && `+exprLive+` && `+
		`document.getElementById("me-name").textContent === "ann" && !document.getElementById("signout-form").hidden`)
	if eval[bool](ann, `document.getElementById("name-dialog").open`) {
		t.Error("the page asks a name of a signed-in user")
	}
	// The way to the account page (the password; an admin's invite links) is beside Sign out.
	account := `(() => { const a = document.getElementById("account-link"); return a.getClientRects().length ? a.textContent + " " + a.getAttribute("href") : "hidden"; })()`
	if got, want := eval[string](ann, account), "Account /account"; got != want {
		t.Errorf("the signed-in page's account link: %q, want %q", got, want)
	}
	ann.say("signed in with a password")
	ann.see("ann", "signed in with a password")

	ann.do("sign out", chromedp.Click(chromedp.CSS(`#signout-form button`)), chromedp.WaitNotPresent(chromedp.CSS("#composer-input")))
	ann.doWithin(3*waitTimeout, "open the chat again", chromedp.Navigate(srv.URL+"/#lobby"))
	ann.waitFor("a name asked again, Sign in offered", `document.getElementById("name-dialog").open && !document.getElementById("name-signin").hidden`)
}

// signedInAnn starts a server of accounts with ann's ("correct horse battery"), and a browser
// whose page signed in as her from the sign-in page and is live in the chat.
func signedInAnn(t *testing.T) (*servertest.Server, hubbub.User, *user) {
	t.Helper()
	b := startBrowser(t)
	srv := servertest.Start(t, servertest.Options{Server: server.Config{Accounts: accounts.Config{Hash: accounts.TestHashParams}}})
	u := addAccount(t, srv, "ann", "correct horse battery")
	ann := b.newUser("ann")
	ann.doWithin(3*waitTimeout, "open the sign-in page", chromedp.Navigate(srv.URL+"/signin"), waitVisibleAfterNavigation(chromedp.CSS("#password")))
	ann.do("sign in",
		typeInto("#name", "ann"),
		typeInto("#password", "correct horse battery"),
		pressEnter(chromedp.CSS("#password")),
		waitVisibleAfterNavigation(chromedp.CSS("#composer-input")))
	ann.waitFor("live under the account's name", exprLive+` && document.getElementById("me-name").textContent === "ann"`)
	return srv, u, ann
}

// A signed-in page whose session is signed out elsewhere (sign out everywhere on another
// device, or `hubbub user passwd`) is closed, and says so: "You were signed out", with the way
// to sign in again. Before, its connection went on; then, once it reconnected, a guest server's
// page told the user to go back to the website that sent them.
func TestSignedOutElsewhereSaysSo(t *testing.T) {
	srv, u, ann := signedInAnn(t)

	if _, err := srv.Store.DeleteSessions(context.Background(), u.ID); err != nil { // signed out everywhere
		t.Fatal(err)
	}
	ann.waitFor("the dialog saying so, with Sign in", `document.getElementById("signin-dialog").open && `+
		`document.getElementById("signin-title").textContent === "You were signed out" && !document.getElementById("signin-go").hidden`)
}

// A password changed on the account page is said to be changed when the page comes back to the
// chat, and the address it came back to loses what told it so (a reload says nothing again).
// It came back to the chat without a word, and whoever had changed it could not tell whether
// it had been.
func TestPasswordChangeSaysSoBackInTheChat(t *testing.T) {
	_, _, ann := signedInAnn(t)

	ann.do("follow Account", chromedp.Click(chromedp.CSS("#account-link")), waitVisibleAfterNavigation(chromedp.CSS("#current")))
	ann.do("change the password",
		typeInto("#current", "correct horse battery"),
		typeInto("#password", "staple battery horse"),
		typeInto("#confirm", "staple battery horse"),
		pressEnter(chromedp.CSS("#confirm")),
		waitVisibleAfterNavigation(chromedp.CSS("#composer-input")))
	ann.waitFor("the notice saying so", `!document.getElementById("notice").hidden && document.getElementById("notice-text").textContent === "Your password is changed. Your other devices are signed out."`)
	if got := eval[string](ann, `location.pathname + location.search`); got != "/" {
		t.Errorf("the address after the change is %q, want /", got)
	}
}

// A refused password change leaves the account page's own address in the address bar, and a
// reload shows the form again: the address was /account/password, a path only posted to, whose
// reload or visit was an error page with no way on.
func TestRefusedPasswordChangeKeepsAnAddressThatReloads(t *testing.T) {
	srv, _, ann := signedInAnn(t)

	ann.do("follow Account", chromedp.Click(chromedp.CSS("#account-link")), waitVisibleAfterNavigation(chromedp.CSS("#current")))
	ann.do("give a wrong current password",
		typeInto("#current", "not my password"),
		typeInto("#password", "staple battery horse"),
		typeInto("#confirm", "staple battery horse"),
		pressEnter(chromedp.CSS("#confirm")),
		waitVisibleAfterNavigation(chromedp.CSS("#error")))
	ann.waitFor("the refusal, at the account page's address", `document.getElementById("error").textContent === "The current password is wrong." && location.pathname === "/account"`)
	ann.do("reload", chromeReload(), waitVisibleAfterNavigation(chromedp.CSS("#current")))
	if got := eval[string](ann, `location.pathname + " " + document.title`); got != "/account Your account · hubbub" {
		t.Errorf("after the reload: %q, want the account page", got)
	}
	ann.doWithin(3*waitTimeout, "visit /account/password", chromedp.Navigate(srv.URL+"/account/password"), waitVisibleAfterNavigation(chromedp.CSS("#current")))
	if got := eval[string](ann, `location.pathname`); got != "/account" {
		t.Errorf("a visit of /account/password ends at %q, want /account", got)
	}
}

// The account pages put the focus where the typing goes, for a keyboard: an invite link's page
// on the name (the code is filled in from the link; nothing had the focus, and the first Tab
// went to the code), the invite page refused on the password, and the account page refused on
// the current password (both had no focus at all).
func TestAccountPagesFocusWhereTheTypingGoes(t *testing.T) {
	b := startBrowser(t)
	srv := servertest.Start(t, servertest.Options{Server: server.Config{Accounts: accounts.Config{Hash: accounts.TestHashParams}}})
	admin := addAccount(t, srv, "root", "correct horse battery")
	code, _, err := accounts.NewInvite(context.Background(), srv.Store, admin.ID, "member", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	const focused = `document.activeElement.id`
	cy := b.newUser("cy")
	cy.doWithin(3*waitTimeout, "open the invite link", chromedp.Navigate(srv.URL+"/invite#"+code), waitVisibleAfterNavigation(chromedp.CSS("#confirm")))
	cy.waitFor("the code filled in, the focus on the name", `document.getElementById("code").value === `+js(code)+` && `+focused+` === "name"`)
	cy.do("fill in passwords that differ",
		typeInto("#name", "cy"),
		typeInto("#password", "staple battery horse"),
		typeInto("#confirm", "staple battery hose"),
		pressEnter(chromedp.CSS("#confirm")),
		waitVisibleAfterNavigation(chromedp.CSS("#error")))
	// autofocus takes the focus as the page renders: waited for, not read at once.
	cy.waitFor("the refusal, the focus on the password", `document.getElementById("error").textContent === "The two passwords differ." && `+focused+` === "password"`)
	cy.do("fill in the same password twice",
		typeInto("#password", "staple battery horse"),
		typeInto("#confirm", "staple battery horse"),
		pressEnter(chromedp.CSS("#confirm")),
		waitVisibleAfterNavigation(chromedp.CSS("#composer-input")))
	cy.waitFor("in the chat as cy", exprLive+` && document.getElementById("me-name").textContent === "cy"`)

	cy.doWithin(3*waitTimeout, "open the account page", chromedp.Navigate(srv.URL+"/account"), waitVisibleAfterNavigation(chromedp.CSS("#current")))
	cy.do("give a wrong current password",
		typeInto("#current", "not my password"),
		typeInto("#password", "horse battery staple"),
		typeInto("#confirm", "horse battery staple"),
		pressEnter(chromedp.CSS("#confirm")),
		waitVisibleAfterNavigation(chromedp.CSS("#error")))
	cy.waitFor("the refusal, the focus on the current password", `document.getElementById("error").textContent === "The current password is wrong." && `+focused+` === "current"`)
}

// On a server that lets only people with an account in (--auth accounts), a visitor who is
// not signed in is sent to sign in at once, as docs/operations.md says: the page asked a name
// first ("Pick the name others will see", "Start chatting"), and only once one was typed said
// that the chat was for people with an account.
func TestAccountsOnlyServerAsksToSignInFirst(t *testing.T) {
	b := startBrowser(t)
	srv := servertest.Start(t, servertest.Options{Server: server.Config{Auth: "accounts", Accounts: accounts.Config{Hash: accounts.TestHashParams}}})
	visitor := b.newUser("visitor")
	visitor.doWithin(3*waitTimeout, "open", chromedp.Navigate(srv.URL+"/#lobby"))
	visitor.waitFor("the sign-in dialog", `document.getElementById("signin-dialog").open && !document.getElementById("signin-go").hidden`)
	if eval[bool](visitor, `document.getElementById("name-dialog").open`) {
		t.Error("the page asks a name of a visitor to a server that takes accounts only")
	}
	// Sign in, and no "Set a password": that keeps a guest name as an account, and this
	// browser never chatted here as a guest (the account page refused the name it asked).
	if shown := eval[[]string](visitor, `["signin-link", "account-link"].filter(id => !document.getElementById(id).hidden)`); strings.Join(shown, ",") != "signin-link" {
		t.Errorf("the footer's links shown to a visitor: %v, want [signin-link]", shown)
	}
	if errs := visitor.consoleErrors(); len(errs) > 0 {
		t.Errorf("the visitor's page logged errors:\n  %s", strings.Join(errs, "\n  "))
	}
}

// One guest on two devices, the second typing the name in another case ("alice" for ALICE, as
// a phone keyboard may): the second page signs in under the stored spelling and shows it as
// its own name, both pages list her once in the room's members, and each sees the other's
// messages as hers. Before, the second hello renamed the user and the member list read
// "ALICE, alice".
func TestSecondDeviceWithAnotherSpellingIsOneName(t *testing.T) {
	b := startBrowser(t)
	srv := servertest.Start(t, servertest.Options{})
	first := b.newUser("ALICE")
	first.open(srv.URL + "/#lobby")
	second := b.newUser("alice")
	second.sameUser(first, srv.URL+"/#lobby")
	second.do("type the name in lower case", chromedp.Click(chromedp.CSS("#rename")))
	second.waitFor("the name dialog", `document.getElementById("name-dialog").open`)
	second.do("say alice",
		chromeEval(`document.getElementById("name-input").value = ""`),
		typeInto("#name-input", "alice"),
		pressEnter(chromedp.CSS("#name-input")))
	second.waitFor("a live connection under the stored spelling", exprLive+` && document.getElementById("me-name").textContent === "ALICE"`)
	second.room("lobby")
	for _, u := range []*user{first, second} {
		u.waitFor("ALICE listed once", exprMembers+`.join() === "ALICE"`)
	}
	second.say("from the phone")
	first.see("ALICE", "from the phone")
	if got := eval[string](second, `localStorage.getItem("hubbub.name")`); got != "ALICE" {
		t.Errorf("the second device keeps the name %q, want ALICE", got)
	}
}

// An operator renames a guest (hubbub user rename ann ann2) while the guest's page is closed,
// and another person takes the old name: the page, loaded again, still holds "ann" and the key. It comes
// back as ann2, shows that name as its own and keeps it, and says why the name is not the
// one it had. Before, the server refused the old name and the page asked for a new one.
func TestGuestRenamedByAnOperatorKeepsComingIn(t *testing.T) {
	b := startBrowser(t)
	srv := servertest.Start(t, servertest.Options{})
	ann := b.newUser("ann")
	ann.open(srv.URL + "/#lobby")
	// The page goes before the rename: open, it is told (renamed) and keeps the new name
	// itself — unless the reload below came first, a race CI lost (no notice: the page
	// already knew). This test is about a page that loads holding the old name.
	ann.doWithin(3*waitTimeout, "leave the page", chromedp.Navigate("about:blank"))
	u, found, err := srv.Store.UserByName(context.Background(), "ann")
	if err != nil || !found {
		t.Fatalf("ann's user: %v %v", found, err)
	}
	if _, err := srv.Store.UpdateUser(context.Background(), u.ID, hubbub.UserChange{Name: new("ann2")}); err != nil {
		t.Fatal(err)
	}
	dialUser(t, srv, "Ann", "lobby")

	ann.do("record the notices", recordNotices())
	ann.doWithin(3*waitTimeout, "load the page again", chromedp.Navigate(srv.URL+"/#lobby"))
	ann.waitFor("a live connection as ann2", exprLive+` && document.getElementById("me-name").textContent === "ann2"`)
	ann.waitFor("a notice naming both", `window.noticesSeen.some(t => t.includes("ann2") && t.includes("“ann”"))`)
	if got := eval[string](ann, `localStorage.getItem("hubbub.name")`); got != "ann2" {
		t.Errorf("the page keeps the name %q, want ann2", got)
	}
	if eval[bool](ann, `document.getElementById("name-dialog").open`) {
		t.Error("the page asks for a name")
	}
	ann.say("still here")
	ann.see("ann2", "still here")
}

// A guest who renames to a name another user holds is told so in the name dialog, which stays
// open with the name typed, to choose another, as a first name taken is told; the page keeps
// its name meanwhile. Before, the dialog closed and a notice said "The server knows you as
// hal2, not “bob”.", which read as if the server had lost track of who they were.
func TestRenameToATakenNameSaysWhoseItIs(t *testing.T) {
	b := startBrowser(t)
	srv := servertest.Start(t, servertest.Options{})
	dialUser(t, srv, "bob", "lobby") // a guest holding "bob"
	hal := b.newUser("hal2")
	hal.open(srv.URL + "/#lobby")

	hal.do("open Change name", chromedp.Click(chromedp.CSS("#rename")))
	hal.waitFor("the name dialog", `document.getElementById("name-dialog").open`)
	hal.do("ask for bob",
		chromeEval(`window.nameDialogClosed = 0; document.getElementById("name-dialog").addEventListener("close", () => window.nameDialogClosed++)`),
		chromeEval(`document.getElementById("name-input").value = ""`),
		typeInto("#name-input", "bob"),
		pressEnter(chromedp.CSS("#name-input")))
	hal.waitFor("the dialog saying whose the name is", `document.getElementById("name-error").textContent.includes('the name "bob" belongs to another user')`)
	saveShot(t, hal, "rename-taken.png")
	if got := eval[string](hal, `document.getElementById("name-input").value`); got != "bob" {
		t.Errorf("the dialog shows %q, want the name typed, bob", got)
	}
	if n := eval[int](hal, `window.nameDialogClosed`); n != 0 || !eval[bool](hal, `document.getElementById("name-dialog").open`) {
		t.Errorf("the name dialog closed %d times; it should stay open to choose another name", n)
	}
	if eval[bool](hal, `document.getElementById("name-cancel").hidden`) {
		t.Error("no Cancel to keep the name hal2")
	}
	hal.waitFor("still hal2, live", exprLive+` && document.getElementById("me-name").textContent === "hal2"`)
	if eval[bool](hal, `!document.getElementById("notice").hidden && document.getElementById("notice-text").textContent.includes("knows you as")`) {
		t.Errorf("the old notice shows: %q", eval[string](hal, `document.getElementById("notice-text").textContent`))
	}

	hal.do("choose another",
		chromeEval(`document.getElementById("name-input").value = ""`),
		typeInto("#name-input", "hal3"),
		pressEnter(chromedp.CSS("#name-input")))
	hal.waitFor("renamed hal3, the dialog closed", exprLive+` && document.getElementById("me-name").textContent === "hal3" && !document.getElementById("name-dialog").open`)
	hal.say("hal3 here")
	hal.see("hal3", "hal3 here")
}

// A first name another user holds is refused in the welcome dialog, which stays a welcome
// (its title, Start chatting, no Cancel) with the name typed, and the page does not take the
// name as mine meanwhile: the sidebar showed "bob" as my name, the dialog turned into "Change
// your name" with Save, and the refused name was kept for the next visit (found by s30-user).
func TestFirstNameTakenStaysAWelcome(t *testing.T) {
	b := startBrowser(t)
	srv := servertest.Start(t, servertest.Options{})
	dialUser(t, srv, "bob", "lobby") // a guest holding "bob"
	hal := b.newUser("hal")
	hal.doWithin(3*waitTimeout, "open", chromedp.Navigate(srv.URL+"/#lobby"))
	hal.waitFor("the name dialog", `document.getElementById("name-dialog").open`)
	hal.do("ask for bob", typeInto("#name-input", "bob"), pressEnter(chromedp.CSS("#name-input")))
	hal.waitFor("the dialog saying whose the name is", `document.getElementById("name-error").textContent.includes('the name "bob" belongs to another user')`)
	state := eval[string](hal, `[document.getElementById("name-title").textContent, document.getElementById("name-submit").textContent,
		document.getElementById("name-cancel").hidden, document.getElementById("name-input").value,
		document.getElementById("me-name").textContent, localStorage.getItem("hubbub.name")].join("|")`)
	if want := "Welcome to hubbub|Start chatting|true|bob||"; state != want {
		t.Errorf("after a first name taken: title|button|cancel hidden|typed|my name|stored name = %q, want %q", state, want)
	}
	hal.do("choose another",
		chromeEval(`document.getElementById("name-input").value = ""`),
		typeInto("#name-input", "hal"),
		pressEnter(chromedp.CSS("#name-input")))
	hal.waitFor("live as hal, the dialog closed", exprLive+` && document.getElementById("me-name").textContent === "hal" && !document.getElementById("name-dialog").open`)
}

// A direct message someone else started and I never opened shows its messages with no "New
// since you left" line: I was never there to leave. The server's read position for it is 0
// (nothing read), and the page drew the line above its first message as for any position;
// once I have read it, a later message gets the line again.
func TestNeverOpenedDirectMessageSaysNotSinceYouLeft(t *testing.T) {
	b := startBrowser(t)
	srv := servertest.Start(t, servertest.Options{})
	bob := dialUser(t, srv, "bob")
	ann := b.newUser("ann")
	ann.open(srv.URL + "/#lobby")
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	dm, err := bob.conn.DM(ctx, []string{"ann"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bob.conn.Join(ctx, dm.Room, nil, 0); err != nil {
		t.Fatal(err)
	}
	bob.say(dm.Room, "hi ann, got a minute?")
	bob.say(dm.Room, "about the release")
	ann.waitFor("the DM in ann's sidebar, 2 unread", exprBadge(dm.Room)+` === "2"`)
	if got := eval[string](ann, `(({read_seq, unread}) => read_seq + "/" + unread)(client.myRooms.get(`+js(dm.Room)+`))`); got != "0/2" {
		t.Errorf("the DM's read position/unread from the server = %s, want 0/2 (never read)", got)
	}
	ann.do("open the DM", chromedp.Click(chromedp.CSS(sideRoom(dm.Room)+" a")))
	ann.see("bob", "about the release")
	ann.waitFor("the badge cleared", exprBadge(dm.Room)+` === ""`)
	if n := eval[int](ann, `document.querySelectorAll("#message-list .unread-divider").length`); n != 0 {
		t.Errorf("a DM never opened shows %d \"New since you left\" lines\n%s", n, ann.describe())
	}
	saveShot(t, ann, "dm-never-opened.png")

	// Read, left, written to again: now the line says something true.
	ann.room("lobby")
	bob.say(dm.Room, "while ann was in lobby")
	ann.waitFor("the DM's badge at 1", exprBadge(dm.Room)+` === "1"`)
	ann.do("open the DM again", chromedp.Click(chromedp.CSS(sideRoom(dm.Room)+" a")))
	ann.see("bob", "while ann was in lobby")
	ann.waitFor("the line above the message that came while ann was away", exprDividerBefore("while ann was in lobby"))
}

// A direct message someone else started and I never read, with more messages than fit, opens at
// its first message — where my reading starts, as a room with unread messages opens at the
// first of them under "New since you left" — with no such line (I was never there). It opened
// at the newest message, the first ones out of view above. Its badge clears once I have read
// it to the end.
func TestNeverReadDirectMessageOpensAtItsFirstMessage(t *testing.T) {
	b := startBrowser(t)
	srv := servertest.Start(t, servertest.Options{Server: server.Config{SendRate: 10000, SendBurst: 10000}})
	bob := dialUser(t, srv, "bob")
	ann := b.newUser("ann")
	ann.open(srv.URL + "/#lobby")
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	dm, err := bob.conn.DM(ctx, []string{"ann"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bob.conn.Join(ctx, dm.Room, nil, 0); err != nil {
		t.Fatal(err)
	}
	const n = 40 // more than the list shows at once, fewer than a join replays
	var first, last uint64
	for i := 1; i <= n; i++ {
		last = bob.say(dm.Room, fmt.Sprintf("note %02d of the handover", i))
		if i == 1 {
			first = last
		}
	}
	ann.waitFor("the DM's 40 unread in ann's sidebar, its messages held", exprBadge(dm.Room)+` === "40" && `+
		`client.rooms.get(`+js(dm.Room)+`).messages.size === 40`)
	ann.do("open the DM", chromedp.Click(chromedp.CSS(sideRoom(dm.Room)+" a")))
	ann.waitFor("the first message in view", exprInView(first))
	if eval[bool](ann, exprInView(last)) {
		t.Errorf("the newest message is in view too: the list is not longer than the view\n%s", ann.describe())
	}
	if n := eval[int](ann, `document.querySelectorAll("#message-list .unread-divider").length`); n != 0 {
		t.Errorf("a DM never read shows %d \"New since you left\" lines\n%s", n, ann.describe())
	}
	ann.do("scroll to the end", chromeEval(`document.getElementById("messages").scrollTop = 1e9`))
	ann.waitFor("the badge cleared once read to the end", exprBadge(dm.Room)+` === ""`)
}

// Reloading the page in a room read partway opens it at the first unread message, under "New
// since you left", as opening it from the sidebar does (found by s29-chat): the page opened the
// room before the room list said where I had read it to, drew the line when the list came, and
// stayed at the newest message, the first unread ones out of view above.
func TestReloadOpensAtTheFirstUnread(t *testing.T) {
	b := startBrowser(t)
	srv := servertest.Start(t, servertest.Options{Server: server.Config{SendRate: 10000, SendBurst: 10000}})
	gopher := dialUser(t, srv, "gopher", "alpha")
	ann := b.newUser("ann")
	ann.open(srv.URL + "/#alpha")
	read := gopher.say("alpha", "read before the reload")
	ann.see("gopher", "read before the reload")
	// The page counts a message read once it has been on screen (a frame after it is drawn,
	// readActive): a switch of rooms at once, which no person makes, left it unread on a busy
	// machine (41 unread, not 40).
	ann.waitFor("alpha read to its end", fmt.Sprintf(`!!client.myRooms.get("alpha") && client.myRooms.get("alpha").read_seq >= %d`, read))
	ann.room("beta") // alpha read to its end, and out of view: what comes now is unread
	const n = 40     // more than the list shows at once, fewer than a join replays
	var first, last uint64
	for i := 1; i <= n; i++ {
		last = gopher.say("alpha", fmt.Sprintf("update %02d while ann was away", i))
		if i == 1 {
			first = last
		}
	}
	ann.waitFor("alpha's 40 unread", exprBadge("alpha")+` === "40"`)

	ann.do("open alpha and reload", chromeEval(`location.hash = "#alpha"`), chromeReload())
	ann.waitFor("a live connection after the reload", exprLive)
	ann.waitFor("alpha's messages held", fmt.Sprintf(`!!client.rooms.get("alpha") && client.rooms.get("alpha").messages.has(%d)`, last))
	ann.waitFor("the divider above the first unread message", exprDividerBefore("update 01 while ann was away"))
	ann.waitFor("the first unread message in view", exprInView(first))
	if eval[bool](ann, exprInView(last)) {
		t.Errorf("the newest message is in view too: the list is not longer than the view\n%s", ann.describe())
	}
}

// exprDMSuggestions lists the New message field's suggestions, in order, "," joined.
const exprDMSuggestions = `Array.from(document.querySelectorAll("#dm-suggestions:not([hidden]) [role=option]"), e => e.dataset.name).join()`

// New message suggests the names the page can show: the people of my DMs and of the rooms I
// am in, never one I share nothing with; the arrow keys and Enter take one, and the next Enter
// starts the conversation. It suggested nothing: a name had to be known by heart and spelt.
func TestNewMessageSuggestsNamesICanSee(t *testing.T) {
	b := startBrowser(t)
	srv := servertest.Start(t, servertest.Options{})
	dialUser(t, srv, "bob", "general")
	dialUser(t, srv, "carol", "general")
	dialUser(t, srv, "cy", "general")
	dialUser(t, srv, "dave", "secret") // in no room of ann's
	eve := dialUser(t, srv, "eve")
	ann := b.newUser("ann")
	ann.open(srv.URL + "/#general")
	ann.waitFor("the members of general", exprMembers+`.join() === "ann,bob,carol,cy"`)
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	if _, err := eve.conn.DM(ctx, []string{"ann"}); err != nil {
		t.Fatalf("eve: dm ann: %v", err)
	}
	ann.waitFor("eve's DM in the sidebar", exprDMs+` === "eve"`)

	ann.do("open New message", chromedp.Click(chromedp.CSS("#new-dm")))
	ann.waitFor("the dialog", `document.getElementById("dm-dialog").open && document.activeElement.id === "dm-names"`)
	ann.do("type e", typeInto("#dm-names", "e"))
	ann.waitFor("eve suggested, not dave", exprDMSuggestions+` === "eve"`)
	saveShot(t, ann, "dm-suggestions-e.png")
	ann.do("clear", chromeEval(`document.getElementById("dm-names").value = ""`))
	ann.do("type c", typeInto("#dm-names", "c"))
	ann.waitFor("carol and cy suggested", exprDMSuggestions+` === "carol,cy"`)
	saveShot(t, ann, "dm-suggestions-c.png")
	ann.do("choose the first", pressKey("#dm-names", "ArrowDown"), pressKey("#dm-names", "Enter"))
	ann.waitFor("carol taken, the dialog still open", `document.getElementById("dm-names").value === "carol, " && document.getElementById("dm-dialog").open`)
	ann.do("type b", typeInto("#dm-names", "b"))
	ann.waitFor("bob suggested", exprDMSuggestions+` === "bob"`)
	ann.do("take bob", pressKey("#dm-names", "ArrowDown"), pressKey("#dm-names", "Enter"))
	ann.waitFor("bob taken", `document.getElementById("dm-names").value === "carol, bob, "`)
	ann.do("start", pressEnter(chromedp.CSS("#dm-names")))
	ann.waitFor("the DM with bob and carol in view", `!document.getElementById("dm-dialog").open && document.getElementById("room-title").textContent === "bob, carol"`)
}

// New message suggests the offline members of my rooms, also of a room whose member list this
// page never opened: it knew only who was online there or had written, and bob, a member of
// general who had left without a word, could not be found — after a reload, or in a room
// followed from the sidebar and never opened. Still no one from a room I am not in.
func TestNewMessageSuggestsOfflineMembersOfMyRooms(t *testing.T) {
	b := startBrowser(t)
	srv := servertest.Start(t, servertest.Options{})
	bob := dialUser(t, srv, "bob", "general")
	dialUser(t, srv, "dave", "secret") // in no room of ann's, online
	ann := b.newUser("ann")
	ann.open(srv.URL + "/#general")
	ann.room("random")
	if err := bob.conn.Close(); err != nil {
		t.Fatalf("bob: close: %v", err)
	}
	ann.do("reload in random", chromeReload())
	ann.waitFor("a live connection after the reload", exprLive)
	ann.waitFor("general followed, bob not in it", `!!client.rooms.get("general") && client.rooms.get("general").joined && !client.rooms.get("general").members.includes("bob")`)

	ann.do("open New message", chromedp.Click(chromedp.CSS("#new-dm")))
	ann.waitFor("the dialog", `document.getElementById("dm-dialog").open && document.activeElement.id === "dm-names"`)
	ann.do("type b", typeInto("#dm-names", "b"))
	ann.waitFor("bob suggested", exprDMSuggestions+` === "bob"`)
	ann.waitFor("the members of both rooms come", `rosterTimes.has("general") && rosterTimes.has("random") && !rosterTimes.has("secret")`)
	ann.do("type d instead", chromeEval(`document.getElementById("dm-names").value = ""`), typeInto("#dm-names", "d"))
	ann.waitFor("the list closed: dave shares no room", `document.getElementById("dm-suggestions").hidden && `+exprDMSuggestions+` === ""`)
}
