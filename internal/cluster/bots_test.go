package cluster_test

import (
	"net/http"
	"strings"
	"testing"

	"hubbub/internal/servertest"
	"hubbub/internal/testwait"
)

// An admin's change to a bot made on node 1 reaches the bot's connection on node 2 at once,
// without the bot writing: narrowed, it leaves the room no longer covered and gets no further
// message of it; rotated, it is told and closed with 1008; and node 2's cache of bot tokens
// forgets the old token (its REST request is refused).
func TestBotRevokedOnAnotherNode(t *testing.T) {
	c := startCluster(t, 2)
	n1, n2 := c.nodes[0], c.nodes[1]
	status, body := n1.API("POST", "/api/bots", apiKey, map[string]any{"name": "ci", "rooms": []string{"builds", "deploy"}})
	if status != http.StatusCreated {
		t.Fatalf("create the bot: %d %v", status, body)
	}
	token := body.Str("token")
	bot := servertest.DialJSON(t, n2, "")
	bot.Send(servertest.Frame{"type": "hello", "token": token})
	if w := bot.Await("welcome"); w.Str("name") != "ci" {
		t.Fatalf("the bot's hello on node 2: %v", w)
	}
	bot.Join("builds", nil)
	bot.Join("deploy", nil)
	if status, body := n2.API("GET", "/api/rooms/builds/messages", token, nil); status != http.StatusOK {
		t.Fatalf("the bot's REST read on node 2 (caching its token there): %d %v", status, body)
	}
	alice := servertest.DialJSON(t, n1, "alice")
	alice.Join("deploy", nil)
	carol := servertest.DialJSON(t, n2, "carol") // a witness on the bot's node
	carol.Join("deploy", nil)

	if status, body := n1.API("PATCH", "/api/bots/ci", apiKey, map[string]any{"rooms": []string{"builds"}}); status != http.StatusOK {
		t.Fatalf("narrow on node 1: %d %v", status, body)
	}
	if f := bot.Await("left"); f.Str("room") != "deploy" {
		t.Fatalf("the bot on node 2 after node 1 narrowed its rooms: %v, want left deploy", f)
	}
	if f := alice.Say("deploy", "a-1", "secret plans"); f.Type() != "ack" {
		t.Fatalf("alice's send: %v", f)
	}
	carol.AwaitFunc("alice's message on node 2", func(f servertest.Frame) bool { return f.Str("text") == "secret plans" })
	bot.Send(servertest.Frame{"type": "ping", "id": "p-1"})
	bot.AwaitFunc("pong", func(f servertest.Frame) bool {
		if f.Type() == "message" && f.Str("room") == "deploy" {
			t.Errorf("the bot got %v after leaving deploy", f)
		}
		return f.Type() == "pong"
	})

	status, body = n1.API("POST", "/api/bots/ci/token", apiKey, nil)
	if status != http.StatusOK {
		t.Fatalf("rotate on node 1: %d %v", status, body)
	}
	if f := bot.Await("error"); f.Str("code") != "unauthorized" || !strings.Contains(f.Str("message"), "no longer works") {
		t.Fatalf("the bot on node 2 after node 1 rotated its token: %v, want unauthorized", f)
	}
	if ce := bot.Closed(); ce == nil || ce.Code != 1008 {
		t.Fatalf("the bot's connection on node 2: %v, want closed with 1008", ce)
	}
	// Well within the cache's age (a minute): only the event can have emptied node 2's cache.
	testwait.Until(t, "node 2 refusing the rotated-out token", func() bool {
		status, _ := n2.API("GET", "/api/rooms/builds/messages", token, nil)
		return status == http.StatusUnauthorized
	})
	if status, body := n2.API("GET", "/api/rooms/builds/messages", body.Str("token"), nil); status != http.StatusOK {
		t.Fatalf("the new token on node 2: %d %v", status, body)
	}
}
