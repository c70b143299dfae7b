//go:build linux

package server

import (
	"net"
	"syscall"
	"unsafe"
)

// accept4 takes the next connection from the non-blocking listening socket fd, non-blocking
// and close-on-exec, as a raw system call: on a non-blocking socket accept4 never waits, and
// syscall.Accept4's bookkeeping for a call that might (entersyscall) wakes the runtime's
// monitor from its sleep whenever every processor was idle, which then polls every 20 µs for
// the next millisecond and more: on one CPU the monitor was 7–8 % of a connect + join's
// server CPU, 0.6 % with this call and the poller's epoll_ctl raw (docs/benchmarks/connect.md,
// "The connect path's system calls made raw").
func accept4(fd int, rsa *syscall.RawSockaddrAny) (nfd int, err error) {
	size := uint32(syscall.SizeofSockaddrAny)
	r, _, errno := syscall.RawSyscall6(syscall.SYS_ACCEPT4, uintptr(fd), uintptr(unsafe.Pointer(rsa)),
		uintptr(unsafe.Pointer(&size)), syscall.SOCK_NONBLOCK|syscall.SOCK_CLOEXEC, 0, 0)
	if errno != 0 {
		return -1, errno
	}
	return int(r), nil
}

// setRemote decodes into s.remoteAddr the IPv4 or IPv6 address accept4 wrote in rsa (an empty
// address for any other family), as net's accept does, into the socket's own fields: the
// syscall.Sockaddr, net.TCPAddr and IP that syscall.Accept4 and net make were three
// allocations of every upgrade (docs/benchmarks/reconnect-storm.md, "The upgrade's request
// read").
func (s *rawSocket) setRemote(rsa *syscall.RawSockaddrAny) {
	switch rsa.Addr.Family {
	case syscall.AF_INET:
		p := (*syscall.RawSockaddrInet4)(unsafe.Pointer(rsa))
		port := (*[2]byte)(unsafe.Pointer(&p.Port)) // network byte order
		// net.IP(a.Addr[:]).To16(), as net's accept has it: IPv4 in IPv6's form
		s.remoteIP = [16]byte{10: 0xff, 11: 0xff, 12: p.Addr[0], 13: p.Addr[1], 14: p.Addr[2], 15: p.Addr[3]}
		s.remoteAddr = net.TCPAddr{IP: s.remoteIP[:], Port: int(port[0])<<8 | int(port[1])}
	case syscall.AF_INET6:
		p := (*syscall.RawSockaddrInet6)(unsafe.Pointer(rsa))
		port := (*[2]byte)(unsafe.Pointer(&p.Port))
		s.remoteIP = p.Addr
		s.remoteAddr = net.TCPAddr{IP: s.remoteIP[:], Port: int(port[0])<<8 | int(port[1]), Zone: zoneName(p.Scope_id)}
	}
}
