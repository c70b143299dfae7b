package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/minio/minio-go/v7"

	"hubbub/internal/s3test"
	"hubbub/internal/servertest"
	"hubbub/internal/session"
)

// With --files-s3-endpoint the server keeps uploads in the bucket (created at start), its keys
// coming from the environment, and serves them back from there; nothing goes to a folder.
func TestServeKeepsFilesInTheBucket(t *testing.T) {
	cfg := s3test.Config(t)
	cfg.Bucket += "-serve" // a bucket serve must create
	c := s3test.Client(t, cfg)
	t.Cleanup(func() {
		for _, k := range s3test.Keys(t, cfg) {
			_ = c.RemoveObject(context.Background(), cfg.Bucket, k, minio.RemoveObjectOptions{})
		}
		_ = c.RemoveBucket(context.Background(), cfg.Bucket)
	})
	t.Setenv("HUBBUB_FILES_S3_ACCESS_KEY", cfg.AccessKey)
	t.Setenv("HUBBUB_FILES_S3_SECRET_KEY", cfg.SecretKey)
	data := filepath.Join(t.TempDir(), "h.db")
	addr, stop := startServe(t, "--data", data, "--files-s3-endpoint", cfg.Endpoint, "--files-s3-bucket", cfg.Bucket)

	ws := servertest.Dial(t, "ws://"+addr+"/ws", "hubbub.v1", nil)
	defer ws.Close()
	ann := servertest.NewJSONClient(t, ws)
	ann.Send(servertest.Frame{"type": "hello", "name": "ann", "key": "key-ann"})
	ann.Await("welcome")

	body := bytes.Repeat([]byte("a file kept in the bucket\n"), 40_000)
	r, _ := http.NewRequest("POST", "http://"+addr+"/upload?name=notes.txt", bytes.NewReader(body))
	r.Header.Set(session.NameHeader, "ann")
	r.Header.Set(session.KeyHeader, "key-ann")
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	answer, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var up struct{ ID, URL string }
	if resp.StatusCode != http.StatusCreated || json.Unmarshal(answer, &up) != nil {
		t.Fatalf("upload: %d %s", resp.StatusCode, answer)
	}
	if keys := s3test.Keys(t, cfg); !slices.Contains(keys, up.ID) {
		t.Fatalf("the bucket holds %v, not the upload %s", keys, up.ID)
	}
	r, _ = http.NewRequest("GET", "http://"+addr+up.URL, nil)
	r.Header.Set(session.NameHeader, url.PathEscape("ann"))
	r.Header.Set(session.KeyHeader, "key-ann")
	resp, err = http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !bytes.Equal(got, body) {
		t.Fatalf("download: %d, %d bytes, want 200 and %d", resp.StatusCode, len(got), len(body))
	}
	if code, _ := getStatus(t, "http://"+addr+"/readyz"); code != http.StatusOK {
		t.Errorf("/readyz with a working bucket: %d", code)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if m, _ := filepath.Glob(data + ".files/*"); len(m) > 0 {
		t.Errorf("files went to the folder too: %v", m)
	}
}

// getStatus GETs u and returns the status and body.
func getStatus(t *testing.T, u string) (int, string) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// Settings of the bucket that cannot work stop serve at start with a usage error saying why,
// before any store is opened.
func TestServeRefusesBadBucketSettings(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--files-s3-endpoint", "127.0.0.1:1", "--files-dir", dir}, "choose the folder or the bucket"},
		{[]string{"--files-s3-access-key", "k", "--files-s3-secret-key", "s"}, "need --files-s3-endpoint"},
		{[]string{"--files-s3-endpoint", "ftp://127.0.0.1:1"}, "http or https"},
		{[]string{"--files-s3-endpoint", "127.0.0.1:1", "--files-s3-bucket", "Not_A_Bucket"}, "lower-case"},
		{[]string{"--files-s3-endpoint", "127.0.0.1:1", "--files-s3-access-key", "k"}, "secret key"},
		{[]string{"--files-s3-endpoint", "127.0.0.1:1", "--files-s3-timeout", "-1s"}, "must not be negative"},
	} {
		args := append([]string{"serve", "--print-config", "--data", filepath.Join(dir, "x.db")}, c.args...)
		err := run(context.Background(), args, stdio{out: io.Discard, err: io.Discard})
		if err == nil || exitCode(err) != 2 || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: %v (exit %d), want a usage error containing %q", c.args, err, exitCode(err), c.want)
		}
	}
}

// A bucket server that does not answer stops serve at start, naming the endpoint, instead of
// failing the first upload.
func TestServeStopsWhenTheBucketDoesNotAnswer(t *testing.T) {
	err := run(context.Background(), []string{"serve", "--port", "0", "--data", filepath.Join(t.TempDir(), "x.db"),
		"--files-s3-endpoint", "http://127.0.0.1:1", "--files-s3-timeout", "2s"},
		stdio{in: strings.NewReader(""), out: io.Discard, err: io.Discard})
	if err == nil || !strings.Contains(err.Error(), "--files-s3-endpoint http://127.0.0.1:1") {
		t.Fatalf("serve with a bucket server that does not answer: %v", err)
	}
}

// The secret key is masked in --print-config; the access key, an identifier, is shown.
func TestPrintConfigMasksTheSecretKey(t *testing.T) {
	var out bytes.Buffer
	t.Setenv("HUBBUB_FILES_S3_SECRET_KEY", "very-secret-value")
	err := run(context.Background(), []string{"serve", "--print-config", "--data", filepath.Join(t.TempDir(), "x.db"),
		"--files-s3-endpoint", "https://s3.example.com", "--files-s3-access-key", "AKIDEXAMPLE"},
		stdio{out: &out, err: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), "very-secret-value") || !strings.Contains(out.String(), "files-s3-secret-key = ****") {
		t.Errorf("print-config shows the secret key:\n%s", out.String())
	}
	if !strings.Contains(out.String(), "files-s3-access-key = AKIDEXAMPLE") {
		t.Errorf("print-config hides the access key:\n%s", out.String())
	}
}
