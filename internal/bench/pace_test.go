package bench

import (
	"testing"
	"time"
)

// TestPaceScheduleSpreadsMessagesEvenly checks the offered load: whatever the number of senders
// and pacers, message k leaves at k/rate from sender k mod senders, and every message of the
// step is sent exactly once. Before, the pacers started in step and sent a burst each tick,
// which measured queueing in the burst rather than the server's latency.
func TestPaceScheduleSpreadsMessagesEvenly(t *testing.T) {
	const rate, total = 100.0, 240
	for _, senders := range []int{1, 2, 3, 4, 5, 10, 13} {
		pacers := min(senders, 4)
		seen := make(map[int64]int)
		for s := range pacers {
			p := paceSchedule{rate: rate, dur: time.Hour, senders: senders, first: s, stride: pacers}
			prev := time.Duration(-1)
			for j := int64(0); ; j++ {
				k := p.index(j)
				if k >= total {
					break
				}
				if d := p.due(k); d <= prev {
					t.Fatalf("%d senders, pacer %d: message %d due at %v, not after the previous %v", senders, s, k, d, prev)
				} else {
					prev = d
				}
				if want := time.Duration(k) * 10 * time.Millisecond; p.due(k) != want {
					t.Errorf("%d senders: message %d due at %v, want %v", senders, k, p.due(k), want)
				}
				if sender := s + int(j%int64(p.owned()))*pacers; sender != int(k)%senders {
					t.Errorf("%d senders: message %d from sender %d, want %d", senders, k, sender, int(k)%senders)
				}
				seen[k]++
			}
		}
		for k := range int64(total) {
			if seen[k] != 1 {
				t.Errorf("%d senders: message %d scheduled %d times, want once", senders, k, seen[k])
			}
		}
	}
}
