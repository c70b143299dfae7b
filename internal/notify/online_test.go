package notify_test

import (
	"context"
	"maps"
	"slices"
	"testing"
	"time"

	"hubbub/internal/natstest"
	"hubbub/internal/notify"
	"hubbub/internal/servertest"
	"hubbub/internal/testwait"
)

// connected is the users Connected finds, sorted, failing t on an error.
func connected(t *testing.T, p *notify.Presence, users ...string) []string {
	t.Helper()
	found, err := p.Connected(context.Background(), users)
	if err != nil {
		t.Fatal(err)
	}
	return slices.Sorted(maps.Keys(found))
}

// dial connects a stored user (a guest with a key) and waits until its connection receives
// the user's notices: the server sends the room list after it attached it.
func dial(t *testing.T, s *servertest.Server, name string) *servertest.JSONClient {
	t.Helper()
	c := servertest.DialJSON(t, s, name)
	c.Await("rooms")
	return c
}

// A user with a connection counts as connected, one whose connection ended does not, and a
// user never seen does not; the answer comes for every asked user at once.
func TestConnectedOnOneNode(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	p := &notify.Presence{Broker: s.Broker(), Node: "asker", Wait: 200 * time.Millisecond}
	alice, bob := dial(t, s, "alice"), dial(t, s, "bob")
	second := dial(t, s, "alice") // two connections of one user: one answer counts

	if got := connected(t, p, alice.User, bob.User, "u_nobody", alice.User); !slices.Equal(got, sorted(alice.User, bob.User)) {
		t.Fatalf("connected %v, want alice and bob %v", got, sorted(alice.User, bob.User))
	}
	bob.Conn.Close()
	testwait.Until(t, "bob to count as away", func() bool {
		return slices.Equal(connected(t, p, alice.User, bob.User), []string{alice.User})
	})
	alice.Conn.Close()
	if got := connected(t, p, alice.User); !slices.Equal(got, []string{alice.User}) {
		t.Fatalf("alice with one connection left: connected %v", got)
	}
	second.Conn.Close()
	testwait.Until(t, "alice to count as away", func() bool { return len(connected(t, p, alice.User)) == 0 })
	if got := connected(t, p); len(got) != 0 {
		t.Fatalf("no users asked: %v", got)
	}
}

// A user connected to another node of the cluster counts as connected on this one: the nodes
// share the question and the answers through NATS.
func TestConnectedOnAnotherNode(t *testing.T) {
	ns := natstest.Start(t)
	a := servertest.Start(t, servertest.Options{Node: "a", NATS: ns.ClientURL()})
	b := servertest.Start(t, servertest.Options{Node: "b", NATS: ns.ClientURL(), DataPath: a.Opts.DataPath})
	pb := &notify.Presence{Broker: b.Broker(), Node: "b", Wait: 500 * time.Millisecond}
	pa := &notify.Presence{Broker: a.Broker(), Node: "a", Wait: 500 * time.Millisecond}

	alice := dial(t, a, "alice")
	bob := dial(t, b, "bob")
	want := sorted(alice.User, bob.User)
	for _, p := range []*notify.Presence{pa, pb} {
		if got := connected(t, p, alice.User, bob.User, "u_nobody"); !slices.Equal(got, want) {
			t.Fatalf("node %s finds %v connected, want %v", p.Node, got, want)
		}
	}
	alice.Conn.Close()
	testwait.Until(t, "alice, gone from node a, to count as away on node b", func() bool {
		return slices.Equal(connected(t, pb, alice.User, bob.User), []string{bob.User})
	})
}

func sorted(s ...string) []string { return slices.Sorted(slices.Values(s)) }
