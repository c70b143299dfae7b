//go:build linux

package server_test

import (
	"io"
	"net"
	"syscall"
	"testing"
)

// BenchmarkLoopbackWrite measures a lower bound under every delivery on this machine: one
// write(2) of a 120-byte frame (a chat message's size) to a loopback TCP socket whose peer
// keeps reading. The kernel runs the receiving half (the peer's TCP input, its wake-up) in
// the writer's context. A server's fan-out pays more per write than this: it writes to many
// sockets whose readers are often asleep (about 5 µs per write in the 100 msgs/s run of
// docs/benchmarks.md, "Where the remaining gaps are"), and it pays it for every delivery it
// cannot coalesce with another, whatever it does in user space.
// Run: go test -run XXX -bench LoopbackWrite -benchtime 200000x ./internal/server/
func BenchmarkLoopbackWrite(b *testing.B) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			close(accepted)
			return
		}
		accepted <- c
	}()
	peer, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	defer peer.Close()
	drained := make(chan struct{})
	go func() {
		defer close(drained)
		_, _ = io.Copy(io.Discard, peer)
	}()
	c, ok := <-accepted
	if !ok {
		b.Fatal("accept failed")
	}
	defer c.Close()
	raw, err := c.(*net.TCPConn).SyscallConn()
	if err != nil {
		b.Fatal(err)
	}
	frame := make([]byte, 120)
	b.SetBytes(int64(len(frame)))
	var werr error
	for b.Loop() {
		if err := raw.Write(func(fd uintptr) bool {
			_, werr = syscall.Write(int(fd), frame)
			return werr != syscall.EAGAIN
		}); err != nil {
			b.Fatal(err)
		}
		if werr != nil {
			b.Fatal(werr)
		}
	}
	_ = c.Close() // ends the peer's copy
	<-drained
}
