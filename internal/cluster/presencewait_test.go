package cluster_test

import (
	"fmt"
	"testing"
	"time"

	"hubbub/internal/hub"
	"hubbub/internal/servertest"
	"hubbub/internal/testwait"
)

// What a room that opens on a node of a cluster waits for (--presence-wait). The wait here is
// far longer than a test waits for a frame (servertest.Wait, 10 s), so that a join that waits
// it out fails ("no joined … within 10s") instead of passing slowly: each join below is held
// only until the nodes have answered, a few broker round trips.
const longWait = 10 * time.Minute

// joinLists joins c to room and fails t unless its joined lists exactly members.
func joinLists(t *testing.T, c *servertest.JSONClient, room string, members ...string) {
	t.Helper()
	j := c.Join(room, nil)
	if j.Type() != "joined" || fmt.Sprint(j["members"]) != fmt.Sprint(members) || j.Num("member_count") != uint64(len(members)) {
		t.Fatalf("joined %s: %v, want members %v", room, j, members)
	}
}

// Three nodes. A room that only node 1 holds, opened on node 2: every node answers the
// question, node 3 that it holds nobody there, so the join is held only until they have
// answered, and its joined lists ann of node 1. A room no other node holds (on node 1 first,
// then on node 3) is not held past their answers either.
func TestJoinWaitsOnlyForTheNodesAnswers(t *testing.T) {
	c := startClusterWith(t, 3, hub.Config{PresenceWait: longWait, PresenceInterval: presenceSlow})
	ann := servertest.DialJSON(t, c.nodes[0], "ann")
	joinLists(t, ann, "ops", "ann")

	bob := servertest.DialJSON(t, c.nodes[1], "bob")
	joinLists(t, bob, "ops", "ann", "bob")

	carol := servertest.DialJSON(t, c.nodes[2], "carol")
	joinLists(t, carol, "solo", "carol")
	joinLists(t, carol, "ops", "ann", "bob", "carol")
}

// A node restarted (or started) in a cluster knows no other node yet: it asks every node to
// announce itself, and the first answer tells it which nodes to wait for. Its first joins are
// held only that long, not --presence-wait, and list the members of the other nodes.
func TestJoinAfterARestartWaitsOnlyForTheOtherNodes(t *testing.T) {
	c := startClusterWith(t, 3, hub.Config{PresenceWait: longWait, PresenceInterval: presenceSlow})
	ann := servertest.DialJSON(t, c.nodes[0], "ann")
	joinLists(t, ann, "ops", "ann")
	bob := servertest.DialJSON(t, c.nodes[1], "bob")
	joinLists(t, bob, "ops", "ann", "bob")

	c.nodes[2] = c.nodes[2].Restart()
	dave := servertest.DialJSON(t, c.nodes[2], "dave")
	joinLists(t, dave, "ops", "ann", "bob", "dave")
	joinLists(t, dave, "quiet", "dave")
}

// A node alone on NATS, just started: no other node announces itself, so it does not know
// which nodes there are, and waited for the first one's announcement the whole --presence-wait
// (ten minutes here) before its first joins went. The NATS server tells it that nobody else
// subscribes to the room, in one round trip: there are no answers to wait for, and the joins go
// at once. With a second node holding a room, a room that opens on a node restarted meanwhile
// is still held for that node's answer (TestJoinAfterARestartWaitsOnlyForTheOtherNodes).
func TestLoneNodeDoesNotWait(t *testing.T) {
	c := startClusterWith(t, 1, hub.Config{PresenceWait: longWait, PresenceInterval: presenceSlow})
	ann := servertest.DialJSON(t, c.nodes[0], "ann")
	joinLists(t, ann, "ops", "ann")
	bob := servertest.DialJSON(t, c.nodes[0], "bob")
	joinLists(t, bob, "ops", "ann", "bob")
	joinLists(t, bob, "quiet", "bob")
}

// A node that shuts down says so: the others stop waiting for it at once, rather than for
// three presence intervals (an hour here) after its last word — in a rolling restart, every
// room the stopped node's clients reopen elsewhere would otherwise wait it out.
func TestStoppedNodeIsNotWaitedFor(t *testing.T) {
	c := startClusterWith(t, 3, hub.Config{PresenceWait: longWait, PresenceInterval: 20 * time.Minute})
	ann := servertest.DialJSON(t, c.nodes[0], "ann")
	joinLists(t, ann, "ops", "ann")

	c.nodes[2].Stop()
	bob := servertest.DialJSON(t, c.nodes[1], "bob")
	joinLists(t, bob, "ops", "ann", "bob")
	joinLists(t, bob, "alone", "bob")
}

// A node killed without a word is still waited for until its members expire: a room opened
// meanwhile is held the whole --presence-wait (short here), and then lists every member of
// the nodes that answered.
func TestKilledNodeIsWaitedForAtMostThePresenceWait(t *testing.T) {
	c := startClusterWith(t, 3, hub.Config{PresenceWait: time.Second, PresenceInterval: 20 * time.Minute})
	ann := servertest.DialJSON(t, c.nodes[0], "ann")
	joinLists(t, ann, "ops", "ann")

	c.nodes[2].Kill()
	bob := servertest.DialJSON(t, c.nodes[1], "bob")
	joinLists(t, bob, "ops", "ann", "bob")
}

// A node shutting down does not wait for the answers its rooms that opened are waiting for:
// a join held for a node that died goes at once, and the shutdown ends without waiting it out.
func TestShutdownEndsTheWait(t *testing.T) {
	c := startClusterWith(t, 2, hub.Config{PresenceWait: longWait, PresenceInterval: 20 * time.Minute})
	ann := servertest.DialJSON(t, c.nodes[0], "ann")
	joinLists(t, ann, "ops", "ann") // node 1 has heard from node 2 (it answered)
	ann.Conn.Close()                // else the shutdown waits for her answer to its close frame
	c.nodes[1].Kill()
	testwait.Until(t, "ann's room to close", func() bool { return c.nodes[0].Hub.Rooms() == 0 })

	dave := servertest.DialJSON(t, c.nodes[0], "dave")
	dave.Send(servertest.Frame{"type": "join", "room": "held"})
	testwait.Until(t, "the room dave joins to open", func() bool { return c.nodes[0].Hub.Rooms() == 1 })
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		c.nodes[0].Stop() // fails the test if the shutdown times out
	}()
	ce := dave.Closed() // read on, so that the server's close frame is answered
	<-stopped
	if ce == nil || ce.Code != 1001 {
		t.Fatalf("dave's connection closed with %v, want 1001", ce)
	}
}
