//go:build !unix

package activation

import (
	"fmt"
	"net"
	"runtime"
)

// fileListener refuses: socket activation passes descriptors, which this system's processes
// do not inherit by number.
func fileListener(fd int, name string) (net.Listener, error) {
	return nil, fmt.Errorf("descriptor %d (%s): socket activation is not supported on %s", fd, name, runtime.GOOS)
}
