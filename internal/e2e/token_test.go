package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"hubbub/internal/auth"
	"hubbub/internal/server"
	"hubbub/internal/servertest"
)

// A host app sends its user to the chat with a signed token in the URL fragment: the page asks
// no name, chats under the token's name, and keeps the token out of the address bar, the
// history and localStorage. A token in the hubbub_token cookie works the same way.
func TestTokenFromFragmentNamesTheUser(t *testing.T) {
	b := startBrowser(t)
	srv, mint := startTokenServer(t)
	tok := mint("42", "Ann Lee")

	ann := b.newUser("Ann Lee")
	ann.do("open with a token", chromedp.Navigate(srv.URL+"/#e2e-token&token="+tok))
	ann.waitFor("a live connection", exprLive)
	if eval[bool](ann, `document.getElementById("name-dialog").open`) {
		t.Error("the name prompt opened although the token names the user")
	}
	if href := eval[string](ann, `location.href`); strings.Contains(href, "token=") || !strings.HasSuffix(href, "#e2e-token") {
		t.Errorf("the address bar still shows %q", href)
	}
	if eval[bool](ann, `JSON.stringify(Object.assign({}, localStorage)).includes(`+js(tok)+`)`) {
		t.Error("the token was saved in localStorage")
	}
	ann.waitFor("the room from the fragment", `document.getElementById("room-title").textContent === "#e2e-token"`)
	ann.waitFor("the token's name shown", `document.getElementById("me-name").textContent === "Ann Lee"`)
	ann.say("signed in by my app")
	ann.see("Ann Lee", "signed in by my app")

	// Another user of the host app, signed in through a cookie the app set.
	bob := b.newUser("bob")
	bob.do("open", chromedp.Navigate(srv.URL+"/#e2e-token"))
	bob.do("set the cookie and reload",
		chromeEval(`document.cookie = "hubbub_token=`+mint("43", "bob")+`; path=/"`), chromeReload())
	bob.waitFor("a live connection", exprLive)
	if eval[bool](bob, `document.getElementById("name-dialog").open`) {
		t.Error("bob: the name prompt opened although the cookie names the user")
	}
	bob.see("Ann Lee", "signed in by my app")
	bob.say("hi Ann")
	ann.see("bob", "hi Ann")
	ann.waitFor("bob among the members", exprMembers+`.join() === "Ann Lee,bob"`)
}

// A page opened with /#token=… keeps its token for the browser tab's session, so a reload
// signs in again instead of asking for a name (issue 14, item 10); it is still never written to
// localStorage. A page opened without a token on a server that requires one says, in plain
// words, what to do, rather than showing the server's message meant for developers.
func TestTokenKeptForTheSessionAndTokenServerExplains(t *testing.T) {
	b := startBrowser(t)
	secret := []byte("an e2e secret that is long enough for HS256")
	v, err := auth.NewHMAC(secret, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := servertest.Start(t, servertest.Options{Server: server.Config{Tokens: v}})
	tok, err := auth.Mint(secret, auth.Claims{UserID: "42", Name: "Ann Lee"}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}

	ann := b.newUser("Ann Lee")
	ann.do("open with a token", chromedp.Navigate(srv.URL+"/#e2e-keep&token="+tok))
	ann.waitFor("a live connection", exprLive)
	ann.do("reload", chromeReload())
	ann.waitFor("a live connection after the reload", exprLive)
	if eval[bool](ann, `document.getElementById("name-dialog").open`) {
		t.Error("the name prompt opened after a reload although the tab was given a token")
	}
	ann.waitFor("the token's name shown", `document.getElementById("me-name").textContent === "Ann Lee"`)
	if href := eval[string](ann, `location.href`); strings.Contains(href, "token=") {
		t.Errorf("the address bar shows %q", href)
	}
	if eval[bool](ann, `JSON.stringify(Object.assign({}, localStorage)).includes(`+js(tok)+`)`) {
		t.Error("the token was saved in localStorage")
	}
	ann.say("still me after a reload")
	ann.see("Ann Lee", "still me after a reload")

	// Without a token the page cannot know the server wants one until it has tried a name.
	bob := b.newUser("bob")
	bob.do("open without a token", chromedp.Navigate(srv.URL+"/#e2e-keep"))
	bob.waitFor("the name dialog", `document.getElementById("name-dialog").open`)
	bob.do("type a name", typeInto("#name-input", "bob"), pressEnter(chromedp.CSS("#name-input")))
	bob.waitFor("the sign-in explanation", `document.getElementById("signin-dialog").open`)
	text := eval[string](bob, `document.getElementById("signin-dialog").innerText`)
	for _, jargon := range []string{"hello", "token", "?token=", "parameter", "cookie"} {
		if strings.Contains(text, jargon) {
			t.Errorf("the sign-in explanation speaks of %q: %q", jargon, text)
		}
	}
	if !strings.Contains(text, "site that sent you here") {
		t.Errorf("the sign-in explanation does not say what to do: %q", text)
	}
	if eval[bool](bob, `document.getElementById("name-dialog").open`) {
		t.Error("the name dialog is still open behind the sign-in explanation")
	}
}

// startTokenServer starts a server that takes tokens signed with an HS256 secret, and returns it
// with mint, which signs a token for a user id and name, valid for an hour.
func startTokenServer(t *testing.T) (srv *servertest.Server, mint func(user, name string) string) {
	t.Helper()
	secret := []byte("an e2e secret that is long enough for HS256")
	v, err := auth.NewHMAC(secret, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv = servertest.Start(t, servertest.Options{Server: server.Config{Tokens: v}})
	return srv, func(user, name string) string {
		tok, err := auth.Mint(secret, auth.Claims{UserID: user, Name: name}, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
}
