package cluster_test

import (
	"crypto/rand"
	"encoding/base64"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"hubbub"
	"hubbub/client"
	"hubbub/internal/accounts"
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

// An account that renames itself through one node (POST /api/me/name, as the account page's
// form does) is renamed on every node: its connection on the other node, opened by the same
// session, is told and goes by the new name there, as for an operator's rename. The rename
// takes the one path every rename takes (the store, then each node's check of its connected
// users), so the second node learns of it from the store's change, told through the broker.
func TestAccountRenameReachesItsConnectionOnAnotherNode(t *testing.T) {
	c := startCluster(t, 2)
	h, _ := accounts.NewHasher(accounts.TestHashParams, 1)
	if _, err := accounts.AddUser(t.Context(), c.nodes[0].Store, h, "ann", "", "correct horse"); err != nil {
		t.Fatal(err)
	}
	session, err := client.SignIn(t.Context(), c.nodes[0].URL, "ann", "correct horse", nil)
	if err != nil {
		t.Fatal(err)
	}
	cookie := (&http.Cookie{Name: client.SessionCookieName, Value: session}).String()
	var conns []*servertest.JSONClient
	for i, node := range c.nodes {
		cl := servertest.NewJSONClient(t, servertest.Dial(t, node.WS, hubbub.ProtocolJSON, http.Header{"Cookie": {cookie}}))
		cl.Send(servertest.Frame{"type": "hello"})
		if w := cl.Await("welcome"); w.Str("name") != "ann" {
			t.Fatalf("ann's welcome on node %d: %v", i+1, w)
		}
		if f := cl.Join("r", nil); f.Type() != "joined" {
			t.Fatal(f)
		}
		conns = append(conns, cl)
	}
	bob := servertest.DialJSON(t, c.nodes[1], "bob")
	if f := bob.Join("r", nil); f.Type() != "joined" {
		t.Fatal(f)
	}

	// A program's post: no Origin, the CSRF cookie's value in the header.
	var b [32]byte
	rand.Read(b[:])
	csrf := base64.RawURLEncoding.EncodeToString(b[:])
	req, _ := http.NewRequest("POST", c.nodes[0].URL+"/api/me/name", strings.NewReader(`{"name":"Annie"}`))
	req.Header.Set("Cookie", cookie+"; "+(&http.Cookie{Name: accounts.CSRFCookie, Value: csrf}).String())
	req.Header.Set(accounts.CSRFHeader, csrf)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /api/me/name on node 1: %d %s", resp.StatusCode, body)
	}
	for i, cl := range conns {
		if f := cl.Await("renamed"); f.Str("name") != "Annie" || f.Str("was") != "ann" {
			t.Fatalf("ann's connection on node %d: %v, want renamed Annie was ann", i+1, f)
		}
	}
	f := bob.AwaitFunc("bob's leave of ann", func(f servertest.Frame) bool {
		return f.Type() == "presence" && f.Str("event") == "leave" && f.Str("name") == "ann"
	})
	if f.Str("renamed") != "Annie" {
		t.Fatalf("bob on node 2: %v, want ann renamed Annie", f)
	}
	if f := conns[1].Say("r", "n2-1", "from node 2"); f.Type() != "ack" {
		t.Fatal(f)
	}
	if m := bob.Messages("r", 1)[0]; m.Str("from") != "Annie" {
		t.Fatalf("ann's message on node 2: %v, want from Annie", m)
	}
}
