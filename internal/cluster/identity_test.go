package cluster_test

import (
	"testing"

	"hubbub/internal/servertest"
)

// A name is one user's on every node: once a guest holds "ann" through node 1, another key
// cannot take it, nor a look-alike of it, through node 2 (nor through node 1), in any room; the
// same key is the same user on either node.
func TestNameOwnedAcrossNodes(t *testing.T) {
	c := startCluster(t, 2)
	ann := servertest.DialJSON(t, c.nodes[0], "ann") // key "key-ann"
	ann.Join("r", nil)
	for _, node := range c.nodes {
		for _, name := range []string{"ann", "аnn", "ANN"} { // the second with a Cyrillic а
			for _, key := range []string{"other", ""} {
				cl := servertest.DialJSON(t, node, "")
				hello := servertest.Frame{"type": "hello", "name": name}
				if key != "" {
					hello["key"] = key
				}
				cl.Send(hello)
				if f := cl.Await("error"); f.Str("code") != "name_taken" {
					t.Fatalf("%s: hello %q with key %q: %v, want name_taken", node.Opts.Node, name, key, f)
				}
			}
		}
	}
	again := servertest.DialJSON(t, c.nodes[1], "ann")
	if again.User != ann.User || ann.User == "" {
		t.Fatalf("ann's key on node 2 is user %q, on node 1 %q", again.User, ann.User)
	}
	for _, room := range []string{"r", "elsewhere"} {
		if j := again.Join(room, nil); j.Type() != "joined" {
			t.Fatalf("ann on node 2 joins %s: %v", room, j)
		}
	}
}
