//go:build linux

package main

import (
	"net"
	"syscall"
	"testing"
	"time"
)

// An accepted connection has TCP keep-alive probes only when --tcp-keepalive asks for them.
func TestListenKeepAlive(t *testing.T) {
	for _, c := range []struct {
		every time.Duration
		want  int
	}{{0, 0}, {-time.Second, 0}, {30 * time.Second, 1}} {
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
		ln.Close()
	}
}
