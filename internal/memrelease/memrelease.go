// Package memrelease gives the heap's free memory back to the operating system once the
// process has gone quiet.
//
// Go's collector lets the heap grow to twice what its last cycle found live (GOGC=100) before
// the next cycle, and the runtime's scavenger returns only what lies past about 1.1× that
// goal. A server that stops allocating — 19,000 idle connections after their connects — never
// reaches its next cycle and keeps, for as long as it stays idle, every page it reached on the
// way: up to twice its live heap in RSS. Measured at 19,000 idle connections (docs/benchmarks.md,
// "Idle memory per connection"), 43 MB of the server's 147 MB RSS were such free pages beside a
// 49 MB live heap.
//
// A Releaser looks at the runtime's figures every interval; when the heap allocated almost
// nothing during the last one (at that rate it would not reach its next collection for at least
// QuietIntervals intervals) and holds more free memory than MinRelease and an eighth of the live
// heap, it runs one collection and returns the free pages (debug.FreeOSMemory). It does so at
// most once between two of the collector's own cycles, so a server under load, which collects
// on its own, never pays for it, and a quiet one pays one collection per burst it went quiet after.
package memrelease

import (
	"context"
	"log/slog"
	"runtime/debug"
	"runtime/metrics"
	"time"
)

// DefaultInterval is how often the runtime's figures are read: reading them costs
// microseconds, and a server that went quiet returns its free memory within two intervals.
const DefaultInterval = 5 * time.Second

// Bounds of the interval: below a second a burst's pauses would count as quiet; past ten
// minutes the memory would be held for longer than anyone watching it would wait.
const (
	MinInterval = time.Second
	MaxInterval = 10 * time.Minute
)

// QuietIntervals is how many intervals, at the last interval's allocation rate, the heap must
// be from its next collection for the process to count as quiet.
const QuietIntervals = 16

// MinRelease is the least free memory worth a collection to return.
const MinRelease = 4 << 20

// The runtime/metrics samples a Releaser reads.
const (
	mAllocs  = "/gc/heap/allocs:bytes"
	mCycles  = "/gc/cycles/total:gc-cycles"
	mLive    = "/gc/heap/live:bytes"
	mGoal    = "/gc/heap/goal:bytes"
	mObjects = "/memory/classes/heap/objects:bytes"
	mFree    = "/memory/classes/heap/free:bytes"
	mUnused  = "/memory/classes/heap/unused:bytes"
	mRelease = "/memory/classes/heap/released:bytes"
)

// Figures are the runtime's figures a decision reads.
type Figures struct {
	Allocs   uint64 // bytes allocated since the process started
	Cycles   uint64 // collections completed, forced ones included
	Live     uint64 // the heap the last collection found live
	Goal     uint64 // the heap size at which the next collection starts
	Held     uint64 // heap memory held and not returned: objects (live or not yet swept), free spans, unused parts of spans
	Released uint64 // heap memory already returned to the operating system
}

// Read reads the runtime's current figures.
func Read() Figures {
	s := []metrics.Sample{{Name: mAllocs}, {Name: mCycles}, {Name: mLive}, {Name: mGoal},
		{Name: mObjects}, {Name: mFree}, {Name: mUnused}, {Name: mRelease}}
	metrics.Read(s)
	v := func(i int) uint64 {
		if s[i].Value.Kind() != metrics.KindUint64 {
			return 0 // a metric this runtime does not have: the decision then sees nothing to release
		}
		return s[i].Value.Uint64()
	}
	return Figures{Allocs: v(0), Cycles: v(1), Live: v(2), Goal: v(3),
		Held: v(4) + v(5) + v(6), Released: v(7)}
}

// Releaser decides, interval after interval, whether to return the heap's free memory.
// Its zero value is ready; Decide is not safe for concurrent use.
type Releaser struct {
	prev         Figures
	started      bool
	releasedAt   uint64 // Cycles right after the last release
	haveReleased bool
}

// Decide takes the figures of this interval's end and says whether to release now: the heap
// allocated less than (goal − live)/QuietIntervals since the last call, at least one of the
// collector's own cycles ran since the last release, and more than MinRelease and live/8 are
// held past the live heap. The first call only records.
func (r *Releaser) Decide(now Figures) bool {
	prev, started := r.prev, r.started
	r.prev, r.started = now, true
	if !started {
		return false
	}
	if r.haveReleased && now.Cycles == r.releasedAt {
		return false // nothing collected since the last release: what is free was returned then, or is garbage the next cycle finds
	}
	allocated := now.Allocs - prev.Allocs
	headroom := uint64(0)
	if now.Goal > now.Live {
		headroom = now.Goal - now.Live
	}
	if allocated*QuietIntervals >= headroom {
		return false // busy: the collector will run soon on its own
	}
	if now.Held <= now.Live {
		return false
	}
	extra := now.Held - now.Live
	return extra >= MinRelease && extra >= now.Live/8
}

// Released records a release: after it, Decide waits for one of the collector's own cycles.
func (r *Releaser) Released(after Figures) {
	r.releasedAt, r.haveReleased = after.Cycles, true
	r.prev = after
}

// Run reads the runtime's figures every interval until ctx ends, and returns the heap's free
// memory when Decide says so. An interval of 0 or less returns at once (releases off).
func Run(ctx context.Context, interval time.Duration, log *slog.Logger) {
	if interval <= 0 {
		return
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	var r Releaser
	r.Decide(Read())
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		before := Read()
		if !r.Decide(before) {
			continue
		}
		start := time.Now()
		debug.FreeOSMemory()
		after := Read()
		r.Released(after)
		log.Debug("returned the heap's free memory: the process is quiet",
			"returned_bytes", int64(after.Released)-int64(before.Released),
			"held_bytes", after.Held, "live_bytes", after.Live, "took", time.Since(start))
	}
}
