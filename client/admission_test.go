package client_test

import (
	"bytes"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"hubbub/client"
	"hubbub/internal/server"
	"hubbub/internal/servertest"
	"hubbub/internal/testwait"
	"hubbub/internal/wire"
)

// syncBuffer is a log destination a test can read while the session writes to it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (w *syncBuffer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (w *syncBuffer) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

// A server busy setting up connections (--max-connecting, here 1, held by a client that has
// not said hello) answers 503 with Retry-After: Dial returns it as a DialError, and a session
// whose connection was lost keeps trying, waiting as asked, and gets back in — rejoined, with
// what was said meanwhile — once the server has room.
func TestSessionReconnectsThroughShedding(t *testing.T) {
	s := servertest.Start(t, servertest.Options{Server: server.Config{MaxConnecting: 1, HandshakeTimeout: time.Hour}})
	p := startProxy(t, s.Addr)
	ctx := testContext(t)
	var logs syncBuffer
	alice, err := client.Connect(ctx, client.SessionOptions{URLs: []string{p.URL()}, Name: "alice", Key: "key-alice",
		Logger:      slog.New(slog.NewTextHandler(&logs, nil)),
		BackoffBase: 10 * time.Millisecond, BackoffMax: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { alice.Close() })
	arec := drain(alice)
	if _, err := alice.Join(ctx, "general"); err != nil {
		t.Fatal(err)
	}

	// A client that never says hello holds the one slot (for HandshakeTimeout, an hour here).
	silent, _, err := websocket.DefaultDialer.Dial(s.WS, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	_, err = client.Dial(ctx, s.WS, client.Options{Logger: quiet})
	var refused *client.DialError
	if !errors.As(err, &refused) || refused.Status != http.StatusServiceUnavailable ||
		(refused.RetryAfter != time.Second && refused.RetryAfter != 2*time.Second) || !errors.Is(err, websocket.ErrBadHandshake) {
		t.Fatalf("dial while the server is busy: %v (%+v)", err, refused)
	}

	p.cut()
	testwait.Until(t, "alice shed", func() bool { return strings.Contains(logs.String(), "503 Service Unavailable") })
	// Alice and bob now take turns at the one slot; bob retries until he gets it.
	silent.Close()
	bob, brec := dialAdmitted(t, s.WS, "bob")
	if _, err := bob.Join(ctx, "general", nil, 0); err != nil {
		t.Fatal(err)
	}
	sayAll(t, bob, brec, "general", "b-", "while alice was away")
	testwait.Until(t, "alice back with the message", func() bool {
		return len(events[*client.Connected](arec)) == 2 && len(arec.messages("general")) == 1
	})
	if got := arec.texts("general"); len(got) != 1 || got[0] != "while alice was away" {
		t.Errorf("alice saw %q", got)
	}
	if n := len(events[*wire.Joined](arec)); n != 2 {
		t.Errorf("alice joined %d times, want 2", n)
	}
}

// dialAdmitted connects name to url, retrying while the server sheds the upgrade (503).
func dialAdmitted(t *testing.T, url, name string) (*client.Conn, *recorder) {
	t.Helper()
	ctx := testContext(t)
	for {
		rec := &recorder{}
		c, err := client.Dial(ctx, url, client.Options{Handler: rec.add, Logger: quiet})
		var refused *client.DialError
		if errors.As(err, &refused) && refused.Status == http.StatusServiceUnavailable && ctx.Err() == nil {
			time.Sleep(10 * time.Millisecond)
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		if _, err := c.Hello(ctx, name, "key-"+name); err != nil {
			t.Fatal(err)
		}
		return c, rec
	}
}
