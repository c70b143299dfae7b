//go:build linux

package server_test

import (
	"io"
	"net"
	"syscall"
	"testing"
)

// BenchmarkLoopbackWrite measures the floor under every delivery on this machine: one write(2)
// of a 120-byte frame (a chat message's size) to a loopback TCP socket whose peer keeps
// reading. The kernel runs the receiving half (the peer's TCP input, its wake-up) in the
// writer's context, so this is what a server pays per delivery when it cannot coalesce, as at
// 100 msgs/s evenly spaced, whatever it does in user space (docs/benchmarks.md, "Where the
// remaining gaps are"). Run: go test -run XXX -bench LoopbackWrite -benchtime 200000x ./internal/server/
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
	raw, err := c.(*net.TCPConn).SyscallConn()
	if err != nil {
		b.Fatal(err)
	}
	frame := make([]byte, 120)
	b.SetBytes(int64(len(frame)))
	b.ResetTimer()
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
	b.StopTimer()
	_ = c.Close()
	<-drained
}
