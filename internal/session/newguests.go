package session

import (
	"context"
	"time"
)

// A hello with a name and a key nobody holds stores a guest, for good (guests are never
// deleted); each connection's hellos after its first are rate limited like its sends, but a
// script with a hundred connections stored a thousand guests a second from one address. So
// new guest names are limited per client address too (--new-guest-rate, --new-guest-burst):
// a hello whose name no stored user holds (a new guest, or a guest taking a new name) takes
// one from its address's bucket first. A guest coming back under its own name, a keyless
// name (stored nowhere), a token's user (the host application vouches for it) and a signed-in
// account take none.

// The defaults of the limit on new guests: a hundred at once (an office or a class behind one
// address arriving together), then one every five seconds, per client address.
const (
	DefaultNewGuestRate  = 0.2
	DefaultNewGuestBurst = 100
)

// chargeNewGuest takes one new guest from addr's bucket when no stored user holds name, or
// says how long to wait. It reads whether the name is held through the node's cache, which a
// guest's reconnect finds it in; a failed read charges nothing (the claim after it fails too).
func (s *Service) chargeNewGuest(ctx context.Context, name, addr string) error {
	if s.newGuests == nil || addr == "" {
		return nil
	}
	if held, err := s.nameHeld(ctx, name); err != nil || held {
		return nil
	}
	return s.tooFast(s.newGuests.Allow("", addr, time.Now()),
		"too many new guest names from your address (at most %d at once, then %s): try again in %s, or come back under a name you used before",
		s.cfg.NewGuestBurst, s.cfg.NewGuestRate)
}
