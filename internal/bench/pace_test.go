package bench

import (
	"context"
	"fmt"
	"math"
	"sync"
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
		seen := make(map[int64]int)
		for s, p := range paceSchedules(time.Time{}, rate, time.Hour, 0, senders) {
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
				if sender := p.first + p.slot(j)*p.stride; sender != int(k)%senders {
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

// TestPaceLoopSendsTheWholeSchedule runs the pacers of a short step for real: together they
// account for every message of the step (sent, or skipped when late), stop at the step's
// limit, stop when their senders are gone, skip what a stalled send made too late, and send
// once at a rate too low to schedule a second message.
func TestPaceLoopSendsTheWholeSchedule(t *testing.T) {
	// run paces a step that started at start with every pacer, calling send for each
	// message; it counts the messages sent and skipped.
	run := func(start time.Time, rate float64, dur time.Duration, limit int64, senders int, send func(pacer int, j int64) bool) (sent, skipped int64) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute) // a safety net only
		defer cancel()
		var mu sync.Mutex
		var wg sync.WaitGroup
		for s, p := range paceSchedules(start, rate, dur, limit, senders) {
			wg.Go(func() {
				paceLoop(ctx, p,
					func(j int64) bool {
						if !send(s, j) {
							return false
						}
						mu.Lock()
						sent++
						mu.Unlock()
						return true
					},
					func() { mu.Lock(); skipped++; mu.Unlock() })
			})
		}
		wg.Wait()
		if ctx.Err() != nil {
			t.Fatal("the pacers did not stop")
		}
		return sent, skipped
	}
	always := func(int, int64) bool { return true }

	if sent, skipped := run(time.Now(), 2000, 60*time.Millisecond, 0, 3, always); sent+skipped != 120 {
		t.Errorf("2000 msgs/s for 60 ms: %d sent + %d skipped, want 120 in all", sent, skipped)
	}
	if sent, skipped := run(time.Now(), 2000, time.Second, 37, 10, always); sent+skipped != 37 {
		t.Errorf("a limit of 37: %d sent + %d skipped, want 37 in all", sent, skipped)
	}

	// Each pacer's senders are gone after 5 sends: only that can end an hour-long step.
	var callsMu sync.Mutex
	calls := make(map[int]int)
	gone := func(pacer int, j int64) bool {
		callsMu.Lock()
		defer callsMu.Unlock()
		calls[pacer]++
		return calls[pacer] <= 5
	}
	if sent, _ := run(time.Now(), 1000, time.Hour, 0, 2, gone); sent != 10 || calls[0] != 6 || calls[1] != 6 {
		t.Errorf("senders gone after 5 sends each: %d sent, send called %v times per pacer; want 10 sent, 6 calls each", sent, calls)
	}

	// The step began 50 ms ago, so messages 0 … 50 are due at once; the first send then
	// stalls 150 ms, which makes every message due before 100 ms more than 100 ms late.
	var lateMu sync.Mutex
	var lateSends []int64
	stall := func(pacer int, j int64) bool {
		if j == 0 {
			time.Sleep(150 * time.Millisecond)
		} else if j < 100 {
			lateMu.Lock()
			lateSends = append(lateSends, j)
			lateMu.Unlock()
		}
		return true
	}
	sent, skipped := run(time.Now().Add(-50*time.Millisecond), 1000, 300*time.Millisecond, 0, 1, stall)
	if len(lateSends) > 0 || sent+skipped != 300 {
		t.Errorf("a send stalled 150 ms at 1000 msgs/s: messages %v sent more than 100 ms late; %d sent + %d skipped, want 300 in all", lateSends, sent, skipped)
	}

	if sent, skipped := run(time.Now(), 1e-12, time.Hour, 0, 1, always); sent != 1 || skipped != 0 {
		t.Errorf("1e-12 msgs/s for an hour: %d sent, %d skipped; want the first message only", sent, skipped)
	}
}

// TestStepSpan: a step's span is its schedule, to the limit's due time when there is one,
// and longer only when a pacer sent late.
func TestStepSpan(t *testing.T) {
	start := time.Now()
	ms := time.Millisecond
	for _, c := range []struct {
		name  string
		ends  []time.Duration
		rate  float64
		dur   time.Duration
		limit int64
		want  time.Duration
	}{
		{"no limit", []time.Duration{990 * ms, 999 * ms}, 1000, time.Second, 0, time.Second},
		{"a limit", []time.Duration{36 * ms}, 1000, time.Second, 37, 37 * ms},
		{"a limit past the duration", []time.Duration{990 * ms}, 1000, time.Second, 5000, time.Second},
		{"a late pacer", []time.Duration{500 * ms, 1300 * ms}, 1000, time.Second, 0, 1300 * ms},
		{"a tiny rate with a limit", nil, 1e-12, time.Second, 5, time.Second},
	} {
		ends := make([]time.Time, len(c.ends))
		for i, e := range c.ends {
			ends[i] = start.Add(e)
		}
		if got := stepSpan(start, ends, c.rate, c.dur, c.limit); got != c.want {
			t.Errorf("%s: span %v, want %v", c.name, got, c.want)
		}
	}
	// A rate too low to schedule a second message never sends it: the offset of message 1
	// would overflow a Duration.
	if d := dueAt(1, 1e-12); d != math.MaxInt64 {
		t.Errorf("message 1 at 1e-12 msgs/s due at %v, want never", d)
	}
}

// TestAcrossRoomsSpreadsEachRoom: in the rooms scenario's sending order, a room's members are
// a whole round of rooms apart, so at 1 msg/s each a room hears from its members at even
// intervals rather than from all of them back to back.
func TestAcrossRoomsSpreadsEachRoom(t *testing.T) {
	const rooms, members = 5, 3
	var all []*client
	for i := range rooms {
		for j := range members {
			all = append(all, &client{room: fmt.Sprint("r", i), sidx: j})
		}
	}
	order := acrossRooms(all, members)
	if len(order) != len(all) {
		t.Fatalf("%d senders, want %d", len(order), len(all))
	}
	seen := make(map[*client]bool)
	lastAt := make(map[string]int)
	for at, c := range order {
		if seen[c] {
			t.Fatalf("sender %s/%d twice", c.room, c.sidx)
		}
		seen[c] = true
		if prev, ok := lastAt[c.room]; ok && at-prev != rooms {
			t.Errorf("room %s sends at positions %d and %d, want %d apart", c.room, prev, at, rooms)
		}
		lastAt[c.room] = at
	}
}

// TestPaceLateLimit: a send is skipped when 100 ms late, or two of its pacer's intervals when
// the pacer sends more slowly than that, so a slow step is not cut by one short stall.
func TestPaceLateLimit(t *testing.T) {
	for _, c := range []struct {
		rate    float64
		senders int
		want    time.Duration
	}{
		{1000, 10, paceLateLimit},       // pacers of 3 or 2 senders send every few ms
		{20, 2, 200 * time.Millisecond}, // two pacers of one sender each: 10 msgs/s apiece
		{1e-12, 1, time.Hour},           // capped
	} {
		for _, p := range paceSchedules(time.Time{}, c.rate, time.Second, 0, c.senders) {
			if got := p.lateLimit(); got != c.want {
				t.Errorf("%v msgs/s over %d senders, pacer %d: late limit %v, want %v", c.rate, c.senders, p.first, got, c.want)
			}
		}
	}
	// Config.PaceLate raises the floor, as the tests' configs do.
	p := paceSchedules(time.Time{}, 1000, time.Second, 0, 10)[0]
	p.late = time.Minute
	if got := p.lateLimit(); got != time.Minute {
		t.Errorf("late limit %v with PaceLate 1m, want 1m", got)
	}
}
