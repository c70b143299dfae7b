package transport

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// The pace's heap gives back waiting connections soonest first, whatever order they came in
// (rooms' members interleave), and leaves no reference behind in the slots it frees.
func TestPaceHeapSoonestFirst(t *testing.T) {
	var h paceHeap
	var want []int64
	for range 500 {
		due := rand.Int64N(1000)
		h.push(pacedConn{due: due})
		want = append(want, due)
		if rand.IntN(4) == 0 { // pops among the pushes, as the timer's firings come
			slices.Sort(want)
			if got := h.pop().due; got != want[0] {
				t.Fatalf("pop gave %d, want the soonest, %d", got, want[0])
			}
			want = want[1:]
		}
	}
	slices.Sort(want)
	for _, w := range want {
		if got := h.pop().due; got != w {
			t.Fatalf("pop gave %d, want %d", got, w)
		}
	}
	if len(h) != 0 || cap(h) > 0 && h[:cap(h)][0].c != nil {
		t.Fatalf("heap left %d entries", len(h))
	}
}
