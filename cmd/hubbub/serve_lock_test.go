//go:build darwin || dragonfly || freebsd || linux || netbsd || openbsd

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// runServeOnce runs `hubbub serve args...` in-process and returns its log and its error, for a
// serve that is expected to exit at start (main exits non-zero on any error). A serve that
// starts instead is stopped at once, and that is an error too.
func runServeOnce(args ...string) (string, error) {
	var logs strings.Builder
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	started := false
	prev := onListen
	onListen = func(net.Addr) { started = true; cancel() } // called by run, in this goroutine
	defer func() { onListen = prev }()
	err := run(ctx, append([]string{"serve", "--host", "127.0.0.1", "--port", "0"}, args...),
		stdio{in: strings.NewReader(""), out: io.Discard, err: &logs})
	if started {
		return logs.String(), errors.New("serve started")
	}
	return logs.String(), err
}

// A second serve on the --data file a running serve holds is refused at start, saying why and
// what to do, while `hubbub user add` and `list` on the same file keep working (how an admin is
// added to a running server); once the first serve has stopped, the next one starts.
func TestServeRefusesASecondServeOnItsData(t *testing.T) {
	dir, err := filepath.EvalSymlinks(t.TempDir()) // the lock file is named by the real path
	if err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "h.db")
	_, stop := startServe(t, "--data", data)

	logs, err := runServeOnce("--data", data)
	want := fmt.Sprintf("--data %s is in use by another hubbub serve (pid %d, lock %s.lock): stop it, or pass another --data", data, os.Getpid(), data)
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("second serve: %v, want %q\n%s", err, want, logs)
	}

	if out, err := userCmdRun(t, "correct horse\n", append([]string{"add", "admin", "--role", "admin", "--password-stdin", "--data", data}, cheap...)...); err != nil {
		t.Fatalf("user add beside serve: %v (%s)", err, out)
	}
	if out, err := userCmdRun(t, "", "list", "--data", data); err != nil || !strings.Contains(out, "admin") {
		t.Fatalf("user list beside serve: %q, %v", out, err)
	}

	if err := stop(); err != nil {
		t.Fatal(err)
	}
	serveForTest(t, "--data", data) // at once: the lock went with the first serve
}

// A serve killed with SIGKILL leaves its lock behind in no form: the kernel drops it with the
// process, and a serve on the same file starts at once. While the child runs, the refusal names
// the child's pid.
func TestServeStartsAfterTheHolderOfItsDataIsKilled(t *testing.T) {
	data := filepath.Join(t.TempDir(), "h.db")
	cmd, _ := startChild(t, data)

	logs, err := runServeOnce("--data", data)
	if want := fmt.Sprintf("in use by another hubbub serve (pid %d,", cmd.Process.Pid); err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("serve beside the child: %v, want %q\n%s", err, want, logs)
	}

	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	serveForTest(t, "--data", data)
}
