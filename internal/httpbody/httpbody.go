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
	"time"
)

// ErrTimeout is what a read of a body from Limit fails with, wrapped, once the body's deadline
// has passed: its client stopped sending it.
var ErrTimeout = errors.New("httpbody: the request's body did not arrive in time")

// Limit returns r's body bounded to n bytes, as http.MaxBytesReader: a read past n fails
// with *http.MaxBytesError, and net/http closes the connection after the answer. A read past
// the body's deadline fails with an error wrapping ErrTimeout, which TimedOut answers.
func Limit(w http.ResponseWriter, r *http.Request, n int64) io.ReadCloser {
	return http.MaxBytesReader(w, timed{r.Body}, n) // outermost, so that ParseForm knows its limit
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
// webhook, a wrong secret, a refused response URL): on HTTP/1.x it closes the connection after
// the answer and ends what net/http would read of the body. Left to itself, net/http reads up
// to 256 KiB of an unread body before it sends the answer, so that the connection can carry
// the next request — and a client that declared a Content-Length and sent nothing waited for
// its 404 until the body's deadline (--body-timeout, 30 s), holding the connection meanwhile;
// after the handler it reads that much again. "Connection: close" makes it skip the first
// read (nothing else need follow on the connection), and a read deadline already passed ends
// the second at once. HTTP/2 reads no body before answering, and takes neither. A request
// without a body needs nothing. Call it before writing the answer.
func Unread(w http.ResponseWriter, r *http.Request) {
	if r.ProtoMajor != 1 || r.ContentLength == 0 || r.Body == nil || r.Body == http.NoBody {
		return
	}
	w.Header().Set("Connection", "close")
	// A connection that takes no deadline (not net/http's) keeps net/http's bounded read.
	_ = http.NewResponseController(w).SetReadDeadline(time.Now())
}
