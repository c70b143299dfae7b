package natstest_test

import (
	"testing"

	"github.com/nats-io/nats-server/v2/server"
	natsgo "github.com/nats-io/nats.go"
	"go.uber.org/goleak"

	"hubbub/internal/natstest"
)

// TestMain fails the package if a server's goroutines outlive its Stop.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// TestRestart: a restarted server listens on the same port with the same options.
func TestRestart(t *testing.T) {
	s := natstest.StartWithOptions(t, &server.Options{Authorization: "tok"})
	url := s.ClientURL()
	checkAuth(t, url)

	natstest.Stop(s)
	if nc, err := natsgo.Connect(url, natsgo.Token("tok"), natsgo.NoReconnect()); err == nil {
		nc.Close()
		t.Fatal("a stopped server accepted a connection")
	}

	s2 := natstest.Restart(t, s)
	if s2.ClientURL() != url {
		t.Errorf("restarted server at %s, want %s", s2.ClientURL(), url)
	}
	checkAuth(t, url)
	// Restarting a running server works too.
	if s3 := natstest.Restart(t, s2); s3.ClientURL() != url {
		t.Errorf("restarted server at %s, want %s", s3.ClientURL(), url)
	}
	checkAuth(t, url)
}

func checkAuth(t *testing.T, url string) {
	t.Helper()
	nc, err := natsgo.Connect(url, natsgo.Token("tok"))
	if err != nil {
		t.Fatalf("connect with the token: %v", err)
	}
	nc.Close()
	if nc, err := natsgo.Connect(url); err == nil {
		nc.Close()
		t.Error("connect without the token succeeded")
	}
}
