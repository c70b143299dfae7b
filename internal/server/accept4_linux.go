//go:build linux

package server

import (
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
func accept4(fd int) (nfd int, sa syscall.Sockaddr, err error) {
	var rsa syscall.RawSockaddrAny
	size := uint32(syscall.SizeofSockaddrAny)
	r, _, errno := syscall.RawSyscall6(syscall.SYS_ACCEPT4, uintptr(fd), uintptr(unsafe.Pointer(&rsa)),
		uintptr(unsafe.Pointer(&size)), syscall.SOCK_NONBLOCK|syscall.SOCK_CLOEXEC, 0, 0)
	if errno != 0 {
		return -1, nil, errno
	}
	return int(r), sockaddrOf(&rsa), nil
}

// sockaddrOf decodes an IPv4 or IPv6 address accept4 wrote (nil for any other family), as
// syscall.Accept4 does.
func sockaddrOf(rsa *syscall.RawSockaddrAny) syscall.Sockaddr {
	switch rsa.Addr.Family {
	case syscall.AF_INET:
		p := (*syscall.RawSockaddrInet4)(unsafe.Pointer(rsa))
		port := (*[2]byte)(unsafe.Pointer(&p.Port)) // network byte order
		return &syscall.SockaddrInet4{Port: int(port[0])<<8 | int(port[1]), Addr: p.Addr}
	case syscall.AF_INET6:
		p := (*syscall.RawSockaddrInet6)(unsafe.Pointer(rsa))
		port := (*[2]byte)(unsafe.Pointer(&p.Port))
		return &syscall.SockaddrInet6{Port: int(port[0])<<8 | int(port[1]), ZoneId: p.Scope_id, Addr: p.Addr}
	}
	return nil
}
