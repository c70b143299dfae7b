package lograte

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func TestRepeatsAreLimitedPerWindowAndCounted(t *testing.T) {
	var out bytes.Buffer
	c := &clock{t: time.Unix(1000, 0)}
	log := slog.New(New(slog.NewTextHandler(&out, nil), Options{Burst: 3, Window: 10 * time.Second, Now: c.now}))
	for i := range 100 {
		log.With("conn", i).Error("store append failed", "room", "r")
		log.Info("connected", "conn", i) // below MinLevel: always passes
	}
	log.Warn("other message")
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if n := strings.Count(out.String(), "store append failed"); n != 3 {
		t.Errorf("%d lines of the repeated error in a window, want 3:\n%s", n, out.String())
	}
	if n := strings.Count(out.String(), "connected"); n != 100 {
		t.Errorf("%d info lines, want all 100", n)
	}
	if !strings.Contains(lines[len(lines)-1], "other message") {
		t.Errorf("a different message was held back: %q", lines[len(lines)-1])
	}

	out.Reset()
	c.t = c.t.Add(10 * time.Second)
	log.Error("store append failed")
	if !strings.Contains(out.String(), "suppressed=97") {
		t.Errorf("the first line of the next window does not count the 97 held back: %q", out.String())
	}
}

func TestDistinctMessagesAreBounded(t *testing.T) {
	var out bytes.Buffer
	c := &clock{t: time.Unix(1000, 0)}
	h := New(slog.NewTextHandler(&out, nil), Options{Burst: 1, MaxKeys: 10, Now: c.now})
	log := slog.New(h)
	for i := range 50 {
		log.Error("message " + string(rune('A'+i)))
	}
	if len(h.st.keys) > 10 {
		t.Errorf("%d keys counted, want at most 10", len(h.st.keys))
	}
	if n := strings.Count(out.String(), "\n"); n != 50 {
		t.Errorf("%d of 50 distinct messages written, want all", n)
	}
	c.t = c.t.Add(time.Minute) // the windows end: their keys make room for new ones
	log.Error("a new one")
	log.Error("a new one")
	if n := strings.Count(out.String(), "a new one"); n != 1 {
		t.Errorf("after the windows ended, a new message passed %d times, want 1 (limited again)", n)
	}
}
