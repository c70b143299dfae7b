//go:build linux

package main

import (
	"log/slog"
	"net"
	"syscall"
	"testing"
	"time"
)

// An accepted connection has TCP keep-alive probes only when --tcp-keepalive asks for them,
// whether net's Accept takes it or accept4 on the listening socket, as the server's WebSocket
// listener does (internal/server, rawsock_linux.go): the listening socket carries them.
func TestListenKeepAlive(t *testing.T) {
	for _, c := range []struct {
		every     time.Duration
		want      int
		wantIdle  int // TCP_KEEPIDLE of a socket accept4 took, when want is 1
		wantCount int
	}{{0, 0, 0, 0}, {-time.Second, 0, 0, 0}, {30 * time.Second, 1, 30, 9}} {
		ln, err := listen(t.Context(), "127.0.0.1:0", c.every)
		if err != nil {
			t.Fatal(err)
		}
		client, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		conn, err := ln.Accept()
		if err != nil {
			t.Fatal(err)
		}
		raw, err := conn.(*net.TCPConn).SyscallConn()
		if err != nil {
			t.Fatal(err)
		}
		got, serr := -1, error(nil)
		_ = raw.Control(func(fd uintptr) { got, serr = syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_KEEPALIVE) })
		if serr != nil {
			t.Fatal(serr)
		}
		if got != c.want {
			t.Errorf("--tcp-keepalive %v: SO_KEEPALIVE = %d, want %d", c.every, got, c.want)
		}
		conn.Close()
		client.Close()

		// The same through accept4 on the listening socket.
		client, err = net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		lraw, err := ln.(*net.TCPListener).SyscallConn()
		if err != nil {
			t.Fatal(err)
		}
		var opts [3]int
		_ = lraw.Control(func(lfd uintptr) {
			var fd int
			if fd, _, serr = syscall.Accept4(int(lfd), syscall.SOCK_CLOEXEC); serr != nil {
				return
			}
			defer syscall.Close(fd)
			for i, o := range [][2]int{{syscall.SOL_SOCKET, syscall.SO_KEEPALIVE},
				{syscall.IPPROTO_TCP, syscall.TCP_KEEPIDLE}, {syscall.IPPROTO_TCP, syscall.TCP_KEEPCNT}} {
				if opts[i], serr = syscall.GetsockoptInt(fd, o[0], o[1]); serr != nil {
					return
				}
			}
		})
		if serr != nil {
			t.Fatal(serr)
		}
		if opts[0] != c.want || c.want == 1 && (opts[1] != c.wantIdle || opts[2] != c.wantCount) {
			t.Errorf("--tcp-keepalive %v, accept4: SO_KEEPALIVE, TCP_KEEPIDLE, TCP_KEEPCNT = %v, want %d, %d, %d",
				c.every, opts, c.want, c.wantIdle, c.wantCount)
		}
		client.Close()
		ln.Close()
	}
}

// A socket passed by a launcher (socket activation) outlives each server process, and so do
// the keep-alive options a process set on it; and net's Accept on a listener made from a
// descriptor gives every connection Go's default probes (every 15 s). Each accepted
// connection still has probes only as this process's --tcp-keepalive says, whether net's
// Accept takes it (TLS, --transport goroutine) or accept4 on the listening socket.
func TestActivatedSocketKeepAlive(t *testing.T) {
	for _, c := range []struct {
		before, every  time.Duration // the last process's --tcp-keepalive, this one's
		want, wantIdle int
	}{{30 * time.Second, 0, 0, 0}, {0, 0, 0, 0}, {0, 40 * time.Second, 1, 40}} {
		held, err := listen(t.Context(), "127.0.0.1:0", c.before) // as the last process left it
		if err != nil {
			t.Fatal(err)
		}
		f, err := held.(*net.TCPListener).File()
		if err != nil {
			t.Fatal(err)
		}
		activated, err := net.FileListener(f) // as internal/activation takes it
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		ln, err := listenOrActivated(t.Context(), activated, "", c.every, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}

		client, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		conn, err := ln.Accept()
		if err != nil {
			t.Fatal(err)
		}
		raw, err := conn.(syscall.Conn).SyscallConn()
		if err != nil {
			t.Fatal(err)
		}
		var opts [2]int
		var serr error
		_ = raw.Control(func(fd uintptr) { opts, serr = keepAliveOf(int(fd)) })
		if serr != nil {
			t.Fatal(serr)
		}
		if opts[0] != c.want || c.want == 1 && opts[1] != c.wantIdle {
			t.Errorf("--tcp-keepalive %v after %v, net's Accept: SO_KEEPALIVE, TCP_KEEPIDLE = %v, want %d, %d",
				c.every, c.before, opts, c.want, c.wantIdle)
		}
		conn.Close()
		client.Close()

		client, err = net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		lraw, err := ln.(syscall.Conn).SyscallConn()
		if err != nil {
			t.Fatal(err)
		}
		_ = lraw.Control(func(lfd uintptr) {
			var fd int
			if fd, _, serr = syscall.Accept4(int(lfd), syscall.SOCK_CLOEXEC); serr != nil {
				return
			}
			defer syscall.Close(fd)
			opts, serr = keepAliveOf(fd)
		})
		if serr != nil {
			t.Fatal(serr)
		}
		if opts[0] != c.want || c.want == 1 && opts[1] != c.wantIdle {
			t.Errorf("--tcp-keepalive %v after %v, accept4: SO_KEEPALIVE, TCP_KEEPIDLE = %v, want %d, %d",
				c.every, c.before, opts, c.want, c.wantIdle)
		}
		client.Close()
		ln.Close()
		held.Close()
	}
}

// keepAliveOf returns the socket fd's SO_KEEPALIVE and TCP_KEEPIDLE.
func keepAliveOf(fd int) (opts [2]int, err error) {
	if opts[0], err = syscall.GetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_KEEPALIVE); err != nil {
		return opts, err
	}
	opts[1], err = syscall.GetsockoptInt(fd, syscall.IPPROTO_TCP, syscall.TCP_KEEPIDLE)
	return opts, err
}
