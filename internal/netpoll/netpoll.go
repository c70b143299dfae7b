// Package netpoll tells when sockets have bytes to read, without a goroutine parked on each:
// one goroutine waits on an epoll set for all of them and calls a socket's handler, in a
// goroutine of its own (a new one, or one that ran an earlier handler and waits for the next),
// when it becomes readable. Registrations are one-shot: after the handler has read
// what it wants it calls Rearm, so a socket is never handled by two goroutines at once.
//
// The waiting goroutine parks in the Go runtime's own poller (the epoll set is itself a
// pollable descriptor) rather than blocking a thread in epoll_wait, and the hot non-blocking
// calls (epoll_ctl here; accept4, read and write in the server) are raw system calls: a thread
// blocked in a system call, or many short calls through the scheduler, kept the runtime's
// monitor waking every 20 µs to take the thread's processor back, 7-9 % of a busy server's
// CPU (and 7-8 % of a connect + join's on one CPU while accept4 and the add were not raw).
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

// DefaultIdleReaders is how many reader goroutines, at most, wait for the next readable
// socket once their handler has returned (New's idleReaders: serve's --poll-idle-readers, 0 for
// a new goroutine every time). A goroutine starts with the stack the runtime finds average
// and a handler that stores and fans out a message (issue 19's durable ingress) outgrows it:
// the runtime then copies the stack to one twice as large (5-7 % of the CPU profile of a
// server acknowledging messages on one core), paid again by every new goroutine. A reader
// kept waiting keeps its grown stack, until a collection finds it using under a quarter and
// halves it (so copies fall, not vanish: 0.97 → 0.25 stack copies a message measured). After
// one fsync thousands of handlers return together, and as many sockets become readable again
// soon after, so the bound is of that order; the wait loop lets go of those it did not need
// in the last idleTrim, so an idle server keeps none after a second or two (each is a
// goroutine and its stack, 8 KiB or so).
const DefaultIdleReaders = 4096

// MaxIdleReaders bounds New's idleReaders.
const MaxIdleReaders = 1 << 16
