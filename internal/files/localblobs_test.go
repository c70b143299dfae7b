package files_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"hubbub"
	"hubbub/internal/blobtest"
	"hubbub/internal/files"
)

// TestLocalBlobs runs the Blobs contract suite on a folder.
func TestLocalBlobs(t *testing.T) {
	blobtest.Run(t, func(t *testing.T) hubbub.Blobs {
		b, err := files.OpenLocalBlobs(filepath.Join(t.TempDir(), "hubbub.db.files"))
		if err != nil {
			t.Fatal(err)
		}
		return b
	})
}

// TestLocalBlobsKeys: no key reaches outside the folder or names a temporary file.
func TestLocalBlobsKeys(t *testing.T) {
	root := t.TempDir()
	b, err := files.OpenLocalBlobs(filepath.Join(root, "files"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "secret"), []byte("s"), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, key := range []string{"", "../secret", "..", ".", "a/b", `a\b`, "/etc/passwd", ".put-x", "f_a\x00b",
		strings.Repeat("a", files.MaxKeyLen+1)} {
		if err := b.Put(ctx, key, strings.NewReader("x"), 1, ""); err == nil {
			t.Errorf("Put %q succeeded", key)
		}
		if bl, err := b.Open(ctx, key); err == nil || errors.Is(err, hubbub.ErrBlobNotFound) {
			if bl != nil {
				bl.Close()
			}
			t.Errorf("Open %q: %v, want a refusal of the key", key, err)
		}
		if err := b.Delete(ctx, key); err == nil {
			t.Errorf("Delete %q succeeded", key)
		}
	}
	if _, err := os.Stat(filepath.Join(root, "secret")); err != nil {
		t.Errorf("the file outside the folder: %v", err)
	}
	if err := b.Put(ctx, "f_"+strings.Repeat("a", hubbub.MaxFileIDLen-2)+".thumb", strings.NewReader("x"), 1, ""); err != nil {
		t.Errorf("Put of the longest thumbnail key: %v", err)
	}
}

// TestLocalBlobsLeaveNoTemporaryFiles: a failed Put removes its temporary file, and a crash's
// stale ones go when the folder is opened again.
func TestLocalBlobsLeaveNoTemporaryFiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "files")
	b, err := files.OpenLocalBlobs(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := b.Put(ctx, "f_short", strings.NewReader("abc"), 10, ""); err == nil {
		t.Fatal("a short Put succeeded")
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if err := b.Put(cancelled, "f_cancelled", bytes.NewReader(make([]byte, 100)), 100, ""); err == nil {
		t.Fatal("a Put with a cancelled context succeeded")
	}
	if err := b.Put(ctx, "f_ok", strings.NewReader("abc"), 3, ""); err != nil {
		t.Fatal(err)
	}
	ents, _ := os.ReadDir(dir)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	if len(names) != 1 || names[0] != "f_ok" {
		t.Fatalf("the folder holds %q, want only f_ok", names)
	}
	stale, fresh := filepath.Join(dir, ".put-stale"), filepath.Join(dir, ".put-fresh")
	for _, p := range []string{stale, fresh} {
		if err := os.WriteFile(p, []byte("torn"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Now().Add(-2 * time.Hour)
	if err := os.Chtimes(stale, old, old); err != nil {
		t.Fatal(err)
	}
	if _, err := files.OpenLocalBlobs(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a stale temporary file is still there: %v", err)
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Errorf("a temporary file a Put may still be writing was removed: %v", err)
	}
}

// TestLocalBlobsCheck fails once the folder is gone.
func TestLocalBlobsCheck(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "files")
	b, err := files.OpenLocalBlobs(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Check(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := b.Check(context.Background()); err == nil {
		t.Error("Check passed with the folder gone")
	}
}
