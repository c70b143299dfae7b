package hub

import (
	"testing"
	"time"
)

// A busy window makes the next one long only while the room stays busy: a room that held no
// notice for longer than the long window starts again with the short one, so the first join
// after a quiet spell is not held for a storm's window.
func TestPresenceWindowIsShortAfterAQuietSpell(t *testing.T) {
	cfg := Config{PresenceWindow: 100 * time.Millisecond, PresenceWindowMax: 500 * time.Millisecond}
	p := presenceHold{long: true, ended: time.Now()}
	if got := p.length(cfg); got != cfg.PresenceWindowMax {
		t.Errorf("just after a busy window: %v, want %v", got, cfg.PresenceWindowMax)
	}
	p.ended = time.Now().Add(-time.Second)
	if got := p.length(cfg); got != cfg.PresenceWindow {
		t.Errorf("a second after a busy window: %v, want %v", got, cfg.PresenceWindow)
	}
	p = presenceHold{long: false, ended: time.Now()}
	if got := p.length(cfg); got != cfg.PresenceWindow {
		t.Errorf("just after a quiet window: %v, want %v", got, cfg.PresenceWindow)
	}
}
