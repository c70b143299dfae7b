// Package s3blobs keeps the bytes of uploaded files in a bucket of an S3-compatible server
// (Amazon S3, SeaweedFS, Ceph, Garage, MinIO, …): the hubbub.Blobs of a cluster, whose nodes
// must all serve every file. It speaks S3 through github.com/minio/minio-go/v7.
//
// Every call is bounded: a request waits at most Config.Timeout for its answer, a Put at most
// Config.PutTimeout in all, and a request that fails for a reason worth retrying is retried at
// most MaxRetries times inside those bounds.
package s3blobs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/minio/minio-go/v7/pkg/s3utils"

	"hubbub"
)

// Defaults of Config.
const (
	// DefaultTimeout bounds one request's wait for the server's answer (its headers), and the
	// whole of a Check, a Delete, an Open's first answer and the bucket's creation.
	DefaultTimeout = 30 * time.Second
	// DefaultPutTimeout bounds a whole Put: an upload of --upload-max (25 MB by default)
	// takes seconds on a working network, so ten minutes means the backend is stuck.
	DefaultPutTimeout = 10 * time.Minute
	// MaxRetries is how many times one request is tried at most (minio-go's default is 10;
	// with backoff that would let a dead backend hold a request for minutes).
	MaxRetries = 3
	// MaxKeyLen bounds a key; S3 allows 1024 bytes.
	MaxKeyLen = 1024
	// maxSinglePut is the largest object S3 takes in one PUT; larger ones go in parts.
	maxSinglePut = 5 << 30
)

// Config says which bucket of which server to use. Endpoint and Bucket are required; the zero
// value of every other field means its default.
type Config struct {
	// Endpoint is the server: host:port (then TLS says whether to use https), or a URL
	// http://host:port or https://host:port, whose scheme decides. No path.
	Endpoint string
	// Bucket is the bucket holding the blobs. All the nodes of a cluster use the same one.
	Bucket string
	// AccessKey and SecretKey sign the requests (AWS signature v4). Both empty: anonymous
	// requests, for a server that allows them.
	AccessKey, SecretKey string
	// Region is the bucket's region ("" lets the client ask the server, then us-east-1).
	Region string
	// TLS uses https for an Endpoint given as host:port.
	TLS bool
	// NoCreateBucket leaves a missing bucket missing: Open fails instead of creating it
	// (for credentials that may not create buckets, or to catch a mistyped name).
	NoCreateBucket bool
	// Timeout is DefaultTimeout when zero.
	Timeout time.Duration
	// PutTimeout is DefaultPutTimeout when zero.
	PutTimeout time.Duration
	// Transport carries the requests (nil: one made from the timeouts). Tests may wrap it.
	Transport http.RoundTripper
}

// Blobs is a hubbub.Blobs on one bucket. It is safe for concurrent use.
type Blobs struct {
	client              *minio.Client
	bucket              string
	timeout, putTimeout time.Duration
	// transport is the one Open made (nil when Config gave one), whose idle connections
	// Close closes.
	transport *http.Transport
}

var _ hubbub.Blobs = (*Blobs)(nil)

// Open checks cfg, connects to the server and makes sure the bucket is there (creating it
// unless cfg.NoCreateBucket), within ctx and cfg.Timeout. A server that does not answer, a
// missing bucket that may not be created, and credentials the server refuses all fail here,
// at start, rather than at the first upload.
func Open(ctx context.Context, cfg Config) (*Blobs, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	host, secure, _ := parseEndpoint(cfg.Endpoint, cfg.TLS)
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.PutTimeout == 0 {
		cfg.PutTimeout = DefaultPutTimeout
	}
	tr := cfg.Transport
	var own *http.Transport
	if tr == nil {
		var err error
		own, err = minio.DefaultTransport(secure)
		if err != nil {
			return nil, fmt.Errorf("s3blobs: %w", err)
		}
		own.DialContext = (&net.Dialer{Timeout: cfg.Timeout, KeepAlive: 30 * time.Second}).DialContext
		own.TLSHandshakeTimeout = cfg.Timeout
		own.ResponseHeaderTimeout = cfg.Timeout
		own.ExpectContinueTimeout = time.Second
		tr = own
	}
	client, err := minio.New(host, &minio.Options{
		// Empty keys make minio-go send anonymous requests.
		Creds:      credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""),
		Secure:     secure,
		Region:     cfg.Region,
		Transport:  tr,
		MaxRetries: MaxRetries,
		// Path-style requests (host/bucket/key) work on every S3-compatible server and need
		// no DNS name per bucket; Amazon S3 still serves them.
		BucketLookup: minio.BucketLookupPath,
	})
	if err != nil {
		return nil, fmt.Errorf("s3blobs: %w", err)
	}
	b := &Blobs{client: client, bucket: cfg.Bucket, timeout: cfg.Timeout, putTimeout: cfg.PutTimeout, transport: own}
	if err := b.ensureBucket(ctx, !cfg.NoCreateBucket); err != nil {
		b.Close()
		return nil, err
	}
	return b, nil
}

// Close closes the idle connections to the server, for a server that stops (Blobs open at
// the time may still be read to their end). Calls after it open new connections.
func (b *Blobs) Close() error {
	if b.transport != nil {
		b.transport.CloseIdleConnections()
	}
	return nil
}

// Validate checks cfg without a request: an endpoint of the right shape, a bucket name S3
// takes, both keys or none, no negative timeout.
func (cfg Config) Validate() error {
	if _, _, err := parseEndpoint(cfg.Endpoint, cfg.TLS); err != nil {
		return err
	}
	if cfg.Bucket == "" {
		return errors.New("s3blobs: no bucket")
	}
	if err := s3utils.CheckValidBucketNameStrict(cfg.Bucket); err != nil {
		return fmt.Errorf("s3blobs: bucket %q: %w (3 to 63 lower-case letters, digits, '-' and '.')", cfg.Bucket, err)
	}
	if (cfg.AccessKey == "") != (cfg.SecretKey == "") {
		return errors.New("s3blobs: an access key needs a secret key, and a secret key an access key")
	}
	if cfg.Timeout < 0 || cfg.PutTimeout < 0 {
		return errors.New("s3blobs: timeouts must not be negative")
	}
	return nil
}

// parseEndpoint turns Config.Endpoint into minio's host:port and whether to use TLS.
func parseEndpoint(endpoint string, tls bool) (host string, secure bool, err error) {
	if endpoint == "" {
		return "", false, errors.New("s3blobs: no endpoint")
	}
	if !strings.Contains(endpoint, "://") {
		if strings.ContainsAny(endpoint, "/?#") {
			return "", false, fmt.Errorf("s3blobs: endpoint %q: want host:port or a URL http(s)://host:port", endpoint)
		}
		return endpoint, tls, nil
	}
	u, err := url.Parse(endpoint)
	if err != nil {
		return "", false, fmt.Errorf("s3blobs: endpoint: %w", err)
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return "", false, fmt.Errorf("s3blobs: endpoint %q: the scheme must be http or https", endpoint)
	case u.Host == "":
		return "", false, fmt.Errorf("s3blobs: endpoint %q has no host", endpoint)
	case u.User != nil:
		return "", false, fmt.Errorf("s3blobs: endpoint %q: give the keys as the access and secret key, not in the URL", u.Redacted())
	case (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "":
		return "", false, fmt.Errorf("s3blobs: endpoint %q: no path, query or fragment (the bucket is named apart)", endpoint)
	}
	return u.Host, u.Scheme == "https", nil
}

// ensureBucket fails unless the bucket exists, creating it first if create is true.
func (b *Blobs) ensureBucket(ctx context.Context, create bool) error {
	ctx, cancel := context.WithTimeout(ctx, b.timeout)
	defer cancel()
	ok, err := b.client.BucketExists(ctx, b.bucket)
	if err != nil {
		return fmt.Errorf("s3blobs: bucket %q: %w", b.bucket, err)
	}
	if ok {
		return nil
	}
	if !create {
		return fmt.Errorf("s3blobs: bucket %q does not exist (create it, or let hubbub create it)", b.bucket)
	}
	err = b.client.MakeBucket(ctx, b.bucket, minio.MakeBucketOptions{})
	if err != nil {
		// Another node of the cluster may have made it meanwhile.
		if code := minio.ToErrorResponse(err).Code; code == minio.BucketAlreadyOwnedByYou || code == minio.BucketAlreadyExists {
			return nil
		}
		return fmt.Errorf("s3blobs: create bucket %q: %w", b.bucket, err)
	}
	return nil
}

// Bucket returns the name of the bucket.
func (b *Blobs) Bucket() string { return b.bucket }

// checkKey refuses a key S3 servers would not store as one plain object name. Keys are file ids
// and id + ".thumb", so anything else is a caller's mistake; above all, no "." or ".." segment
// and no leading or doubled slash, which some servers clean out of the request path and so
// could turn into another object's name.
func checkKey(key string) error {
	if key == "" || len(key) > MaxKeyLen {
		return fmt.Errorf("s3blobs: key of %d bytes: want 1 to %d", len(key), MaxKeyLen)
	}
	for _, c := range []byte(key) {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			c == '-' || c == '_' || c == '.' || c == '/'
		if !ok {
			return fmt.Errorf("s3blobs: key %q: only letters, digits and - _ . / may be used", key)
		}
	}
	for _, seg := range strings.Split(key, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return fmt.Errorf("s3blobs: key %q: empty, . and .. path segments are refused", key)
		}
	}
	return nil
}

// Put stores size bytes of r under key, in one PUT (streamed, not held in memory) unless the
// object is larger than S3 takes in one. S3 makes an object visible only when its upload is
// complete, so a reader that fails or ends early leaves nothing under key.
func (b *Blobs) Put(ctx context.Context, key string, r io.Reader, size int64, contentType string) error {
	if err := checkKey(key); err != nil {
		return err
	}
	if size < 0 {
		return fmt.Errorf("s3blobs: put %q: negative size %d", key, size)
	}
	ctx, cancel := context.WithTimeout(ctx, b.putTimeout)
	defer cancel()
	_, err := b.client.PutObject(ctx, b.bucket, key, r, size, minio.PutObjectOptions{
		ContentType:      contentType,
		DisableMultipart: size <= maxSinglePut,
	})
	if err != nil {
		return fmt.Errorf("s3blobs: put %q: %w", key, err)
	}
	return nil
}

// Open returns the blob under key. Its first request (a GET of the object) is made now, so a
// missing key fails here with an error wrapping hubbub.ErrBlobNotFound; reads and seeks after
// it fetch the bytes as they are read (a seek opens a ranged GET), within ctx, which must
// outlive the Blob (the HTTP request serving it).
func (b *Blobs) Open(ctx context.Context, key string) (hubbub.Blob, error) {
	if err := checkKey(key); err != nil {
		return nil, err
	}
	obj, err := b.client.GetObject(ctx, b.bucket, key, minio.GetObjectOptions{})
	if err != nil {
		return nil, b.openError(key, err)
	}
	st, err := obj.Stat()
	if err != nil {
		obj.Close()
		return nil, b.openError(key, err)
	}
	return &blob{Object: obj, size: st.Size, modTime: st.LastModified}, nil
}

// openError names a missing key as hubbub.ErrBlobNotFound.
func (b *Blobs) openError(key string, err error) error {
	if minio.ToErrorResponse(err).Code == minio.NoSuchKey {
		return fmt.Errorf("s3blobs: open %q: %w", key, hubbub.ErrBlobNotFound)
	}
	return fmt.Errorf("s3blobs: open %q: %w", key, err)
}

// Delete removes key; S3 answers a delete of a missing key with success, and so does Delete.
func (b *Blobs) Delete(ctx context.Context, key string) error {
	if err := checkKey(key); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, b.timeout)
	defer cancel()
	err := b.client.RemoveObject(ctx, b.bucket, key, minio.RemoveObjectOptions{})
	if err != nil && minio.ToErrorResponse(err).Code != minio.NoSuchKey {
		return fmt.Errorf("s3blobs: delete %q: %w", key, err)
	}
	return nil
}

// Check asks the server whether the bucket exists, within Config.Timeout: nil while the server
// answers yes; an error when it does not answer, refuses the credentials, or the bucket is
// gone.
func (b *Blobs) Check(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, b.timeout)
	defer cancel()
	ok, err := b.client.BucketExists(ctx, b.bucket)
	if err != nil {
		return fmt.Errorf("s3blobs: check bucket %q: %w", b.bucket, err)
	}
	if !ok {
		return fmt.Errorf("s3blobs: bucket %q does not exist", b.bucket)
	}
	return nil
}

// blob is an open object: minio's *Object reads and seeks (a seek makes the next read a
// ranged GET), and its size and time come from the first answer.
type blob struct {
	*minio.Object
	size    int64
	modTime time.Time
}

func (o *blob) Size() int64        { return o.size }
func (o *blob) ModTime() time.Time { return o.modTime }
