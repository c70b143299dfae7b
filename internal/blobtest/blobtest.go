// Package blobtest is the contract suite of hubbub.Blobs: every implementation (the local
// folder of internal/files, the S3 bucket of internal/s3blobs) runs Run and passes it with no
// skips. Each case uses fresh random keys, so the suite may run on a bucket that keeps other
// data and on a backend shared by several runs.
package blobtest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"sync"
	"testing"
	"time"

	"hubbub"
)

// timeout bounds each case's calls: generous for a remote bucket on a busy machine.
const timeout = 60 * time.Second

// Run checks every rule of the hubbub.Blobs contract on the Blobs open returns (open is
// called once per case; the Blobs may be shared by the cases).
func Run(t *testing.T, open func(t *testing.T) hubbub.Blobs) {
	cases := []struct {
		name string
		run  func(t *testing.T, ctx context.Context, b hubbub.Blobs)
	}{
		{"PutThenOpen", testPutThenOpen},
		{"Empty", testEmpty},
		{"Large", testLarge},
		{"Seek", testSeek},
		{"PutReplaces", testPutReplaces},
		{"ShortReaderLeavesNoBlob", testShortReader},
		{"FailingReaderLeavesNoBlob", testFailingReader},
		{"FailedReplaceLeavesNoTornBlob", testFailedReplace},
		{"OpenMissing", testOpenMissing},
		{"Delete", testDelete},
		{"DeleteMissing", testDeleteMissing},
		{"ThumbKeyIsItsOwn", testThumbKey},
		{"Concurrent", testConcurrent},
		{"Check", testCheck},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), timeout)
			defer cancel()
			c.run(t, ctx, open(t))
		})
	}
}

// Key returns a fresh key shaped like a file id, unique across runs.
func Key() string {
	b := make([]byte, 12)
	rand.Read(b)
	return "f_test" + hex.EncodeToString(b)
}

// content returns n random bytes.
func content(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

// put stores data under key, failing the test on an error, and deletes it when the test ends.
func put(t *testing.T, ctx context.Context, b hubbub.Blobs, key string, data []byte) {
	t.Helper()
	if err := b.Put(ctx, key, bytes.NewReader(data), int64(len(data)), "application/octet-stream"); err != nil {
		t.Fatalf("Put %s (%d bytes): %v", key, len(data), err)
	}
	cleanup(t, b, key)
}

// cleanup deletes key when the test ends, so a shared bucket is left as it was.
func cleanup(t *testing.T, b hubbub.Blobs, key string) {
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		_ = b.Delete(ctx, key)
	})
}

// read opens key and returns its bytes and the Blob's Size, failing the test on an error.
func read(t *testing.T, ctx context.Context, b hubbub.Blobs, key string) ([]byte, int64) {
	t.Helper()
	bl, err := b.Open(ctx, key)
	if err != nil {
		t.Fatalf("Open %s: %v", key, err)
	}
	defer bl.Close()
	data, err := io.ReadAll(bl)
	if err != nil {
		t.Fatalf("read %s: %v", key, err)
	}
	return data, bl.Size()
}

// wantContent checks that key holds exactly want.
func wantContent(t *testing.T, ctx context.Context, b hubbub.Blobs, key string, want []byte) {
	t.Helper()
	got, size := read(t, ctx, b, key)
	if size != int64(len(want)) {
		t.Errorf("Size of %s = %d, want %d", key, size, len(want))
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s holds %d bytes that differ from the %d put", key, len(got), len(want))
	}
}

// wantMissing checks that key has no blob.
func wantMissing(t *testing.T, ctx context.Context, b hubbub.Blobs, key string) {
	t.Helper()
	bl, err := b.Open(ctx, key)
	if err == nil {
		n, _ := io.Copy(io.Discard, bl)
		bl.Close()
		t.Fatalf("Open %s found a blob of %d bytes, want ErrBlobNotFound", key, n)
	}
	if !errors.Is(err, hubbub.ErrBlobNotFound) {
		t.Fatalf("Open %s: %v, want an error wrapping ErrBlobNotFound", key, err)
	}
}

func testPutThenOpen(t *testing.T, ctx context.Context, b hubbub.Blobs) {
	key, data := Key(), content(10_000)
	before := time.Now()
	put(t, ctx, b, key, data)
	wantContent(t, ctx, b, key, data)
	bl, err := b.Open(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	defer bl.Close()
	// A backend may not say when (zero), but one that does must not say nonsense.
	if mod := bl.ModTime(); !mod.IsZero() && (mod.Before(before.Add(-time.Hour)) || mod.After(time.Now().Add(time.Hour))) {
		t.Errorf("ModTime = %v, want about %v", mod, before)
	}
}

func testEmpty(t *testing.T, ctx context.Context, b hubbub.Blobs) {
	key := Key()
	put(t, ctx, b, key, nil)
	wantContent(t, ctx, b, key, []byte{})
}

// testLarge stores more than one buffer or part of any backend's copy (6 MiB: above S3's
// smallest multipart part).
func testLarge(t *testing.T, ctx context.Context, b hubbub.Blobs) {
	key, data := Key(), content(6<<20+17)
	put(t, ctx, b, key, data)
	wantContent(t, ctx, b, key, data)
}

func testSeek(t *testing.T, ctx context.Context, b hubbub.Blobs) {
	key, data := Key(), content(100_000)
	put(t, ctx, b, key, data)
	bl, err := b.Open(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	defer bl.Close()
	if end, err := bl.Seek(0, io.SeekEnd); err != nil || end != int64(len(data)) {
		t.Fatalf("Seek(0, end) = %d, %v; want %d", end, err, len(data))
	}
	if pos, err := bl.Seek(50_000, io.SeekStart); err != nil || pos != 50_000 {
		t.Fatalf("Seek(50000, start) = %d, %v", pos, err)
	}
	part := make([]byte, 1000)
	if _, err := io.ReadFull(bl, part); err != nil {
		t.Fatalf("read after a seek: %v", err)
	}
	if !bytes.Equal(part, data[50_000:51_000]) {
		t.Error("bytes read after Seek(50000) are not the blob's bytes at 50000")
	}
	if pos, err := bl.Seek(-100, io.SeekCurrent); err != nil || pos != 50_900 {
		t.Fatalf("Seek(-100, current) = %d, %v; want 50900", pos, err)
	}
	if _, err := io.ReadFull(bl, part[:100]); err != nil || !bytes.Equal(part[:100], data[50_900:51_000]) {
		t.Errorf("read after a relative seek: %v, or the wrong bytes", err)
	}
	if pos, err := bl.Seek(0, io.SeekStart); err != nil || pos != 0 {
		t.Fatalf("Seek(0, start) = %d, %v", pos, err)
	}
	all, err := io.ReadAll(bl)
	if err != nil || !bytes.Equal(all, data) {
		t.Errorf("read from the start after seeks: %d bytes, %v", len(all), err)
	}
}

func testPutReplaces(t *testing.T, ctx context.Context, b hubbub.Blobs) {
	key := Key()
	put(t, ctx, b, key, content(5000))
	second := content(300)
	put(t, ctx, b, key, second)
	wantContent(t, ctx, b, key, second)
}

// shortReader gives fewer bytes than Put is told.
func testShortReader(t *testing.T, ctx context.Context, b hubbub.Blobs) {
	key := Key()
	cleanup(t, b, key)
	data := content(1000)
	if err := b.Put(ctx, key, bytes.NewReader(data[:400]), 1000, "application/octet-stream"); err == nil {
		t.Fatal("Put of 400 bytes told 1000 succeeded, want an error")
	}
	wantMissing(t, ctx, b, key)
}

// failingReader returns its bytes, then err.
type failingReader struct {
	data []byte
	err  error
}

func (f *failingReader) Read(p []byte) (int, error) {
	if len(f.data) == 0 {
		return 0, f.err
	}
	n := copy(p, f.data)
	f.data = f.data[n:]
	return n, nil
}

func testFailingReader(t *testing.T, ctx context.Context, b hubbub.Blobs) {
	key := Key()
	cleanup(t, b, key)
	r := &failingReader{data: content(70_000), err: errors.New("the client went away")}
	if err := b.Put(ctx, key, r, 200_000, "application/octet-stream"); err == nil {
		t.Fatal("Put from a reader that failed succeeded, want an error")
	}
	wantMissing(t, ctx, b, key)
}

// testFailedReplace: a Put that fails over an existing blob leaves the key holding the old
// bytes or nothing, never the part of the new bytes it read.
func testFailedReplace(t *testing.T, ctx context.Context, b hubbub.Blobs) {
	key, old := Key(), content(2000)
	put(t, ctx, b, key, old)
	r := &failingReader{data: content(1000), err: errors.New("the client went away")}
	if err := b.Put(ctx, key, r, 3000, "application/octet-stream"); err == nil {
		t.Fatal("Put from a reader that failed succeeded, want an error")
	}
	bl, err := b.Open(ctx, key)
	if errors.Is(err, hubbub.ErrBlobNotFound) {
		return
	}
	if err != nil {
		t.Fatalf("Open after a failed replace: %v", err)
	}
	defer bl.Close()
	got, err := io.ReadAll(bl)
	if err != nil || !bytes.Equal(got, old) {
		t.Errorf("after a failed replace the key holds %d bytes (%v), want the old %d or none", len(got), err, len(old))
	}
}

func testOpenMissing(t *testing.T, ctx context.Context, b hubbub.Blobs) {
	wantMissing(t, ctx, b, Key())
}

func testDelete(t *testing.T, ctx context.Context, b hubbub.Blobs) {
	key := Key()
	put(t, ctx, b, key, content(100))
	if err := b.Delete(ctx, key); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	wantMissing(t, ctx, b, key)
	if err := b.Delete(ctx, key); err != nil {
		t.Errorf("a second Delete: %v, want nil", err)
	}
}

func testDeleteMissing(t *testing.T, ctx context.Context, b hubbub.Blobs) {
	if err := b.Delete(ctx, Key()); err != nil {
		t.Errorf("Delete of a key never put: %v, want nil", err)
	}
}

// testThumbKey: a file's blob and its thumbnail's (ID + ".thumb") are separate blobs.
func testThumbKey(t *testing.T, ctx context.Context, b hubbub.Blobs) {
	key := Key()
	file, thumb := content(3000), content(200)
	put(t, ctx, b, key, file)
	put(t, ctx, b, key+".thumb", thumb)
	wantContent(t, ctx, b, key, file)
	wantContent(t, ctx, b, key+".thumb", thumb)
	if err := b.Delete(ctx, key); err != nil {
		t.Fatal(err)
	}
	wantMissing(t, ctx, b, key)
	wantContent(t, ctx, b, key+".thumb", thumb)
}

func testConcurrent(t *testing.T, ctx context.Context, b hubbub.Blobs) {
	const n = 8
	keys, datas := make([]string, n), make([][]byte, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		keys[i], datas[i] = Key(), content(20_000+i)
		cleanup(t, b, keys[i])
		wg.Go(func() {
			errs[i] = b.Put(ctx, keys[i], bytes.NewReader(datas[i]), int64(len(datas[i])), "application/octet-stream")
		})
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("concurrent Put %d: %v", i, errs[i])
		}
		wantContent(t, ctx, b, keys[i], datas[i])
	}
}

func testCheck(t *testing.T, ctx context.Context, b hubbub.Blobs) {
	if err := b.Check(ctx); err != nil {
		t.Errorf("Check: %v", err)
	}
}
