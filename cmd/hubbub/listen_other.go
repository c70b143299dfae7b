//go:build !linux

package main

import (
	"syscall"
	"time"
)

// keepAliveListener does nothing: outside Linux the server's listener accepts with net's
// Accept, which sets the probes on each socket.
func keepAliveListener(syscall.RawConn, time.Duration) error { return nil }
