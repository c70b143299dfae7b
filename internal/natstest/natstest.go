// Package natstest runs an embedded NATS server for tests: on 127.0.0.1, on a port the kernel
// picks, without logging, shut down when the test ends. Restart brings a server back on the
// same port, so that clients can reconnect to it.
package natstest

import (
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// readyTimeout bounds how long a server may take to accept connections.
const readyTimeout = 10 * time.Second

// started remembers each server's options (with its actual port) for Restart.
var started sync.Map // *server.Server → *server.Options

// Start starts a NATS server on 127.0.0.1 and a free port, and shuts it down when t ends. Its
// URL is s.ClientURL().
func Start(t testing.TB) *server.Server {
	t.Helper()
	return StartWithOptions(t, nil)
}

// StartWithOptions starts a NATS server configured by opts (nil for the defaults), shutting it
// down when t ends. Host defaults to 127.0.0.1 and Port 0 means a free port; logging and signal
// handling are always off. opts is not modified.
func StartWithOptions(t testing.TB, opts *server.Options) *server.Server {
	t.Helper()
	o := &server.Options{}
	if opts != nil {
		o = opts.Clone()
	}
	if o.Host == "" {
		o.Host = "127.0.0.1"
	}
	if o.Port == 0 {
		o.Port = server.RANDOM_PORT
	}
	o.NoLog = true
	o.NoSigs = true
	s, err := start(o)
	if err != nil {
		t.Fatalf("natstest: %v", err)
	}
	track(t, s, o)
	return s
}

// Stop shuts s down and waits until it has; clients see their connection drop. Stopping a
// stopped server does nothing.
func Stop(s *server.Server) {
	s.Shutdown()
	s.WaitForShutdown()
}

// Restart stops s if it is running and starts a new server with the same options on the same
// port, which it returns; the new server is shut down when t ends. s must come from this
// package.
func Restart(t testing.TB, s *server.Server) *server.Server {
	t.Helper()
	v, ok := started.Load(s)
	if !ok {
		t.Fatal("natstest: Restart of a server not started by natstest")
	}
	Stop(s)
	o := v.(*server.Options).Clone()
	// The port was free until s let it go, but another process may take it meanwhile as the
	// local port of an outgoing connection: try again for a while before giving up.
	var err error
	for deadline := time.Now().Add(readyTimeout); ; {
		var ns *server.Server
		if ns, err = start(o.Clone()); err == nil {
			track(t, ns, o)
			return ns
		}
		if time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("natstest: restart on port %d: %v", o.Port, err)
	return nil
}

// start starts a server with o and waits until it accepts connections.
func start(o *server.Options) (*server.Server, error) {
	if o.Port > 0 {
		// The server does not report a failed listen (it only logs it, and logging is off),
		// so find out first whether the port is free.
		l, err := net.Listen("tcp", net.JoinHostPort(o.Host, fmt.Sprint(o.Port)))
		if err != nil {
			return nil, fmt.Errorf("port %d is taken: %w", o.Port, err)
		}
		_ = l.Close()
	}
	s, err := server.NewServer(o.Clone())
	if err != nil {
		return nil, fmt.Errorf("new server: %w", err)
	}
	s.Start()
	if !s.ReadyForConnections(readyTimeout) {
		Stop(s)
		return nil, fmt.Errorf("server on %s:%d not ready within %v", o.Host, o.Port, readyTimeout)
	}
	return s, nil
}

// track records s's options with the port it got, and stops s when t ends.
func track(t testing.TB, s *server.Server, o *server.Options) {
	o = o.Clone()
	if addr, ok := s.Addr().(*net.TCPAddr); ok {
		o.Port = addr.Port
	}
	started.Store(s, o)
	t.Cleanup(func() {
		Stop(s)
		started.Delete(s)
	})
}
