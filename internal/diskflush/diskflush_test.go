package diskflush

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestSyncKeepsWhatWasWritten(t *testing.T) {
	f := New()
	defer f.Close()
	path := filepath.Join(t.TempDir(), "file")
	file, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	want := bytes.Repeat([]byte("durable "), 4096)
	for range 3 { // the context serves one request after another
		if _, err := file.Write(want); err != nil {
			t.Fatal(err)
		}
		if err := f.Sync(file); err != nil {
			t.Fatalf("Sync: %v", err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, bytes.Repeat(want, 3)) {
		t.Fatalf("read back %d bytes, want %d", len(got), 3*len(want))
	}
}

// The point of the package: with one processor, a goroutine waiting for the disk leaves it to
// the others. The waiting goroutine is seen parked in the runtime's poller ("IO wait") while
// its fsync is in flight; a blocking fsync would keep the only processor, so this goroutine
// would not run until it returned. The fsync of freshly written megabytes on a disk lasts
// long enough to be seen; a few attempts allow for one that the kernel finished at once.
func TestSyncLeavesTheProcessorToOthers(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("asynchronous fsync is Linux's")
	}
	f := New()
	defer f.Close()
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	if !f.Async() {
		t.Fatal("no asynchronous I/O on this Linux kernel: fsync would hold the processor")
	}
	file, err := os.Create(filepath.Join(t.TempDir(), "file"))
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	chunk := bytes.Repeat([]byte{'x'}, 4<<20)
	buf := make([]byte, 1<<20)
	for attempt := 0; attempt < 20; attempt++ {
		if _, err := file.Write(chunk); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- f.Sync(file) }()
		parked := false
		for {
			select {
			case err := <-done:
				if err != nil {
					t.Fatalf("Sync: %v", err)
				}
			default:
				n := runtime.Stack(buf, true)
				for _, g := range strings.Split(string(buf[:n]), "\n\n") {
					if strings.Contains(g, "[IO wait") && strings.Contains(g, "diskflush.(*asyncState).sync") {
						parked = true
					}
				}
				runtime.Gosched()
				continue
			}
			break
		}
		if parked {
			return
		}
	}
	t.Fatal("in 20 fsyncs of 4 MiB, the syncing goroutine was never seen parked while the disk worked")
}

// With more than one P on more than one CPU a flush is a plain fsync (the thread blocks, the
// other Ps run on, and it sees the fsync end at once), and with one P it is asynchronous
// again: the choice follows GOMAXPROCS at each flush, and both keep what was written. A test
// pinned to one CPU (taskset -c 0) flushes asynchronously throughout.
func TestSyncIsAsynchronousOnlyOnOneCPU(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("asynchronous fsync is Linux's")
	}
	f := New()
	defer f.Close()
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	file, err := os.Create(filepath.Join(t.TempDir(), "file"))
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	for _, procs := range []int{2, 1, 4, 1} {
		runtime.GOMAXPROCS(procs)
		if got, want := f.Async(), procs == 1 || runtime.NumCPU() == 1; got != want {
			t.Fatalf("GOMAXPROCS %d: Async() = %v, want %v", procs, got, want)
		}
		if _, err := file.WriteString("durable\n"); err != nil {
			t.Fatal(err)
		}
		if err := f.Sync(file); err != nil {
			t.Fatalf("GOMAXPROCS %d: Sync: %v", procs, err)
		}
	}
	got, err := os.ReadFile(file.Name())
	if err != nil {
		t.Fatal(err)
	}
	if want := strings.Repeat("durable\n", 4); string(got) != want {
		t.Fatalf("read back %q, want %q", got, want)
	}
}

// A descriptor without an asynchronous fsync (a pipe) falls back to the plain call, which
// reports what fsync reports.
func TestSyncFallsBackToThePlainCall(t *testing.T) {
	f := New()
	defer f.Close()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	want := w.Sync()
	got := f.Sync(w)
	if (got == nil) != (want == nil) {
		t.Fatalf("Sync of a pipe = %v, file.Sync = %v", got, want)
	}
}

func TestSyncOfAClosedFileFails(t *testing.T) {
	f := New()
	defer f.Close()
	file, err := os.Create(filepath.Join(t.TempDir(), "file"))
	if err != nil {
		t.Fatal(err)
	}
	file.Close()
	if err := f.Sync(file); err == nil {
		t.Fatal("Sync of a closed file succeeded")
	}
	// After Close the Flusher still syncs, blocking.
	f.Close()
	file, err = os.Create(filepath.Join(t.TempDir(), "file2"))
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	if err := f.Sync(file); err != nil {
		t.Fatalf("Sync after Close: %v", err)
	}
	if f.Async() {
		t.Fatal("Async after Close")
	}
}
