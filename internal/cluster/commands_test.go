package cluster_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"hubbub/internal/commands"
	"hubbub/internal/egress"
	"hubbub/internal/natstest"
	"hubbub/internal/server"
	"hubbub/internal/servertest"
)

// A slash command used on node 1 answers late through its response URL posted to node 2 (any
// node serves it: a load balancer picks one): an ephemeral answer reaches the caller's
// connection on node 1 over the user's channel, a room answer reaches both nodes' members; the
// same response URL posted to both nodes at once is taken by one only.
func TestLateCommandAnswerThroughAnotherNode(t *testing.T) {
	ns := natstest.Start(t)
	data := filepath.Join(t.TempDir(), "shared.db")
	pg := postgresURL(t)
	var nodes []*servertest.Server
	for i := range 2 {
		nodes = append(nodes, servertest.Start(t, servertest.Options{Node: fmt.Sprintf("node%d", i+1), NATS: ns.ClientURL(),
			DataPath: data, Postgres: pg, Server: server.Config{Commands: commands.Config{
				Client: egress.New(egress.Config{AllowPrivate: true}), Timeout: 100 * time.Millisecond}}}))
	}
	urls := make(chan string, 4)
	rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var u struct {
			ResponseURL string `json:"response_url"`
		}
		body, _ := io.ReadAll(r.Body)
		_ = json.Unmarshal(body, &u)
		urls <- u.ResponseURL
		<-r.Context().Done() // never in time: the answer comes later
	}))
	t.Cleanup(rc.Close)
	if _, err := commands.Add(t.Context(), nodes[0].Store, nil, commands.AddRequest{Name: "deploy", URL: rc.URL}); err != nil {
		t.Fatal(err)
	}
	ann := dialUser(t, nodes[0], "ann")
	ann.Join("ops", nil)
	bob := dialUser(t, nodes[1], "bob")
	bob.Join("ops", nil)
	// Presence is cluster-wide: each node lists both once the other's join has crossed NATS.
	for _, n := range nodes {
		servertest.WaitMembers(t, n, "ops", 2)
	}

	// onNode2 is a response URL as node 2 serves it.
	onNode2 := func(u string) string { return strings.Replace(u, nodes[0].URL, nodes[1].URL, 1) }
	use := func(id string) string {
		t.Helper()
		ann.Send(servertest.Frame{"type": "command", "room": "ops", "name": "deploy", "id": id})
		if n := ann.Await("notice"); n.Str("kind") != "working" {
			t.Fatalf("notice %v, want working", n)
		}
		select {
		case u := <-urls:
			return u
		case <-time.After(servertest.Wait):
			t.Fatal("the command's URL got no request")
			return ""
		}
	}

	u := use("c-1")
	if st, body := postTo(t, onNode2(u), `{"text":"only ann","ephemeral":true}`); st != http.StatusOK {
		t.Fatalf("the ephemeral late answer on node 2: %d %s", st, body)
	}
	if n := ann.Await("notice"); n.Str("kind") != "answer" || n.Str("text") != "only ann" || n.Str("id") != "c-1" {
		t.Errorf("ann on node 1 got %v, want the answer", n)
	}

	u = use("c-2")
	var wg sync.WaitGroup
	statuses := make([]int, 2)
	for i, url := range []string{u, onNode2(u)} {
		wg.Go(func() { statuses[i], _ = postTo(t, url, `{"text":"deployed"}`) })
	}
	wg.Wait()
	if ok := (statuses[0] == http.StatusOK) != (statuses[1] == http.StatusOK); !ok || statuses[0]+statuses[1] != http.StatusOK+http.StatusConflict {
		t.Errorf("one response URL on both nodes at once: %v, want one 200 and one 409", statuses)
	}
	for _, c := range []*servertest.JSONClient{ann, bob} {
		if m := c.Messages("ops", 1)[0]; m.Str("from") != "deploy" || m.Str("text") != "deployed" {
			t.Errorf("got %v, want deploy's late answer", m)
		}
	}
}

// postTo posts body to url and returns the status and answer.
func postTo(t *testing.T, url, body string) (int, string) {
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Error(err)
		return 0, ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
