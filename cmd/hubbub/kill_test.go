package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"hubbub/internal/servertest"
	"hubbub/internal/testwait"
)

// When the test binary is started with HUBBUB_TEST_SERVE=1 it is the hubbub server, so a test
// can kill it with SIGKILL like a crashed production process, stop it with SIGTERM, or start it with fewer file
// descriptors (HUBBUB_TEST_NOFILE).
func init() {
	if os.Getenv("HUBBUB_TEST_SERVE") == "1" {
		if err := limitDescriptorsForTest(); err != nil { // descriptors_unix_test.go
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		// SIGTERM and SIGINT end it as they end the real binary (main): by a clean shutdown.
		ctx, stop := signalContext()
		err := run(ctx, os.Args[1:], stdio{in: os.Stdin, out: os.Stdout, err: os.Stderr})
		stop()
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
}

var listenLine = regexp.MustCompile(`hubbub serving" addr=(\S+)`)

// startChild runs the server in a child process and returns its address.
func startChild(t *testing.T, data string) (*exec.Cmd, string) {
	t.Helper()
	return startServeChild(t, []string{"--host", "127.0.0.1", "--port", "0", "--data", data, "--send-rate", "1000", "--send-burst", "1000"}, nil, nil)
}

// startServeChild runs `hubbub serve args…` in a child process (this test binary,
// HUBBUB_TEST_SERVE=1) with env added to its environment and files as its descriptors 3 on,
// and returns once it serves, with the address it says it serves on; its log is in the
// failure if it ends first.
func startServeChild(t *testing.T, args, env []string, files []*os.File) (*exec.Cmd, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], append([]string{"serve"}, args...)...)
	cmd.Env = append(append(os.Environ(), "HUBBUB_TEST_SERVE=1"), env...)
	cmd.ExtraFiles = files
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	addr := make(chan string, 1)
	var log strings.Builder // written before addr is closed, read after
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			log.WriteString(sc.Text() + "\n")
			if m := listenLine.FindStringSubmatch(sc.Text()); m != nil {
				addr <- m[1]
				break
			}
		}
		io.Copy(io.Discard, stderr) // the child must not block on a full pipe
		close(addr)
	}()
	select {
	case a, ok := <-addr:
		if !ok {
			_ = cmd.Wait()
			t.Fatalf("child server ended without serving:\n%s", log.String())
		}
		return cmd, a
	case <-time.After(testwait.StartTimeout):
		t.Fatal("child server did not start")
	}
	return nil, ""
}

// Every acknowledged message survives a SIGKILL of the server.
func TestAcknowledgedMessagesSurviveKill9(t *testing.T) {
	data := filepath.Join(t.TempDir(), "h.db")
	cmd, addr := startChild(t, data)
	s := &servertest.Server{WS: "ws://" + addr + "/ws"}
	ann := servertest.DialJSON(t, s, "ann")
	ann.Join("durable", nil)
	const n = 50
	for i := 1; i <= n; i++ {
		if ack := ann.Say("durable", fmt.Sprint(i), fmt.Sprint("msg ", i)); ack.Num("seq") != uint64(i) {
			t.Fatalf("ack %d: %v", i, ack)
		}
	}
	if err := cmd.Process.Kill(); err != nil { // SIGKILL: no shutdown, no flush
		t.Fatal(err)
	}
	_ = cmd.Wait()

	_, addr = startChild(t, data)
	s = &servertest.Server{WS: "ws://" + addr + "/ws"}
	bob := servertest.DialJSON(t, s, "bob")
	zero := uint64(0)
	if j := bob.Join("durable", &zero); j.Num("last_seq") != n || j.Num("replay") != n {
		t.Fatalf("after kill -9: %v", j)
	}
	for i, m := range bob.Messages("durable", n) {
		if m.Str("text") != fmt.Sprint("msg ", i+1) {
			t.Fatalf("message %d = %v", i, m)
		}
	}
}
