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
