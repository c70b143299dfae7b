package files

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"hubbub"
)

// LocalBlobs keeps blobs as files in one folder of the server's disk: the default Blobs of a
// single node (hubbub serve --files-dir, default DefaultDir of --data). A blob is the file named
// by its key; a Put writes a temporary file in the same folder, syncs it and renames it over
// the key, so a crash leaves either the old blob, the new one, or a stray temporary file that
// OpenLocalBlobs removes — never a torn blob.
type LocalBlobs struct {
	dir string
}

var _ hubbub.Blobs = (*LocalBlobs)(nil)

// MaxKeyLen is the longest key LocalBlobs accepts: a file id and ".thumb".
const MaxKeyLen = hubbub.MaxFileIDLen + len(thumbSuffix)

// tmpPrefix starts the names of Put's temporary files; no key starts with a dot (validKey),
// so a temporary file is never taken for a blob.
const tmpPrefix = ".put-"

// staleTmpAge is how old a temporary file must be for OpenLocalBlobs to remove it: older than
// any Put still under way (an upload is bounded by --upload-max and the server's timeouts).
const staleTmpAge = time.Hour

// DefaultDir is the folder of the local blobs beside the SQLite file at dataPath:
// "hubbub.db" keeps its files in "hubbub.db.files".
func DefaultDir(dataPath string) string { return dataPath + ".files" }

// OpenLocalBlobs opens (creating it if needed, mode 0700) the folder dir as a Blobs, and
// removes the temporary files a crash left in it.
func OpenLocalBlobs(dir string) (*LocalBlobs, error) {
	if dir == "" {
		return nil, errors.New("files: the files folder is not set")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("files: create the files folder: %w", err)
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("files: read the files folder: %w", err)
	}
	for _, e := range ents {
		if !strings.HasPrefix(e.Name(), tmpPrefix) {
			continue
		}
		if info, err := e.Info(); err == nil && time.Since(info.ModTime()) > staleTmpAge {
			_ = os.Remove(filepath.Join(dir, e.Name()))
		}
	}
	return &LocalBlobs{dir: dir}, nil
}

// Dir is the folder the blobs are in.
func (b *LocalBlobs) Dir() string { return b.dir }

// validKey reports why key cannot name a blob: keys are file ids and their thumbnails'
// (letters, digits, '_', '-' and '.'), never empty, never starting with a dot, and never a
// path, so no key reaches outside the folder or names a temporary file.
func validKey(key string) error {
	if key == "" || len(key) > MaxKeyLen {
		return fmt.Errorf("files: a blob key must be 1 to %d bytes", MaxKeyLen)
	}
	if key[0] == '.' {
		return fmt.Errorf("files: blob key %q starts with a dot", key)
	}
	for i := 0; i < len(key); i++ {
		c := key[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.') {
			return fmt.Errorf("files: blob key %q may hold only letters, digits, '_', '-' and '.'", key)
		}
	}
	return nil
}

// Put stores size bytes of r under key: into a temporary file, synced, then renamed over key
// and the folder synced, so the blob is durable when Put returns nil. A reader that fails or
// ends before size bytes leaves no blob (and the old one, if any, as it was).
func (b *LocalBlobs) Put(ctx context.Context, key string, r io.Reader, size int64, contentType string) (err error) {
	if err := validKey(key); err != nil {
		return err
	}
	if size < 0 {
		return fmt.Errorf("files: put %s: negative size %d", key, size)
	}
	f, err := os.CreateTemp(b.dir, tmpPrefix+"*")
	if err != nil {
		return fmt.Errorf("files: put %s: %w", key, err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	n, err := io.CopyN(f, ctxReader{ctx, r}, size)
	if err != nil {
		if errors.Is(err, io.EOF) {
			return fmt.Errorf("files: put %s: the content ended after %d of %d bytes", key, n, size)
		}
		return fmt.Errorf("files: put %s: %w", key, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("files: put %s: sync: %w", key, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("files: put %s: close: %w", key, err)
	}
	if err := os.Rename(f.Name(), filepath.Join(b.dir, key)); err != nil {
		return fmt.Errorf("files: put %s: rename: %w", key, err)
	}
	if err := syncDir(b.dir); err != nil {
		return fmt.Errorf("files: put %s: sync the folder: %w", key, err)
	}
	return nil
}

// ctxReader stops a copy once its context is done, so a cancelled upload stops writing.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// Open returns the blob under key; a missing one wraps hubbub.ErrBlobNotFound.
func (b *LocalBlobs) Open(ctx context.Context, key string) (hubbub.Blob, error) {
	if err := validKey(key); err != nil {
		return nil, err
	}
	f, err := os.Open(filepath.Join(b.dir, key))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("files: open %s: %w", key, hubbub.ErrBlobNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("files: open %s: %w", key, err)
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("files: open %s: %w", key, err)
	}
	return &localBlob{File: f, size: info.Size(), mod: info.ModTime()}, nil
}

// localBlob is an open blob file.
type localBlob struct {
	*os.File
	size int64
	mod  time.Time
}

func (l *localBlob) Size() int64        { return l.size }
func (l *localBlob) ModTime() time.Time { return l.mod }

// Delete removes the blob under key; a missing one is not an error.
func (b *LocalBlobs) Delete(ctx context.Context, key string) error {
	if err := validKey(key); err != nil {
		return err
	}
	if err := os.Remove(filepath.Join(b.dir, key)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("files: delete %s: %w", key, err)
	}
	return nil
}

// Check reports whether the folder is still there.
func (b *LocalBlobs) Check(ctx context.Context) error {
	info, err := os.Stat(b.dir)
	if err != nil {
		return fmt.Errorf("files: the files folder: %w", err)
	}
	if !info.IsDir() {
		return fmt.Errorf("files: %s is not a folder", b.dir)
	}
	return nil
}
