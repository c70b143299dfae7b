package main

import (
	"flag"
	"fmt"

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
