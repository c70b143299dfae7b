//go:build unix

package activation_test

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"hubbub/internal/activation"
)

// The test binary started with ACTIVATION_TEST_CHILD=1 is a launched process: it takes its
// socket with Listener and prints what it got, and whether the protocol's variables are left.
func TestMain(m *testing.M) {
	if os.Getenv("ACTIVATION_TEST_CHILD") == "1" {
		ln, err := activation.Listener()
		switch {
		case err != nil:
			fmt.Println("error:", err)
		case ln == nil:
			fmt.Println("none")
		default:
			fmt.Println("listening:", ln.Addr())
			if c, err := ln.Accept(); err == nil { // the parent's dial
				c.Write([]byte("accepted"))
				c.Close()
			}
		}
		fmt.Printf("left: %q %q\n", os.Getenv("LISTEN_FDS"), os.Getenv("LISTEN_PID"))
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// launch runs the test binary as a launched process with env and, when fd is not nil, fd as
// its descriptor 3, and returns what it printed. dial, when not empty, is dialled while the
// child runs, and what the child wrote to that connection is appended.
func launch(t *testing.T, fd *os.File, dial string, env ...string) string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), append([]string{"ACTIVATION_TEST_CHILD=1"}, env...)...)
	if fd != nil {
		cmd.ExtraFiles = []*os.File{fd}
	}
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	got := ""
	if dial != "" {
		c, err := net.Dial("tcp", dial)
		if err != nil {
			t.Fatal(err)
		}
		b := make([]byte, 8)
		n, _ := c.Read(b)
		got = " read: " + string(b[:n])
		c.Close()
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("child: %v\n%s", err, out.String())
	}
	return out.String() + got
}

func tcpListener(t *testing.T) (*net.TCPListener, *os.File) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	f, err := ln.(*net.TCPListener).File()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return ln.(*net.TCPListener), f
}

// The socket the launcher listens on is the one the process accepts on: a connection made to
// the launcher's address is accepted by the child. The variables are gone afterwards, with or
// without LISTEN_PID (a launcher using os/exec cannot know its child's id in advance).
func TestListenerTakesTheLaunchersSocket(t *testing.T) {
	ln, f := tcpListener(t)
	addr := ln.Addr().String()
	for _, env := range [][]string{{"LISTEN_FDS=1"}, {"LISTEN_FDS=1", "LISTEN_FDNAMES=hubbub"}} {
		out := launch(t, f, addr, env...)
		if !strings.Contains(out, "listening: "+addr) || !strings.Contains(out, "read: accepted") {
			t.Errorf("%v: %q, want the child listening on %s and accepting the dial", env, out, addr)
		}
		if !strings.Contains(out, `left: "" ""`) {
			t.Errorf("%v: %q, want the variables removed", env, out)
		}
	}
}

// Variables meant for another process (LISTEN_PID of the parent that was launched) are not
// this one's: no socket, and no error.
func TestListenerIgnoresAnotherProcesssSocket(t *testing.T) {
	_, f := tcpListener(t)
	out := launch(t, f, "", "LISTEN_FDS=1", "LISTEN_PID="+strconv.Itoa(os.Getpid()))
	if !strings.HasPrefix(out, "none\n") {
		t.Errorf("%q, want none", out)
	}
	if out := launch(t, nil, ""); !strings.HasPrefix(out, "none\n") {
		t.Errorf("no variables: %q, want none", out)
	}
}

// Anything but one listening TCP socket is refused with what is wrong.
func TestListenerRefusesWhatItCannotServe(t *testing.T) {
	_, tcp := tcpListener(t)
	udp, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer udp.Close()
	udpFile, err := udp.(*net.UDPConn).File()
	if err != nil {
		t.Fatal(err)
	}
	defer udpFile.Close()
	plain, err := os.Create(filepath.Join(t.TempDir(), "not-a-socket"))
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	// A connection, as systemd passes with Accept=yes.
	srv, conn := tcpConnection(t)
	defer srv.Close()
	connFile, err := conn.(*net.TCPConn).File()
	if err != nil {
		t.Fatal(err)
	}
	defer connFile.Close()
	conn.Close()

	cases := []struct {
		name string
		fd   *os.File
		env  []string
		want string
	}{
		{"two sockets", tcp, []string{"LISTEN_FDS=2", "LISTEN_FDNAMES=web:api"}, `LISTEN_FDS=2 (LISTEN_FDNAMES="web:api"): hubbub serves one socket`},
		{"no number", tcp, []string{"LISTEN_FDS=one"}, `LISTEN_FDS="one": want the number`},
		{"none passed", tcp, []string{"LISTEN_FDS=0"}, "passed no socket"},
		{"two sockets unnamed", tcp, []string{"LISTEN_FDS=2"}, `LISTEN_FDS=2: hubbub serves one socket; have the launcher pass one (one ListenStream=`},
		{"UDP", udpFile, []string{"LISTEN_FDS=1"}, "a datagram socket (UDP or Unix: a systemd socket unit's ListenDatagram=; want ListenStream=): not a listening TCP socket"},
		{"a file", plain, []string{"LISTEN_FDS=1"}, "not a listening TCP socket"},
		{"a connection", connFile, []string{"LISTEN_FDS=1"}, "must not set Accept=yes"},
	}
	if runtime.GOOS != "linux" { // only Linux says whether a socket listens (listening_other.go)
		cases = cases[:len(cases)-1]
	}
	// A Unix sequential-packet socket, as ListenSequentialPacket= passes (where the system
	// has them: macOS has not).
	if pair, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_SEQPACKET, 0); err == nil {
		seqpacket := os.NewFile(uintptr(pair[0]), "seqpacket")
		defer seqpacket.Close()
		defer syscall.Close(pair[1])
		cases = append(cases, struct {
			name string
			fd   *os.File
			env  []string
			want string
		}{"sequential packets", seqpacket, []string{"LISTEN_FDS=1"}, "a sequential-packet socket (a systemd socket unit's ListenSequentialPacket=; want ListenStream=): not a listening TCP socket"})
	}
	for _, tc := range cases {
		out := launch(t, tc.fd, "", tc.env...)
		if !strings.HasPrefix(out, "error: ") || !strings.Contains(out, tc.want) {
			t.Errorf("%s: %q, want an error with %q", tc.name, out, tc.want)
		}
	}
}

// tcpConnection returns a listener and a connection accepted from it.
func tcpConnection(t *testing.T) (net.Listener, net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	a, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	return ln, a
}
