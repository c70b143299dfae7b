// Package netpoll tells when sockets have bytes to read, without a goroutine parked on each:
// one goroutine waits on an epoll set for all of them and calls a socket's handler, in a new
// goroutine, when it becomes readable. Registrations are one-shot: after the handler has read
// what it wants it calls Rearm, so a socket is never handled by two goroutines at once.
//
// This is what lets an idle WebSocket cost a few hundred bytes instead of a goroutine's stack
// and a read buffer. It exists on Linux only; elsewhere New returns ErrUnsupported and the
// server keeps a goroutine per connection.
package netpoll

import "errors"

// ErrUnsupported is returned by New where the platform has no epoll.
var ErrUnsupported = errors.New("netpoll: not supported on this platform")

// ErrClosed is returned by Add after Close, and by Rearm after Remove.
var ErrClosed = errors.New("netpoll: poller closed")
