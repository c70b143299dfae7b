package inmem_test

import (
	"testing"

	"go.uber.org/goleak"

	"hubbub"
	"hubbub/internal/brokertest"
	"hubbub/internal/inmem"
)

// TestMain fails the package if a goroutine outlives the tests; the in-process broker starts
// none, so any leak would come from a test.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// TestBroker runs the Broker contract suite. One in-process broker is both nodes: it is the
// whole bus.
func TestBroker(t *testing.T) {
	brokertest.RunBrokerTests(t, func(t *testing.T) (a, b hubbub.Broker) {
		br := inmem.NewBroker()
		t.Cleanup(func() { _ = br.Close() })
		return br, br
	})
}
