package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// docs/operations.md end to end: a config file with TLS, signed tokens and limits; the server
// starts from it, serves wss to a client with a token and refuses one without, and reports
// health and metrics over https.
func TestOperationsGuide(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, pool := selfSigned(t, dir)
	const secret = "0123456789abcdef0123456789abcdef-operations"
	conf := filepath.Join(dir, "hubbub.conf")
	if err := os.WriteFile(conf, []byte(`# /etc/hubbub/hubbub.conf
data = `+filepath.Join(dir, "hubbub.db")+`
tls-cert = `+certFile+`
tls-key = `+keyFile+`
token-secret = `+secret+`
max-conns-per-ip = 50
connect-rate = 2
connect-burst = 10
log-format = json
`), 0o600); err != nil {
		t.Fatal(err)
	}

	// --print-config shows the effective settings with the secret masked.
	var printed bytes.Buffer
	if err := run(context.Background(), []string{"serve", "--config", conf, "--print-config"},
		stdio{in: strings.NewReader(""), out: &printed, err: io.Discard}); err != nil {
		t.Fatal(err)
	}
	if p := printed.String(); !strings.Contains(p, "token-secret = ****") || strings.Contains(p, secret) ||
		!strings.Contains(p, "tls-cert = "+certFile) {
		t.Fatalf("--print-config:\n%s", p)
	}

	addr := serveForTest(t, "--config", conf)

	var tok bytes.Buffer
	if err := run(context.Background(), []string{"token", "--secret", secret, "--user", "42", "--name", "Ann", "--ttl", "1h"},
		stdio{out: &tok, err: io.Discard}); err != nil {
		t.Fatal(err)
	}

	tlsCfg := &tls.Config{RootCAs: pool}
	dial := func() *websocket.Conn {
		d := websocket.Dialer{TLSClientConfig: tlsCfg, Subprotocols: []string{"hubbub.v1"}, HandshakeTimeout: 10 * time.Second}
		ws, _, err := d.Dial("wss://"+addr+"/ws", nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ws.Close() })
		return ws
	}
	await := func(ws *websocket.Conn, typ string) map[string]any {
		t.Helper()
		_ = ws.SetReadDeadline(time.Now().Add(10 * time.Second))
		for {
			var f map[string]any
			if err := ws.ReadJSON(&f); err != nil {
				t.Fatalf("waiting for %s: %v", typ, err)
			}
			if f["type"] == typ {
				return f
			}
		}
	}
	ann := dial()
	_ = ann.WriteJSON(map[string]any{"type": "hello", "token": strings.TrimSpace(tok.String())})
	if w := await(ann, "welcome"); w["name"] != "Ann" {
		t.Fatalf("welcome %v", w)
	}
	_ = ann.WriteJSON(map[string]any{"type": "join", "room": "general"})
	await(ann, "joined")
	_ = ann.WriteJSON(map[string]any{"type": "send", "room": "general", "id": "m1", "text": "hello over wss"})
	await(ann, "ack")

	anon := dial()
	_ = anon.WriteJSON(map[string]any{"type": "hello", "name": "mallory"})
	if e := await(anon, "error"); e["code"] != "unauthorized" {
		t.Fatalf("hello without a token: %v", e)
	}

	client := &http.Client{Transport: &http.Transport{TLSClientConfig: tlsCfg}, Timeout: 10 * time.Second}
	get := func(path string) string {
		t.Helper()
		resp, err := client.Get("https://" + addr + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 || resp.Header.Get("Strict-Transport-Security") != "max-age=31536000" {
			t.Fatalf("GET %s: %d, HSTS %q", path, resp.StatusCode, resp.Header.Get("Strict-Transport-Security"))
		}
		return string(b)
	}
	get("/healthz")
	get("/readyz")
	m := get("/metrics")
	for _, want := range []string{"hubbub_messages_in_total 1", "hubbub_joins_total 1", `hubbub_connects_total{protocol="json"} 2`} {
		if !strings.Contains(m, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}
