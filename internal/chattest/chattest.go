// Package chattest runs hubbub's terminal chat in tests as a person at a terminal, or a
// script, runs it: in the background, its output read as it prints (Start), or to the end of
// its input (ToEnd). A test writes each chat as the command line a person types (User, Args);
// cmd/hubbub's tests run the command line itself, internal/termchat's the chat it calls, each
// through a Func.
package chattest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"hubbub/internal/servertest"
	"hubbub/internal/testwait"
)

// Func runs one chat until its input ends or ctx is cancelled: args as `hubbub chat` takes
// them, reading in and printing to out and errw; tty says in is a person's terminal,
// whatever it is (tests type into a pipe as a person would).
type Func func(ctx context.Context, args []string, in io.Reader, out, errw io.Writer, tty bool) error

// LeakCheck fails the test if a goroutine started during it outlives it. The check is
// registered first so that it runs last, after the servers' own cleanups.
func LeakCheck(t *testing.T) {
	opt := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, opt) })
}

// Buffer collects a writer's output for a test that reads it while a chat writes.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// Streams are what a chat started reads, and where its output goes besides the run's buffers.
type Streams struct {
	In io.Reader
	// Out and Err, if not nil, get each write of that stream first, before the run's buffers
	// (a test may hold one there).
	Out, Err io.Writer
	TTY      bool
}

// Run is a chat running in the background.
type Run struct {
	Out, Err Buffer
	All      Buffer // standard output and error as one terminal shows them, in order
	// Done receives the chat's result when it ends (Stop puts it back for a later Stop).
	Done   chan error
	cancel context.CancelFunc
}

// Start runs the chat f runs with args, reading s.In; the test's cleanup ends it with Stop
// (Ctrl-C), if the test did not.
func Start(t *testing.T, f Func, s Streams, args ...string) *Run {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &Run{cancel: cancel, Done: make(chan error, 1)}
	out, errw := tee(s.Out, &r.Out, &r.All), tee(s.Err, &r.Err, &r.All)
	go func() { r.Done <- f(ctx, args, s.In, out, errw, s.TTY) }()
	t.Cleanup(func() { r.Stop(t) })
	return r
}

// Typed is Start on a pipe that stays open, as a terminal nobody types in until the test
// does: it returns the run and a function that types a line into it, as LineTyper does (s.In
// is not read: the pipe is the chat's input). The test's cleanup logs the chat's output if the
// test failed, stops the chat (Ctrl-C), then closes the pipe: a chat whose input ended would
// wait for its acks and exit on its own, not as a person's Ctrl-C ends it.
func Typed(t *testing.T, f Func, s Streams, args ...string) (*Run, func(line string)) {
	t.Helper()
	pr, pw := io.Pipe()
	t.Cleanup(func() { pw.Close() })
	s.In = pr
	r := Start(t, f, s, args...)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("hubbub chat %q printed:\n%s", args, r.All.String())
		}
	})
	return r, LineTyper(t, pw)
}

// tee writes each write to every writer of ws that is not nil, in order.
func tee(ws ...io.Writer) io.Writer {
	var to []io.Writer
	for _, w := range ws {
		if w != nil {
			to = append(to, w)
		}
	}
	return io.MultiWriter(to...)
}

// Stop interrupts the run as Ctrl-C would and returns its result.
func (r *Run) Stop(t *testing.T) error {
	t.Helper()
	r.cancel()
	select {
	case err := <-r.Done:
		r.Done <- err // a later Stop (the cleanup) gets it too
		return err
	case <-time.After(servertest.Wait):
		t.Fatal("hubbub chat did not stop on Ctrl-C")
		return nil
	}
}

// WaitOutput polls the run's standard output until it contains every one of want.
func (r *Run) WaitOutput(t *testing.T, want ...string) {
	t.Helper()
	deadline := time.Now().Add(servertest.Wait)
	for {
		out := r.Out.String()
		missing := ""
		for _, w := range want {
			if !strings.Contains(out, w) {
				missing = w
				break
			}
		}
		if missing == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %q in the output:\n%s\nstderr:\n%s", missing, out, r.Err.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// WaitOutputMatch polls the run's standard output until re matches it.
func (r *Run) WaitOutputMatch(t *testing.T, re *regexp.Regexp) {
	t.Helper()
	testwait.Until(t, "stdout matching "+re.String(), func() bool { return re.MatchString(r.Out.String()) })
}

// WaitErr polls the run's standard error until it contains want.
func (r *Run) WaitErr(t *testing.T, want string) {
	t.Helper()
	testwait.Until(t, "stderr: "+want, func() bool { return strings.Contains(r.Err.String(), want) })
}

// ToEnd runs the chat f runs with args on in to the end and returns its output and error.
func ToEnd(t *testing.T, f Func, in string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*servertest.Wait)
	defer cancel()
	var out, errOut Buffer
	err = f(ctx, args, strings.NewReader(in), &out, &errOut, false)
	if ctx.Err() != nil {
		t.Fatalf("hubbub chat %q did not finish; stderr:\n%s", args, errOut.String())
	}
	return out.String(), errOut.String(), err
}

// LineTyper returns a function that types a line into a chat's input w, as a person at the
// terminal would.
func LineTyper(t *testing.T, w io.Writer) func(line string) {
	return func(line string) {
		t.Helper()
		if _, err := fmt.Fprintln(w, line); err != nil {
			t.Fatal(err)
		}
	}
}

// User returns the flags that give a chat a name, its own key file and the room general to
// start in, where the tests' other clients talk (a --room after them wins). The chat's own
// default, hubbub.DefaultRoom, is TestChatStartsWhereThePageOpens's.
func User(t *testing.T, name string) []string {
	return []string{"--name", name, "--key-file", filepath.Join(t.TempDir(), "key"), "--room", "general"}
}

// Args joins parts into one command line.
func Args(parts ...[]string) []string {
	var out []string
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// Lines returns the lines of out that start with prefix, in order.
func Lines(out, prefix string) []string {
	var got []string
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, prefix) {
			got = append(got, l)
		}
	}
	return got
}
