package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"hubbub"
	"hubbub/internal/s3blobs"
)

// s3Flags choose where uploaded files' bytes go in a cluster: a bucket of an S3-compatible
// server (--files-s3-endpoint), which every node reads and writes, instead of the local
// folder, which only its own node sees.
type s3Flags struct {
	cfg    s3blobs.Config
	create bool
}

func (s *s3Flags) bind(fs *flag.FlagSet) {
	c := &s.cfg
	fs.StringVar(&c.Endpoint, "files-s3-endpoint", "", "keep uploaded files in a bucket of this S3-compatible server (host:port, or http://host:port or https://host:port, whose scheme wins over --files-s3-tls) instead of the local folder; every node of a cluster needs it, with the same bucket")
	fs.StringVar(&c.Bucket, "files-s3-bucket", "hubbub", "the bucket of --files-s3-endpoint holding the files")
	fs.StringVar(&c.AccessKey, "files-s3-access-key", "", "access key of --files-s3-endpoint (empty with --files-s3-secret-key empty: anonymous requests)")
	fs.StringVar(&c.SecretKey, "files-s3-secret-key", "", "secret key of --files-s3-endpoint; give it in HUBBUB_FILES_S3_SECRET_KEY or the --config file rather than on the command line, which other users of the machine can read")
	fs.BoolVar(&c.TLS, "files-s3-tls", true, "use https to reach a --files-s3-endpoint given as host:port")
	fs.StringVar(&c.Region, "files-s3-region", "", "region of the bucket (default: asked of the server, else us-east-1)")
	fs.BoolVar(&s.create, "files-s3-create-bucket", true, "create the bucket at start when it is missing (false: a missing bucket stops the server)")
	fs.DurationVar(&c.Timeout, "files-s3-timeout", s3blobs.DefaultTimeout, "longest wait for an answer of --files-s3-endpoint; also bounds a check, a delete and the start")
	fs.DurationVar(&c.PutTimeout, "files-s3-put-timeout", s3blobs.DefaultPutTimeout, "longest time one upload to the bucket may take")
}

// enabled reports whether files go to a bucket.
func (s *s3Flags) enabled() bool { return s.cfg.Endpoint != "" }

// check refuses settings that cannot work, before anything is opened: a bucket with
// --files-dir too (which one would hold the files?), keys with no endpoint (a forgotten
// --files-s3-endpoint would keep files on this node only), or a configuration s3blobs refuses.
func (s *s3Flags) check(filesDir string, src settingSources) error {
	if !s.enabled() {
		if s.cfg.AccessKey != "" || s.cfg.SecretKey != "" {
			return usageError("--files-s3-access-key and --files-s3-secret-key need --files-s3-endpoint" + src.from("files-s3-access-key") + src.from("files-s3-secret-key"))
		}
		return nil
	}
	if filesDir != "" {
		return usageError(fmt.Sprintf("--files-dir %s and --files-s3-endpoint %s: files go to one place; choose the folder or the bucket%s%s",
			filesDir, s.cfg.Endpoint, src.from("files-dir"), src.from("files-s3-endpoint")))
	}
	if err := s.cfg.Validate(); err != nil {
		return usageError(strings.Replace(err.Error(), "s3blobs: ", "--files-s3-*: ", 1))
	}
	return nil
}

// open connects to the bucket, creating it if allowed; a server that does not answer, refused
// keys or a missing bucket stop the server at start rather than at the first upload.
func (s *s3Flags) open(ctx context.Context, log *slog.Logger) (*s3blobs.Blobs, error) {
	cfg := s.cfg
	cfg.NoCreateBucket = !s.create
	b, err := s3blobs.Open(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("files bucket (--files-s3-endpoint %s): %w", cfg.Endpoint, err)
	}
	log.Info("files in an S3 bucket", "endpoint", cfg.Endpoint, "bucket", b.Bucket())
	return b, nil
}

// openBlobs opens where uploaded files' bytes go: the bucket of --files-s3-endpoint when it is
// set, else the folder of --files-dir (serve_files.go).
func (f *serveFlags) openBlobs(ctx context.Context, log *slog.Logger) (hubbub.Blobs, error) {
	if !f.s3.enabled() {
		return f.files.openBlobs(f.data)
	}
	b, err := f.s3.open(ctx, log)
	if err != nil {
		return nil, err
	}
	return b, nil
}

// closeBlobs lets go of what openBlobs opened (a bucket's connections), when it holds any.
func closeBlobs(b hubbub.Blobs) {
	if c, ok := b.(io.Closer); ok {
		_ = c.Close()
	}
}
