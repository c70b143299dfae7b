package cluster_test

import (
	"slices"
	"testing"

	"hubbub/internal/servertest"
)

// A guest renamed on one node (its other device said hello there with a new name) is renamed
// on every node: its connection on the other node is told and goes by the new name, each
// room lists the user once under it on both nodes, the members of both nodes see a rename
// rather than a departure, and what the first device sends carries the new name.
func TestGuestRenameReachesItsConnectionOnAnotherNode(t *testing.T) {
	c := startCluster(t, 2)
	annA := servertest.DialJSON(t, c.nodes[0], "ann")
	carol := servertest.DialJSON(t, c.nodes[0], "carol")
	bob := servertest.DialJSON(t, c.nodes[1], "bob")
	for _, cl := range []*servertest.JSONClient{annA, carol, bob} {
		if f := cl.Join("r", nil); f.Type() != "joined" {
			t.Fatal(f)
		}
	}
	// bob, joining last, on node 2, was given everyone: joining waits for the other nodes'
	// members (presenceopen.go). carol sees him come.
	carol.AwaitFunc("bob's presence", func(f servertest.Frame) bool { return f.Type() == "presence" && f.Str("name") == "bob" })

	annB := servertest.DialJSON(t, c.nodes[1], "")
	annB.Send(servertest.Frame{"type": "hello", "name": "anna", "key": "key-ann"})
	if w := annB.Await("welcome"); w.Str("name") != "anna" {
		t.Fatalf("device B's welcome on node 2: %v", w)
	}
	if f := annA.Await("renamed"); f.Str("name") != "anna" || f.Str("was") != "ann" {
		t.Fatalf("device A on node 1: %v, want renamed anna was ann", f)
	}
	for who, cl := range map[string]*servertest.JSONClient{"carol (node 1)": carol, "bob (node 2)": bob} {
		f := cl.AwaitFunc(who+"'s leave of ann", func(f servertest.Frame) bool {
			return f.Type() == "presence" && f.Str("event") == "leave" && f.Str("name") == "ann"
		})
		if f.Str("renamed") != "anna" {
			t.Fatalf("%s: %v, want ann renamed anna", who, f)
		}
	}
	if f := annA.Say("r", "a-1", "still me"); f.Type() != "ack" {
		t.Fatal(f)
	}
	if m := bob.Messages("r", 1)[0]; m.Str("from") != "anna" {
		t.Fatalf("device A's message on node 2: %v, want from anna", m)
	}
	for i, node := range c.nodes {
		name := []string{"dave", "erin"}[i]
		f := servertest.DialJSON(t, node, name).Join("r", nil)
		members, _ := f["members"].([]any)
		var names []string
		for _, m := range members {
			n, _ := m.(string)
			names = append(names, n)
		}
		if slices.Contains(names, "ann") || !slices.Contains(names, "anna") || !slices.Contains(names, "bob") || !slices.Contains(names, "carol") ||
			f.Num("member_count") != uint64(len(names)) {
			t.Fatalf("%s joining on %s: %v, want anna once and no ann, member_count the members'", name, node.Opts.Node, f)
		}
	}
}
