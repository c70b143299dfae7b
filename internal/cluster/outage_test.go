package cluster_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/gorilla/websocket"

	"hubbub"
	"hubbub/internal/natstest"
	"hubbub/internal/servertest"
	"hubbub/internal/testwait"
)

// A connection made while its node's NATS is down is its user's all the same: disabling the
// account once NATS is back closes it, as it closes the user's every other connection. The
// node could not subscribe to the user's channel then, and left the connection off the
// channel's list, where account checks look: a disabled user went on talking until they chose
// to reconnect (found by running three nodes and stopping NATS for a while).
func TestConnectionMadeWhileNATSIsDownFollowsItsAccount(t *testing.T) {
	c := startCluster(t, 2)
	natstest.Stop(c.nats)
	bob := servertest.DialJSON(t, c.nodes[0], "bob")
	if f := bob.Await("error"); f.Str("code") != "unavailable" || !strings.Contains(f.Str("message"), "other servers is down") {
		t.Fatalf("bob's hello with NATS down: %v, want unavailable saying the other servers are not heard", f)
	}
	c.nats = natstest.Restart(t, c.nats)

	disabled := true
	if _, err := c.nodes[0].Store.UpdateUser(t.Context(), bob.User, hubbub.UserChange{Disabled: &disabled}); err != nil {
		t.Fatal(err)
	}
	if ce := bob.Closed(); ce == nil || ce.Code != websocket.ClosePolicyViolation || !strings.Contains(ce.Text, "your account was disabled") {
		t.Fatalf("bob's connection, made while NATS was down, after his account was disabled: %v, want a close 1008 saying so", ce)
	}
}

// A join refused for the NATS outage (the node cannot subscribe to the room) changes nothing:
// the room is not put in the user's list, which their other devices and their next connection
// read. The list was written before the hub opened the room, so a join answered unavailable
// left the room listed as joined (found by stopping NATS under three nodes).
func TestJoinRefusedWhileNATSIsDownLeavesTheRoomListAlone(t *testing.T) {
	c := startCluster(t, 2)
	bob := servertest.DialJSON(t, c.nodes[0], "bob")
	bob.Await("rooms") // sent once his connection is on his user's channel: NATS is not needed after
	natstest.Stop(c.nats)
	if f := bob.Join("outage", nil); f.Type() != "error" || f.Str("code") != "unavailable" || f.Str("room") != "outage" {
		t.Fatalf("bob's join of a room not open on his node, NATS down: %v, want unavailable", f)
	}
	c.nats = natstest.Restart(t, c.nats)
	for _, n := range c.nodes {
		testwait.Until(t, "the node ready again, NATS back", func() bool { st, _ := n.Get("/readyz"); return st == http.StatusOK })
	}

	// The list a connection of bob's is sent at welcome, unasked: what his other devices show.
	listed := func() []string { return roomNames(servertest.DialJSON(t, c.nodes[1], "bob").Await("rooms")) }
	if names := listed(); slices.Contains(names, "outage") {
		t.Fatalf("bob's rooms after a refused join of outage: %v, want it not there", names)
	}
	if f := bob.Join("outage", nil); f.Type() != "joined" {
		t.Fatalf("bob's join once NATS is back: %v, want joined", f)
	}
	if names := listed(); !slices.Contains(names, "outage") {
		t.Fatalf("bob's rooms after his join of outage: %v, want it there", names)
	}
}

// roomNames lists the rooms of a rooms frame.
func roomNames(f servertest.Frame) []string {
	var names []string
	rooms, _ := f["rooms"].([]any)
	for _, r := range rooms {
		if m, ok := r.(map[string]any); ok {
			name, _ := m["room"].(string)
			names = append(names, name)
		}
	}
	return names
}
