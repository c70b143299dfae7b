package cluster_test

import (
	"fmt"
	"net/http"
	"path/filepath"
	"testing"

	"hubbub/internal/natstest"
	"hubbub/internal/server"
	"hubbub/internal/servertest"
	"hubbub/internal/storecache"
	"hubbub/internal/testwait"
)

// keylessHello says hello as name with no key on node and returns the answer: "welcome", or
// the error frame's code.
func keylessHello(t *testing.T, node *servertest.Server, name string) string {
	t.Helper()
	c := servertest.DialJSON(t, node, "")
	defer c.Conn.Close()
	c.Send(servertest.Frame{"type": "hello", "name": name})
	f := c.AwaitFunc("welcome or error", func(f servertest.Frame) bool { return f.Type() == "welcome" || f.Type() == "error" })
	if f.Type() == "error" {
		return f.Str("code")
	}
	return "welcome"
}

// A user created through the API of node 1 takes the name from keyless guests at once on node
// 1 (the change went through its store cache) and on node 2 (told through the broker), though
// both caches had just answered that nobody held it: the generations' poll is a minute here,
// so only the StoreChanged event can have told node 2 within the wait.
func TestStoreCacheUserCreatedOnOneNodeSeenOnBoth(t *testing.T) {
	ns := natstest.Start(t)
	data := filepath.Join(t.TempDir(), "shared.db")
	var nodes []*servertest.Server
	for i := range 2 {
		nodes = append(nodes, servertest.Start(t, servertest.Options{
			Node: fmt.Sprintf("node%d", i+1), NATS: ns.ClientURL(), DataPath: data,
			Server:     server.Config{APIKey: apiKey},
			StoreCache: storecache.Config{Poll: storecache.MaxPoll},
		}))
	}
	for i, n := range nodes {
		if got := keylessHello(t, n, "Deploy"); got != "welcome" {
			t.Fatalf("a keyless Deploy on node %d before the bot exists: %s", i+1, got)
		}
	}
	if status, body := nodes[0].API("POST", "/api/bots", apiKey, map[string]any{"name": "deploy", "rooms": []string{"deploy"}}); status != http.StatusCreated {
		t.Fatalf("create the bot deploy on node 1: %d %v", status, body)
	}
	if got := keylessHello(t, nodes[0], "Deploy"); got != "name_taken" {
		t.Fatalf("a keyless Deploy on node 1 after node 1 created the bot: %s, want name_taken", got)
	}
	testwait.Until(t, "node 2 to refuse a keyless Deploy", func() bool { return keylessHello(t, nodes[1], "Deploy") == "name_taken" })

	// A guest's name claimed with a key on node 2 reaches node 1 the same way.
	for i, n := range nodes {
		if got := keylessHello(t, n, "erin"); got != "welcome" {
			t.Fatalf("a keyless erin on node %d: %s", i+1, got)
		}
	}
	servertest.DialJSON(t, nodes[1], "erin").Conn.Close() // hello with a key: a stored guest
	if got := keylessHello(t, nodes[1], "erin"); got != "name_taken" {
		t.Fatalf("a keyless erin on node 2 after erin's guest was stored there: %s, want name_taken", got)
	}
	testwait.Until(t, "node 1 to refuse a keyless erin", func() bool { return keylessHello(t, nodes[0], "erin") == "name_taken" })
}
