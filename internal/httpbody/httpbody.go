// Package httpbody reads the bodies of plain HTTP requests within their two bounds: a size,
// which each reader gives (Limit; past it the reader answers 413 in its own words), and a
// time, which the server sets on the connection once a request's head is read
// (internal/server: --body-timeout, and /upload's --upload-timeout). A body that does not
// arrive in time is answered the same way wherever it is read (TimedOut: 408), where before
// the server rewrote the handler's answer to it after the fact.
package httpbody

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync/atomic"
	"time"
)

// ErrTimeout is what a read of a body from Limit fails with, wrapped, once the body's deadline
// has passed: its client stopped sending it.
var ErrTimeout = errors.New("httpbody: the request's body did not arrive in time")

// Limit returns r's body bounded to n bytes, as http.MaxBytesReader: a read past n fails
// with *http.MaxBytesError, and net/http closes the connection after the answer. A read past
// the body's deadline fails with an error wrapping ErrTimeout, which TimedOut answers.
//
// A body whose declared length (Content-Length) is past n is not read at all: the first read
// fails at once, and the connection is closed after the answer (Unread). Read up to n, its
// client would have waited for its 413 until it had sent n bytes, or until the body's deadline
// if it sent fewer.
func Limit(w http.ResponseWriter, r *http.Request, n int64) io.ReadCloser {
	if r.ContentLength > n {
		Unread(w, r)
		return tooLarge{r.Body, n}
	}
	// MaxBytesReader closes the connection after the answer only when it is given net/http's
	// own writer (an unexported method of it); Guard's wrapper would hide it.
	return http.MaxBytesReader(innermost(w), timed{r.Body}, n) // outermost, so that ParseForm knows its limit
}

// tooLarge is the body of a request that declared more than its limit: it is not read.
type tooLarge struct {
	io.ReadCloser
	limit int64
}

func (b tooLarge) Read([]byte) (int, error) { return 0, &http.MaxBytesError{Limit: b.limit} }

// innermost is the writer w wraps, through Unwrap as http.ResponseController finds it.
func innermost(w http.ResponseWriter) http.ResponseWriter {
	for {
		u, ok := w.(interface{ Unwrap() http.ResponseWriter })
		if !ok {
			return w
		}
		w = u.Unwrap()
	}
}

// timed tells a read past the deadline from any other failed read.
type timed struct{ io.ReadCloser }

func (b timed) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil && isTimeout(err) {
		err = fmt.Errorf("%w: %w", ErrTimeout, err)
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

// CodeTimeout is the code of the 408 TimedOut answers.
const CodeTimeout = "timeout"

// TimedOut answers the request 408 {"code":"timeout",…}, closing the connection, when err —
// from reading a body through Limit, wrapped or not — says the body did not arrive in time,
// and reports whether it did. A reader calls it first with such an error: answered as a bad
// body (400 bad_json, a form's error page), a stalled one would tell the client to change a
// body it only has to send again. The connection is closed because the rest of the body may
// still come, and nothing says where the next request would begin.
func TimedOut(w http.ResponseWriter, err error) bool {
	if !errors.Is(err, ErrTimeout) {
		return false
	}
	body, _ := json.Marshal(struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	}{CodeTimeout, "the request's body did not arrive in time; send it again"})
	body = append(body, '\n')
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Set("Connection", "close")
	w.WriteHeader(http.StatusRequestTimeout)
	_, _ = w.Write(body)
	return true
}

// Unread prepares w for an answer to r given without reading r's body (an unknown or revoked
// webhook, a wrong secret, a refused response URL): on HTTP/1.x the answer goes at once and
// the connection is closed after it. Left to itself, net/http reads up to 256 KiB of an
// unread body before it sends the answer, so that the connection can carry the next request —
// and a client that declared a Content-Length and sent nothing waited for its 404 until the
// body's deadline (--body-timeout, 30 s), holding the connection meanwhile. "Connection:
// close" makes it skip that read. After the answer net/http still reads what comes of the
// body (up to 256 KiB), now for at most the linger (Guard's, --body-linger; DefaultLinger
// without Guard): a client that sends its body behind its head, as most do, has it read and
// the connection closed cleanly, where a close with its body unread would reset the
// connection, failing the client's write and perhaps losing the answer it had not read yet.
// HTTP/2 reads no body before answering, and takes neither. A request without a body needs
// nothing. Call it before writing the answer.
func Unread(w http.ResponseWriter, r *http.Request) { unread(w, r, lingerOf(w)) }

func unread(w http.ResponseWriter, r *http.Request, linger time.Duration) {
	if r.ProtoMajor != 1 || r.ContentLength == 0 || r.Body == nil || r.Body == http.NoBody {
		return
	}
	w.Header().Set("Connection", "close")
	// A connection that takes no deadline (not net/http's) keeps net/http's bounded read.
	_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(linger))
}

// DefaultLinger is how long an answer given before its body waits, after it is sent, for the
// body to arrive (Unread) when no Guard says otherwise: a few round trips of a slow link.
const DefaultLinger = time.Second

// lingerOf is the linger of the Guard that w is, or wraps, or DefaultLinger.
func lingerOf(w http.ResponseWriter) time.Duration {
	for {
		if g, ok := w.(*guardedWriter); ok {
			return g.linger
		}
		u, ok := w.(interface{ Unwrap() http.ResponseWriter })
		if !ok {
			return DefaultLinger
		}
		w = u.Unwrap()
	}
}

// Guard returns w and r for a handler of r, such that an answer written before anything of
// r's body was read is given at once, as Unread would have it: net/http does not wait for the
// body first, and the connection is closed after the answer. Every refusal that needs no body
// — no key, no such route or room, a body too large by its declared length, too many at
// once — is so answered without each having to say it, and so is a call that takes no body
// (DELETE …/bans/{name}) sent with one. A handler that has begun reading the body is left to
// net/http's reading of the rest: its client is sending it. Over HTTP/2, and for a request
// without a body, w and r are returned as they are. After such an answer the body that follows
// is read and dropped for at most linger (DefaultLinger if not positive): see Unread.
func Guard(w http.ResponseWriter, r *http.Request, linger time.Duration) (http.ResponseWriter, *http.Request) {
	if r.ProtoMajor != 1 || r.ContentLength == 0 || r.Body == nil || r.Body == http.NoBody {
		return w, r
	}
	b := &watchedBody{ReadCloser: r.Body}
	r2 := *r // a shallow copy, as http.MaxBytesReader's callers do with r.Body
	r2.Body = b
	if linger <= 0 {
		linger = DefaultLinger
	}
	return &guardedWriter{ResponseWriter: w, r: &r2, body: b, linger: linger}, &r2
}

// watchedBody is a request body that knows whether it has been read.
type watchedBody struct {
	io.ReadCloser
	read atomic.Bool
}

func (b *watchedBody) Read(p []byte) (int, error) {
	b.read.Store(true)
	return b.ReadCloser.Read(p)
}

// guardedWriter is Guard's writer: it calls Unread as the answer begins, if the body is unread.
type guardedWriter struct {
	http.ResponseWriter
	r        *http.Request
	body     *watchedBody
	linger   time.Duration
	answered bool
}

// Unwrap gives http.ResponseController (and Limit) net/http's writer.
func (w *guardedWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// WriteHeader begins the answer; with the body unread, the connection closes after it.
func (w *guardedWriter) WriteHeader(code int) {
	if !w.answered && code >= 200 { // a 1xx is not the answer
		w.answered = true
		if !w.body.read.Load() {
			unread(w.ResponseWriter, w.r, w.linger)
		}
	}
	w.ResponseWriter.WriteHeader(code)
}

// Write writes the answer's body, beginning a 200 answer if none was begun.
func (w *guardedWriter) Write(p []byte) (int, error) {
	if !w.answered {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(p)
}
