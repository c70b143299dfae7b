//go:build !linux

package server

// servePolled is unavailable off Linux (there is no poller): every socket gets a goroutine.
func (s *Server) servePolled(c *conn, sess session, release func()) bool { return false }

// finish is never reached off Linux: no connection is polled.
func (c *conn) finish(reason string) {}

// polled is the polled transport's state, which connections never have off Linux.
type polled struct{}

// writePending is never reached off Linux: no connection is polled.
func (c *conn) writePending(w *flushWorker) {}
