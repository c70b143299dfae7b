package storecache

import "time"

// bounded is a map of at most max answers, each with the time it was read. The Cache's mutex
// guards it.
type bounded[V any] struct {
	max int
	m   map[string]boundedEntry[V]
}

type boundedEntry[V any] struct {
	v  V
	at time.Time
}

func newBounded[V any](max int) bounded[V] {
	return bounded[V]{max: max, m: make(map[string]boundedEntry[V])}
}

// get returns key's answer if it is younger than maxAge.
func (b *bounded[V]) get(key string, now time.Time, maxAge time.Duration) (V, bool) {
	e, ok := b.m[key]
	if !ok || now.Sub(e.at) >= maxAge {
		var zero V
		return zero, false
	}
	return e.v, true
}

// put keeps key's answer read at at; when full, an arbitrary entry (Go's map order) goes.
func (b *bounded[V]) put(key string, v V, at time.Time) {
	if _, ok := b.m[key]; !ok && len(b.m) >= b.max {
		for k := range b.m {
			delete(b.m, k)
			break
		}
	}
	b.m[key] = boundedEntry[V]{v: v, at: at}
}

func (b *bounded[V]) remove(key string) { delete(b.m, key) }

func (b *bounded[V]) clear() { clear(b.m) }
