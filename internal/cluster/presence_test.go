package cluster_test

import (
	"testing"
	"time"

	"hubbub/internal/servertest"
	"hubbub/internal/testwait"
)

// memberOf asks c for the stored members of room and returns the one named name ({user, name,
// state, last_seen, …}), or nil if the page has none of that name.
func memberOf(t *testing.T, c *servertest.JSONClient, room, name string) map[string]any {
	t.Helper()
	c.Send(servertest.Frame{"type": "members", "room": room})
	page := c.AwaitFunc("members of "+room, func(f servertest.Frame) bool { return f.Type() == "members" && f.Str("room") == room })
	list, _ := page["members"].([]any)
	for _, m := range list {
		if m, ok := m.(map[string]any); ok && m["name"] == name {
			return m
		}
	}
	return nil
}

// A node dies (kill -9: it writes nothing more) with carol connected to it. The other node
// drops her with the dead node's members and records when she was last seen: when her node was
// last heard from, not the end of her session before (which is all the store had), and not
// "offline" with no time at all.
func TestDeadNodeMembersLastSeen(t *testing.T) {
	c := startCluster(t, 2)
	ann := servertest.DialJSON(t, c.nodes[0], "ann")
	ann.Join("lounge", nil)

	// carol's earlier session, ended the ordinary way: the store's last seen is its end.
	carol := servertest.DialJSON(t, c.nodes[1], "carol")
	carol.Join("lounge", nil)
	carol.Conn.Close()
	ann.AwaitFunc("carol leaving", func(f servertest.Frame) bool {
		return f.Type() == "presence" && f.Str("name") == "carol" && f.Str("event") == "leave"
	})
	var before time.Time
	testwait.Until(t, "carol's first session's end stored", func() bool {
		m := memberOf(t, ann, "lounge", "carol")
		before, _ = time.Parse(time.RFC3339Nano, stringOf(m, "last_seen"))
		return !before.IsZero()
	})

	// Her session now, cut by the crash of its node.
	time.Sleep(20 * time.Millisecond) // two sessions' times apart, past the store's milliseconds
	back := time.Now().Truncate(time.Millisecond)
	carol = servertest.DialJSON(t, c.nodes[1], "carol")
	carol.Join("lounge", nil)
	ann.AwaitFunc("carol back", func(f servertest.Frame) bool {
		return f.Type() == "presence" && f.Str("name") == "carol" && f.Str("event") == "join"
	})
	c.nodes[1].Kill()
	ann.AwaitFunc("carol expiring with her node", func(f servertest.Frame) bool {
		return f.Type() == "presence" && f.Str("name") == "carol" && f.Str("event") == "leave"
	})
	var seen time.Time
	testwait.Until(t, "carol's last seen moved to her node's last word", func() bool {
		m := memberOf(t, ann, "lounge", "carol")
		if m == nil || m["state"] != "offline" {
			t.Fatalf("carol after her node died: %v, want offline", m)
		}
		seen, _ = time.Parse(time.RFC3339Nano, stringOf(m, "last_seen"))
		return seen.After(before)
	})
	if seen.Before(back) || seen.After(time.Now()) {
		t.Fatalf("carol last seen %v, want between her return %v and now", seen, back)
	}
}

// stringOf is m[k] as a string ("" if absent).
func stringOf(m map[string]any, k string) string {
	s, _ := m[k].(string)
	return s
}
