//go:build !linux

package netpoll

// Poller is unavailable on this platform; New always fails.
type Poller struct{}

// New returns ErrUnsupported.
func New(idleReaders int) (*Poller, error) { return nil, ErrUnsupported }

// Registration is one registered descriptor; there are none on this platform.
type Registration struct{}

// Add is never called: New fails.
func (p *Poller) Add(fd int, onReadable func()) (*Registration, error) { return nil, ErrUnsupported }

// Rearm is never called: New fails.
func (r *Registration) Rearm() error { return ErrUnsupported }

// Rebind is never called: New fails.
func (r *Registration) Rebind(onReadable func()) error { return ErrUnsupported }

// Remove is never called: New fails.
func (r *Registration) Remove() {}

// Go runs f in a new goroutine.
func (p *Poller) Go(f func()) { go f() }

// Len is always 0.
func (p *Poller) Len() int { return 0 }

// Done is never closed: New fails.
func (p *Poller) Done() <-chan struct{} { return nil }

// Close does nothing.
func (p *Poller) Close() error { return nil }
