// Package activation takes the listening socket a launcher passed this process by socket
// activation: systemd's protocol (sd_listen_fds(3)), where the launcher opens the socket, keeps
// it open across the server's restarts, and gives it to each new process as descriptor 3 with
// LISTEN_FDS=1 (and LISTEN_PID, the process it is meant for) in its environment.
//
// Why a server wants it: while a plain server restarts, its port refuses connections, so every
// client that tries during the gap fails and backs off — by up to its longest backoff once the
// new process listens. A socket held by the launcher never stops listening: the kernel queues
// the clients' connections (up to the socket's backlog) and the new process accepts them as it
// starts, so no client sees a refusal or waits out a backoff.
package activation

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
)

// firstFD is the first descriptor a launcher passes (SD_LISTEN_FDS_START): 0–2 are stdio.
const firstFD = 3

// The environment of the protocol. Listener removes them, so that a process this one starts
// does not take them for its own.
const (
	envFDs     = "LISTEN_FDS"
	envPID     = "LISTEN_PID"
	envFDNames = "LISTEN_FDNAMES"
)

// ErrNotTCP is returned when the socket passed is not a listening TCP socket.
var ErrNotTCP = errors.New("not a listening TCP socket")

// Passed reports whether the environment passes this process a socket: LISTEN_FDS is set and
// LISTEN_PID, when set, is this process's id. A LISTEN_PID of another process means the
// variables were inherited from a launched parent, and are not this process's.
// LISTEN_PID may be absent: a launcher that starts a program with os/exec cannot know the
// child's id before it runs (systemd always sets it).
func Passed() bool {
	if os.Getenv(envFDs) == "" {
		return false
	}
	pid := os.Getenv(envPID)
	return pid == "" || pid == strconv.Itoa(os.Getpid())
}

// Listener returns the listening TCP socket passed to this process, or nil, nil when none was
// (Passed is false). It is an error for the launcher to pass anything but exactly one
// listening TCP socket: hubbub serves on one port. The protocol's variables are removed from
// the environment either way, once read.
func Listener() (net.Listener, error) {
	if !Passed() {
		return nil, nil
	}
	fds, names := os.Getenv(envFDs), os.Getenv(envFDNames)
	for _, k := range []string{envFDs, envPID, envFDNames} {
		os.Unsetenv(k)
	}
	n, err := strconv.Atoi(fds)
	if err != nil || n < 0 {
		return nil, fmt.Errorf("%s=%q: want the number of descriptors passed", envFDs, fds)
	}
	switch {
	case n == 0:
		return nil, fmt.Errorf("%s=0: the launcher passed no socket", envFDs)
	case n > 1 && names == "":
		return nil, fmt.Errorf("%s=%d: hubbub serves one socket; have the launcher pass one (one ListenStream= in a systemd socket unit)", envFDs, n)
	case n > 1:
		return nil, fmt.Errorf("%s=%d (%s=%q): hubbub serves one socket; have the launcher pass one (one ListenStream= in a systemd socket unit)", envFDs, n, envFDNames, names)
	}
	name := "LISTEN_FD_3"
	if names != "" {
		name, _, _ = strings.Cut(names, ":")
	}
	return fileListener(firstFD, name)
}
