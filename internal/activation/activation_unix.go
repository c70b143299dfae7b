//go:build unix

package activation

import (
	"fmt"
	"net"
	"os"
	"syscall"
)

// fileListener makes descriptor fd, named name by the launcher, a net.Listener. net dups the
// descriptor (close-on-exec), and the original is closed so that no program this one starts
// inherits it.
func fileListener(fd int, name string) (net.Listener, error) {
	if err := accepting(fd); err != nil {
		return nil, fmt.Errorf("descriptor %d (%s): %w", fd, name, err)
	}
	f := os.NewFile(uintptr(fd), name)
	ln, err := net.FileListener(f)
	f.Close()
	if err != nil {
		return nil, fmt.Errorf("descriptor %d (%s): %w: %w", fd, name, ErrNotTCP, err)
	}
	if _, ok := ln.(*net.TCPListener); !ok {
		ln.Close()
		return nil, fmt.Errorf("descriptor %d (%s) is a %s socket: %w", fd, name, ln.Addr().Network(), ErrNotTCP)
	}
	return ln, nil
}

// accepting checks that fd is an open stream socket that listens. A launcher configured to
// accept connections itself (systemd's Accept=yes) passes one connection instead.
func accepting(fd int) error {
	typ, err := syscall.GetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_TYPE)
	if err != nil {
		return fmt.Errorf("%w (%w)", ErrNotTCP, err)
	}
	switch typ {
	case syscall.SOCK_STREAM:
	case syscall.SOCK_DGRAM: // named as the socket unit names it, which the operator wrote
		// ListenDatagram= makes a UDP socket, or a Unix one for a path: both are datagrams.
		return fmt.Errorf("a datagram socket (UDP or Unix: a systemd socket unit's ListenDatagram=; want ListenStream=): %w", ErrNotTCP)
	case syscall.SOCK_SEQPACKET:
		return fmt.Errorf("a sequential-packet socket (a systemd socket unit's ListenSequentialPacket=; want ListenStream=): %w", ErrNotTCP)
	default:
		return fmt.Errorf("a socket of type %d: %w", typ, ErrNotTCP)
	}
	if listens, known := listening(fd); known && !listens {
		return fmt.Errorf("a connection, not a listening socket (a systemd socket unit must not set Accept=yes): %w", ErrNotTCP)
	}
	return nil
}
