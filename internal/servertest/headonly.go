package servertest

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"testing"
	"time"
)

// AskWithoutBody sends s the head of a request (head: extra header lines joined by "\r\n", or
// "") that declares a body of length bytes, sends none of that body, and returns the answer's
// status and body. It fails t when no answer comes within Wait, or when the server keeps the
// connection open after answering: a body that may still come could not be told from a next
// request, so a server that answers without reading the body must close the connection.
func (s *Server) AskWithoutBody(t testing.TB, method, path, head string, length int) (int, []byte) {
	t.Helper()
	conn := s.SendHead(t, method, path, head, length)
	defer conn.Close()
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("%s %s with its body unsent: no answer: %v", method, path, err)
	}
	data, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if _, err := br.ReadByte(); !errors.Is(err, io.EOF) {
		t.Errorf("%s %s: after the answer the connection gave %v, want it closed (EOF)", method, path, err)
	}
	return resp.StatusCode, data
}

// SendHead opens a connection to s and sends the head of a request declaring a body of length
// bytes, none of which it sends; the connection's reads and writes end within Wait.
func (s *Server) SendHead(t testing.TB, method, path, head string, length int) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", s.Addr)
	if err != nil {
		t.Fatal(err)
	}
	_ = conn.SetDeadline(time.Now().Add(Wait))
	if head != "" {
		head += "\r\n"
	}
	if _, err := fmt.Fprintf(conn, "%s %s HTTP/1.1\r\nHost: %s\r\n%sContent-Length: %d\r\n\r\n", method, path, s.Addr, head, length); err != nil {
		conn.Close()
		t.Fatal(err)
	}
	return conn
}
