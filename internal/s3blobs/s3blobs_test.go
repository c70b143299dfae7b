package s3blobs_test

import (
	"bytes"
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"go.uber.org/goleak"

	"hubbub"
	"hubbub/internal/blobtest"
	"hubbub/internal/s3blobs"
	"hubbub/internal/s3test"
)

// TestMain checks that no goroutine outlives the tests: Close ends the connections of Blobs.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestContract runs the Blobs contract suite on a bucket of the test server.
func TestContract(t *testing.T) {
	b := s3test.Open(t)
	blobtest.Run(t, func(*testing.T) hubbub.Blobs { return b })
}

// TestCreatesTheBucket: Open makes a missing bucket, unless told not to, when it fails and
// names the bucket.
func TestCreatesTheBucket(t *testing.T) {
	cfg := s3test.Config(t)
	cfg.Bucket += "-made"
	ctx := context.Background()

	refused := cfg
	refused.NoCreateBucket = true
	if _, err := s3blobs.Open(ctx, refused); err == nil || !strings.Contains(err.Error(), cfg.Bucket) {
		t.Fatalf("Open of a missing bucket with NoCreateBucket: %v, want an error naming it", err)
	}

	b := s3test.OpenConfig(t, cfg)
	c := s3test.Client(t, cfg)
	t.Cleanup(func() { _ = c.RemoveBucket(context.Background(), cfg.Bucket) })
	if ok, err := c.BucketExists(ctx, cfg.Bucket); err != nil || !ok {
		t.Fatalf("after Open the bucket exists = %v, %v", ok, err)
	}
	if err := b.Check(ctx); err != nil {
		t.Fatalf("Check: %v", err)
	}
	// A second node opening the same bucket finds it.
	s3test.OpenConfig(t, refused)

	// Check says when the bucket is gone.
	if err := c.RemoveBucket(ctx, cfg.Bucket); err != nil {
		t.Fatal(err)
	}
	if err := b.Check(ctx); err == nil {
		t.Error("Check of a removed bucket: nil, want an error")
	}
}

// TestContentTypeIsStored: the type the server found goes with the object, so a tool reading
// the bucket sees it too.
func TestContentTypeIsStored(t *testing.T) {
	cfg := s3test.Config(t)
	ctx := context.Background()
	b := s3test.OpenConfig(t, cfg)
	key := blobtest.Key()
	if err := b.Put(ctx, key, strings.NewReader("%PDF-1.4"), 8, "application/pdf"); err != nil {
		t.Fatal(err)
	}
	info, err := s3test.Client(t, cfg).StatObject(ctx, cfg.Bucket, key, minio.StatObjectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if info.ContentType != "application/pdf" || info.Size != 8 {
		t.Errorf("stored type %q, size %d; want application/pdf, 8", info.ContentType, info.Size)
	}
}

// TestServerDown: a server that does not answer fails Open, and a Blobs whose server went
// away fails its calls, within the timeout, with an error and no hang.
func TestServerDown(t *testing.T) {
	// Nothing listens on port 1 (only root may bind it, and no test does); a port freed by
	// closing a listener could be given to another package's test server running beside this.
	addr := "127.0.0.1:1"
	cfg := s3blobs.Config{Endpoint: "http://" + addr, Bucket: "hubbub", AccessKey: "a", SecretKey: "b", Timeout: 2 * time.Second}
	if _, err := s3blobs.Open(context.Background(), cfg); err == nil {
		t.Fatal("Open on a closed port succeeded")
	}
}

// TestServerSilent: a server that accepts connections and never answers fails Open after
// Timeout rather than holding it.
func TestServerSilent(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	done := make(chan struct{})
	defer close(done)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { <-done; c.Close() }()
		}
	}()
	cfg := s3blobs.Config{Endpoint: ln.Addr().String(), Bucket: "hubbub", Timeout: 200 * time.Millisecond}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute) // the test's own bound
	defer cancel()
	_, err = s3blobs.Open(ctx, cfg)
	if err == nil {
		t.Fatal("Open on a silent server succeeded")
	}
	if ctx.Err() != nil {
		t.Fatalf("Open waited for the test's deadline, not its Timeout: %v", err)
	}
}

// TestConfigErrors: a configuration that cannot work fails Open with a message saying why,
// before any request.
func TestConfigErrors(t *testing.T) {
	for _, c := range []struct {
		cfg  s3blobs.Config
		want string
	}{
		{s3blobs.Config{Bucket: "b"}, "no endpoint"},
		{s3blobs.Config{Endpoint: "127.0.0.1:8333"}, "no bucket"},
		{s3blobs.Config{Endpoint: "ftp://127.0.0.1:8333", Bucket: "b"}, "http or https"},
		{s3blobs.Config{Endpoint: "http://127.0.0.1:8333/prefix", Bucket: "b"}, "no path"},
		{s3blobs.Config{Endpoint: "127.0.0.1:8333/prefix", Bucket: "b"}, "host:port"},
		{s3blobs.Config{Endpoint: "http://k:s@127.0.0.1:8333", Bucket: "b"}, "not in the URL"},
		{s3blobs.Config{Endpoint: "http://", Bucket: "b"}, "no host"},
		{s3blobs.Config{Endpoint: "127.0.0.1:8333", Bucket: "bucket", AccessKey: "a"}, "secret key"},
		{s3blobs.Config{Endpoint: "127.0.0.1:8333", Bucket: "bucket", Timeout: -1}, "negative"},
		{s3blobs.Config{Endpoint: "127.0.0.1:8333", Bucket: "Files_Of_Hubbub"}, "lower-case"},
		{s3blobs.Config{Endpoint: "127.0.0.1:8333", Bucket: "b"}, "lower-case"},
	} {
		_, err := s3blobs.Open(context.Background(), c.cfg)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Open(%+v) = %v, want an error containing %q", c.cfg, err, c.want)
		}
	}
}

// TestKeysOutsideTheRules are refused before any request: a "." or ".." segment could name
// another object once a server cleans the path.
func TestKeysOutsideTheRules(t *testing.T) {
	b := s3test.Open(t)
	ctx := context.Background()
	for _, key := range []string{"", "../f_x", "a/../../b", "/f_x", "a//b", "f x", "f_x\n", "f_é", strings.Repeat("k", s3blobs.MaxKeyLen+1)} {
		if err := b.Put(ctx, key, bytes.NewReader([]byte("x")), 1, ""); err == nil {
			t.Errorf("Put(%q) succeeded, want an error", key)
		}
		if _, err := b.Open(ctx, key); err == nil || errors.Is(err, hubbub.ErrBlobNotFound) {
			t.Errorf("Open(%q) = %v, want a key error", key, err)
		}
		if err := b.Delete(ctx, key); err == nil {
			t.Errorf("Delete(%q) succeeded, want an error", key)
		}
	}
	if err := b.Put(ctx, "f_x", bytes.NewReader(nil), -1, ""); err == nil {
		t.Error("Put of size -1 succeeded, want an error")
	}
}
