//go:build unix

// Command sockethold is a socket-activation launcher for benchmarks, as systemd is in
// production (docs/operations.md §9.1): it listens on an address, runs a command with that
// socket as descriptor 3 and LISTEN_FDS=1 in its environment, and whenever the command ends
// runs it again on the same socket (as systemd's Restart= does), so that connections made
// while no process runs wait in the kernel's queue instead of being refused.
// bench/ab.sh's stormheld scenario restarts hubbub under it.
//
// Usage: sockethold --listen 127.0.0.1:3434 --pid-file FILE [--restarts N] -- COMMAND [ARG…]
//
// FILE holds the running command's process id, rewritten after each start (a benchmark's
// restart signals that process). SIGTERM or SIGINT to sockethold stops the command (SIGTERM,
// then SIGKILL after 15 s) and exits. --restarts bounds the number of restarts (default
// 100): a command that cannot start is not run forever.
package main

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"syscall"
	"time"
)

// stopWait is how long the command has to end after SIGTERM before it is killed.
const stopWait = 15 * time.Second

// restartDelay is the wait before the command is run again, systemd's default RestartSec.
const restartDelay = 100 * time.Millisecond

// writePID writes pid to file through a temporary file renamed over it, so that a reader
// never sees it empty or half written.
func writePID(file string, pid int) error {
	tmp := file + ".tmp"
	if err := os.WriteFile(tmp, []byte(strconv.Itoa(pid)+"\n"), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, file)
}

func main() {
	listen := flag.String("listen", "127.0.0.1:3434", "address to listen on (loopback only)")
	pidFile := flag.String("pid-file", "", "file to write the running command's process id to (required)")
	restarts := flag.Int("restarts", 100, "how many times the command is run again after it ends (1 to 10000)")
	flag.Parse()
	if err := run(*listen, *pidFile, *restarts, flag.Args()); err != nil {
		fmt.Fprintln(os.Stderr, "sockethold:", err)
		os.Exit(1)
	}
}

func run(listen, pidFile string, restarts int, command []string) error {
	switch {
	case len(command) == 0:
		return errors.New("no command: sockethold --listen ADDR --pid-file FILE -- COMMAND [ARG…]")
	case pidFile == "":
		return errors.New("--pid-file is required")
	case restarts < 1 || restarts > 10000:
		return fmt.Errorf("--restarts %d: want 1 to 10000", restarts)
	}
	host, _, err := net.SplitHostPort(listen)
	if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("--listen %q: want a loopback address and port (benchmarks stay on 127.0.0.0/8)", listen)
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return err
	}
	defer ln.Close()
	sock, err := ln.(*net.TCPListener).File()
	if err != nil {
		return err
	}
	defer sock.Close()

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	for i := 0; i <= restarts; i++ {
		cmd := exec.Command(command[0], command[1:]...)
		cmd.Stdin, cmd.Stdout, cmd.Stderr = nil, os.Stdout, os.Stderr
		cmd.ExtraFiles = []*os.File{sock}
		cmd.Env = append(os.Environ(), "LISTEN_FDS=1")
		if err := cmd.Start(); err != nil {
			return err
		}
		if err := writePID(pidFile, cmd.Process.Pid); err != nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
			return err
		}
		ended := make(chan error, 1)
		go func() { ended <- cmd.Wait() }()
		select {
		case err := <-ended:
			fmt.Fprintf(os.Stderr, "sockethold: %s ended (%v); running it again on the held socket\n", command[0], err)
			// As systemd's RestartSec (100 ms by default): a command that fails at once is
			// not run again in a tight loop.
			select {
			case <-time.After(restartDelay):
			case <-stop:
				return nil
			}
		case <-stop:
			_ = cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-ended:
			case <-time.After(stopWait):
				_ = cmd.Process.Kill()
				<-ended
			}
			return nil
		}
	}
	return fmt.Errorf("%s ended %d times", command[0], restarts+1)
}
