package e2e

import (
	"testing"

	"github.com/chromedp/chromedp"

	"hubbub/internal/accounts"
	"hubbub/internal/server"
	"hubbub/internal/servertest"
)

// signInOnPage has who's window sign in as name on the sign-in page and waits for the chat,
// live under that name.
func signInOnPage(who *user, srv *servertest.Server, name, password string) {
	who.t.Helper()
	who.doWithin(3*waitTimeout, "open the sign-in page", chromedp.Navigate(srv.URL+"/signin"), waitVisibleAfterNavigation(chromedp.CSS("#password")))
	who.do("sign in",
		typeInto("#name", name),
		typeInto("#password", password),
		pressEnter(chromedp.CSS("#password")),
		waitVisibleAfterNavigation(chromedp.CSS("#composer-input")))
	who.waitFor("live as "+name, exprLive+` && document.getElementById("me-name").textContent === `+js(name))
}

// A signed-in account changes its name: the chat's "Change name" leads to the account page's
// form, with the name selected to be typed over; a name another account holds, in another
// case, is refused there with a sentence and the focus back on the name; a free one is taken,
// and said. The account's other device, open in the chat, goes by the new name at once and
// says why; back in the chat the page shows it too. The chat hid "Change name" from accounts,
// and nothing but an operator's command could rename one.
func TestAccountChangesItsName(t *testing.T) {
	b := startBrowser(t)
	srv := servertest.Start(t, servertest.Options{Server: server.Config{Accounts: accounts.Config{Hash: accounts.TestHashParams}}})
	addAccount(t, srv, "ann", "correct horse battery")
	addAccount(t, srv, "bob", "staple battery horse")
	ann, phone := b.newUser("ann"), b.newUser("ann's phone")
	signInOnPage(ann, srv, "ann", "correct horse battery")
	phone.do("keep its notices", recordNotices())
	signInOnPage(phone, srv, "ann", "correct horse battery")

	const focused = `document.activeElement.id`
	ann.waitFor("Change name shown", `!document.getElementById("rename").hidden`)
	ann.do("click Change name", chromedp.Click(chromedp.CSS("#rename")), waitVisibleAfterNavigation(chromedp.CSS("#new-name")))
	ann.waitFor("the name selected on the account page",
		`location.pathname === "/account" && `+focused+` === "new-name" && document.getElementById("new-name").value === "ann" && `+
			`document.getElementById("new-name").selectionStart === 0 && document.getElementById("new-name").selectionEnd === 3`)

	ann.do("ask for bob's name in capitals",
		chromeEval(`document.getElementById("new-name").value = ""`),
		typeInto("#new-name", "BOB"),
		pressEnter(chromedp.CSS("#new-name")),
		waitVisibleAfterNavigation(chromedp.CSS("#error")))
	ann.waitFor("the refusal as a sentence, the focus on the name", `document.getElementById("error").textContent === `+
		js(`The name "BOB" is another user's (names are the same whatever their case or look-alike letters): choose another.`)+
		` && `+focused+` === "new-name" && document.getElementById("me").textContent === "ann"`)

	ann.do("ask for Annie",
		chromeEval(`document.getElementById("new-name").value = ""`),
		typeInto("#new-name", "Annie"),
		pressEnter(chromedp.CSS("#new-name")),
		waitVisibleAfterNavigation(chromedp.CSS(".notice")))
	ann.waitFor("the change said", `document.querySelector(".notice").textContent.startsWith("Your name is now Annie.") && `+
		`document.getElementById("me").textContent === "Annie" && !document.getElementById("error")`)

	phone.waitFor("the other device going by Annie, saying why", `document.getElementById("me-name").textContent === "Annie" && `+
		`window.noticesSeen.includes("You are Annie now, not “ann”: your name was changed on the account page or by an operator.")`)

	ann.do("back to the chat", chromedp.Click(chromedp.CSS("#to-chat")), waitVisibleAfterNavigation(chromedp.CSS("#composer-input")))
	ann.waitFor("live as Annie", exprLive+` && document.getElementById("me-name").textContent === "Annie"`)
	ann.say("renamed myself")
	phone.see("Annie", "renamed myself")
}
