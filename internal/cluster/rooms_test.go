package cluster_test

import (
	"slices"
	"testing"

	"hubbub/internal/servertest"
	"hubbub/internal/testwait"
)

// GET /api/rooms on one node lists the rooms written in through the other (the list comes
// from the shared store), and where the room is open on the asking node, the members of both.
func TestAPIRoomsAcrossNodes(t *testing.T) {
	c := startCluster(t, 2)
	n1, n2 := c.nodes[0], c.nodes[1]
	eve := servertest.DialJSON(t, n1, "eve")
	eve.Join("talk", nil)
	if f := eve.Say("talk", "e1", "hello"); f.Type() != "ack" {
		t.Fatalf("send: %v", f)
	}
	if status, body := n1.API("POST", "/api/rooms/quiet/messages", apiKey, map[string]any{"from": "Bot", "text": "nobody here"}); status != 201 {
		t.Fatalf("publish: %d %v", status, body)
	}
	list := func() map[string]map[string]any {
		status, body := n2.API("GET", "/api/rooms", apiKey, nil)
		rooms, ok := body["rooms"].([]any)
		if status != 200 || !ok {
			t.Fatalf("GET /api/rooms on node 2: %d %v", status, body)
		}
		out := map[string]map[string]any{}
		for _, r := range rooms {
			out[r.(map[string]any)["name"].(string)] = r.(map[string]any)
		}
		return out
	}
	got := list()
	names := make([]string, 0, len(got))
	for n := range got {
		names = append(names, n)
	}
	slices.Sort(names)
	if !slices.Equal(names, []string{"quiet", "talk"}) {
		t.Fatalf("node 2 lists %q, want [quiet talk]", names)
	}
	if r := got["talk"]; r["last_seq"] != float64(1) || r["open_here"] != false || r["members"] != float64(0) || r["last_activity"] == nil {
		t.Errorf("talk, open on node 1 only, seen from node 2: %v", r)
	}
	ann := servertest.DialJSON(t, n2, "ann")
	ann.Join("talk", nil)
	testwait.Until(t, "node 2 to count eve (node 1) and ann (node 2) in talk", func() bool {
		r := list()["talk"]
		return r["open_here"] == true && r["members"] == float64(2) && r["connections"] == float64(1)
	})
}
