package cluster_test

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"hubbub"
	"hubbub/internal/files"
	"hubbub/internal/natstest"
	"hubbub/internal/s3blobs"
	"hubbub/internal/s3test"
	"hubbub/internal/server"
	"hubbub/internal/servertest"
	"hubbub/internal/session"
)

// startBucketCluster starts n nodes on one NATS and one store whose files are in the bucket
// of cfg, each node with Blobs of its own on it, as n hubbub serve processes would be. Their
// collectors wait an hour, so the test runs them.
func startBucketCluster(t *testing.T, n int, cfg s3blobs.Config) []*servertest.Server {
	t.Helper()
	ns := natstest.Start(t)
	data := filepath.Join(t.TempDir(), "shared.db")
	pg := postgresURL(t)
	var nodes []*servertest.Server
	for i := range n {
		blobs := s3test.OpenConfig(t, cfg)
		nodes = append(nodes, servertest.Start(t, servertest.Options{
			Node: fmt.Sprintf("node%d", i+1), NATS: ns.ClientURL(), DataPath: data, Postgres: pg,
			Server: server.Config{SendRate: 10000, SendBurst: 10000, RoleFor: servertest.Roles("mod"),
				Files: files.Config{Blobs: blobs, CollectEvery: time.Hour}},
		}))
	}
	return nodes
}

// A file uploaded on node 1 goes into the shared bucket; a member on node 2 downloads it from
// there byte for byte (whole and a range); once a moderator on node 2 deletes its message,
// both nodes answer 404 at once, and the collector takes it out of the bucket.
func TestFileSharedThroughTheBucket(t *testing.T) {
	cfg := s3test.Config(t)
	nodes := startBucketCluster(t, 2, cfg)
	ann := servertest.DialJSON(t, nodes[0], "ann")
	bob := servertest.DialJSON(t, nodes[1], "bob")
	mod := servertest.DialJSON(t, nodes[1], "mod")
	for _, c := range []*servertest.JSONClient{ann, bob, mod} {
		if f := c.Join("share", nil); f.Type() != "joined" {
			t.Fatalf("join: %v", f)
		}
	}

	data := make([]byte, 3<<20+5) // more than one read buffer of any copy on the way
	rand.Read(data)
	up := uploadAs(t, nodes[0], "ann", "report.bin", data)
	id, _ := up["id"].(string)
	if id == "" {
		t.Fatalf("upload answered %v", up)
	}
	if keys := s3test.Keys(t, cfg); !slices.Contains(keys, id) {
		t.Fatalf("the bucket holds %v, not the upload %s", keys, id)
	}
	// Until a message carries it, only its uploader may fetch it, on either node.
	if st, _ := download(t, nodes[1], "bob", fileURL(up), nil); st != http.StatusNotFound {
		t.Fatalf("bob fetched an unattached file of ann's: %d", st)
	}
	if st, body := download(t, nodes[1], "ann", fileURL(up), nil); st != http.StatusOK || !bytes.Equal(body, data) {
		t.Fatalf("ann's own upload through node 2: %d, %d bytes", st, len(body))
	}

	ann.Send(servertest.Frame{"type": "send", "room": "share", "id": "m1", "text": "the report", "attachments": []string{id}})
	ack := ann.AwaitFunc("ack for m1", func(f servertest.Frame) bool {
		return (f.Type() == "ack" || f.Type() == "error") && f.Str("id") == "m1"
	})
	if ack.Type() != "ack" {
		t.Fatalf("send with the attachment: %v", ack)
	}
	seq := ack.Num("seq")
	msg := bob.AwaitFunc("the message on node 2", func(f servertest.Frame) bool {
		return f.Type() == "message" && f.Num("seq") == seq
	})
	atts, _ := msg["attachments"].([]any)
	if len(atts) != 1 {
		t.Fatalf("the message on node 2 carries %v", msg["attachments"])
	}
	att, _ := atts[0].(map[string]any)
	link, _ := att["url"].(string)
	if att["id"] != id || att["name"] != "report.bin" || att["size"] != float64(len(data)) || link != fileURL(up) {
		t.Fatalf("attachment on node 2: %v, want id %s, report.bin, %d bytes, url %s", att, id, len(data), fileURL(up))
	}

	st, body := download(t, nodes[1], "bob", link, nil)
	if st != http.StatusOK || !bytes.Equal(body, data) {
		t.Fatalf("bob's download on node 2: %d, %d bytes (want 200 and the %d bytes uploaded)", st, len(body), len(data))
	}
	st, body = download(t, nodes[1], "bob", link, http.Header{"Range": {"bytes=1000000-1999999"}})
	if st != http.StatusPartialContent || !bytes.Equal(body, data[1000000:2000000]) {
		t.Fatalf("a range on node 2: %d, %d bytes", st, len(body))
	}

	if got := moderate(mod, servertest.Frame{"type": "delete", "room": "share", "seq": seq}); got.Type() != "moderated" {
		t.Fatalf("delete on node 2: %v", got)
	}
	ann.AwaitFunc("deleted on node 1", func(f servertest.Frame) bool { return f.Type() == "deleted" && f.Num("seq") == seq })
	for i, n := range nodes {
		for _, who := range []string{"ann", "bob"} {
			if st, _ := download(t, n, who, link, nil); st != http.StatusNotFound {
				t.Errorf("node %d, %s: GET of a deleted message's file answered %d, want 404", i+1, who, st)
			}
		}
	}
	// The bytes stay until a collector runs (on any node: they share the store and bucket).
	if keys := s3test.Keys(t, cfg); !slices.Contains(keys, id) {
		t.Fatalf("the bucket lost %s before the collector ran: %v", id, keys)
	}
	n, err := nodes[1].Srv.Files().CollectOnce(t.Context(), time.Now())
	if err != nil || n != 1 {
		t.Fatalf("collector: %d files, %v; want 1", n, err)
	}
	if keys := s3test.Keys(t, cfg); slices.Contains(keys, id) {
		t.Fatalf("after the collector the bucket still holds %s: %v", id, keys)
	}
	if _, found, err := nodes[0].Store.(hubbub.FileStore).File(t.Context(), id); err != nil || found {
		t.Fatalf("after the collector the store still knows %s (%v, %v)", id, found, err)
	}
	// The other node's collector finds nothing left to do.
	if n, err := nodes[0].Srv.Files().CollectOnce(t.Context(), time.Now()); err != nil || n != 0 {
		t.Fatalf("the second collector: %d files, %v; want 0", n, err)
	}
}

// uploadAs posts data as the raw body of POST /upload, named name, as the guest name (the key
// servertest.DialJSON gives it), and returns the answer, failing unless it is 201.
func uploadAs(tb testing.TB, n *servertest.Server, name, fileName string, data []byte) map[string]any {
	tb.Helper()
	r, err := http.NewRequest("POST", n.URL+"/upload?name="+url.QueryEscape(fileName), bytes.NewReader(data))
	if err != nil {
		tb.Fatal(err)
	}
	asGuest(r, name)
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		tb.Fatalf("upload: %v", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var rep map[string]any
	if resp.StatusCode != http.StatusCreated || json.Unmarshal(body, &rep) != nil {
		tb.Fatalf("upload of %d bytes: %d %s", len(data), resp.StatusCode, body)
	}
	return rep
}

// asGuest sends r as the guest name with the key servertest.DialJSON gave it.
func asGuest(r *http.Request, name string) {
	r.Header.Set(session.NameHeader, url.PathEscape(name))
	r.Header.Set(session.KeyHeader, "key-"+name)
}

// fileURL is the download path of an upload's answer.
func fileURL(up map[string]any) string { s, _ := up["url"].(string); return s }

// download GETs path on node n as the guest name and returns the status and body.
func download(t *testing.T, n *servertest.Server, name, path string, h http.Header) (int, []byte) {
	t.Helper()
	r, err := http.NewRequest("GET", n.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range h {
		r.Header[k] = v
	}
	asGuest(r, name)
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: read: %v", path, err)
	}
	return resp.StatusCode, body
}

// BenchmarkUpload20MB is POST /upload of a 20 MB file end to end — the request read into a
// temporary file, its type sniffed, the bytes put into the Blobs, the row stored — on a node
// whose files are in the local folder, and on one whose files are in the S3 bucket of
// HUBBUB_TEST_S3. MB/s is the upload's throughput (-benchtime=10x keeps the disk use small).
func BenchmarkUpload20MB(b *testing.B) {
	data := make([]byte, 20_000_000)
	rand.Read(data)
	run := func(b *testing.B, blobs hubbub.Blobs) {
		n := servertest.Start(b, servertest.Options{
			Server: server.Config{Files: files.Config{Blobs: blobs, UploadQuota: 1 << 50, CollectEvery: time.Hour}},
		})
		c := servertest.DialJSON(b, n, "ann") // makes the guest the uploads act for
		defer c.Conn.Close()
		b.SetBytes(int64(len(data)))
		for i := 0; b.Loop(); i++ {
			uploadAs(b, n, "ann", fmt.Sprintf("big-%d.bin", i), data)
		}
	}
	b.Run("local", func(b *testing.B) {
		blobs, err := files.OpenLocalBlobs(filepath.Join(b.TempDir(), "files"))
		if err != nil {
			b.Fatal(err)
		}
		run(b, blobs)
	})
	b.Run("s3", func(b *testing.B) {
		run(b, s3test.Open(b))
	})
}

// When the bucket cannot be reached, uploads and downloads answer 503 (try again) and the node
// is not ready; when it is back, both work again, with nothing to restart.
func TestBucketOutage(t *testing.T) {
	cfg := s3test.Config(t)
	px := startProxy(t, hostOf(cfg.Endpoint))
	cfg.Endpoint = "http://" + px.addr
	cfg.Timeout = 2 * time.Second
	n := servertest.Start(t, servertest.Options{
		Server: server.Config{Files: files.Config{Blobs: s3test.OpenConfig(t, cfg), CollectEvery: time.Hour}},
	})
	ann := servertest.DialJSON(t, n, "ann")
	defer ann.Conn.Close()
	data := bytes.Repeat([]byte("kept in the bucket "), 10_000)
	up := uploadAs(t, n, "ann", "a.txt", data)

	px.cut()
	if st, body := postUpload(t, n, "ann", "b.txt", data); st != http.StatusServiceUnavailable {
		t.Errorf("upload with the bucket unreachable: %d %s, want 503", st, body)
	}
	if st, _ := download(t, n, "ann", fileURL(up), nil); st != http.StatusServiceUnavailable {
		t.Errorf("download with the bucket unreachable: %d, want 503", st)
	}
	if st, body := n.Get("/readyz"); st != http.StatusServiceUnavailable || !strings.Contains(body, "files unavailable") {
		t.Errorf("/readyz with the bucket unreachable: %d %q, want 503 files unavailable", st, body)
	}

	px.restore()
	if st, body := download(t, n, "ann", fileURL(up), nil); st != http.StatusOK || !bytes.Equal(body, data) {
		t.Errorf("download once the bucket is back: %d, %d bytes", st, len(body))
	}
	uploadAs(t, n, "ann", "c.txt", data)
	if st, body := n.Get("/readyz"); st != http.StatusOK {
		t.Errorf("/readyz once the bucket is back: %d %q", st, body)
	}
}

// postUpload is uploadAs without the check: the status and body of the answer.
func postUpload(t *testing.T, n *servertest.Server, name, fileName string, data []byte) (int, string) {
	t.Helper()
	r, err := http.NewRequest("POST", n.URL+"/upload?name="+url.QueryEscape(fileName), bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	asGuest(r, name)
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatalf("upload: %v", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// hostOf is the host:port of an endpoint URL.
func hostOf(endpoint string) string {
	if u, err := url.Parse(endpoint); err == nil && u.Host != "" {
		return u.Host
	}
	return endpoint
}

// proxy forwards TCP connections from addr to target until cut, which closes its listener and
// every connection, as a network that fails would; restore listens on addr again.
type proxy struct {
	t      *testing.T
	addr   string
	target string
	mu     sync.Mutex
	ln     net.Listener
	conns  map[net.Conn]bool
	wg     sync.WaitGroup
}

func startProxy(t *testing.T, target string) *proxy {
	p := &proxy{t: t, addr: "127.0.0.1:0", target: target, conns: map[net.Conn]bool{}}
	p.restore()
	p.addr = p.ln.Addr().String()
	t.Cleanup(func() { p.cut(); p.wg.Wait() })
	return p
}

func (p *proxy) restore() {
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		p.t.Fatalf("proxy: %v", err)
	}
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	p.wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", p.target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns[c], p.conns[up] = true, true
			p.mu.Unlock()
			for _, pair := range [][2]net.Conn{{c, up}, {up, c}} {
				p.wg.Go(func() {
					_, _ = io.Copy(pair[0], pair[1])
					pair[0].Close()
					pair[1].Close()
				})
			}
		}
	})
}

func (p *proxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for c := range p.conns {
		c.Close()
		delete(p.conns, c)
	}
}
