package activation

import "syscall"

// listening reports whether fd is a listening socket (SO_ACCEPTCONN); known is false when the
// system cannot say.
func listening(fd int) (listens, known bool) {
	v, err := syscall.GetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_ACCEPTCONN)
	return v != 0, err == nil
}
