package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// selfSigned writes a self-signed certificate for 127.0.0.1 and its key to dir and returns
// their paths and a pool that trusts the certificate.
func selfSigned(t *testing.T, dir string) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "hubbub test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile, pool
}

// With --tls-cert and --tls-key the server speaks https and wss only, every response carries
// HSTS, and a client trusting the certificate chats over wss.
func TestServeTLS(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, pool := selfSigned(t, dir)
	addr, stop := startServe(t, "--data", filepath.Join(dir, "h.db"), "--tls-cert", certFile, "--tls-key", keyFile)
	tlsCfg := &tls.Config{RootCAs: pool}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: tlsCfg}, Timeout: 10 * time.Second}
	for _, path := range []string{"/", "/healthz", "/readyz", "/metrics"} {
		resp, err := client.Get("https://" + addr + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.Header.Get("Strict-Transport-Security") != "max-age=31536000" {
			t.Fatalf("GET https %s: %d, HSTS %q", path, resp.StatusCode, resp.Header.Get("Strict-Transport-Security"))
		}
	}
	d := websocket.Dialer{TLSClientConfig: tlsCfg, HandshakeTimeout: 10 * time.Second}
	ws, _, err := d.Dial("wss://"+addr+"/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	_ = ws.WriteMessage(websocket.TextMessage, []byte("ann"))
	_ = ws.WriteMessage(websocket.TextMessage, []byte("over tls"))
	_ = ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, data, err := ws.ReadMessage(); err != nil || string(data) != "ann: over tls" {
		t.Fatalf("got %q, %v", data, err)
	}
	// A client that does not trust the certificate is refused by its own TLS stack.
	if _, err := http.Get("https://" + addr + "/healthz"); err == nil {
		t.Error("an untrusted certificate was accepted")
	}
	// Plain http on the TLS port gets no page.
	if resp, err := http.Get("http://" + addr + "/healthz"); err == nil {
		resp.Body.Close()
		if resp.StatusCode == 200 {
			t.Error("plain http served on the TLS port")
		}
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
}

// Without TLS there is no HSTS header; /metrics is on by default and off with --metrics=false;
// /debug/pprof/ only with --pprof.
func TestServeMetricsAndPprofFlags(t *testing.T) {
	get := func(addr, path string) (*http.Response, string) {
		t.Helper()
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp, string(b)
	}
	addr, stop := startServe(t, "--data", filepath.Join(t.TempDir(), "h.db"))
	resp, body := get(addr, "/metrics")
	if resp.StatusCode != 200 || !strings.Contains(body, "hubbub_connections{protocol=\"text\"} 0") ||
		!strings.Contains(body, "hubbub_store_append_seconds_bucket") {
		t.Fatalf("/metrics: %d %.300s", resp.StatusCode, body)
	}
	if resp.Header.Get("Strict-Transport-Security") != "" {
		t.Error("HSTS over plain http")
	}
	if resp, _ := get(addr, "/debug/pprof/"); resp.StatusCode != 404 {
		t.Errorf("pprof without --pprof: %d", resp.StatusCode)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}

	addr, stop = startServe(t, "--data", filepath.Join(t.TempDir(), "h.db"), "--metrics=false", "--pprof")
	if resp, _ := get(addr, "/metrics"); resp.StatusCode != 404 {
		t.Errorf("/metrics with --metrics=false: %d", resp.StatusCode)
	}
	if resp, body := get(addr, "/debug/pprof/"); resp.StatusCode != 200 || !strings.Contains(body, "goroutine") {
		t.Errorf("pprof with --pprof: %d", resp.StatusCode)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
}

// printConfigOf runs hubbub serve --print-config with args and returns the lines by key.
func printConfigOf(t *testing.T, args ...string) map[string]string {
	t.Helper()
	var out, errOut bytes.Buffer
	err := run(context.Background(), append([]string{"serve", "--print-config"}, args...), stdio{in: strings.NewReader(""), out: &out, err: &errOut})
	if err != nil {
		t.Fatalf("--print-config: %v\n%s", err, errOut.String())
	}
	lines := map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		k, _, _ := strings.Cut(l, " = ")
		lines[k] = strings.Join(strings.Fields(l), " ")
	}
	return lines
}

// Every flag can come from a config file; the command line beats the environment, which beats
// the file, which beats the default; --print-config shows each value with its source and masks
// secrets (but not the paths of key files).
func TestConfigFilePrecedenceAndPrintConfig(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "hubbub.conf")
	conf := `# hubbub settings
send-queue = 7
max-text = 100
read-limit = 5000
token-secret = "0123456789abcdef0123456789abcdef-secret"
nats-password = hunter2
postgres = postgres://hub:s3cret@db.example/hub
tls-key = /etc/hubbub/key.pem

allowed-origins = https://a.example
api-key = k3y-do-not-print
nats-token = t0ken-do-not-print
tls-cert = /etc/hubbub/cert.pem
`
	if err := os.WriteFile(file, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("HUBBUB_MAX_TEXT", "200")
	t.Setenv("HUBBUB_READ_LIMIT", "6000")
	got := printConfigOf(t, "--config", file, "--read-limit", "7000")
	for key, want := range map[string]string{
		"send-queue":      "send-queue = 7 # file " + file + ":2",
		"max-text":        "max-text = 200 # env HUBBUB_MAX_TEXT",
		"read-limit":      "read-limit = 7000 # flag",
		"port":            "port = 3434 # default",
		"token-secret":    "token-secret = **** # file " + file + ":5",
		"nats-password":   "nats-password = **** # file " + file + ":6",
		"postgres":        "postgres = postgres://hub:****@db.example/hub # file " + file + ":7",
		"tls-key":         "tls-key = /etc/hubbub/key.pem # file " + file + ":8",
		"allowed-origins": "allowed-origins = https://a.example # file " + file + ":10",
		"# config":        "# config = " + file + " # flag",
		"api-key":         "api-key = **** # file " + file + ":11",
		"nats-token":      "nats-token = **** # file " + file + ":12",
	} {
		if got[key] != want {
			t.Errorf("%s: got %q, want %q", key, got[key], want)
		}
	}
	for k, l := range got {
		if strings.Contains(l, "hunter2") || strings.Contains(l, "s3cret") || strings.Contains(l, "0123456789abcdef") ||
			strings.Contains(l, "do-not-print") {
			t.Errorf("secret printed: %s", l)
		}
		if !strings.Contains(l, " # ") {
			t.Errorf("line for %s has no source: %q", k, l)
		}
	}
	// The config file may itself come from the environment.
	t.Setenv("HUBBUB_CONFIG", file)
	if got := printConfigOf(t); got["send-queue"] != "send-queue = 7 # file "+file+":2" {
		t.Errorf("HUBBUB_CONFIG: %q", got["send-queue"])
	}
}

// A config file saved by an editor that starts UTF-8 with a byte order mark (Windows Notepad
// does) reads as the same file without it: operations.md's example, whose first line is a
// comment, was refused as `"\ufeff# /etc/hubbub/hubbub.conf" is not key = value`, and a file
// starting with a setting as `unknown key "\ufeffport"`. The admin commands read it alike.
func TestConfigFileWithAByteOrderMark(t *testing.T) {
	dir := t.TempDir()
	for name, conf := range map[string]string{
		"comment.conf": "\ufeff# /etc/hubbub/hubbub.conf\r\nport = 6123\r\nsend-queue = 7\r\n",
		"setting.conf": "\ufeffport = 6123\nsend-queue = 7\n",
	} {
		file := filepath.Join(dir, name)
		if err := os.WriteFile(file, []byte(conf), 0o600); err != nil {
			t.Fatal(err)
		}
		got := printConfigOf(t, "--config", file)
		for key, want := range map[string]string{
			"port":       "port = 6123 # file " + file + ":",
			"send-queue": "send-queue = 7 # file " + file + ":",
		} {
			if !strings.HasPrefix(got[key], want) {
				t.Errorf("%s: %s: got %q, want it to start %q", name, key, got[key], want)
			}
		}
	}
	// The first line alone may lose a mark: one further down is no white space, and refused.
	file := filepath.Join(dir, "inside.conf")
	if err := os.WriteFile(file, []byte("port = 6123\n\ufeffsend-queue = 7\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	err := run(context.Background(), []string{"serve", "--config", file, "--print-config"},
		stdio{in: strings.NewReader(""), out: io.Discard, err: io.Discard})
	if err == nil || !strings.Contains(err.Error(), "inside.conf:2: unknown key") {
		t.Errorf("a mark inside the file: %v, want line 2 refused", err)
	}
}

// --postgres takes any pgx connection string: a keyword/value one ("host=db password=…") and a
// URL with the password in its query hold the password too, and --print-config, and the list
// of settings an error names, printed it in clear; fed back from a file, the mask is refused
// there as in a URL's user part.
func TestPrintConfigMasksConnectionStringPasswords(t *testing.T) {
	for _, c := range []struct{ value, want string }{
		{"host=db.example user=hub password=s3cret dbname=hub", "host=db.example user=hub password=**** dbname=hub"},
		{"host=db.example password = 's3 cret\\'' sslpassword=s3cret", "host=db.example password = **** sslpassword=****"},
		{"postgres://hub@db.example/hub?sslmode=require&password=s3cret", "postgres://hub@db.example/hub?sslmode=require&password=****"},
		{"postgres://hub:s3cret@db.example/hub?sslpassword=s3cret&search_path=chat", "postgres://hub:****@db.example/hub?sslpassword=****&search_path=chat"},
	} {
		got := printConfigOf(t, "--postgres", c.value)["postgres"]
		if want := "postgres = " + c.want + " # flag"; got != want {
			t.Errorf("--postgres %q printed as %q, want %q", c.value, got, want)
		}
	}
	t.Setenv("HUBBUB_POSTGRES", "host=db.example password=s3cret")
	t.Setenv("HUBBUB_PONG_WAIT", "1s")
	err := run(context.Background(), []string{"serve"}, stdio{in: strings.NewReader(""), out: io.Discard, err: io.Discard})
	if err == nil || !strings.Contains(err.Error(), "postgres=host=db.example password=**** (from env HUBBUB_POSTGRES)") ||
		strings.Contains(err.Error(), "s3cret") {
		t.Errorf("an error naming the settings from the environment: %v", err)
	}
	os.Unsetenv("HUBBUB_POSTGRES") // t.Setenv restores them after the test
	os.Unsetenv("HUBBUB_PONG_WAIT")
	dir := t.TempDir()
	for _, value := range []string{"host=db password=****", "postgres://hub@db/hub?password=****"} {
		file := filepath.Join(dir, "masked.conf")
		if err := os.WriteFile(file, []byte("postgres = "+value+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		err := run(context.Background(), []string{"serve", "--config", file}, stdio{in: strings.NewReader(""), out: io.Discard, err: io.Discard})
		if err == nil || !strings.Contains(err.Error(), "postgres holds ****") || exitCode(err) != 2 {
			t.Errorf("a masked password in the file (%s): %v", value, err)
		}
	}
}

// A --nats URL may carry a token as its user part, without a password (nats://TOKEN@host, which
// nats.go sends as the token): --print-config printed it in clear, where it masks a user's
// password beside it. Fed back from a file, the mask is refused as a password's is.
func TestPrintConfigMasksANATSToken(t *testing.T) {
	got := printConfigOf(t, "--nats", "nats://s3cr3ttok@10.0.0.1:4222,nats://hub:s3cret@10.0.0.2:4222,nats://10.0.0.3:4222")["nats"]
	if want := "nats = nats://****@10.0.0.1:4222,nats://hub:****@10.0.0.2:4222,nats://10.0.0.3:4222 # flag"; got != want {
		t.Errorf("--nats with a token printed as %q, want %q", got, want)
	}
	file := filepath.Join(t.TempDir(), "masked.conf")
	if err := os.WriteFile(file, []byte("nats = nats://****@127.0.0.1:9\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	err := run(context.Background(), []string{"serve", "--config", file}, stdio{in: strings.NewReader(""), out: io.Discard, err: io.Discard})
	if err == nil || !strings.Contains(err.Error(), "nats holds ****") || exitCode(err) != 2 {
		t.Errorf("a masked token in the file: %v", err)
	}
}

// An invalid configuration stops the server at start with one line and exit status 2.
func TestInvalidConfigFailsWithOneLine(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	cert, key, _ := selfSigned(t, dir)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--config", write("unknown.conf", "port = 1\nbogus = 2\n")}, `unknown.conf:2: unknown key "bogus"`},
		{[]string{"--config", write("bad.conf", "send-queue = lots\n")}, `bad.conf:1: invalid send-queue "lots"`},
		{[]string{"--config", write("noeq.conf", "port 3434\n")}, `is not key = value`},
		{[]string{"--config", write("twice.conf", "port = 1\nport = 2\n")}, `"port" set again (first at line 1)`},
		{[]string{"--config", write("nested.conf", "config = other.conf\n")}, `unknown key "config"`},
		{[]string{"--config", write("secret.conf", "nats-token = x\nping-period = often\n")}, `invalid ping-period`},
		{[]string{"--config", filepath.Join(dir, "missing.conf")}, "config file: open"},
		{[]string{"--tls-cert", cert}, "--tls-cert and --tls-key go together"},
		{[]string{"--tls-cert", key, "--tls-key", cert}, "invalid --tls-cert/--tls-key"},
		{[]string{"--transport", "bogus"}, `unknown transport "bogus"`},
		{[]string{"--port", "abc"}, `invalid value "abc" for flag -port`},
		{[]string{"--no-such-flag"}, "flag provided but not defined: -no-such-flag"},
		{[]string{"--ping-period", "2m"}, "pong wait (1m0s) must be longer than the ping period"},
		{[]string{"--allowed-origins", "http://"}, "is not an origin"},
		{[]string{"--max-conns", "-5"}, "serve: --max-conns -5 must not be negative"},
		{[]string{"--write-wait", "-1s"}, "serve: --write-wait -1s must not be negative"},
		{[]string{"--config", write("negative.conf", "send-queue = -1\n")}, "--send-queue -1 must not be negative (from file " + dir},
		{[]string{"--config", write("pong.conf", "pong-wait = 1s\n")}, "; set outside the command line: pong-wait=1s (from file " + dir},
		{[]string{"--max-stored-rooms", "0"}, "invalid --max-stored-rooms 0: want 1 or more"},
		{[]string{"--write-interval", "2s"}, "invalid --write-interval 2s: want 0 (off) to 1s"},
		{[]string{"--write-interval", "-1ms"}, "--write-interval -1ms must not be negative"},
		{[]string{"--config", write("masked.conf", "api-key = ****               # file x:3\n")}, "masked.conf:1: api-key holds ****, the mask --print-config prints"},
		{[]string{"--config", write("masked-url.conf", "postgres = postgres://hub:****@db/hub\n")}, "postgres holds ****"},
		{[]string{"--config", write("quote.conf", "allowed-origins = \"https://a.example\n")}, `has no closing "`},
		{[]string{"--config", write("after.conf", "allowed-origins = \"https://a.example\" https://b.example\n")}, `has no closing " followed only by spaces or a comment`},
		{[]string{"--config", write("cut.conf", "token-secret = 0123456789abcdef0123456789abcdef #tail\n")}, `token-secret is not quoted and holds " #"`},
		// A secret too short says where it was set, as every other bad value does.
		{[]string{"--config", write("short.conf", "token-secret = short\n")}, "the token secret is 5 bytes; it must be at least 32 (e.g. `openssl rand -hex 32`) (from file " + dir},
		{[]string{"--config", write("issuer.conf", "token-issuer = https://login.example/\n")}, "need tokens: set --token-secret or --jwks-url; set outside the command line: token-issuer=https://login.example/ (from file " + dir},
	} {
		var errOut bytes.Buffer
		err := run(context.Background(), append([]string{"serve", "--data", filepath.Join(dir, "h.db")}, c.args...),
			stdio{in: strings.NewReader(""), out: io.Discard, err: &errOut})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: got %v, want an error containing %q", c.args, err, c.want)
			continue
		}
		if strings.Contains(err.Error(), "\n") || exitCode(err) != 2 {
			t.Errorf("%v: %q is not one line with exit status 2 (%d)", c.args, err, exitCode(err))
		}
		if _, err := os.Stat(filepath.Join(dir, "h.db")); err == nil {
			t.Fatalf("%v: a refused configuration created the database", c.args)
		}
	}
	t.Setenv("HUBBUB_PONG_WAIT", "1s") // the error says where a setting it may be about came from
	err := run(context.Background(), []string{"serve"}, stdio{in: strings.NewReader(""), out: io.Discard, err: io.Discard})
	if err == nil || !strings.Contains(err.Error(), "pong-wait=1s (from env HUBBUB_PONG_WAIT)") || exitCode(err) != 2 {
		t.Errorf("bad setting from the environment: %v", err)
	}
	os.Unsetenv("HUBBUB_PONG_WAIT") // t.Setenv restores it after the test
	t.Setenv("HUBBUB_SEND_QUEUE", "many")
	err = run(context.Background(), []string{"serve"}, stdio{in: strings.NewReader(""), out: io.Discard, err: io.Discard})
	if err == nil || !strings.Contains(err.Error(), `invalid HUBBUB_SEND_QUEUE="many"`) || exitCode(err) != 2 {
		t.Errorf("bad environment value: %v", err)
	}
}

// --print-config's output is a config file: fed back with --config (its secrets written in by
// hand, as the masks are refused), it gives the same settings, each now from the file. It
// failed at the first line: the source comment was read as part of the value.
func TestPrintConfigReadsBack(t *testing.T) {
	dir := t.TempDir()
	first := filepath.Join(dir, "first.conf")
	conf := "send-queue = 7\nallowed-origins = https://a.example   # the page's origin\n" +
		"log-format = \"json\"  # quoted, then a comment\nmax-stored-rooms = 500\napi-key = \"k3y #1\"\n" +
		"node = \"a\"b #\"c\"  # quotes inside a quoted value\n"
	if err := os.WriteFile(first, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	var printed, errOut bytes.Buffer
	if err := run(context.Background(), []string{"serve", "--config", first, "--print-config", "--read-limit", "10000"},
		stdio{in: strings.NewReader(""), out: &printed, err: &errOut}); err != nil {
		t.Fatalf("--print-config: %v\n%s", err, errOut.String())
	}
	var again []string
	for _, l := range strings.Split(printed.String(), "\n") {
		if k, _, _ := strings.Cut(l, " = "); k == "api-key" {
			l = `api-key = "k3y #1"` // the secret, written in by hand
		}
		again = append(again, l)
	}
	second := filepath.Join(dir, "second.conf")
	if err := os.WriteFile(second, []byte(strings.Join(again, "\n")), 0o600); err != nil {
		t.Fatal(err)
	}
	before := printConfigOf(t, "--config", first, "--read-limit", "10000")
	after := printConfigOf(t, "--config", second)
	for k, line := range before {
		if k == "# config" || k == "" {
			continue
		}
		value, _, _ := strings.Cut(line, " # ")
		got, _, _ := strings.Cut(after[k], " # ")
		if got != value {
			t.Errorf("%s read back as %q, was %q", k, got, value)
		}
	}
	if !strings.HasPrefix(before["node"], `node = "a"b #"c" #`) {
		t.Errorf("a quoted value with quotes inside: %q", before["node"])
	}
	// A masked secret in the file is no error when the environment sets the secret: the
	// file's value is not used.
	t.Setenv("HUBBUB_API_KEY", "from-the-environment")
	masked := strings.ReplaceAll(strings.Join(again, "\n"), `api-key = "k3y #1"`, "api-key = ****")
	if err := os.WriteFile(second, []byte(masked), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := printConfigOf(t, "--config", second); got["api-key"] != "api-key = **** # env HUBBUB_API_KEY" {
		t.Errorf("api-key masked in the file, set in the environment: %q", got["api-key"])
	}
	for _, k := range []string{"send-queue", "allowed-origins", "log-format", "read-limit", "api-key", "node"} {
		if !strings.Contains(after[k], "# file "+second) {
			t.Errorf("%s does not come from the file read back: %q", k, after[k])
		}
	}
	if !strings.HasPrefix(before["allowed-origins"], "allowed-origins = https://a.example #") {
		t.Errorf("the comment after an unquoted value was read into it: %q", before["allowed-origins"])
	}
}
