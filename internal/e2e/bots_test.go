package e2e

import (
	"net/http"
	"strings"
	"testing"

	"hubbub"
	"hubbub/internal/servertest"
)

// exprBadges lists, for each confirmed message in view, its sender and whether it carries the
// BOT badge: "ci:bot", "ann:".
const exprBadges = `Array.from(document.querySelectorAll("#message-list .msg[data-seq]"), e =>
	e.dataset.from + ":" + (e.querySelector(".meta .bot-badge") ? "bot" : ""))`

// A bot's messages show a BOT badge in the page, live and after a reload (from history), and a
// person's do not: one posted by a bot over hubbub.v1 with its token, one by an incoming
// webhook.
func TestBotMessagesShowABadge(t *testing.T) {
	b := startBrowser(t)
	srv := servertest.Start(t, servertest.Options{})
	token := hubbub.NewBotToken()
	if _, err := srv.Store.CreateBot(t.Context(), "ci", []string{"builds"}, hubbub.SecretHash(token)); err != nil {
		t.Fatal(err)
	}
	secret := hubbub.NewHookSecret()
	hookBot, err := srv.Store.CreateBot(t.Context(), "alerts", []string{"builds"}, "")
	if err != nil {
		t.Fatal(err)
	}
	hook, err := srv.Store.CreateIncomingHook(t.Context(), hubbub.IncomingHook{Room: "builds", Bot: hookBot.User.ID, SecretHash: hubbub.SecretHash(secret)})
	if err != nil {
		t.Fatal(err)
	}

	ann := b.newUser("ann")
	ann.open(srv.URL + "/#builds")
	ann.room("builds")
	ann.say("is the build green?")
	ann.see("ann", "is the build green?")

	bot := servertest.DialJSON(t, srv, "")
	bot.Send(servertest.Frame{"type": "hello", "token": token})
	bot.Await("welcome")
	bot.Join("builds", nil)
	if f := bot.Say("builds", "b-1", "build 12 passed"); f.Type() != "ack" {
		t.Fatalf("the bot's send: %v", f)
	}
	resp, err := http.Post(srv.URL+"/hooks/"+hook.ID+"/"+secret, "application/json", strings.NewReader(`{"text":"deploy started","id":"d-1"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("the hook's post: %d", resp.StatusCode)
	}

	want := "ann:,ci:bot,alerts:bot"
	check := func(when string) {
		t.Helper()
		ann.see("ci", "build 12 passed")
		ann.see("alerts", "deploy started")
		if got := strings.Join(eval[[]string](ann, exprBadges), ","); got != want {
			t.Errorf("%s: the messages' badges are %q, want %q", when, got, want)
		}
		if !eval[bool](ann, `Array.from(document.querySelectorAll("#message-list .bot-badge")).every(e => e.textContent === "BOT" && e.getClientRects().length > 0)`) {
			t.Errorf("%s: a BOT badge is not shown", when)
		}
	}
	check("live")
	ann.do("reload", chromeReload())
	ann.waitFor("a live connection after reload", exprLive)
	check("after a reload")
}
