package httpbody_test

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"hubbub/internal/httpbody"
)

// TestMain fails the package if a goroutine outlives the tests (the test server's).
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// A body read through Limit that stops arriving past its deadline is answered 408 timeout by
// TimedOut, with the connection closed; one past its size fails with *http.MaxBytesError,
// which TimedOut leaves to its reader; one that arrives is read whole.
func TestLimitAndTimedOut(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// What internal/server does for every body: a deadline once the head is read.
		_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(200 * time.Millisecond))
		b, err := io.ReadAll(httpbody.Limit(w, r, 10))
		if httpbody.TimedOut(w, err) {
			return
		}
		var tooBig *http.MaxBytesError
		switch {
		case errors.As(err, &tooBig):
			http.Error(w, "too large", http.StatusRequestEntityTooLarge)
		case err != nil:
			http.Error(w, err.Error(), http.StatusBadRequest)
		default:
			fmt.Fprintf(w, "got %s", b)
		}
	}))
	defer srv.Close()
	send := func(head, body string) (*http.Response, string, *bufio.Reader) {
		t.Helper()
		c, err := net.Dial("tcp", srv.Listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		fmt.Fprintf(c, "POST / HTTP/1.1\r\nHost: x\r\n%s\r\n\r\n%s", head, body)
		_ = c.SetReadDeadline(time.Now().Add(20 * time.Second))
		br := bufio.NewReader(c)
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp, string(b), br
	}

	resp, body, br := send("Content-Length: 5", "he") // and nothing more
	var e struct{ Code, Message string }
	if err := json.Unmarshal([]byte(body), &e); resp.StatusCode != http.StatusRequestTimeout || err != nil ||
		e.Code != httpbody.CodeTimeout || e.Message == "" || !resp.Close {
		t.Errorf("a stalled body: %d (close %v) %q, want 408 timeout and Connection: close", resp.StatusCode, resp.Close, body)
	}
	if rest, err := io.ReadAll(br); err != nil || len(rest) != 0 {
		t.Errorf("after the 408: %q, %v; want the connection closed", rest, err)
	}
	if resp, body, _ := send("Content-Length: 20", strings.Repeat("x", 20)); resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("a body past the limit: %d %q, want 413", resp.StatusCode, body)
	}
	if resp, body, _ := send("Content-Length: 5", "hello"); resp.StatusCode != http.StatusOK || body != "got hello" {
		t.Errorf("a body in time: %d %q", resp.StatusCode, body)
	}
}

// An answer Guard's writer begins before anything of the body is read is given at once, though
// the client declared a body and sent none, and the connection is closed after it; one given
// after the handler read the body keeps the connection. A body declared past Limit's n fails
// its first read at once, without waiting for it.
func TestGuardAnswersUnreadBodiesAtOnce(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The server's own deadline for a body: far past the test's wait.
		_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(time.Hour))
		w, r = httpbody.Guard(w, r, 10*time.Millisecond)
		switch r.URL.Path {
		case "/refuse":
			http.Error(w, "no", http.StatusUnauthorized)
		case "/limit":
			_, err := io.ReadAll(httpbody.Limit(w, r, 10))
			var tooBig *http.MaxBytesError
			if !errors.As(err, &tooBig) {
				t.Errorf("a body declared past the limit: %v, want *http.MaxBytesError", err)
			}
			http.Error(w, "too large", http.StatusRequestEntityTooLarge)
		default:
			b, _ := io.ReadAll(httpbody.Limit(w, r, 100))
			fmt.Fprintf(w, "got %s", b)
		}
	}))
	defer srv.Close()
	c, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(20 * time.Second))
	br := bufio.NewReader(c)
	ask := func(path, length, body string) *http.Response {
		t.Helper()
		fmt.Fprintf(c, "POST %s HTTP/1.1\r\nHost: x\r\nContent-Length: %s\r\n\r\n%s", path, length, body)
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("POST %s: no answer: %v", path, err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}
	if resp := ask("/read", "5", "hello"); resp.StatusCode != http.StatusOK || resp.Close {
		t.Errorf("a body read: %d (close %v), want 200 with the connection kept", resp.StatusCode, resp.Close)
	}
	if resp := ask("/refuse", "100", ""); resp.StatusCode != http.StatusUnauthorized || !resp.Close {
		t.Errorf("a refusal with the body unsent: %d (close %v), want 401 and Connection: close", resp.StatusCode, resp.Close)
	}
	if _, err := br.ReadByte(); !errors.Is(err, io.EOF) {
		t.Errorf("after the refusal: %v, want the connection closed", err)
	}

	c2, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	_ = c2.SetDeadline(time.Now().Add(20 * time.Second))
	c, br = c2, bufio.NewReader(c2)
	if resp := ask("/limit", "1000", ""); resp.StatusCode != http.StatusRequestEntityTooLarge || !resp.Close {
		t.Errorf("a body declared past the limit, unsent: %d (close %v), want 413 and Connection: close", resp.StatusCode, resp.Close)
	}
}
