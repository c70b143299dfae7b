//go:build linux

package main

import (
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
