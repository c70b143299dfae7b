package server

import (
	"io"
	"net/http"
	"sync/atomic"
	"time"
)

// limitBody bounds the reading of r's body by BodyTimeout. net/http bounds a request's head
// (ReadHeaderTimeout) but not its body: a client that declares Content-Length: 100, sends
// five bytes and stops held its connection and a goroutine for ever, and hundreds of them
// from one address stayed open (http.Server.ReadTimeout would do it, but counts the whole
// request, cutting uploads, which take longer: /upload extends the deadline to its own).
//
// The deadline is set on the connection once the head is read and cleared as the body ends
// (io.EOF), not when the handler returns: net/http then starts reading the connection in the
// background to notice a client that goes, and a deadline passing under that read would
// cancel the request's context in the middle of a slow handler (a search, a download). A
// handler that stops before the end leaves the deadline in force, so that net/http's
// discarding of the rest, after the handler, is bounded too. A request without a body
// gets none: its handler reads nothing, and its background read must not time out.
//
// A read that passes the deadline fails where the body is read, through httpbody.Limit,
// whose reader answers it 408 (httpbody.TimedOut) rather than as a bad body.
func (s *Server) limitBody(w http.ResponseWriter, r *http.Request) *http.Request {
	if r.ContentLength == 0 || r.Body == nil || r.Body == http.NoBody {
		return r
	}
	rc := http.NewResponseController(w)
	if err := rc.SetReadDeadline(time.Now().Add(s.cfg.BodyTimeout)); err != nil {
		return r // a connection that takes no deadline (none of net/http's): as before
	}
	r2 := *r // a shallow copy, as http.MaxBytesReader's callers do with r.Body
	r2.Body = &timedBody{ReadCloser: r.Body, rc: rc}
	return &r2
}

// timedBody is a request body read under limitBody's deadline.
type timedBody struct {
	io.ReadCloser
	rc      *http.ResponseController
	cleared atomic.Bool // the body's end cleared the deadline
}

// Read reads the body and clears the deadline at its end.
func (b *timedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err == io.EOF && b.cleared.CompareAndSwap(false, true) {
		// A hijacked connection has no deadline left (net/http clears it): nothing to do.
		_ = b.rc.SetReadDeadline(time.Time{})
	}
	return n, err
}
