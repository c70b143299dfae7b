package main

import (
	"flag"
	"fmt"
	"log/slog"

	"hubbub"
	"hubbub/internal/files"
	"hubbub/internal/server"
)

// filesFlags are the settings of uploads and downloads (docs/operations.md, "Files"): where
// the bytes go and the limits of /upload; the rest are fields of server.Config's Files.
type filesFlags struct {
	dir string
}

func (o *filesFlags) bind(fs *flag.FlagSet, s *server.Config) {
	c := &s.Files
	fs.StringVar(&o.dir, "files-dir", "", "folder that keeps uploaded files (default: --data with .files added, e.g. hubbub.db.files)")
	fs.Int64Var(&c.UploadMax, "upload-max", files.DefaultUploadMax, "largest file POST /upload takes, bytes (past it: 413; 0 = uploads off: every upload gets 403 disabled)")
	fs.Int64Var(&c.UploadQuota, "upload-quota", files.DefaultUploadQuota, "bytes one user's files (and their thumbnails) may hold until the messages carrying them are deleted (past it: 413)")
	fs.Int64Var(&c.ImageMaxPixels, "image-max-pixels", files.DefaultImageMaxPixels, "largest image, width × height, that is decoded for its thumbnail; a larger one is refused (422) before it is decoded")
	fs.IntVar(&c.ImageWorkers, "image-workers", files.DefaultImageWorkers, "images decoded at once (each may hold 4 bytes per pixel); other uploads wait")
	fs.IntVar(&c.UploadsPerUser, "uploads-per-user", files.DefaultUploadsPerUser, "uploads one user may send at once (each holds a temporary file of up to --upload-max); another gets 429")
	fs.DurationVar(&c.UploadTimeout, "upload-timeout", files.DefaultUploadTimeout, "longest the body of one upload may take to arrive")
	fs.DurationVar(&c.CollectEvery, "files-collect-every", files.DefaultCollectEvery, "how often the files of deleted or pruned messages, and old unsent uploads, are deleted")
	fs.DurationVar(&c.UploadGrace, "upload-grace", files.DefaultUploadGrace, "how long an upload no message carries is kept")
	fs.IntVar(&c.CollectBatch, "files-collect-batch", files.DefaultCollectBatch, "files one round of the collector deletes at most (a full round starts another)")
	fs.DurationVar(&c.SessionTTL, "files-session-ttl", files.DefaultSessionTTL, "how long the files cookie of POST /files/session lasts (never past the token it came from)")
	fs.StringVar(&s.FilesURL, "files-url", "", "another origin serving this server's /files/ (e.g. https://files.example.com), for links to files; default: the server's own")
}

// openBlobs opens where the files' bytes are kept: the folder --files-dir, by default beside
// the SQLite file.
func (o *filesFlags) openBlobs(data string) (hubbub.Blobs, error) {
	dir := o.dir
	if dir == "" {
		dir = files.DefaultDir(data)
	}
	b, err := files.OpenLocalBlobs(dir)
	if err != nil {
		return nil, fmt.Errorf("--files-dir: %w", err)
	}
	return b, nil
}

// warnUnshared logs, at start, that a node sharing rooms with others over NATS keeps files in
// a folder of its own: an upload's metadata goes to the shared store, its bytes only to this
// node's disk, so every other node answers 404 for it. The server still starts (one node on
// NATS, or nodes on one machine given one --files-dir, are fine), but an operator who forgot
// --files-s3-* learns it from the log instead of from users' broken images.
func (f *serveFlags) warnUnshared(log *slog.Logger) {
	if f.nats.url == "" || f.s3.enabled() || f.srv.Files.UploadMax == 0 {
		return
	}
	dir := f.files.dir
	if dir == "" {
		dir = files.DefaultDir(f.data)
	}
	log.Warn("files are kept in a local folder while rooms are shared over NATS: files uploaded on this node "+
		"cannot be downloaded from the other nodes (404); give every node the same bucket with "+
		"--files-s3-endpoint and --files-s3-bucket (docs/deploy.md, \"Files in a cluster\")",
		"files_dir", dir)
}
