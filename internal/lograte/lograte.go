// Package lograte keeps a failing dependency from flooding the log: a slog.Handler that passes
// at most a few warnings or errors with the same message per time window and says how many it
// held back. A full disk made every failed send log two ERROR lines, 195,000 lines in a minute
// of client retries, which buried the one line that said what was wrong.
package lograte

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// Defaults for the zero fields of Options.
const (
	// DefaultBurst is how many records with the same level and message pass per window.
	DefaultBurst = 5
	// DefaultWindow is the window Burst counts in.
	DefaultWindow = 10 * time.Second
	// DefaultMaxKeys bounds how many distinct messages are counted at once. Messages are
	// constant strings in hubbub's code, so a few dozen are in use; past the bound a new
	// message is passed through uncounted rather than growing the map.
	DefaultMaxKeys = 1000
)

// Options tunes a Handler. The zero value limits warnings and errors with the defaults.
type Options struct {
	// Burst is how many records with the same level and message pass in one Window
	// (default DefaultBurst).
	Burst int
	// Window is the span Burst counts in (default DefaultWindow).
	Window time.Duration
	// MinLevel is the lowest level limited; records below it always pass (default
	// slog.LevelWarn: the info lines of connections are all different events).
	MinLevel slog.Level
	// MaxKeys bounds the distinct messages counted at once (default DefaultMaxKeys).
	MaxKeys int
	// Now is the clock (default time.Now); tests replace it.
	Now func() time.Time
}

// Handler is a slog.Handler that rate-limits repeated records; see the package comment. The
// first record of a key after a window in which some were held back carries the attribute
// suppressed=N. Handlers derived with WithAttrs and WithGroup share the counts.
type Handler struct {
	next slog.Handler
	st   *state
}

type key struct {
	level slog.Level
	msg   string
}

type bucket struct {
	start      time.Time // when the current window began
	passed     int       // records passed in the current window
	suppressed int       // records held back in the current window
}

type state struct {
	opts Options
	mu   sync.Mutex
	keys map[key]*bucket
}

// New returns a Handler that passes records to next, rate-limited as o says.
func New(next slog.Handler, o Options) *Handler {
	if o.Burst <= 0 {
		o.Burst = DefaultBurst
	}
	if o.Window <= 0 {
		o.Window = DefaultWindow
	}
	if o.MinLevel == 0 {
		o.MinLevel = slog.LevelWarn
	}
	if o.MaxKeys <= 0 {
		o.MaxKeys = DefaultMaxKeys
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Handler{next: next, st: &state{opts: o, keys: make(map[key]*bucket)}}
}

// Enabled reports whether the next handler takes records at level.
func (h *Handler) Enabled(ctx context.Context, level slog.Level) bool {
	return h.next.Enabled(ctx, level)
}

// Handle passes r on unless Burst records with its level and message already passed in the
// current window.
func (h *Handler) Handle(ctx context.Context, r slog.Record) error {
	if r.Level < h.st.opts.MinLevel {
		return h.next.Handle(ctx, r)
	}
	pass, held := h.st.admit(key{r.Level, r.Message})
	if !pass {
		return nil
	}
	if held > 0 {
		r = r.Clone()
		r.AddAttrs(slog.Int("suppressed", held))
	}
	return h.next.Handle(ctx, r)
}

// admit counts a record of k and says whether it passes, and how many records of k were held
// back in the window that just ended (to report with it).
func (s *state) admit(k key) (pass bool, held int) {
	now := s.opts.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.keys[k]
	if b == nil {
		if len(s.keys) >= s.opts.MaxKeys {
			s.forgetEnded(now)
			if len(s.keys) >= s.opts.MaxKeys {
				return true, 0 // too many distinct messages to count: never lose a new one
			}
		}
		b = &bucket{start: now}
		s.keys[k] = b
	}
	if now.Sub(b.start) >= s.opts.Window {
		held = b.suppressed
		*b = bucket{start: now}
	}
	if b.passed >= s.opts.Burst {
		b.suppressed++
		return false, 0
	}
	b.passed++
	return true, held
}

// forgetEnded drops the counts of windows that have ended and held nothing back.
func (s *state) forgetEnded(now time.Time) {
	for k, b := range s.keys {
		if now.Sub(b.start) >= s.opts.Window && b.suppressed == 0 {
			delete(s.keys, k)
		}
	}
}

// WithAttrs returns a Handler adding attrs, sharing h's counts.
func (h *Handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &Handler{next: h.next.WithAttrs(attrs), st: h.st}
}

// WithGroup returns a Handler opening group name, sharing h's counts.
func (h *Handler) WithGroup(name string) slog.Handler {
	return &Handler{next: h.next.WithGroup(name), st: h.st}
}
