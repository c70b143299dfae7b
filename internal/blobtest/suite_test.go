package blobtest_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"hubbub"
	"hubbub/internal/blobtest"
	"hubbub/internal/files"
)

// bugEnv tells a child test process which bug its Blobs has.
const bugEnv = "HUBBUB_BLOBTEST_BUG"

// TestBuggyBlobs runs the suite on the local folder, with the bug bugEnv names planted: with
// none it must pass; TestSuiteCatchesBugs runs it with each bug in a child process.
func TestBuggyBlobs(t *testing.T) {
	bug := os.Getenv(bugEnv)
	blobtest.Run(t, func(t *testing.T) hubbub.Blobs {
		dir := filepath.Join(t.TempDir(), "files")
		b, err := files.OpenLocalBlobs(dir)
		if err != nil {
			t.Fatal(err)
		}
		return buggy{LocalBlobs: b, dir: dir, bug: bug}
	})
}

// TestSuiteCatchesBugs checks that the suite is not vacuous: each way a Blobs can break the
// contract fails the case meant to notice.
func TestSuiteCatchesBugs(t *testing.T) {
	if os.Getenv(bugEnv) != "" {
		t.Skip("child process")
	}
	for _, b := range []struct{ bug, subtest string }{
		{"torn", "ShortReaderLeavesNoBlob"},
		{"torn", "FailingReaderLeavesNoBlob"},
		{"torn", "FailedReplaceLeavesNoTornBlob"},
		{"notfound", "OpenMissing"},
		{"deletemissing", "DeleteMissing"},
		{"size", "PutThenOpen"},
		{"thumb", "ThumbKeyIsItsOwn"},
	} {
		t.Run(b.bug+"/"+b.subtest, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestBuggyBlobs$/^"+b.subtest+"$", "-test.count=1")
			cmd.Env = append(os.Environ(), bugEnv+"="+b.bug)
			out, err := cmd.CombinedOutput()
			if err == nil || !strings.Contains(string(out), "--- FAIL: TestBuggyBlobs/"+b.subtest+" ") {
				t.Errorf("Blobs with bug %q passed %s (err %v):\n%s", b.bug, b.subtest, err, out)
			}
		})
	}
}

// buggy is the local folder with one bug planted.
type buggy struct {
	*files.LocalBlobs
	dir, bug string
}

func (b buggy) Put(ctx context.Context, key string, r io.Reader, size int64, ct string) error {
	if b.bug != "torn" {
		return b.LocalBlobs.Put(ctx, key, r, size, ct)
	}
	// Writes in place: a failed copy leaves what it read.
	f, err := os.Create(filepath.Join(b.dir, key))
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.CopyN(f, r, size)
	return err
}

func (b buggy) Open(ctx context.Context, key string) (hubbub.Blob, error) {
	switch b.bug {
	case "thumb":
		key = strings.TrimSuffix(key, ".thumb")
	}
	bl, err := b.LocalBlobs.Open(ctx, key)
	switch {
	case b.bug == "notfound" && errors.Is(err, hubbub.ErrBlobNotFound):
		return nil, fmt.Errorf("open %s: gone", key)
	case b.bug == "size" && err == nil:
		return wrongSize{bl}, nil
	}
	return bl, err
}

func (b buggy) Delete(ctx context.Context, key string) error {
	if b.bug == "deletemissing" {
		return os.Remove(filepath.Join(b.dir, key))
	}
	return b.LocalBlobs.Delete(ctx, key)
}

// wrongSize reports one byte too many.
type wrongSize struct{ hubbub.Blob }

func (w wrongSize) Size() int64 { return w.Blob.Size() + 1 }
