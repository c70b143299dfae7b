package cluster_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	natsserver "github.com/nats-io/nats-server/v2/server"

	"hubbub"
	"hubbub/internal/hub"
	"hubbub/internal/natstest"
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
	// Read up to her leave, taking every frame before it: her join of this session, which
	// comes before it, must not wait in ann's backlog to be taken below for her return — the
	// test would then kill her node before it published that return, and wait for the leave
	// of a member node 1 never heard of (CI: an i/o timeout at "carol expiring").
	framesUntil(t, ann, func(f servertest.Frame) bool {
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

// framesUntil reads c's frames up to the first that matches stop and returns those before it.
func framesUntil(t *testing.T, c *servertest.JSONClient, stop func(servertest.Frame) bool) []servertest.Frame {
	t.Helper()
	var before []servertest.Frame
	for {
		f := c.Next()
		if stop(f) {
			return before
		}
		before = append(before, f)
	}
}

// presenceOf returns the presence frames about name among frames, of event if it is not "".
func presenceOf(frames []servertest.Frame, name, event string) []servertest.Frame {
	var out []servertest.Frame
	for _, f := range frames {
		if f.Type() == "presence" && f.Str("name") == name && (event == "" || f.Str("event") == event) {
			out = append(out, f)
		}
	}
	return out
}

// presenceSlow is the presence interval of the tests that look at every presence frame: at the
// cluster tests' 100 ms, a starved machine can go 300 ms without a restatement, and a node
// then drops the other's members and takes them back (a leave, then a state) — true to what it
// saw, but not what these tests look at.
const presenceSlow = 500 * time.Millisecond

// A room first opened on node 2, while ann is in it on node 1: dave's joined lists ann (and
// counts her), and nobody announces her as joining afterwards — "you joined ops3; members:
// dave", then "* ann joined ops3" though she had been there all along. Once node 2 has heard
// from node 1, the next room it opens waits only for node 1's answer, not the whole wait.
func TestRoomOpenedOnANodeListsEveryNodesMembers(t *testing.T) {
	// The wait is long, so that a slow machine's answers still come within it; it is paid in
	// full only where node 2 knows no other node yet (its first room).
	const wait = 3 * time.Second
	c := startClusterWith(t, 2, hub.Config{PresenceWait: wait, PresenceInterval: presenceSlow})
	ann := servertest.DialJSON(t, c.nodes[0], "ann")
	ann.Join("ops3", nil)
	ann.Join("ops4", nil)

	dave := servertest.DialJSON(t, c.nodes[1], "dave")
	j := dave.Join("ops3", nil)
	if fmt.Sprint(j["members"]) != "[ann dave]" || j.Num("member_count") != 2 {
		t.Fatalf("dave's joined %v, want members [ann dave], member_count 2", j)
	}
	ann.Say("ops3", "m1", "hello dave")
	before := framesUntil(t, dave, func(f servertest.Frame) bool { return f.Type() == "message" && f.Str("text") == "hello dave" })
	if p := presenceOf(before, "ann", "join"); len(p) > 0 {
		t.Fatalf("dave was told ann joined after his joined listed her: %v", p)
	}

	// Node 2 has heard node 1 restate its members of ops3: ops4 waits for its answer alone.
	testwait.Until(t, "node 1's restatement of ops3 heard on node 2", func() bool {
		return fmt.Sprint(c.nodes[1].Hub.Members("ops3")) == "[ann dave]"
	})
	time.Sleep(2 * presenceSlow) // a restatement or two
	start := time.Now()
	j = dave.Join("ops4", nil)
	if fmt.Sprint(j["members"]) != "[ann dave]" {
		t.Fatalf("dave's joined of ops4 %v, want members [ann dave]", j)
	}
	if took := time.Since(start); took >= wait {
		t.Errorf("the join of ops4 took %v: it waited out --presence-wait (%v) though node 1 answered", took, wait)
	}
}

// Without the wait (a node that answers late), a member learned from another node's answer is
// news of someone already there: a presence state, never a join.
func TestMemberLearnedLateIsAStateNotAJoin(t *testing.T) {
	c := startClusterWith(t, 2, hub.Config{PresenceWait: 0, PresenceInterval: presenceSlow})
	ann := servertest.DialJSON(t, c.nodes[0], "ann")
	ann.Join("ops5", nil)
	dave := servertest.DialJSON(t, c.nodes[1], "dave")
	j := dave.Join("ops5", nil)
	listed := fmt.Sprint(j["members"]) == "[ann dave]"
	ann.Say("ops5", "m1", "hello dave")
	before := framesUntil(t, dave, func(f servertest.Frame) bool { return f.Type() == "message" && f.Str("text") == "hello dave" })
	if p := presenceOf(before, "ann", "join"); len(p) > 0 {
		t.Fatalf("ann, in ops5 before dave, announced to him as joining: %v", p)
	}
	p := presenceOf(before, "ann", "state")
	if !listed && len(p) == 0 {
		t.Fatalf("dave's joined %v left ann out, and nothing told him of her", j)
	}
}

// Everyone idle past --away-after, each on their own node: ann's node and bob's both show the
// other away — in a newcomer's joined, in members, and in the API's stored members — not only
// the node each is connected to.
func TestAwayShowsOnEveryNode(t *testing.T) {
	c := startClusterWith(t, 2, hub.Config{AwayAfter: time.Second})
	ann := servertest.DialJSON(t, c.nodes[0], "ann")
	ann.Join("idle", nil)
	bob := servertest.DialJSON(t, c.nodes[1], "bob")
	bob.Join("idle", nil)
	testwait.Until(t, "ann and bob away on both nodes", func() bool {
		for _, n := range c.nodes {
			st := n.Hub.MemberStates("idle")
			if st["ann"] != hub.StateAway || st["bob"] != hub.StateAway {
				return false
			}
		}
		return true
	})
	for i, n := range c.nodes {
		carol := servertest.DialJSON(t, n, fmt.Sprint("carol", i))
		j := carol.Join("idle", nil)
		if fmt.Sprint(j["away"]) != "[ann bob]" {
			t.Errorf("node %d: joined %v, want away [ann bob]", i+1, j)
		}
		for _, name := range []string{"ann", "bob"} {
			if m := memberOf(t, carol, "idle", name); m == nil || m["state"] != "away" {
				t.Errorf("node %d: %s in members: %v, want away", i+1, name, m)
			}
		}
		status, body := n.API("GET", "/api/rooms/idle/members?stored=1", apiKey, nil)
		if status != http.StatusOK {
			t.Fatalf("node %d: stored members: %d %v", i+1, status, body)
		}
		list, _ := body["members"].([]any)
		found := 0
		for _, m := range list {
			m, _ := m.(map[string]any)
			if m["name"] == "ann" || m["name"] == "bob" {
				found++
				if m["state"] != "away" {
					t.Errorf("node %d: the API's stored members say %v, want away: %v", i+1, m, body)
				}
			}
		}
		if found != 2 {
			t.Errorf("node %d: the API's stored members %v, want ann and bob among them", i+1, body)
		}
	}
	// bob is back: ann, on the other node, sees him online again.
	bob.Send(servertest.Frame{"type": "ping", "id": "p"})
	ann.AwaitFunc("bob back", func(f servertest.Frame) bool {
		return f.Type() == "presence" && f.Str("name") == "bob" && f.Str("event") == "state" && f.Str("state") == "online"
	})
	testwait.Until(t, "bob online on node 1", func() bool { return c.nodes[0].Hub.MemberStates("idle")["bob"] == hub.StateOnline })
}

// seenWrites counts, by user id, the last-seen writes a node makes (Store.SeenAt), and fails
// them while failing is set.
type seenWrites struct {
	hubbub.Store
	failing atomic.Bool
	mu      sync.Mutex
	by      map[string]int
}

func (s *seenWrites) SeenAt(ctx context.Context, id string, t time.Time) error {
	s.mu.Lock()
	if s.by == nil {
		s.by = make(map[string]int)
	}
	s.by[id]++
	s.mu.Unlock()
	if s.failing.Load() {
		return errors.New("seen writes failing")
	}
	return s.Store.SeenAt(ctx, id, t)
}

func (s *seenWrites) of(id string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.by[id]
}

// lastSeenCluster is three nodes whose last-seen writes are counted, with ann on node 1, bob on
// node 2 and carol on node 3 in lounge, and nodes 1 and 2 having heard node 3 restate its
// members of lounge after their own members were there.
func lastSeenCluster(t *testing.T) (*cluster, []*seenWrites, *servertest.JSONClient) {
	writes := make([]*seenWrites, 3)
	c := startClusterWith(t, 3, hub.Config{PresenceInterval: presenceSlow}, func(i int, o *servertest.Options) {
		o.WrapStore = func(s hubbub.Store) hubbub.Store { writes[i] = &seenWrites{Store: s}; return writes[i] }
	})
	for i, name := range []string{"ann", "bob"} {
		servertest.DialJSON(t, c.nodes[i], name).Join("lounge", nil)
	}
	carol := servertest.DialJSON(t, c.nodes[2], "carol")
	carol.Join("lounge", nil)
	testwait.Until(t, "everyone in lounge on nodes 1 and 2", func() bool {
		return fmt.Sprint(c.nodes[0].Hub.Members("lounge")) == "[ann bob carol]" && fmt.Sprint(c.nodes[1].Hub.Members("lounge")) == "[ann bob carol]"
	})
	// Every node restates lounge now, node 3 included; the others hear it as the probe does.
	restated := make(chan struct{})
	var once sync.Once
	stop, err := c.nodes[0].Broker().Subscribe("lounge", func(ev hubbub.Event) {
		if _, ok := ev.Body.(hubbub.PresenceReported); ok && ev.Node == "node3" {
			once.Do(func() { close(restated) })
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	if err := c.nodes[0].Broker().Publish(context.Background(), hubbub.Event{Room: "lounge", Node: "probe", Body: hubbub.PresenceRequested{}}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-restated:
	case <-time.After(testwait.Timeout):
		t.Fatal("node 3 did not restate lounge")
	}
	return c, writes, carol
}

// Node 3 dies with carol on it. Nodes 1 and 2 both drop her, but only node 1, the lowest id
// of the nodes that knew her, records when she was last seen: each survivor looked every
// member of the dead node up and wrote them, the same writes as many times as nodes.
func TestDeadNodeMembersLastSeenRecordedOnce(t *testing.T) {
	c, writes, carol := lastSeenCluster(t)
	c.nodes[2].Kill()
	testwait.Until(t, "node 1 to record carol's last seen", func() bool { return writes[0].of(carol.User) > 0 })
	testwait.Until(t, "node 2 to drop carol", func() bool { return fmt.Sprint(c.nodes[1].Hub.Members("lounge")) == "[ann bob]" })
	// Node 2 keeps her last seen for node 1 to record for three intervals past the expiry,
	// ready to record it if node 1 were gone meanwhile; then it drops it.
	time.Sleep(6 * presenceSlow)
	if n := writes[1].of(carol.User); n != 0 {
		t.Errorf("node 2 wrote carol's last seen %d times; node 1 records it", n)
	}
}

// The node that would record carol's last seen cannot (its writes fail), and dies: node 2,
// which left it to node 1, records it.
func TestDeadNodeMembersLastSeenRecordedIfTheRecorderDies(t *testing.T) {
	c, writes, carol := lastSeenCluster(t)
	writes[0].failing.Store(true)
	c.nodes[2].Kill()
	testwait.Until(t, "node 1 to try to record carol's last seen", func() bool { return writes[0].of(carol.User) > 0 })
	testwait.Until(t, "node 2 to drop carol", func() bool { return fmt.Sprint(c.nodes[1].Hub.Members("lounge")) == "[ann bob]" })
	c.nodes[0].Kill()
	testwait.Until(t, "node 2 to record carol's last seen", func() bool { return writes[1].of(carol.User) > 0 })
}

// A room of 2,000 members on node 1, whose names (30 bytes, most of them characters JSON
// escapes) make node 1's statement of its members about 240 KB, on a NATS whose max_payload is
// 64 KiB: the statement goes in parts (the one message was refused by the server, and only
// logged). dave, joining on node 2, sees everyone — who lists all of them — and goes on seeing
// them while node 1 restates the room in parts, each restatement replacing the last whole: a
// part taken for the whole list would drop the names of the others.
func TestBigRoomPresenceCrossesInParts(t *testing.T) {
	ns := natstest.StartWithOptions(t, &natsserver.Options{MaxPayload: 64 << 10})
	c := startClusterOn(t, ns, 2, hub.Config{PresenceInterval: presenceSlow, PresenceWait: 3 * time.Second})
	const crowd = 2000
	want := make([]string, 0, crowd+1)
	ctx := context.Background()
	for i := range crowd {
		name := fmt.Sprintf("%04d %s", i, strings.Repeat(`<&>"\`, 5))
		want = append(want, name)
		id := fmt.Sprint("crowd-", i)
		m := &hub.Member{Name: name, Key: "user:" + id, UserID: id, Out: hub.NewOutbox(hub.DefaultOutboxLimit, nil)}
		if _, err := c.nodes[0].Hub.Join(ctx, hub.JoinRequest{Room: "crowd", Member: m, NoReplay: true}); err != nil {
			t.Fatal(err)
		}
	}
	want = append(want, "dave")
	slices.Sort(want)

	dave := servertest.DialJSON(t, c.nodes[1], "dave")
	dave.Join("crowd", nil)
	who := func() []string {
		dave.Send(servertest.Frame{"type": "who", "room": "crowd"})
		f := dave.AwaitFunc("who of crowd", func(f servertest.Frame) bool { return f.Type() == "members" && f.Str("room") == "crowd" })
		var names []string
		list, _ := f["members"].([]any)
		for _, m := range list {
			name, _ := m.(string)
			names = append(names, name)
		}
		return names
	}
	var got []string
	testwait.Until(t, "node 2 to know node 1's members of crowd", func() bool {
		got = who()
		return len(got) == len(want)
	})
	if !slices.Equal(got, want) {
		t.Fatalf("dave's who lists %d names, not those in the room: first %q", len(got), got[:3])
	}
	time.Sleep(4 * presenceSlow) // node 1 restates the room a few times, in parts
	if got := who(); !slices.Equal(got, want) {
		t.Fatalf("after node 1's restatements, dave's who lists %d names, want %d", len(got), len(want))
	}
}
