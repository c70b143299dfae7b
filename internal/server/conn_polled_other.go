//go:build !linux

package server

// Off Linux there is no poller (internal/netpoll): every socket gets the goroutine transport,
// and none of what follows is ever reached.

// polled is the polled transport's state, which connections never have off Linux.
type polled struct{}

// preparePolled reports that the socket cannot be polled.
func (s *Server) preparePolled(c *conn, sess session, release func()) bool { return false }

func (c *conn) startPolled()                         {}
func (c *conn) finishWith(reason string, abort bool) {}
func (c *conn) writePending(w *flushWorker)          {}

func (p *polled) writingSlowly() bool { return false }
