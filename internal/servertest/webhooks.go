package servertest

import (
	"context"
	"testing"
	"time"

	"hubbub/internal/egress"
	"hubbub/internal/webhooks"
)

// RunDispatcher runs a webhooks dispatcher of s's store until the test ends, as hubbub serve
// runs one (the node holding the dispatch lease), polling every 20 ms and posting to
// receivers on loopback (a test's httptest servers), which serve refuses by default.
func RunDispatcher(t testing.TB, s *Server) *webhooks.Dispatcher {
	t.Helper()
	client := egress.New(egress.Config{AllowPrivate: true})
	d := webhooks.New(webhooks.Config{Node: "local", Poll: 20 * time.Millisecond, LeaseTTL: time.Second}, s.Store, client)
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); d.Run(ctx) }()
	t.Cleanup(func() {
		stop()
		<-done
		client.Close()
	})
	return d
}
