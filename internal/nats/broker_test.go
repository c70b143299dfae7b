package nats_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	natsgo "github.com/nats-io/nats.go"
	"go.uber.org/goleak"

	"hubbub"
	"hubbub/internal/brokertest"
	"hubbub/internal/nats"
	"hubbub/internal/natstest"
	"hubbub/internal/testwait"
)

// TestMain fails the package if a goroutine outlives the tests: every connection's reader,
// flusher, callback and subscription goroutines must end once the broker is closed, and every
// embedded server once it is shut down.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// quiet is the logger for brokers whose logs the test does not read: a log line from a
// connection goroutine that outlives its test would panic in t.Log.
var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// testOptions are quick to notice and repair a lost server.
func testOptions(node string) nats.Options {
	return nats.Options{
		Node:           node,
		Logger:         quiet,
		ReconnectWait:  20 * time.Millisecond,
		PublishTimeout: 2 * time.Second,
	}
}

func connect(t *testing.T, url string, opts nats.Options) *nats.Broker {
	t.Helper()
	b, err := nats.Connect(url, opts)
	if err != nil {
		t.Fatalf("Connect: %v", err)
	}
	t.Cleanup(func() { _ = b.Close() })
	return b
}

// TestBroker runs the contract suite on two connections, as two nodes, to one server.
func TestBroker(t *testing.T) {
	brokertest.RunBrokerTests(t, func(t *testing.T) (a, b hubbub.Broker) {
		s := natstest.Start(t)
		return connect(t, s.ClientURL(), testOptions("a")), connect(t, s.ClientURL(), testOptions("b"))
	})
}

// recorder collects events; safe for use from a handler.
type recorder struct {
	mu     sync.Mutex
	events []hubbub.Event
}

func (r *recorder) handle(ev hubbub.Event) {
	r.mu.Lock()
	r.events = append(r.events, ev)
	r.mu.Unlock()
}

func (r *recorder) has(name string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, ev := range r.events {
		if b, ok := ev.Body.(hubbub.MemberTyping); ok && b.Name == name {
			return true
		}
	}
	return false
}

// logRecorder is a slog.Handler that keeps the messages logged, for tests that check them.
type logRecorder struct {
	mu   sync.Mutex
	msgs []string
}

func (l *logRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (l *logRecorder) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	l.msgs = append(l.msgs, r.Message)
	l.mu.Unlock()
	return nil
}
func (l *logRecorder) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *logRecorder) WithGroup(string) slog.Handler      { return l }

func (l *logRecorder) logged(prefix string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, m := range l.msgs {
		if strings.HasPrefix(m, prefix) {
			return true
		}
	}
	return false
}

func typing(room, name string) hubbub.Event {
	return hubbub.Event{Room: room, Body: hubbub.MemberTyping{Name: name}}
}

// TestServerRestart stops the server under two connected brokers and starts it again on the
// same port: while it is down, publishing fails promptly and Check reports it; afterwards both
// brokers are back, and subscriptions made before the restart receive again.
func TestServerRestart(t *testing.T) {
	s := natstest.Start(t)
	var logs logRecorder
	optsA := testOptions("a")
	optsA.Logger = slog.New(&logs)
	optsA.PublishTimeout = 500 * time.Millisecond
	a := connect(t, s.ClientURL(), optsA)
	b := connect(t, s.ClientURL(), testOptions("b"))
	ctx := context.Background()

	var onA, onB recorder
	for _, x := range []struct {
		br *nats.Broker
		r  *recorder
	}{{a, &onA}, {b, &onB}} {
		cancel, err := x.br.Subscribe("lobby.main", x.r.handle)
		if err != nil {
			t.Fatalf("Subscribe: %v", err)
		}
		defer cancel()
	}
	if err := a.Publish(ctx, typing("lobby.main", "before")); err != nil {
		t.Fatalf("Publish before the restart: %v", err)
	}
	testwait.Until(t, "event before the restart", func() bool { return onB.has("before") })

	natstest.Stop(s)
	testwait.Until(t, "Check to report the outage", func() bool { return a.Check(ctx) != nil })
	if err := a.Check(ctx); !errors.Is(err, nats.ErrNotConnected) {
		t.Errorf("Check while the server is down = %v, want ErrNotConnected", err)
	} else if n := strings.Count(err.Error(), "nats broker"); n != 1 {
		// /readyz shows this text to the operator: it read "nats broker: check: nats broker: …".
		t.Errorf("Check while the server is down = %q: says \"nats broker\" %d times, want once", err, n)
	}
	for i := range 3 {
		start := time.Now()
		err := a.Publish(ctx, typing("lobby.main", "lost"))
		if err == nil {
			t.Fatalf("Publish %d while the server is down succeeded", i)
		}
		if d := time.Since(start); d > optsA.PublishTimeout {
			t.Errorf("Publish while the server is down took %v, want at most %v", d, optsA.PublishTimeout)
		}
		if !errors.Is(err, nats.ErrNotConnected) {
			t.Errorf("Publish while the server is down = %v, want ErrNotConnected", err)
		}
	}
	if _, err := a.Subscribe("lobby.other", func(hubbub.Event) {}); !errors.Is(err, nats.ErrNotConnected) {
		t.Errorf("Subscribe while the server is down = %v, want ErrNotConnected", err)
	}

	natstest.Restart(t, s)
	for name, br := range map[string]*nats.Broker{"a": a, "b": b} {
		testwait.Until(t, "Check on "+name+" to recover", func() bool { return br.Check(ctx) == nil })
	}
	if err := b.Publish(ctx, typing("lobby.main", "after-b")); err != nil {
		t.Fatalf("Publish from b after the restart: %v", err)
	}
	if err := a.Publish(ctx, typing("lobby.main", "after-a")); err != nil {
		t.Fatalf("Publish from a after the restart: %v", err)
	}
	for name, r := range map[string]*recorder{"a": &onA, "b": &onB} {
		testwait.Until(t, "subscriber on "+name+" to receive after-a and after-b", func() bool {
			return r.has("after-a") && r.has("after-b")
		})
		if r.has("lost") {
			t.Errorf("subscriber on %s received an event whose Publish failed", name)
		}
	}
	if !logs.logged("nats disconnected") || !logs.logged("nats reconnected") {
		t.Errorf("state changes not logged; got %q", logs.msgs)
	}
}

// TestGiveUp: with MaxReconnects, a broker whose server stays away closes for good, says so,
// fails every call with ErrClosed, and still closes cleanly.
func TestGiveUp(t *testing.T) {
	s := natstest.Start(t)
	var logs logRecorder
	opts := testOptions("a")
	opts.Logger = slog.New(&logs)
	opts.MaxReconnects = 2
	opts.ReconnectWait = 5 * time.Millisecond
	b, err := nats.Connect(s.ClientURL(), opts)
	if err != nil {
		t.Fatalf("Connect: %v", err)
	}
	natstest.Stop(s)
	ctx := context.Background()
	testwait.Until(t, "the broker to give up", func() bool { return errors.Is(b.Check(ctx), nats.ErrClosed) })
	if err := b.Publish(ctx, typing("r", "x")); !errors.Is(err, nats.ErrClosed) {
		t.Errorf("Publish after giving up = %v, want ErrClosed", err)
	}
	testwait.Until(t, "the give-up to be logged", func() bool { return logs.logged("nats connection closed for good") })
	if err := b.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
}

func TestCheckAndClose(t *testing.T) {
	s := natstest.Start(t)
	b := connect(t, s.ClientURL(), testOptions("a"))
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := b.Check(ctx); err != nil {
		t.Fatalf("Check while connected: %v", err)
	}
	var r recorder
	unsub, err := b.Subscribe("r", r.handle)
	if err != nil {
		t.Fatalf("Subscribe: %v", err)
	}
	if err := b.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := b.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	unsub() // after Close: harmless
	if err := b.Check(ctx); !errors.Is(err, nats.ErrClosed) {
		t.Errorf("Check after Close = %v, want ErrClosed", err)
	}
	if err := b.Publish(ctx, typing("r", "x")); !errors.Is(err, nats.ErrClosed) {
		t.Errorf("Publish after Close = %v, want ErrClosed", err)
	}
}

// TestCancelFromHandler: a handler may cancel its own subscription.
func TestCancelFromHandler(t *testing.T) {
	s := natstest.Start(t)
	b := connect(t, s.ClientURL(), testOptions("a"))
	var (
		mu     sync.Mutex
		n      int
		cancel func()
	)
	ready := make(chan struct{})
	c, err := b.Subscribe("r", func(hubbub.Event) {
		<-ready
		mu.Lock()
		n++
		mu.Unlock()
		cancel()
	})
	if err != nil {
		t.Fatalf("Subscribe: %v", err)
	}
	cancel = c
	close(ready)
	var fence recorder
	stop, err := b.Subscribe("r", fence.handle)
	if err != nil {
		t.Fatalf("Subscribe: %v", err)
	}
	defer stop()
	for _, name := range []string{"1", "2", "3"} {
		if err := b.Publish(context.Background(), typing("r", name)); err != nil {
			t.Fatalf("Publish: %v", err)
		}
	}
	testwait.Until(t, "the fence subscriber", func() bool { return fence.has("3") })
	mu.Lock()
	defer mu.Unlock()
	if n != 1 {
		t.Errorf("handler that cancelled itself was called %d times, want 1", n)
	}
}

func TestBadInput(t *testing.T) {
	s := natstest.Start(t)
	for _, prefix := range []string{"a..b", "a.*", ">", "a b", ".a", "a."} {
		if b, err := nats.Connect(s.ClientURL(), nats.Options{SubjectPrefix: prefix, Logger: quiet}); err == nil {
			_ = b.Close()
			t.Errorf("Connect with prefix %q succeeded", prefix)
		}
	}
	b := connect(t, s.ClientURL(), testOptions("a"))
	if err := b.Publish(context.Background(), typing("", "x")); err == nil {
		t.Error("Publish to an empty room succeeded")
	}
	if _, err := b.Subscribe("", func(hubbub.Event) {}); err == nil {
		t.Error("Subscribe to an empty room succeeded")
	}
	// No server: Connect fails rather than hanging.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	if b, err := nats.Connect("nats://"+addr, testOptions("x")); err == nil {
		_ = b.Close()
		t.Error("Connect to a closed port succeeded")
	}
}

// TestSubjectPrefix: brokers with different prefixes on one server do not hear each other.
func TestSubjectPrefix(t *testing.T) {
	s := natstest.Start(t)
	optsA, optsB := testOptions("a"), testOptions("b")
	optsB.SubjectPrefix = "staging.hubbub"
	a := connect(t, s.ClientURL(), optsA)
	b := connect(t, s.ClientURL(), optsB)
	var onA, onB recorder
	for _, x := range []struct {
		br *nats.Broker
		r  *recorder
	}{{a, &onA}, {b, &onB}} {
		cancel, err := x.br.Subscribe("r", x.r.handle)
		if err != nil {
			t.Fatalf("Subscribe: %v", err)
		}
		defer cancel()
	}
	if err := a.Publish(context.Background(), typing("r", "to-a")); err != nil {
		t.Fatal(err)
	}
	if err := b.Publish(context.Background(), typing("r", "to-b")); err != nil {
		t.Fatal(err)
	}
	testwait.Until(t, "own events", func() bool { return onA.has("to-a") && onB.has("to-b") })
	if onA.has("to-b") || onB.has("to-a") {
		t.Error("brokers with different prefixes heard each other")
	}
}

// TestNodeStamped: an event published without Node carries Options.Node.
func TestNodeStamped(t *testing.T) {
	s := natstest.Start(t)
	a := connect(t, s.ClientURL(), testOptions("node-a"))
	var r recorder
	cancel, err := a.Subscribe("r", r.handle)
	if err != nil {
		t.Fatal(err)
	}
	defer cancel()
	if err := a.Publish(context.Background(), typing("r", "x")); err != nil {
		t.Fatal(err)
	}
	testwait.Until(t, "the event", func() bool { return r.has("x") })
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.events[0].Node != "node-a" {
		t.Errorf("Node = %q, want %q", r.events[0].Node, "node-a")
	}
}

func TestAuth(t *testing.T) {
	t.Run("UserPassword", func(t *testing.T) {
		s := natstest.StartWithOptions(t, &server.Options{Username: "hub", Password: "s3cret"})
		opts := testOptions("a")
		opts.User, opts.Password = "hub", "s3cret"
		checkWorks(t, connect(t, s.ClientURL(), opts))
		opts.Password = "wrong"
		if b, err := nats.Connect(s.ClientURL(), opts); err == nil {
			_ = b.Close()
			t.Error("Connect with a wrong password succeeded")
		} else if strings.Contains(err.Error(), "wrong") {
			t.Errorf("error reveals the password: %v", err)
		}
	})
	t.Run("Token", func(t *testing.T) {
		s := natstest.StartWithOptions(t, &server.Options{Authorization: "tok-123"})
		opts := testOptions("a")
		opts.Token = "tok-123"
		checkWorks(t, connect(t, s.ClientURL(), opts))
		opts.Token = ""
		if b, err := nats.Connect(s.ClientURL(), opts); err == nil {
			_ = b.Close()
			t.Error("Connect without the token succeeded")
		}
	})
	t.Run("TLS", func(t *testing.T) {
		dir := t.TempDir()
		caFile, serverTLS := testCerts(t, dir)
		s := natstest.StartWithOptions(t, &server.Options{TLS: true, TLSConfig: serverTLS})
		opts := testOptions("a")
		opts.CAFile = caFile
		checkWorks(t, connect(t, s.ClientURL(), opts))

		opts.CAFile = ""
		opts.TLSConfig = &tls.Config{RootCAs: x509.NewCertPool(), MinVersion: tls.VersionTLS12}
		if b, err := nats.Connect(s.ClientURL(), opts); err == nil {
			_ = b.Close()
			t.Error("Connect trusting no CA succeeded")
		}
	})
}

func checkWorks(t *testing.T, b *nats.Broker) {
	t.Helper()
	var r recorder
	cancel, err := b.Subscribe("r", r.handle)
	if err != nil {
		t.Fatalf("Subscribe: %v", err)
	}
	defer cancel()
	if err := b.Publish(context.Background(), typing("r", "x")); err != nil {
		t.Fatalf("Publish: %v", err)
	}
	testwait.Until(t, "the event", func() bool { return r.has("x") })
}

// testCerts writes a CA certificate to dir and returns its file and a server TLS config with a
// certificate for 127.0.0.1 that the CA signed.
func testCerts(t *testing.T, dir string) (caFile string, serverTLS *tls.Config) {
	t.Helper()
	newKey := func() *ecdsa.PrivateKey {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	caKey, srvKey := newKey(), newKey()
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "hubbub test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		t.Fatal(err)
	}
	srvTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:    x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	srvDER, err := x509.CreateCertificate(rand.Reader, srvTmpl, ca, &srvKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caFile = filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	return caFile, &tls.Config{
		Certificates: []tls.Certificate{{Certificate: [][]byte{srvDER}, PrivateKey: srvKey}},
		MinVersion:   tls.VersionTLS12,
	}
}

// BenchmarkPublish measures Publish with its confirmation round trip, with one subscriber on
// another connection, from one goroutine and from many.
func BenchmarkPublish(b *testing.B) {
	s := natstest.Start(b)
	pub, err := nats.Connect(s.ClientURL(), nats.Options{Logger: quiet})
	if err != nil {
		b.Fatal(err)
	}
	defer pub.Close()
	sub, err := nats.Connect(s.ClientURL(), nats.Options{Logger: quiet})
	if err != nil {
		b.Fatal(err)
	}
	defer sub.Close()
	cancel, err := sub.Subscribe("bench", func(hubbub.Event) {})
	if err != nil {
		b.Fatal(err)
	}
	defer cancel()
	ev := hubbub.Event{Room: "bench", Node: "n", Body: hubbub.EntryAppended{Entry: &hubbub.Entry{
		Room: "bench", Seq: 1, ID: "id", From: "alice", Text: strings.Repeat("x", 100), Time: time.Now().UTC(),
	}}}
	ctx := context.Background()
	b.Run("Serial", func(b *testing.B) {
		for b.Loop() {
			if err := pub.Publish(ctx, ev); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Parallel", func(b *testing.B) {
		b.SetParallelism(16)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := pub.Publish(ctx, ev); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

// TestUnknownKindDropped: an event of a kind this node does not know (a newer node's) is dropped
// with a debug log, and the subscription goes on delivering what it knows.
func TestUnknownKindDropped(t *testing.T) {
	s := natstest.Start(t)
	var logs logRecorder
	opts := testOptions("a")
	opts.Logger = slog.New(&logs)
	a := connect(t, s.ClientURL(), opts)
	var r recorder
	cancel, err := a.Subscribe("r", r.handle)
	if err != nil {
		t.Fatal(err)
	}
	defer cancel()
	newer, err := natsgo.Connect(s.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	defer newer.Close()
	if err := newer.Publish("hubbub.room.r", []byte(`{"kind":200,"room":"r","node":"newer","name":"unknown"}`)); err != nil {
		t.Fatal(err)
	}
	if err := newer.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := a.Publish(context.Background(), typing("r", "known")); err != nil {
		t.Fatal(err)
	}
	testwait.Until(t, "the known event", func() bool { return r.has("known") })
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.events) != 1 {
		t.Errorf("got %d events, want only the known one: %+v", len(r.events), r.events)
	}
	if !logs.logged("dropping an event of a kind this node does not know") {
		t.Errorf("no log of the dropped event; logged %q", logs.msgs)
	}
}

// TestDispatchQueueBound: Options.DispatchQueue bounds what a stuck handler leaves queued —
// past it events are dropped (a slow consumer), not held without limit — and the queue
// works again once the handler returns. A size out of range is refused at Connect.
func TestDispatchQueueBound(t *testing.T) {
	s := natstest.Start(t)
	for _, n := range []int{-1, nats.MaxDispatchQueue + 1} {
		opts := testOptions("a")
		opts.DispatchQueue = n
		if b, err := nats.Connect(s.ClientURL(), opts); err == nil {
			_ = b.Close()
			t.Errorf("Connect with DispatchQueue %d: no error", n)
		}
	}
	opts := testOptions("a")
	opts.DispatchQueue = 1
	b := connect(t, s.ClientURL(), opts)
	got := make(chan string, 100)
	release := make(chan struct{})
	unsub, err := b.Subscribe("r", func(ev hubbub.Event) {
		name := ev.Body.(hubbub.MemberTyping).Name
		got <- name
		if name == "first" {
			<-release
		}
	})
	if err != nil {
		t.Fatalf("Subscribe: %v", err)
	}
	defer unsub()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := b.Publish(ctx, typing("r", "first")); err != nil {
		t.Fatalf("Publish: %v", err)
	}
	if name := <-got; name != "first" {
		t.Fatalf("first event %q", name)
	}
	// The handler is stuck on "first": one more fits the queue, the rest are dropped.
	for i := range 20 {
		if err := b.Publish(ctx, typing("r", fmt.Sprint("stuck", i))); err != nil {
			t.Fatalf("Publish: %v", err)
		}
	}
	// A round trip: every event above has been read from the server (queued or dropped).
	if err := b.Check(ctx); err != nil {
		t.Fatalf("Check: %v", err)
	}
	close(release)
	if name := <-got; name != "stuck0" {
		t.Fatalf("after release: %q, want stuck0 (the one queued)", name)
	}
	if err := b.Publish(ctx, typing("r", "last")); err != nil {
		t.Fatalf("Publish: %v", err)
	}
	select {
	case name := <-got:
		if name != "last" {
			t.Fatalf("after the drop: %q, want last (stuck1 and later should have been dropped)", name)
		}
	case <-ctx.Done():
		t.Fatal("the queue did not work again after the handler returned")
	}
}
