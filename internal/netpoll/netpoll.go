// Package netpoll tells when sockets have bytes to read, without a goroutine parked on each:
// one goroutine waits on an epoll set for all of them and calls a socket's handler, in a
// goroutine of its own (a new one, or one that ran an earlier handler and waits for the next),
// when it becomes readable. Registrations are one-shot: after the handler has read
// what it wants it calls Rearm, so a socket is never handled by two goroutines at once.
//
// The waiting goroutine parks in the Go runtime's own poller (the epoll set is itself a
// pollable descriptor) rather than blocking a thread in epoll_wait, and the hot non-blocking
// calls (epoll_ctl here, read and write in the server) are raw system calls: a thread blocked
// in a system call, or many short calls through the scheduler, kept the runtime's monitor
// waking every 20 µs to take the thread's processor back, 7-9 % of a busy server's CPU.
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
