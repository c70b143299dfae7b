package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
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

	// Without a token the page says at once what to do: no name is asked (the server would
	// refuse it), and no sign-in or password is offered (the server lets no account in). It
	// asked a name first, and the sidebar offered "Sign in" and "Set a password".
	bob := b.newUser("bob")
	bob.doWithin(3*waitTimeout, "open without a token", chromedp.Navigate(srv.URL+"/#e2e-keep"))
	bob.waitFor("the sign-in explanation", `document.getElementById("signin-dialog").open`)
	saveShot(t, bob, "token-server-without-token.png")
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
		t.Error("the page asks a name of a visitor to a server that takes tokens only")
	}
	if shown := eval[[]string](bob, `["signin-link", "account-link", "name-signin", "signin-go", "rename"].filter(id => !document.getElementById(id).hidden)`); len(shown) > 0 {
		t.Errorf("the page offers what cannot let a visitor in: %q", shown)
	}
	if errs := bob.consoleErrors(); len(errs) > 0 {
		t.Errorf("bob's page logged errors:\n  %s", strings.Join(errs, "\n  "))
	}

	// A host app's HttpOnly hubbub_token cookie, which the page cannot see, still signs in
	// without a name being asked.
	tokCarol, err := auth.Mint(secret, auth.Claims{UserID: "44", Name: "carol"}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	carol := b.newUser("carol")
	carol.do("set an HttpOnly cookie", setHTTPOnlyCookie(srv.URL+"/", "hubbub_token", tokCarol))
	carol.doWithin(3*waitTimeout, "open", chromedp.Navigate(srv.URL+"/#e2e-keep"))
	carol.waitFor("a live connection", exprLive)
	carol.waitFor("the token's name shown", `document.getElementById("me-name").textContent === "carol"`)
	if eval[bool](carol, `document.getElementById("name-dialog").open || document.getElementById("signin-dialog").open`) {
		t.Error("carol: a dialog opened although her cookie names her")
	}
	carol.see("Ann Lee", "still me after a reload")
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

// setHTTPOnlyCookie sets a cookie for url that the page's script cannot read, as a host app's
// server may.
func setHTTPOnlyCookie(url, name, value string) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := cdp.Call(ctx, t, network.SetCookie, network.SetCookieParams{Name: name, Value: value, URL: url, HTTPOnly: new(true)})
		return chromedp.Void{}, err
	}
}
