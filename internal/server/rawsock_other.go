//go:build !linux

package server

import (
	"net"
	"os"
	"syscall"
	"time"

	"hubbub/internal/netpoll"
)

// rawListener is Linux's only (rawsock_linux.go): elsewhere the listener accepts with net's
// Accept.
func rawListener(net.Listener) (*os.File, syscall.RawConn) { return nil, nil }

// deferAccepts is never called where rawListener returns nil.
func deferAccepts(syscall.RawConn, time.Duration) bool { return false }

// rawAccept is never called where rawListener returns nil.
func rawAccept(syscall.RawConn, net.Addr, *netpoll.Poller) (net.Conn, error) {
	return nil, net.ErrClosed
}

// rawAcceptFunc is never called where rawListener returns nil.
func rawAcceptFunc(syscall.RawConn, net.Addr, *netpoll.Poller) func() (net.Conn, error) {
	return func() (net.Conn, error) { return nil, net.ErrClosed }
}
