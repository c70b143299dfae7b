package client

import (
	"testing"
	"time"

	"hubbub/internal/wire"
)

func TestBackoffDoublesWithJitterUpToMax(t *testing.T) {
	s := &Session{opts: SessionOptions{BackoffBase: 100 * time.Millisecond, BackoffMax: 2 * time.Second}}
	for n := range 70 {
		want := s.opts.BackoffMax
		if n < 5 {
			want = s.opts.BackoffBase << n
		}
		for range 50 {
			if d := s.backoff(n); d < want/2 || d > want {
				t.Fatalf("backoff(%d) = %v, want within [%v, %v]", n, d, want/2, want)
			}
		}
	}
}

func TestGap(t *testing.T) {
	u := func(v uint64) *uint64 { return &v }
	cases := []struct {
		since    *uint64
		j        wire.Joined
		first    uint64 // the first replayed entry's seq
		from, to uint64
		ok       bool
	}{
		{nil, wire.Joined{LastSeq: 100, Replay: 10, Truncated: true}, 91, 0, 0, false},
		{u(5), wire.Joined{LastSeq: 100, Replay: 95}, 6, 0, 0, false},
		{u(5), wire.Joined{LastSeq: 100, Replay: 10, Truncated: true}, 91, 6, 90, true},
		{u(89), wire.Joined{LastSeq: 100, Replay: 10, Truncated: true}, 91, 90, 90, true},
		{u(90), wire.Joined{LastSeq: 100, Replay: 10, Truncated: true}, 91, 0, 0, false},
		// Retention removed entries within the replay: it starts later than its length says.
		{u(5), wire.Joined{LastSeq: 100, Replay: 4, Truncated: true}, 91, 6, 90, true},
		// Nothing was replayed (it could not be read): everything up to last_seq is missing.
		{u(5), wire.Joined{LastSeq: 100, Replay: 0, Truncated: true}, 0, 6, 100, true},
	}
	for _, tc := range cases {
		from, to, ok := gap(tc.since, &tc.j, tc.first)
		if from != tc.from || to != tc.to || ok != tc.ok {
			t.Errorf("gap(%v, %+v, %d) = %d, %d, %v; want %d, %d, %v", tc.since, tc.j, tc.first, from, to, ok, tc.from, tc.to, tc.ok)
		}
	}
}

// A refused send waits what the server asked (retry_after_ms) before it is sent again, at most
// a minute, and a second when the server said nothing: a server limiting new rooms to one
// every 5 s is not asked five times a second.
func TestRetryPauseIsTheServers(t *testing.T) {
	for _, c := range []struct {
		ms   int64
		want time.Duration
	}{{0, time.Second}, {-5, time.Second}, {250, 250 * time.Millisecond}, {5000, 5 * time.Second}, {3_600_000, time.Minute},
		{18446744073710, time.Minute}} { // a figure that overflows a Duration in milliseconds
		e := &wire.Error{Type: wire.TypeError, Code: "rate_limited", RetryAfterMs: c.ms}
		if got := retryPauseFor(e); got != c.want {
			t.Errorf("retry_after_ms %d: pause %v, want %v", c.ms, got, c.want)
		}
	}
}
