//go:build unix

package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/gorilla/websocket"

	"hubbub"
	"hubbub/internal/servertest"
	"hubbub/internal/testwait"
)

// startActivated runs the server in a child process on the listening socket sock, passed as a
// socket-activation launcher (systemd) passes it, and returns once it serves, with the address
// it says it serves on. --host names an address of no interface here, so a server that
// listened on its flags instead would fail to start.
func startActivated(t *testing.T, data string, sock *os.File) (*exec.Cmd, string) {
	t.Helper()
	return startServeChild(t, []string{"--host", "192.0.2.1", "--port", "3434", "--data", data},
		[]string{"LISTEN_FDS=1", "LISTEN_FDNAMES=hubbub"}, []*os.File{sock})
}

// heldSocket returns a listening socket on a free loopback port, as a launcher holds it, and
// its descriptor to pass.
func heldSocket(t *testing.T) (net.Listener, *os.File) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	sock, err := ln.(*net.TCPListener).File()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sock.Close() })
	return ln, sock
}

// Under socket activation a restart refuses no one: while no server process runs, a client's
// connection is taken by the socket the launcher holds, and the next process answers it; the
// client then finds everything acknowledged before the restart. Without the launcher's socket
// the same connection is refused and the client must back off and try again.
func TestARestartOnALaunchersSocketRefusesNoOne(t *testing.T) {
	ln, sock := heldSocket(t)
	addr := ln.Addr().String()
	data := filepath.Join(t.TempDir(), "h.db")

	first, served := startActivated(t, data, sock)
	if served != addr {
		t.Fatalf("the server serves on %s, want the launcher's socket %s", served, addr)
	}
	s := &servertest.Server{WS: "ws://" + addr + "/ws"}
	ann := servertest.DialJSON(t, s, "ann")
	ann.Join("lobby", nil)
	for i := 1; i <= 3; i++ {
		if ack := ann.Say("lobby", fmt.Sprint(i), fmt.Sprint("before the restart ", i)); ack.Type() != "ack" {
			t.Fatalf("ack %d: %v", i, ack)
		}
	}
	if err := first.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := first.Wait(); err != nil {
		t.Fatalf("the first server's shutdown: %v", err)
	}

	// No server process now: bob's connection is made all the same, and waits.
	connected := make(chan struct{})
	d := websocket.Dialer{
		Subprotocols:     []string{hubbub.ProtocolJSON},
		HandshakeTimeout: testwait.StartTimeout,
		NetDialContext: func(ctx context.Context, network, a string) (net.Conn, error) {
			c, err := (&net.Dialer{}).DialContext(ctx, network, a)
			if err == nil {
				close(connected)
			}
			return c, err
		},
	}
	type dialed struct {
		conn *websocket.Conn
		err  error
	}
	done := make(chan dialed, 1)
	go func() {
		c, resp, err := d.Dial(s.WS, http.Header{})
		if resp != nil && resp.Body != nil {
			resp.Body.Close()
		}
		done <- dialed{c, err}
	}()
	select {
	case <-connected:
	case r := <-done:
		t.Fatalf("bob's connection while no server runs: %v, want it held for the next one", r.err)
	}
	startActivated(t, data, sock)
	r := <-done
	if r.err != nil {
		t.Fatalf("bob's connection, answered by the next server: %v", r.err)
	}
	bob := servertest.NewJSONClient(t, r.conn)
	defer bob.Conn.Close()
	bob.Send(servertest.Frame{"type": "hello", "name": "bob", "key": "key-bob"})
	bob.Await("welcome")
	zero := uint64(0)
	if j := bob.Join("lobby", &zero); j.Num("last_seq") != 3 {
		t.Fatalf("bob joins after the restart: %v", j)
	}
	for i, m := range bob.Messages("lobby", 3) {
		if m.Str("text") != fmt.Sprint("before the restart ", i+1) {
			t.Errorf("message %d = %v", i+1, m)
		}
	}
}

// A launcher that passes what hubbub cannot serve on is told so, and the server does not start.
func TestServeRefusesAnActivationItCannotUse(t *testing.T) {
	_, sock := heldSocket(t)
	cmd := exec.Command(os.Args[0], "serve", "--data", filepath.Join(t.TempDir(), "h.db"))
	cmd.Env = append(os.Environ(), "HUBBUB_TEST_SERVE=1", "LISTEN_FDS=2", "LISTEN_FDNAMES=web:api")
	cmd.ExtraFiles = []*os.File{sock, sock}
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "socket activation: LISTEN_FDS=2") || !strings.Contains(string(out), "hubbub serves one socket") {
		t.Errorf("serve passed two sockets: %v\n%s\nwant it to refuse, saying why", err, out)
	}
}
