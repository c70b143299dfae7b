package server_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"hubbub/internal/bots"
	"hubbub/internal/files"
	"hubbub/internal/server"
	"hubbub/internal/servertest"
	"hubbub/internal/session"
)

// stallBody sends head (a request head without its blank line) with Content-Length: 100,
// then part of the body, and stops; it returns the connection and a reader of the answer.
// The answer is awaited for 20 s, long past the server's body timeout, but a server with no
// timeout would never answer, and no test waits for ever.
func stallBody(t *testing.T, s *servertest.Server, head, part string) (net.Conn, *bufio.Reader) {
	t.Helper()
	c, err := net.Dial("tcp", s.Addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if _, err := fmt.Fprintf(c, "%s\r\nHost: %s\r\nContent-Length: 100\r\n\r\n%s", head, s.Addr, part); err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(20 * time.Second))
	return c, bufio.NewReader(c)
}

// wantClosed fails unless the server closes the connection after its answer.
func wantClosed(t *testing.T, what string, br *bufio.Reader) {
	t.Helper()
	if rest, err := io.ReadAll(br); err != nil || len(rest) != 0 {
		t.Errorf("%s: after the answer: %q, %v; want the connection closed", what, rest, err)
	}
}

// TestStalledBodyTimesOut: a client that declares a body and stops sending it mid-way is
// answered 408 timeout once --body-timeout passes, on every plain endpoint, and its
// connection is closed; before, it held the connection open for ever.
func TestStalledBodyTimesOut(t *testing.T) {
	const key = "test-api-key"
	s := servertest.Start(t, servertest.Options{Server: server.Config{APIKey: key, BodyTimeout: 300 * time.Millisecond,
		Files: files.Config{UploadTimeout: 500 * time.Millisecond}}})
	servertest.DialJSON(t, s, "ann") // a guest who may upload
	hook, secret, err := bots.CreateHook(t.Context(), s.Store, "alerts", "")
	if err != nil {
		t.Fatal(err)
	}
	uploader := session.NameHeader + ": ann\r\n" + session.KeyHeader + ": key-ann"
	for _, tc := range []struct{ what, head, part string }{
		{"sign-in", "POST /signin HTTP/1.1\r\nContent-Type: application/x-www-form-urlencoded", "name="},
		{"the API", "POST /api/rooms/general/messages HTTP/1.1\r\nAuthorization: Bearer " + key, `{"from":`},
		{"the API's optional body", "DELETE /api/rooms/general/messages/1 HTTP/1.1\r\nAuthorization: Bearer " + key, `{"from":`},
		{"an incoming hook", "POST " + bots.HookPath(hook.ID, secret) + " HTTP/1.1", `{"text":`},
		{"an upload", "POST /upload?name=a.txt HTTP/1.1\r\n" + uploader, "hello"},
		{"a multipart upload", "POST /upload HTTP/1.1\r\n" + uploader + "\r\nContent-Type: multipart/form-data; boundary=b",
			"--b\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhel"},
		{"an upload without a user", "POST /upload?name=a.txt HTTP/1.1", "hello"}, // refused before its body is read
	} {
		t.Run(tc.what, func(t *testing.T) {
			_, br := stallBody(t, s, tc.head, tc.part)
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatalf("no answer to a stalled body: %v", err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if tc.what == "an upload without a user" { // its 401 is written before the body is read, and closes
				if resp.StatusCode != http.StatusUnauthorized {
					t.Errorf("%d %s, want 401", resp.StatusCode, body)
				}
				wantClosed(t, tc.what, br)
				return
			}
			var e struct{ Code, Message string }
			if err := json.Unmarshal(body, &e); resp.StatusCode != http.StatusRequestTimeout || err != nil || e.Code != "timeout" || e.Message == "" {
				t.Errorf("%d %s, want 408 {\"code\":\"timeout\",…}", resp.StatusCode, body)
			}
			if !resp.Close {
				t.Error("the 408 does not say Connection: close")
			}
			wantClosed(t, tc.what, br)
		})
	}
	// A wrong key is answered before the body is read; the connection is still not held.
	t.Run("the API without its key", func(t *testing.T) {
		_, br := stallBody(t, s, "POST /api/rooms/general/messages HTTP/1.1", `{"from":`)
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("no answer: %v", err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("%d, want 401", resp.StatusCode)
		}
		wantClosed(t, "the API without its key", br)
	})
}

// TestBodyTimeoutEndsWithTheBody: the deadline is the body's, not the connection's: a body
// that arrived in time leaves a kept-alive connection to the idle timeout, and a WebSocket
// outlives it.
func TestBodyTimeoutEndsWithTheBody(t *testing.T) {
	const key = "test-api-key"
	timeout := 200 * time.Millisecond
	s := servertest.Start(t, servertest.Options{Server: server.Config{APIKey: key, BodyTimeout: timeout}})
	ann := servertest.DialJSON(t, s, "ann")
	ann.Join("general", nil)

	c, err := net.Dial("tcp", s.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	br := bufio.NewReader(c)
	post := func(text string) {
		t.Helper()
		body := fmt.Sprintf(`{"from":"bot","text":%q}`, text)
		fmt.Fprintf(c, "POST /api/rooms/general/messages HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nContent-Length: %d\r\n\r\n%s",
			s.Addr, key, len(body), body)
		_ = c.SetReadDeadline(time.Now().Add(20 * time.Second))
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("post %q: %v", text, err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated || resp.Close {
			t.Fatalf("post %q: %d (close %v) %s, want 201 on a kept connection", text, resp.StatusCode, resp.Close, b)
		}
	}
	post("one")
	time.Sleep(3 * timeout) // past the body timeout, well within the idle one
	post("two")             // the same connection

	ann.Say("general", "c1", "still here")
	got := ann.Messages("general", 3)
	if got[2].Str("text") != "still here" {
		t.Errorf("the WebSocket's messages: %v", got)
	}
}

// TestUploadExtendsTheBodyTimeout: /upload's body may take --upload-timeout, longer than
// --body-timeout.
func TestUploadExtendsTheBodyTimeout(t *testing.T) {
	s := servertest.Start(t, servertest.Options{Server: server.Config{BodyTimeout: 200 * time.Millisecond}})
	servertest.DialJSON(t, s, "ann")
	pr, pw := io.Pipe()
	r, _ := http.NewRequest("POST", s.URL+"/upload?name=a.txt", pr)
	r.ContentLength = 10
	r.Header.Set(session.NameHeader, url.PathEscape("ann"))
	r.Header.Set(session.KeyHeader, "key-ann")
	go func() {
		pw.Write([]byte("hello"))
		time.Sleep(time.Second) // five body timeouts
		pw.Write([]byte("world"))
		pw.Close()
	}()
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusCreated || !strings.Contains(string(b), `"size":10`) {
		t.Errorf("a slow upload: %d %s, want 201", resp.StatusCode, b)
	}
}
