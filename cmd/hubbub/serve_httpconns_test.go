package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// --max-http-conns-per-ip (here from HUBBUB_MAX_HTTP_CONNS_PER_IP) bounds the plain HTTP
// connections one address holds on the TLS path too, where net/http serves every connection,
// HTTP/2 ones included: past it, with every one of them in a request, a request is answered
// 503 with Retry-After (an HTTP/1.1 connection is then closed), while the same address's wss
// connections are served; a connection closed frees its slot, an idle one (here HTTP/2's)
// gives its slot to a new one, and /metrics counts the refusals and reclaims.
func TestServeBoundsPlainHTTPConnections(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, pool := selfSigned(t, dir)
	t.Setenv("HUBBUB_MAX_HTTP_CONNS_PER_IP", "2")
	args := []string{"--data", filepath.Join(dir, "h.db"), "--tls-cert", certFile, "--tls-key", keyFile, "--max-http-conns", "50"}
	var printed bytes.Buffer
	if err := run(context.Background(), append([]string{"serve", "--print-config"}, args...),
		stdio{out: &printed, err: io.Discard}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`(?m)^max-http-conns-per-ip = 2 +# env HUBBUB_MAX_HTTP_CONNS_PER_IP$`, `(?m)^max-http-conns = 50 +# flag$`} {
		if !regexp.MustCompile(want).MatchString(printed.String()) {
			t.Errorf("--print-config lacks %s:\n%s", want, printed.String())
		}
	}
	addr := serveForTest(t, args...)

	// HTTP/1.1 over TLS, kept alive.
	type h1 struct {
		c  *tls.Conn
		br *bufio.Reader
	}
	dial := func() *h1 {
		t.Helper()
		c, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: pool, NextProtos: []string{"http/1.1"}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
		return &h1{c, bufio.NewReader(c)}
	}
	ask := func(c *h1, req string) (*http.Response, string) {
		t.Helper()
		if _, err := io.WriteString(c.c, req); err != nil {
			t.Fatal(err)
		}
		resp, err := http.ReadResponse(c.br, nil)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp, string(b)
	}
	get := func(path string) (*h1, *http.Response, string) {
		t.Helper()
		c := dial()
		resp, body := ask(c, fmt.Sprintf("GET %s HTTP/1.1\r\nHost: %s\r\n\r\n", path, addr))
		return c, resp, body
	}
	// Each held connection stays in a request, a sign-in form whose body never comes (an
	// idle one would give its slot to the next).
	var held []*h1
	for range 2 {
		c := dial()
		resp, body := ask(c, fmt.Sprintf("POST /signin HTTP/1.1\r\nHost: %s\r\nContent-Type: application/x-www-form-urlencoded\r\n"+
			"Content-Length: 10\r\nExpect: 100-continue\r\n\r\n", addr))
		if resp.StatusCode != http.StatusContinue {
			t.Fatalf("a connection within the limit: %d %q", resp.StatusCode, body)
		}
		held = append(held, c)
	}
	c, resp, body := get("/healthz")
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") != "5" ||
		!strings.Contains(body, "too many HTTP connections from 127.0.0.1 (at most 2 at once)") {
		t.Fatalf("a third connection: %d, Retry-After %q, %q", resp.StatusCode, resp.Header.Get("Retry-After"), body)
	}
	if rest, err := io.ReadAll(c.br); err != nil || len(rest) != 0 {
		t.Fatalf("after the refusal: %q, %v; want the connection closed", rest, err)
	}

	// HTTP/2: one connection, refused the same way (its GOAWAY ends it).
	h2 := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool}, ForceAttemptHTTP2: true}}
	defer h2.CloseIdleConnections()
	r2, err := h2.Get("https://" + addr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	r2.Body.Close()
	if r2.ProtoMajor != 2 || r2.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("an HTTP/2 connection past the limit: HTTP/%d %d", r2.ProtoMajor, r2.StatusCode)
	}

	// wss from the same address: a WebSocket, not a plain HTTP connection.
	d := websocket.Dialer{TLSClientConfig: &tls.Config{RootCAs: pool}, HandshakeTimeout: 10 * time.Second}
	ws, _, err := d.Dial("wss://"+addr+"/ws", nil)
	if err != nil {
		t.Fatalf("wss while the address's plain HTTP connections are all held: %v", err)
	}
	defer ws.Close()
	_ = ws.WriteMessage(websocket.TextMessage, []byte("ann"))
	_ = ws.WriteMessage(websocket.TextMessage, []byte("still here"))
	_ = ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, data, err := ws.ReadMessage(); err != nil || string(data) != "ann: still here" {
		t.Fatalf("got %q, %v", data, err)
	}

	// A connection closed frees its slot: the HTTP/2 client gets in once the server has seen it.
	held[0].c.Close()
	deadline := time.Now().Add(10 * time.Second)
	var metrics string
	for {
		r, err := h2.Get("https://" + addr + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(r.Body)
		r.Body.Close()
		if r.StatusCode == http.StatusOK {
			metrics = string(b)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("a freed slot is not taken again: %d %q", r.StatusCode, b)
		}
		time.Sleep(10 * time.Millisecond)
	}
	for _, want := range []string{"hubbub_http_connections 2", `hubbub_http_connections_refused_total{reason="max_conns"} 0`} {
		if !strings.Contains(metrics, want+"\n") {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if !strings.Contains(metrics, `hubbub_http_connections_refused_total{reason="per_ip"}`) ||
		strings.Contains(metrics, `hubbub_http_connections_refused_total{reason="per_ip"} 0`+"\n") {
		t.Errorf("/metrics counts no per-address refusal")
	}

	// The HTTP/2 connection, idle once its answer is sent, gives its slot to a new connection
	// from the address (the other is still in its request); before, the new one got 503.
	// /metrics is asked from another address, whose slots are its own.
	other := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool},
		DialContext: (&net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.0.0.2")}}).DialContext}}
	defer other.CloseIdleConnections()
	scrape := func() string {
		t.Helper()
		r, err := other.Get("https://" + addr + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(r.Body)
		r.Body.Close()
		return string(b)
	}
	deadline = time.Now().Add(10 * time.Second)
	for !strings.Contains(scrape(), "hubbub_http_connections_idle 1\n") { // the HTTP/2 connection
		if time.Now().After(deadline) {
			t.Fatal("the HTTP/2 connection is never idle")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if _, resp, body := get("/healthz"); resp.StatusCode != http.StatusOK {
		t.Fatalf("a new connection while the address's other one is idle: %d %q", resp.StatusCode, body)
	}
	if m := scrape(); !strings.Contains(m, `hubbub_http_connections_reclaimed_total{reason="per_ip"} 1`+"\n") {
		t.Errorf("/metrics counts no idle connection reclaimed:\n%s", m)
	}
}

// --http-idle-timeout closes a plain HTTP keep-alive connection that asks nothing more (it was
// two minutes, fixed): the server ends the connection after its answer and the wait, and a new
// connection is served.
func TestServeClosesIdleHTTPConnections(t *testing.T) {
	addr := serveForTest(t, "--data", filepath.Join(t.TempDir(), "h.db"), "--http-idle-timeout", "300ms")
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(30 * time.Second)) // a bound on the test, not the timeout measured
	fmt.Fprintf(c, "GET /healthz HTTP/1.1\r\nHost: %s\r\n\r\n", addr)
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Close {
		t.Fatalf("GET /healthz: %s, close %v; want 200 on a kept-alive connection", resp.Status, resp.Close)
	}
	if n, err := br.ReadByte(); err != io.EOF {
		t.Fatalf("the idle connection: read %v, %v; want it closed by the server (EOF)", n, err)
	}
	if resp, err := http.Get("http://" + addr + "/healthz"); err != nil {
		t.Fatal(err)
	} else {
		resp.Body.Close()
	}
}
