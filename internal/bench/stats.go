package bench

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// Histogram range: 1 µs to 10 minutes at 3 significant digits.
const (
	histMin    = 1
	histMax    = int64(10 * time.Minute / time.Microsecond)
	histDigits = 3
	histShards = 16
	maxSamples = 8
)

// hdrHist is the histogram type of the library.
type hdrHist = hdrhistogram.Histogram

func newHist() *hdrhistogram.Histogram { return hdrhistogram.New(histMin, histMax, histDigits) }

// histShard is one lock and histogram; receivers pick a shard by connection index so that two
// readers rarely wait for each other.
type histShard struct {
	mu sync.Mutex
	h  *hdrhistogram.Histogram
	_  [40]byte // keep shards on separate cache lines
}

// stats are the counters every reader and pacer updates; all fields are safe for concurrent use.
type stats struct {
	cur  atomic.Int32 // the step whose latencies are being recorded
	sent [MaxSteps + 1]atomic.Int64
	recv [MaxSteps + 1]atomic.Int64

	ready       atomic.Int64 // counted members that have seen a probe (step 0)
	foreign     atomic.Int64 // payloads of other runs (history replays)
	reordered   atomic.Int64 // a sender's seq at or below one already seen by a receiver
	errs        atomic.Int64 // error frames or lines from the server
	writeErrs   atomic.Int64 // failed writes
	disconnects atomic.Int64 // connections the server ended while the run wanted them
	sideRecv    atomic.Int64 // deliveries to connections not counted (churners)
	skipped     atomic.Int64 // sends the pacers could not make in time
	totalRecv   atomic.Int64 // every counted delivery, for progress

	shards [histShards]histShard

	mu      sync.Mutex
	samples []string // the first few distinct error descriptions
	counts  map[string]int
}

func newStats() *stats {
	s := &stats{counts: make(map[string]int)}
	for i := range s.shards {
		s.shards[i].h = newHist()
	}
	return s
}

// record adds one latency of a delivery of step; it is dropped if that step is no longer the
// one being measured (a straggler after its step's drain).
func (s *stats) record(shard, step int, lat time.Duration) {
	us := int64(lat / time.Microsecond)
	us = min(max(us, histMin), histMax)
	sh := &s.shards[shard%histShards]
	sh.mu.Lock()
	if int(s.cur.Load()) == step {
		_ = sh.h.RecordValue(us)
	}
	sh.mu.Unlock()
}

// beginStep starts recording latencies for step, forgetting those recorded before.
func (s *stats) beginStep(step int) {
	s.cur.Store(int32(step))
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		sh.h.Reset()
		sh.mu.Unlock()
	}
}

// collect merges the shards into one histogram (a snapshot; recording goes on).
func (s *stats) collect() *hdrhistogram.Histogram {
	h := newHist()
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		h.Merge(sh.h)
		sh.mu.Unlock()
	}
	return h
}

// sample keeps a description of an error, counting repeats; only the first maxSamples
// distinct ones are kept.
func (s *stats) sample(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if len(msg) > 200 {
		msg = msg[:200] + "…"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.counts[msg]; ok || len(s.counts) < maxSamples {
		if !ok {
			s.samples = append(s.samples, msg)
		}
		s.counts[msg]++
	}
}

// errorSamples returns the kept error descriptions with their counts.
func (s *stats) errorSamples() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, 0, len(s.samples))
	for _, m := range s.samples {
		if n := s.counts[m]; n > 1 {
			out = append(out, fmt.Sprintf("%s (×%d)", m, n))
		} else {
			out = append(out, m)
		}
	}
	return out
}

// Latency is a latency distribution in milliseconds.
type Latency struct {
	// Count is how many latencies were recorded.
	Count int64 `json:"count"`
	// P50, P90, P99, P999 and Max are percentiles in milliseconds.
	P50  float64 `json:"p50_ms"`
	P90  float64 `json:"p90_ms"`
	P99  float64 `json:"p99_ms"`
	P999 float64 `json:"p999_ms"`
	Max  float64 `json:"max_ms"`
}

// latencyOf summarises a histogram of microseconds.
func latencyOf(h *hdrhistogram.Histogram) Latency {
	ms := func(us int64) float64 { return float64(us) / 1000 }
	if h.TotalCount() == 0 {
		return Latency{}
	}
	return Latency{
		Count: h.TotalCount(),
		P50:   ms(h.ValueAtQuantile(50)),
		P90:   ms(h.ValueAtQuantile(90)),
		P99:   ms(h.ValueAtQuantile(99)),
		P999:  ms(h.ValueAtQuantile(99.9)),
		Max:   ms(h.Max()),
	}
}
