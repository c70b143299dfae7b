package cluster_test

import (
	"fmt"
	"path/filepath"
	"testing"

	"hubbub/internal/natstest"
	"hubbub/internal/servertest"
)

// startUserCluster is two nodes on embedded NATS sharing one SQLite file: what a user's
// channel needs between nodes is the broker; the file keeps the users, rooms and read
// positions every store keeps.
func startUserCluster(t *testing.T) []*servertest.Server {
	t.Helper()
	ns := natstest.Start(t)
	data := filepath.Join(t.TempDir(), "shared.db")
	var nodes []*servertest.Server
	for i := range 2 {
		nodes = append(nodes, servertest.Start(t, servertest.Options{Node: fmt.Sprintf("node%d", i+1), NATS: ns.ClientURL(), DataPath: data}))
	}
	return nodes
}

// dialUser connects name's client (a guest with its key) and takes the rooms frame sent after
// welcome.
func dialUser(t *testing.T, node *servertest.Server, name string) *servertest.JSONClient {
	t.Helper()
	c := servertest.DialJSON(t, node, name)
	c.Await("rooms")
	return c
}

// One user on two nodes: a read position moved on node 1 reaches the connection on node 2
// (as the stored value, which never goes back); an invitation and a
// DM made on node 1 reach the user's connection on node 2 live, and a removal takes it out of
// the room there.
func TestUserChannelAcrossNodes(t *testing.T) {
	nodes := startUserCluster(t)
	ann1 := dialUser(t, nodes[0], "ann")
	ann2 := dialUser(t, nodes[1], "ann")
	bob := dialUser(t, nodes[0], "bob")
	if ann1.User != ann2.User {
		t.Fatalf("ann is %s on node 1 and %s on node 2", ann1.User, ann2.User)
	}
	for _, c := range []*servertest.JSONClient{ann1, ann2, bob} {
		c.Join("eng", nil)
	}
	for i := range 3 {
		id := fmt.Sprint("m-", i)
		if f := bob.Say("eng", id, "hello "+id); f.Type() != "ack" {
			t.Fatalf("send: %v", f)
		}
	}
	ann1.Send(servertest.Frame{"type": "read", "room": "eng", "seq": 2})
	if f := ann2.Await("read"); f.Str("room") != "eng" || f.Num("seq") != 2 {
		t.Fatalf("ann on node 2 got %v, want read eng 2", f)
	}
	ann2.Send(servertest.Frame{"type": "read", "room": "eng", "seq": 1}) // behind: stays at 2
	ann2.Send(servertest.Frame{"type": "read", "room": "eng", "seq": 3})
	for _, want := range []uint64{2, 3} {
		if f := ann1.Await("read"); f.Num("seq") != want {
			t.Fatalf("ann on node 1 got %v, want read eng %d", f, want)
		}
	}

	// Created on node 1 (bob's), the private room's invitation reaches ann on node 2.
	bob.Send(servertest.Frame{"type": "create", "room": "plans", "private": true})
	bob.Await("room")
	bob.Send(servertest.Frame{"type": "invite", "room": "plans", "name": "ann", "id": "i-1"})
	if f := ann2.AwaitFunc("room plans", func(f servertest.Frame) bool { return f.Type() == "room" && f.Str("room") == "plans" }); f["invited"] != true {
		t.Fatalf("ann on node 2: %v", f)
	}
	if f := ann2.Join("plans", nil); f.Type() != "joined" {
		t.Fatalf("ann's join on node 2: %v", f)
	}
	bob.Send(servertest.Frame{"type": "dm", "names": []string{"ann"}})
	dm := bob.Await("room").Str("room")
	if f := ann2.AwaitFunc("room "+dm, func(f servertest.Frame) bool { return f.Type() == "room" && f.Str("room") == dm }); fmt.Sprint(f["people"]) != "[bob]" {
		t.Fatalf("ann's dm on node 2: %v", f)
	}
	bob.Send(servertest.Frame{"type": "remove", "room": "plans", "name": "ann", "id": "r-1"})
	ann2.AwaitFunc("left plans", func(f servertest.Frame) bool { return f.Type() == "left" && f.Str("room") == "plans" })
	ann1.AwaitFunc("unroom plans", func(f servertest.Frame) bool { return f.Type() == "unroom" && f.Str("room") == "plans" })
	if f := ann2.Join("plans", nil); f.Str("code") != "forbidden" {
		t.Fatalf("ann's join after her removal: %v", f)
	}
}
