package main

import (
	"syscall"
	"time"
)

// keepAliveListener sets TCP keep-alive probes every keepAlive on the listening socket c, as
// net's Accept sets them on each accepted socket (idle keepAlive, then keepAliveInterval and
// keepAliveCount): Linux copies them to every socket accepted from it.
// A keepAlive of 0 or less turns them off, for a socket passed by a launcher (socket
// activation) on which an earlier process turned them on.
func keepAliveListener(c syscall.RawConn, keepAlive time.Duration) error {
	if keepAlive <= 0 {
		var serr error
		if err := c.Control(func(fd uintptr) {
			serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_KEEPALIVE, 0)
		}); err != nil {
			return err
		}
		return serr
	}
	secs := max(int((keepAlive+time.Second-1)/time.Second), 1)
	var serr error
	err := c.Control(func(fd uintptr) {
		for _, o := range [][3]int{
			{syscall.SOL_SOCKET, syscall.SO_KEEPALIVE, 1},
			{syscall.IPPROTO_TCP, syscall.TCP_KEEPIDLE, secs},
			{syscall.IPPROTO_TCP, syscall.TCP_KEEPINTVL, int(keepAliveInterval / time.Second)},
			{syscall.IPPROTO_TCP, syscall.TCP_KEEPCNT, keepAliveCount},
		} {
			if serr = syscall.SetsockoptInt(int(fd), o[0], o[1], o[2]); serr != nil {
				return
			}
		}
	})
	if err != nil {
		return err
	}
	return serr
}
