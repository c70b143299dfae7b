package cluster_test

import (
	"testing"

	"hubbub/internal/servertest"
	"hubbub/internal/testwait"
)

// apiKey is the server API key of every cluster node.
const apiKey = "cluster-api-key"

func moderate(c *servertest.JSONClient, f servertest.Frame) servertest.Frame {
	t := f.Type()
	c.Send(f)
	return c.AwaitFunc("answer to "+t, func(g servertest.Frame) bool {
		return g.Type() == "moderated" || g.Type() == "error" && g.Str("request") == t
	})
}

func awaitCode(c *servertest.JSONClient, code string) servertest.Frame {
	return c.AwaitFunc("error "+code, func(f servertest.Frame) bool { return f.Type() == "error" && f.Str("code") == code })
}

// A moderator on node 1 kicks, bans, mutes and deletes; members on node 2 feel each at once,
// and the ban holds on both nodes.
func TestModerationAcrossTwoNodes(t *testing.T) {
	c := startCluster(t, 2)
	n1, n2 := c.nodes[0], c.nodes[1]
	mod := servertest.DialJSON(t, n1, "mod")
	mod.Join("room", nil)
	ann := servertest.DialJSON(t, n2, "ann")
	ann.Join("room", nil)
	eve := servertest.DialJSON(t, n2, "eve")
	eve.Join("room", nil)
	testwait.Until(t, "eve visible on node 1", func() bool { return len(n1.Hub.Members("room")) == 3 })

	// kick
	if got := moderate(mod, servertest.Frame{"type": "kick", "room": "room", "name": "eve", "reason": "cool off"}); got.Type() != "moderated" {
		t.Fatalf("kick: %v", got)
	}
	awaitCode(eve, "kicked")
	eve.Await("left")
	mod.AwaitFunc("eve leaving", func(f servertest.Frame) bool {
		return f.Type() == "presence" && f.Str("name") == "eve" && f.Str("event") == "leave"
	})

	// mute: eve rejoins on node 2 and may read but not send
	eve.Join("room", nil)
	if got := moderate(mod, servertest.Frame{"type": "mute", "room": "room", "name": "eve", "duration": "1h"}); got.Type() != "moderated" {
		t.Fatalf("mute: %v", got)
	}
	testwait.Until(t, "mute on node 2", func() bool {
		f := eve.Say("room", "probe", "x")
		return f.Str("code") == "muted"
	})
	moderate(mod, servertest.Frame{"type": "unmute", "room": "room", "name": "eve"})
	testwait.Until(t, "unmute on node 2", func() bool { return eve.Say("room", "probe2", "x").Type() == "ack" })

	// delete: everyone on both nodes is told; history shows the tombstone
	a := ann.Say("room", "a1", "regrettable")
	seq := a.Num("seq")
	if got := moderate(mod, servertest.Frame{"type": "delete", "room": "room", "seq": seq}); got.Type() != "moderated" {
		t.Fatalf("delete: %v", got)
	}
	for _, cl := range []*servertest.JSONClient{ann, eve, mod} {
		cl.AwaitFunc("deleted", func(f servertest.Frame) bool { return f.Type() == "deleted" && f.Num("seq") == seq })
	}
	ann.Send(servertest.Frame{"type": "history", "room": "room"})
	h := ann.Await("history")
	msgs := h["messages"].([]any)
	last := msgs[len(msgs)-1].(map[string]any)
	if last["deleted"] != true || last["text"] != "" {
		t.Fatalf("history on node 2 shows %v", last)
	}

	// ban: eve is removed on node 2 and refused on both nodes
	if got := moderate(mod, servertest.Frame{"type": "ban", "room": "room", "name": "eve", "duration": "1h"}); got.Type() != "moderated" {
		t.Fatalf("ban: %v", got)
	}
	awaitCode(eve, "kicked")
	if j := eve.Join("room", nil); j.Str("code") != "banned" {
		t.Fatalf("join on node 2 while banned: %v", j)
	}
	eve1 := servertest.DialJSON(t, n1, "eve")
	if j := eve1.Join("room", nil); j.Str("code") != "banned" {
		t.Fatalf("join on node 1 while banned: %v", j)
	}
	// A node that opens the room later loads the ban from the shared store.
	if j := servertest.DialJSON(t, n2, "eve").Join("room2", nil); j.Type() != "joined" {
		t.Fatalf("another room: %v", j)
	}
}

// The API on node 2 bans a member connected to node 1 and publishes to the room.
func TestAPIAcrossTwoNodes(t *testing.T) {
	c := startCluster(t, 2)
	n1, n2 := c.nodes[0], c.nodes[1]
	eve := servertest.DialJSON(t, n1, "eve")
	eve.Join("room", nil)
	if status, body := n2.API("POST", "/api/rooms/room/messages", apiKey, map[string]any{"from": "Bot", "text": "hi from node 2"}); status != 201 {
		t.Fatalf("publish: %d %v", status, body)
	}
	if m := eve.Messages("room", 1)[0]; m.Str("from") != "Bot" {
		t.Fatalf("eve got %v", m)
	}
	if status, body := n2.API("POST", "/api/rooms/room/ban", apiKey, map[string]any{"name": "eve", "duration": "10m"}); status != 200 {
		t.Fatalf("ban: %d %v", status, body)
	}
	awaitCode(eve, "kicked")
	if j := eve.Join("room", nil); j.Str("code") != "banned" {
		t.Fatalf("join while banned: %v", j)
	}
	testwait.Until(t, "members seen through node 2", func() bool {
		_, body := n2.API("GET", "/api/rooms/room/members", apiKey, nil)
		m, _ := body["members"].([]any)
		return len(m) == 0
	})
}

// A kick typed in another case reaches the member on another node, where the moderator's
// node does not hold the room: every node matches the name's look-alikes itself.
func TestKickInAnotherCaseReachesAnotherNode(t *testing.T) {
	c := startCluster(t, 2)
	n1, n2 := c.nodes[0], c.nodes[1]
	mod := servertest.DialJSON(t, n1, "mod") // moderates without joining: node 1 lists nobody in the room
	eve := servertest.DialJSON(t, n2, "Eve")
	eve.Join("room", nil)
	if got := moderate(mod, servertest.Frame{"type": "kick", "room": "room", "name": "eve"}); got.Type() != "moderated" {
		t.Fatalf("kick: %v", got)
	}
	awaitCode(eve, "kicked")
	eve.Await("left")
}

// A ban made through the server API of node 2 is an entry of the room's log on every node:
// ann, a member on node 1, is told of it with its log_seq, bob on node 1 is kicked, and carol,
// away meanwhile, is replayed it on node 1 by a join with since, before the message that
// followed it. Before, the ban took no seq and a member was told nothing, live or after.
func TestSanctionEntriesAcrossTwoNodes(t *testing.T) {
	c := startCluster(t, 2)
	n1, n2 := c.nodes[0], c.nodes[1]
	ann := servertest.DialJSON(t, n1, "ann")
	ann.Join("room", nil)
	bob := servertest.DialJSON(t, n1, "bob")
	bob.Join("room", nil)
	carol := servertest.DialJSON(t, n1, "carol")
	carol.Join("room", nil)
	first := ann.Say("room", "a-1", "before").Num("seq")
	carol.Messages("room", 1)
	carol.Conn.Close()

	if status, body := n2.API("POST", "/api/rooms/room/ban", apiKey, map[string]any{"name": "bob", "duration": "10m", "reason": "spam"}); status != 200 {
		t.Fatalf("ban: %d %v", status, body)
	}
	awaitCode(bob, "kicked")
	told := ann.Await("sanction_changed")
	if told.Str("action") != "ban" || told.Str("name") != "bob" || told.Num("log_seq") != first+1 || told.Str("reason") != "spam" {
		t.Fatalf("ann on node 1 was told %v, want bob's ban at log_seq %d", told, first+1)
	}
	if ack := ann.Say("room", "a-2", "after"); ack.Num("seq") != first+2 {
		t.Fatalf("the message after the ban answered %v, want seq %d", ack, first+2)
	}

	carol = servertest.DialJSON(t, n1, "carol")
	if j := carol.Join("room", &first); j.Type() != "joined" {
		t.Fatalf("carol's join with since %d: %v", first, j)
	}
	f := carol.AwaitFunc("the ban or a message", func(f servertest.Frame) bool {
		return f.Type() == "sanction_changed" || f.Type() == "message"
	})
	if f.Type() != "sanction_changed" || f.Num("log_seq") != first+1 || f.Str("name") != "bob" {
		t.Fatalf("carol was replayed %v first, want bob's ban at log_seq %d", f, first+1)
	}
	if m := carol.Messages("room", 1)[0]; m.Num("seq") != first+2 {
		t.Fatalf("carol was replayed %v after the ban, want message %d", m, first+2)
	}
}
