package cluster_test

import (
	"strings"
	"testing"

	"github.com/gorilla/websocket"

	"hubbub"
	"hubbub/internal/natstest"
	"hubbub/internal/servertest"
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
