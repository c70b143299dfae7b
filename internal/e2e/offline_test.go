package e2e

import (
	"path/filepath"
	"strings"
	"testing"

	"hubbub/internal/servertest"
)

// A message typed while the server is away says it will be sent when the page is connected, and
// keeps saying so past the page's ack timeout instead of turning into "Not sent — not connected"
// (issue 14, item 13); when the server is back it is sent, once.
func TestOfflineMessageSaysItWillSendWhenConnected(t *testing.T) {
	b := startBrowser(t)
	srv := servertest.Start(t, servertest.Options{DataPath: filepath.Join(t.TempDir(), "hubbub.db")})
	ann := b.newUser("ann")
	ann.open(srv.URL + "/#offline")
	ann.say("online first")
	ann.see("ann", "online first")

	// A short ack timeout, so that the test does not wait ten seconds for a thing not to happen.
	ann.do("shorten the ack timeout", chromeEval(`CHAT_TIMING.ackTimeout = 50`))
	srv.Stop()
	ann.waitFor("the reconnecting state", exprState+` === "reconnecting"`)
	ann.say("typed while offline")
	row := `Array.from(document.querySelectorAll("#message-list .msg.pending")).find(e => e.querySelector(".text").textContent === "typed while offline")`
	status := `((` + row + `) || {querySelector: () => ({textContent: ""})}).querySelector(".status").textContent`
	ann.waitFor("the promise to send it", status+`.toLowerCase().includes("will send when connected")`)
	// Timers run in the order they fire: one armed now, four times the ack timeout later, fires
	// after any timeout the send armed.
	ann.do("arm a later timer", chromeEval(`window.e2eAckWindowOver = false; setTimeout(() => window.e2eAckWindowOver = true, 200)`))
	ann.waitFor("the ack timeout passed", `window.e2eAckWindowOver`)
	if got := eval[string](ann, status); !strings.Contains(strings.ToLower(got), "will send when connected") || strings.Contains(got, "Not sent") {
		t.Errorf("after the ack timeout the offline message says %q, want that it will send when connected", got)
	}
	if eval[bool](ann, `!!(`+row+`) && (`+row+`).classList.contains("failed")`) {
		t.Error("the offline message is marked failed")
	}

	srv = servertest.Start(t, srv.Opts) // same address, same file
	ann.do("click Retry now", chromeEval(`(() => { const b = document.getElementById("reconnect-now"); if (!b.hidden) b.click(); })()`))
	ann.waitFor("a live connection", exprLive)
	ann.see("ann", "typed while offline")
	ann.waitFor("no pending messages", exprPendingCount+` === 0`)
	ann.seeOnce("online first", "typed while offline")
	gopher := dialUser(t, srv, "gopher", "offline")
	n := 0
	for _, s := range gopher.history("offline") {
		if s == "typed while offline" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("the offline message is stored %d times, want once", n)
	}
}
