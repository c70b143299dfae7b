package bench

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// Cluster limits.
const (
	// MaxURLs is the most nodes one run spreads its clients over.
	MaxURLs = 16
	// MaxPIDs is the most server processes one run reads (PID and ExtraPIDs).
	MaxPIDs = 32
)

// ParseURLs splits a comma-separated list of target URLs and checks each as CheckLoopbackURL
// does; it refuses an empty entry, a URL given twice, and more than MaxURLs.
func ParseURLs(raw, target string) ([]*url.URL, error) {
	parts := strings.Split(raw, ",")
	if len(parts) > MaxURLs {
		return nil, fmt.Errorf("%d URLs: at most %d nodes per run", len(parts), MaxURLs)
	}
	out := make([]*url.URL, 0, len(parts))
	seen := make(map[string]bool, len(parts))
	for _, p := range parts {
		p = strings.TrimSpace(p)
		if p == "" {
			return nil, fmt.Errorf("target list %q has an empty entry", raw)
		}
		u, err := CheckLoopbackURL(p, target)
		if err != nil {
			return nil, err
		}
		if seen[u.String()] {
			return nil, fmt.Errorf("target %s is listed twice: each URL is one node", u)
		}
		seen[u.String()] = true
		out = append(out, u)
	}
	return out, nil
}

// joinURLs is the comma-separated list of us, as ParseURLs reads it.
func joinURLs(us []*url.URL) string {
	s := make([]string, len(us))
	for i, u := range us {
		s[i] = u.String()
	}
	return strings.Join(s, ",")
}

// checkPIDs refuses process ids that cannot be ones, extra processes without a first one, a
// process given twice and more than MaxPIDs.
func checkPIDs(pid int, extra []int) error {
	if pid < 0 {
		return fmt.Errorf("pid %d is not a process id", pid)
	}
	if len(extra) > 0 && pid == 0 {
		return errors.New("extra server processes need a first one (PID)")
	}
	if 1+len(extra) > MaxPIDs {
		return fmt.Errorf("%d server processes: at most %d", 1+len(extra), MaxPIDs)
	}
	seen := map[int]bool{pid: true}
	for _, p := range extra {
		if p <= 0 {
			return fmt.Errorf("pid %d is not a process id", p)
		}
		if seen[p] {
			return fmt.Errorf("process %d is listed twice: its CPU would count twice", p)
		}
		seen[p] = true
	}
	return nil
}

// ParsePIDs reads a comma-separated list of process ids (as --pid takes them) into the first
// and the rest.
func ParsePIDs(s string) (int, []int, error) {
	parts := strings.Split(s, ",")
	if len(parts) > MaxPIDs {
		return 0, nil, fmt.Errorf("%d processes: at most %d", len(parts), MaxPIDs)
	}
	pids := make([]int, 0, len(parts))
	for _, p := range parts {
		var n int
		if _, err := fmt.Sscanf(strings.TrimSpace(p), "%d", &n); err != nil || n <= 0 || fmt.Sprint(n) != strings.TrimSpace(p) {
			return 0, nil, fmt.Errorf("%q is not a process id", p)
		}
		pids = append(pids, n)
	}
	if err := checkPIDs(pids[0], pids[1:]); err != nil {
		return 0, nil, err
	}
	return pids[0], pids[1:], nil
}

// serverPIDs are every server process the run reads: PID, then ExtraPIDs; none without PID.
func (c *Config) serverPIDs() []int {
	if c.PID == 0 {
		return nil
	}
	return append([]int{c.PID}, c.ExtraPIDs...)
}

// nodeFor is the node (index into the URLs) client idx dials first: idx mod nodes, so that the
// consecutive members of a room sit on different nodes and a room's deliveries cross the
// broker.
func nodeFor(idx, nodes int) int {
	if nodes <= 1 {
		return 0
	}
	return idx % nodes
}

// readServers reads every server process and their sum; the sum's WriteCalls is -1 unless
// every one was read. A process that cannot be read counts as zero and is noted in the errors.
func (r *runner) readServers() (sum ProcSample, each []ProcSample) {
	pids := r.cfg.serverPIDs()
	each = make([]ProcSample, len(pids))
	for i, pid := range pids {
		s, err := ReadProc(pid)
		if err != nil {
			r.stats.sample("server /proc: %v", err)
			s = ProcSample{WriteCalls: -1}
		}
		each[i] = s
		sum.CPU += s.CPU
		sum.RSS += s.RSS
		sum.Threads += s.Threads
		if s.WriteCalls < 0 || sum.WriteCalls < 0 {
			sum.WriteCalls = -1
		} else {
			sum.WriteCalls += s.WriteCalls
		}
	}
	return sum, each
}

// cpuEach is every server process's CPU seconds between two readings; nil for one process.
func cpuEach(before, after []ProcSample) []float64 {
	if len(before) < 2 || len(before) != len(after) {
		return nil
	}
	out := make([]float64, len(before))
	for i := range before {
		out[i] = (after[i].CPU - before[i].CPU).Seconds()
	}
	return out
}

// nodeLatency splits a step's latencies by whether the sender and the receiver were on one
// node or on two (the delivery crossed the broker). It is kept only with several URLs.
type nodeLatency struct {
	shards [histShards]nodeShard
}

type nodeShard struct {
	mu          sync.Mutex
	same, cross *hdrhistogram.Histogram
	_           [32]byte // keep shards on separate cache lines
}

func newNodeLatency() *nodeLatency {
	n := &nodeLatency{}
	for i := range n.shards {
		n.shards[i].same, n.shards[i].cross = newHist(), newHist()
	}
	return n
}

// record adds one latency, to the cross-node histogram if cross.
func (n *nodeLatency) record(shard int, cross bool, lat time.Duration) {
	us := min(max(int64(lat/time.Microsecond), histMin), histMax)
	sh := &n.shards[shard%histShards]
	sh.mu.Lock()
	if cross {
		_ = sh.cross.RecordValue(us)
	} else {
		_ = sh.same.RecordValue(us)
	}
	sh.mu.Unlock()
}

// collect returns the latencies recorded since the last collect, and forgets them.
func (n *nodeLatency) collect() (same, cross Latency) {
	s, c := newHist(), newHist()
	for i := range n.shards {
		sh := &n.shards[i]
		sh.mu.Lock()
		s.Merge(sh.same)
		c.Merge(sh.cross)
		sh.same.Reset()
		sh.cross.Reset()
		sh.mu.Unlock()
	}
	return latencyOf(s), latencyOf(c)
}

// recordNode adds a delivery's latency to the same-node or cross-node histogram: the sender
// is the p-th sender of c's room (c.peers), and each client knows the node it is on.
func (c *client) recordNode(sender int, lat time.Duration) {
	nl := c.r.nodeLat
	if nl == nil || sender < 0 || sender >= len(c.peers) {
		return
	}
	nl.record(c.idx, c.peers[sender].node.Load() != c.node.Load(), lat)
}
