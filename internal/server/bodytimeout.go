package server

import (
	"bufio"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync/atomic"
	"time"
)

// codeTimeout is the code of the 408 a request whose body did not arrive in time gets.
const codeTimeout = "timeout"

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
// A read that passes the deadline fails in the handler, which would answer it as a bad body
// (400 bad_json, or a form's error page): the answer is replaced by 408 timeout, with the
// connection closed after it (its unread body is still on the wire).
func (s *Server) limitBody(w http.ResponseWriter, r *http.Request) (http.ResponseWriter, *http.Request) {
	if r.ContentLength == 0 || r.Body == nil || r.Body == http.NoBody {
		return w, r
	}
	rc := http.NewResponseController(w)
	if err := rc.SetReadDeadline(time.Now().Add(s.cfg.BodyTimeout)); err != nil {
		return w, r // a connection that takes no deadline (none of net/http's): as before
	}
	b := &timedBody{ReadCloser: r.Body, rc: rc}
	r2 := *r // a shallow copy, as http.MaxBytesReader's callers do with r.Body
	r2.Body = b
	return &timeoutWriter{ResponseWriter: w, body: b}, &r2
}

// timedBody is a request body read under limitBody's deadline.
type timedBody struct {
	io.ReadCloser
	rc *http.ResponseController
	// timedOut is set when a read passed the deadline, cleared when the body's end cleared it.
	timedOut, cleared atomic.Bool
}

// Read reads the body, noting a read past the deadline, and clears the deadline at the end.
func (b *timedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	switch {
	case err == io.EOF:
		if b.cleared.CompareAndSwap(false, true) {
			// A hijacked connection has no deadline left (net/http clears it): nothing to do.
			_ = b.rc.SetReadDeadline(time.Time{})
		}
	case err != nil && isTimeout(err):
		b.timedOut.Store(true)
	}
	return n, err
}

// isTimeout reports whether err is a read past a deadline.
func isTimeout(err error) bool {
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// timeoutWriter is the ResponseWriter of a request under limitBody: once its body timed out,
// the handler's answer, whatever it is, becomes 408.
type timeoutWriter struct {
	http.ResponseWriter
	body *timedBody
	// wrote is set by the first WriteHeader (or Write); replaced once the 408 is written
	// instead of the handler's answer, whose bytes are then dropped.
	wrote, replaced bool
}

// Unwrap gives http.ResponseController the connection's own writer (Flush, deadlines).
func (w *timeoutWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Hijack hands the connection over, as the wrapped writer would: a WebSocket upgrade that
// came with a body (odd, but allowed) still upgrades. net/http clears the deadline.
func (w *timeoutWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return http.NewResponseController(w.ResponseWriter).Hijack()
}

// WriteHeader writes the handler's status, or 408 in its place once the body timed out.
func (w *timeoutWriter) WriteHeader(code int) {
	if w.wrote || code < 200 { // a 1xx is not the answer; a second WriteHeader is net/http's to report
		w.ResponseWriter.WriteHeader(code)
		return
	}
	w.wrote = true
	if w.body.timedOut.Load() {
		w.replaced = true
		w.writeTimeout()
		return
	}
	if code == http.StatusRequestEntityTooLarge {
		// http.MaxBytesReader tells net/http to close the connection after a body past its
		// limit through a method of net/http's own writer, which this one cannot pass on:
		// said here instead, so the rest of the body is not read for nothing.
		w.Header().Set("Connection", "close")
	}
	w.ResponseWriter.WriteHeader(code)
}

// Write writes the handler's body, or drops it once the 408 replaced its answer.
func (w *timeoutWriter) Write(p []byte) (int, error) {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	if w.replaced {
		return len(p), nil
	}
	return w.ResponseWriter.Write(p)
}

// finish writes the 408 of a request whose body timed out and whose handler wrote nothing.
func (w *timeoutWriter) finish() {
	if !w.wrote && w.body.timedOut.Load() {
		w.wrote, w.replaced = true, true
		w.writeTimeout()
	}
}

// writeTimeout answers 408 with the API's JSON error, closing the connection: the rest of
// the body may still come, and nothing says where the next request would begin.
func (w *timeoutWriter) writeTimeout() {
	body, _ := json.Marshal(struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	}{codeTimeout, "the request's body did not arrive in time; send it again"})
	body = append(body, '\n')
	h := w.Header()
	for k := range h {
		if k != "Strict-Transport-Security" {
			delete(h, k) // the handler's answer's headers (Content-Type, Set-Cookie…) are not this one's
		}
	}
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Set("Connection", "close")
	w.ResponseWriter.WriteHeader(http.StatusRequestTimeout)
	_, _ = w.ResponseWriter.Write(body)
}
