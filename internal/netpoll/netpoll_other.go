//go:build !linux

package netpoll

// Poller is unavailable on this platform; New always fails.
type Poller struct{}

// New returns ErrUnsupported.
func New() (*Poller, error) { return nil, ErrUnsupported }

// Add is never called: New fails.
func (p *Poller) Add(fd int, onReadable func()) error { return ErrUnsupported }

// Rearm is never called: New fails.
func (p *Poller) Rearm(fd int) error { return ErrUnsupported }

// Remove is never called: New fails.
func (p *Poller) Remove(fd int) {}

// Len is always 0.
func (p *Poller) Len() int { return 0 }

// Close does nothing.
func (p *Poller) Close() error { return nil }
