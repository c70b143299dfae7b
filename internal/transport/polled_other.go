//go:build !linux

package transport

import "net"

// Off Linux there is no poller (internal/netpoll): every socket gets the goroutine transport,
// and none of what follows is ever reached.

// polledConn is a connection on the polled transport, which there never is off Linux.
type polledConn struct{}

// newPolled reports that the socket cannot be polled.
func (t *Transport) newPolled(b *base, nc net.Conn) (Conn, bool) { return nil, false }

func (c *polledConn) writePending(w *flushWorker) {}

func (c *polledConn) endWait() bool { return false }

// takeEarly is never called: newPolled fails.
func takeEarly(c Conn, early []byte) {}
