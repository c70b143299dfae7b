// Package s3test gives tests a bucket of their own on the S3-compatible server named by
// HUBBUB_TEST_S3 (a URL such as http://127.0.0.1:8333; .ci/s3.sh builds and starts a SeaweedFS
// there). Without the variable the tests that need a bucket skip; with it they must get one,
// so a server that does not answer fails them, as CI wants.
package s3test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"hubbub/internal/s3blobs"
)

const (
	// URLEnv holds the URL of the test server; set, the S3 tests may not skip.
	URLEnv = "HUBBUB_TEST_S3"
	// AccessKeyEnv and SecretKeyEnv hold the keys, when the server checks them (a SeaweedFS
	// started without an identity file takes any).
	AccessKeyEnv = "HUBBUB_TEST_S3_ACCESS_KEY"
	SecretKeyEnv = "HUBBUB_TEST_S3_SECRET_KEY"
)

// setupTimeout bounds making and removing a test's bucket.
const setupTimeout = 30 * time.Second

// Config returns the configuration of a fresh, empty bucket on the test server, which is
// emptied and removed when t ends; it skips t when URLEnv is not set, and fails it when the
// server does not answer.
func Config(t testing.TB) s3blobs.Config {
	t.Helper()
	endpoint := os.Getenv(URLEnv)
	if endpoint == "" {
		t.Skipf("S3 tests skipped: set %s to an S3-compatible server, e.g. http://127.0.0.1:8333 "+
			"(eval \"$(.ci/s3.sh)\" builds and starts a SeaweedFS there)", URLEnv)
	}
	var rnd [6]byte
	_, _ = rand.Read(rnd[:])
	cfg := s3blobs.Config{
		Endpoint:  endpoint,
		Bucket:    "hubbub-test-" + hex.EncodeToString(rnd[:]),
		AccessKey: envOr(AccessKeyEnv, "hubbub"),
		SecretKey: envOr(SecretKeyEnv, "hubbub-test-secret"),
		Timeout:   setupTimeout,
	}
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	b, err := s3blobs.Open(ctx, cfg) // creates the bucket
	if err != nil {
		t.Fatalf("s3test: %s=%s does not give a bucket: %v", URLEnv, endpoint, err)
	}
	b.Close()
	t.Cleanup(func() { removeBucket(t, cfg) })
	return cfg
}

// Open returns Blobs on a fresh bucket (see Config).
func Open(t testing.TB) *s3blobs.Blobs {
	t.Helper()
	return OpenConfig(t, Config(t))
}

// OpenConfig returns Blobs on cfg's bucket, closed when t ends (after the cleanups registered
// later, such as a server's stop).
func OpenConfig(t testing.TB, cfg s3blobs.Config) *s3blobs.Blobs {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	b, err := s3blobs.Open(ctx, cfg)
	if err != nil {
		t.Fatalf("s3test: %v", err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// Client returns a plain S3 client of the server in cfg, for a test to look into the bucket
// behind the back of the code under test.
func Client(t testing.TB, cfg s3blobs.Config) *minio.Client {
	t.Helper()
	c, tr, err := newClient(cfg)
	if err != nil {
		t.Fatalf("s3test: %v", err)
	}
	t.Cleanup(tr.CloseIdleConnections)
	return c
}

// newClient is Client, with its transport for the caller to close.
func newClient(cfg s3blobs.Config) (*minio.Client, *http.Transport, error) {
	host, secure := cfg.Endpoint, cfg.TLS
	if u, err := url.Parse(cfg.Endpoint); err == nil && u.Host != "" {
		host, secure = u.Host, u.Scheme == "https"
	}
	tr, err := minio.DefaultTransport(secure)
	if err != nil {
		return nil, nil, err
	}
	c, err := minio.New(host, &minio.Options{
		Creds:        credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""),
		Secure:       secure,
		BucketLookup: minio.BucketLookupPath,
		Transport:    tr,
	})
	return c, tr, err
}

// Keys lists the keys in cfg's bucket.
func Keys(t testing.TB, cfg s3blobs.Config) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	var keys []string
	for o := range Client(t, cfg).ListObjects(ctx, cfg.Bucket, minio.ListObjectsOptions{Recursive: true}) {
		if o.Err != nil {
			t.Fatalf("s3test: list %s: %v", cfg.Bucket, o.Err)
		}
		keys = append(keys, o.Key)
	}
	return keys
}

// removeBucket deletes every object in cfg's bucket, then the bucket.
func removeBucket(t testing.TB, cfg s3blobs.Config) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	c, tr, err := newClient(cfg)
	if err != nil {
		t.Errorf("s3test: %v", err)
		return
	}
	defer tr.CloseIdleConnections()
	for o := range c.ListObjects(ctx, cfg.Bucket, minio.ListObjectsOptions{Recursive: true}) {
		if o.Err != nil {
			t.Errorf("s3test: list %s: %v", cfg.Bucket, o.Err)
			return
		}
		if err := c.RemoveObject(ctx, cfg.Bucket, o.Key, minio.RemoveObjectOptions{}); err != nil {
			t.Errorf("s3test: remove %s/%s: %v", cfg.Bucket, o.Key, err)
		}
	}
	if err := c.RemoveBucket(ctx, cfg.Bucket); err != nil {
		t.Errorf("s3test: remove bucket %s: %v", cfg.Bucket, err)
	}
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
