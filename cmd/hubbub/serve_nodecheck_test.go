package main

import (
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"hubbub/internal/natstest"
	"hubbub/internal/servertest"
	"hubbub/internal/testwait"
)

// A node on --postgres without --nats beside another node on the same database stored its
// clients' messages and delivered them to nobody on the other node, and nothing said so. Now
// it warns, at its start, naming the other nodes and --nats, and counts them in
// hubbub_unheard_nodes; the nodes on NATS warn of it too, but never of each other; and once
// it stops, they say all is well again.
func TestServeWarnsOfANodeOnTheSameDatabaseWithoutNATS(t *testing.T) {
	pg := servertest.PostgresSchemas.Schema(t)
	ns := natstest.Start(t)
	onNATS := []string{"--postgres", pg, "--nats", ns.ClientURL(), "--node-check-interval", "1s"}
	_, stopA, logsA := startServeLogged(t, append(onNATS, "--node", "a")...)
	defer stopA()
	_, stopB, logsB := startServeLogged(t, append(onNATS, "--node", "b")...)
	defer stopB()

	addr, stopSolo, logsSolo := startServeLogged(t, "--postgres", pg, "--node", "solo", "--node-check-interval", "1s")
	testwait.Until(t, "the node without --nats to warn of both", func() bool {
		return strings.Contains(logsSolo(), `nodes="a (nats:hubbub), b (nats:hubbub)"`)
	})
	warning := regexp.MustCompile(`level=WARN msg="another node serves from this store, but this node runs without --nats: messages sent on either are stored but not delivered live to the other's clients[^"]*" nodes="a \(nats:hubbub\), b \(nats:hubbub\)" this_broker=in-process fix="start this node, and every node serving from this store, with --nats`)
	if !warning.MatchString(logsSolo()) {
		t.Errorf("the warning of the node without --nats does not say what is wrong and what to do:\n%s", logsSolo())
	}
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !regexp.MustCompile(`(?m)^hubbub_unheard_nodes 2$`).Match(body) {
		t.Errorf("/metrics of the node without --nats lacks hubbub_unheard_nodes 2:\n%s", grepLines(string(body), "unheard"))
	}

	for name, logs := range map[string]func() string{"a": logsA, "b": logsB} {
		testwait.Until(t, name+" to warn of the node without --nats", func() bool {
			return strings.Contains(logs(), `nodes="solo (in-process)"`)
		})
		for line := range strings.Lines(logs()) {
			if strings.Contains(line, "level=WARN") && strings.Contains(line, "another node serves") && !strings.Contains(line, `nodes="solo (in-process)"`) {
				t.Errorf("node %s, on NATS, was warned of a node on NATS: %s", name, line)
			}
		}
	}

	if err := stopSolo(); err != nil {
		t.Fatalf("stop the node without --nats: %v", err)
	}
	testwait.Until(t, "a to say every node shares its broker again", func() bool {
		return strings.Contains(logsA(), "every other node serving from this store now shares this node's broker")
	})
}
