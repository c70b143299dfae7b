package bench

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"hubbub/internal/fdlimit"
)

// ErrConfig is returned (wrapped) by Run for a configuration it refuses before dialling.
var ErrConfig = errors.New("invalid bench configuration")

// runner is one run's shared state.
type runner struct {
	cfg     Config
	url     string       // the first URL
	urls    []string     // every URL: the nodes the clients are spread over
	nodeLat *nodeLatency // same-node and cross-node latencies (nil with one URL)
	drv     driver
	codec   payloadCodec
	stats   *stats
	dialers []*wsDialer
	overall *hdrhistogram.Histogram // every measured step's latencies
	start   time.Time

	wg       sync.WaitGroup // readers
	stopping atomic.Bool    // closing everything: read and write errors are expected
	conns    atomic.Int64   // live connections

	stormRun atomic.Pointer[stormState] // the storm scenario's state, once it is running

	mu    sync.Mutex
	live  map[*client]struct{}
	phase string
}

// Run performs one benchmark run and returns its report. The report may be non-nil with an
// error, holding what was measured before the failure. Run ends every goroutine and closes
// every connection it opened before it returns.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	if err := checkFDs(&cfg); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	u := cfg.target
	if cfg.PIDAuto {
		cfg.PID, cfg.ExtraPIDs = 0, nil
		for _, t := range cfg.targets {
			pid, err := FindListener(targetPort(t))
			if err != nil {
				return nil, fmt.Errorf("find the server (--pid auto): %w", err)
			}
			if cfg.PID == 0 {
				cfg.PID = pid
			} else if !slices.Contains(cfg.serverPIDs(), pid) { // nodes in one process count once
				cfg.ExtraPIDs = append(cfg.ExtraPIDs, pid)
			}
		}
	}
	for _, pid := range cfg.serverPIDs() {
		if _, err := ReadProc(pid); err != nil {
			return nil, fmt.Errorf("server process %d: %w", pid, err)
		}
	}
	drv := newDriver(&cfg)
	r := &runner{
		cfg: cfg, url: u.String(), drv: drv, codec: newPayloadCodec(), stats: newStats(),
		overall: newHist(), start: time.Now(),
		live: make(map[*client]struct{}),
	}
	r.dialers = newDialers(&cfg, drv.subprotocols(), func() {
		if st := r.stormRun.Load(); st != nil {
			st.connected(time.Now())
		}
	})
	for _, t := range cfg.targets {
		r.urls = append(r.urls, t.String())
	}
	if len(r.urls) > 1 {
		r.nodeLat = newNodeLatency()
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.Deadline)
	defer cancel()

	stopProgress := r.startProgress()
	rep := r.newReport()
	if cfg.PID != 0 && !cfg.PIDAuto { // a process found by its port serves it
		r.checkPIDs(rep)
	}
	var err error
	switch cfg.Scenario {
	case ScenarioIdle:
		err = r.idle(ctx, rep)
	case ScenarioFanout:
		err = r.fanout(ctx, rep)
	case ScenarioRooms:
		err = r.rooms(ctx, rep)
	case ScenarioChurn:
		err = r.churn(ctx, rep)
	case ScenarioIngress:
		err = r.ingress(ctx, rep)
	case ScenarioStorm, ScenarioRolling:
		err = r.storm(ctx, rep)
	}
	stopProgress()
	r.closeAll()
	if err != nil && ctx.Err() != nil && errors.Is(err, context.DeadlineExceeded) {
		err = fmt.Errorf("%w (the run's deadline is %v)", err, cfg.Deadline)
	}
	if err != nil {
		rep.Error = err.Error()
	}
	r.finish(rep)
	return rep, err
}

// checkPIDs checks the i-th server process against the i-th URL (checkPID); the processes
// past the URLs (a cluster's broker) are not checked.
func (r *runner) checkPIDs(rep *Report) {
	for i, pid := range r.cfg.serverPIDs() {
		if i < len(r.cfg.targets) {
			r.checkPID(pid, r.cfg.targets[i], rep)
		}
	}
}

// checkPID adds a warning to rep if the server process does not hold the target's listening
// socket: its CPU and memory would then be some other process's.
func (r *runner) checkPID(pid int, u *url.URL, rep *Report) {
	port := targetPort(u)
	ok, err := ListensOn(pid, port)
	switch {
	case err != nil:
		rep.note(fmt.Sprintf("could not check that process %d serves port %d: %v", pid, port, err))
	case !ok:
		rep.note(fmt.Sprintf("WARNING: process %d does not listen on port %d: the server figures are not the target's", pid, port))
		if r.cfg.Progress != nil {
			fmt.Fprintln(r.cfg.Progress, "bench: "+rep.Notes[len(rep.Notes)-1])
		}
	}
}

// targetPort is the TCP port u is dialled on: its own, or the scheme's (80, or 443 for wss).
func targetPort(u *url.URL) int {
	if port, err := strconv.Atoi(u.Port()); err == nil {
		return port
	}
	if u.Scheme == "wss" {
		return 443
	}
	return 80
}

// checkFDs refuses a run that needs more file descriptors than this process may open.
func checkFDs(cfg *Config) error {
	limit, ok := fdlimit.Open()
	if !ok {
		return nil // not knowing the limit is no reason to refuse
	}
	need := uint64(cfg.connCount()) + 64
	if cfg.Scenario == ScenarioChurn {
		need += uint64(churnInflight(cfg))
	}
	if need > limit {
		return fmt.Errorf("the run needs about %d file descriptors and this process may open %d: lower the connection count or split the load over several generators", need, limit)
	}
	return nil
}

// newClient makes a client that is not yet connected.
func (r *runner) newClient(idx int, room string, sidx, senders int, counted bool) *client {
	c := &client{r: r, idx: idx, room: room, sidx: sidx, counted: counted}
	c.name = "b" + r.codec.run[:6] + "-" + strconv.Itoa(idx)
	c.node.Store(int32(nodeFor(idx, len(r.urls))))
	if counted && senders > 0 {
		c.last = make([]uint64, senders)
	}
	return c
}

func (r *runner) track(c *client) {
	r.mu.Lock()
	r.live[c] = struct{}{}
	r.mu.Unlock()
	r.conns.Add(1)
}

func (r *runner) untrack(c *client) {
	r.mu.Lock()
	_, ok := r.live[c]
	delete(r.live, c)
	r.mu.Unlock()
	if ok {
		r.conns.Add(-1)
	}
}

// closeAll closes every live connection and waits for every reader to end.
func (r *runner) closeAll() {
	r.stopping.Store(true)
	r.mu.Lock()
	cs := make([]*client, 0, len(r.live))
	for c := range r.live {
		cs = append(cs, c)
	}
	r.mu.Unlock()
	for _, c := range cs {
		c.close()
	}
	r.wg.Wait()
}

func (r *runner) setPhase(format string, args ...any) {
	p := fmt.Sprintf(format, args...)
	r.mu.Lock()
	r.phase = p
	r.mu.Unlock()
}

// connectMany connects clients, DialConcurrency at a time. With all set, the first failure
// stops it and is returned; otherwise failures are counted (and dialling gives up after 100).
// It returns how many connected.
func (r *runner) connectMany(ctx context.Context, clients []*client, all bool) (int, int, error) {
	var ok, failed atomic.Int64
	var firstErr error
	var once, stopOnce sync.Once
	stop := make(chan struct{})
	jobs := make(chan *client)
	var wg sync.WaitGroup
	for range min(r.cfg.DialConcurrency, len(clients)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range jobs {
				if err := r.dial(ctx, c); err != nil {
					n := failed.Add(1)
					r.stats.sample("connect: %v", err)
					once.Do(func() { firstErr = err })
					if all || n >= 100 {
						stopOnce.Do(func() { close(stop) })
					}
					continue
				}
				ok.Add(1)
			}
		}()
	}
feed:
	for _, c := range clients {
		select {
		case jobs <- c:
		case <-stop:
			break feed
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	if all && firstErr != nil {
		return int(ok.Load()), int(failed.Load()), fmt.Errorf("%d of %d connections failed (%d connected), first: %w",
			failed.Load(), len(clients), ok.Load(), firstErr)
	}
	if err := ctx.Err(); err != nil {
		return int(ok.Load()), int(failed.Load()), fmt.Errorf("connecting: %w", err)
	}
	return int(ok.Load()), int(failed.Load()), nil
}

// connectAll connects every client or fails, and records the connect time in rep.
func (r *runner) connectAll(ctx context.Context, clients []*client, rep *Report) error {
	r.setPhase("connecting %d", len(clients))
	t0 := time.Now()
	ok, failed, err := r.connectMany(ctx, clients, true)
	rep.setConnect(ok, failed, time.Since(t0))
	return err
}

// awaitReady sends probes (step 0) from probers every half second until want counted members
// have received one: then every member is in its room, which the text protocol does not
// confirm otherwise.
func (r *runner) awaitReady(ctx context.Context, probers []*client, want int) error {
	r.setPhase("waiting until %d members receive a probe", want)
	deadline := time.Now().Add(r.cfg.ReadyTimeout)
	t := time.NewTicker(10 * time.Millisecond)
	defer t.Stop()
	var lastProbe time.Time
	for r.stats.ready.Load() < int64(want) {
		if n := r.stats.disconnects.Load(); n > 0 {
			return fmt.Errorf("%d members lost their connection before every member was in the room (%d of %d ready): %v",
				n, r.stats.ready.Load(), want, r.stats.errorSamples())
		}
		now := time.Now()
		if now.After(deadline) {
			return fmt.Errorf("only %d of %d members received a probe message within %v (errors: %v)",
				r.stats.ready.Load(), want, r.cfg.ReadyTimeout, r.stats.errorSamples())
		}
		if now.Sub(lastProbe) >= 500*time.Millisecond {
			for _, p := range probers {
				if !p.send(0) {
					return fmt.Errorf("probe sender %s: connection lost (%v)", p.name, r.stats.errorSamples())
				}
			}
			lastProbe = now
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for members: %w", ctx.Err())
		case <-t.C:
		}
	}
	return nil
}

// pace sends messages of step from senders at rate messages per second in total, for dur or
// until limit messages (0 = no limit), and returns the step's span (stepSpan). Message k of the step is
// due at k/rate after the start and goes to sender k mod len(senders), so the offered load is
// even in time and across senders: a rate of 100 msgs/s is a message every 10 ms, not a burst
// of several every few ticks. Several pacer goroutines share the senders, each owning every
// n-th sender, so that one slow write does not hold up every sender. Sending is open loop;
// a send more than 100 ms late (or two of its pacer's intervals, if longer) is given up and
// counted as skipped.
func (r *runner) pace(ctx context.Context, step int, senders []*client, rate float64, dur time.Duration, limit int64) time.Duration {
	start := time.Now()
	scheds := paceSchedules(start, rate, dur, limit, len(senders))
	for s := range scheds {
		scheds[s].late = r.cfg.PaceLate
	}
	ends := make([]time.Time, len(scheds))
	var wg sync.WaitGroup
	for s, sched := range scheds {
		var subset []*client
		for i := sched.first; i < len(senders); i += sched.stride {
			subset = append(subset, senders[i])
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			ends[s] = r.paceShard(ctx, step, subset, sched)
		}()
	}
	wg.Wait()
	span := stepSpan(start, ends, rate, dur, limit)
	if ctx.Err() != nil {
		span = min(span, time.Since(start)) // cut short: it spanned only what it ran
	}
	return span
}

// stepSpan is how long a step that started at start offered its load: its whole schedule (dur,
// or until the limit's message would have been due) even when the last message is due just
// before the end, so that messages sent / span is the offered rate, extended to the last send
// of a pacer (ends) that ran late.
func stepSpan(start time.Time, ends []time.Time, rate float64, dur time.Duration, limit int64) time.Duration {
	span := dur
	if limit > 0 {
		span = min(dur, dueAt(limit, rate))
	}
	for _, e := range ends {
		span = max(span, e.Sub(start))
	}
	return span
}

// maxPacers is how many pacer goroutines share a step's senders at most.
const maxPacers = 4

// paceSchedule says when each of one pacer's messages is due. The pacer owns senders first,
// first+stride, … (owned of them); its j-th message is the step's message
// k = (j / owned) × senders + first + (j mod owned) × stride.
type paceSchedule struct {
	start                time.Time
	rate                 float64
	dur                  time.Duration
	limit                int64 // messages in the whole step; 0 = no limit
	senders              int
	first, stride, owned int
	late                 time.Duration // how late a send may be at least (0 = paceLateLimit)
}

// paceSchedules returns the schedules of the pacers that share a step's senders: pacer s
// owns senders s, s+n, s+2n, … of n = min(senders, maxPacers) pacers.
func paceSchedules(start time.Time, rate float64, dur time.Duration, limit int64, senders int) []paceSchedule {
	n := min(senders, maxPacers)
	out := make([]paceSchedule, n)
	for s := range n {
		out[s] = paceSchedule{start: start, rate: rate, dur: dur, limit: limit, senders: senders,
			first: s, stride: n, owned: (senders - s + n - 1) / n}
	}
	return out
}

// slot is which of the pacer's own senders (0 … owned-1) sends its j-th message.
func (p paceSchedule) slot(j int64) int { return int(j % int64(p.owned)) }

// index is the step-wide number of the pacer's j-th message.
func (p paceSchedule) index(j int64) int64 {
	return j/int64(p.owned)*int64(p.senders) + int64(p.first) + int64(p.slot(j)*p.stride)
}

// due is when message k should leave, as an offset from the start.
func (p paceSchedule) due(k int64) time.Duration { return dueAt(k, p.rate) }

// dueAt is when message k of a step paced at rate should leave, as an offset from the start;
// never, for a rate so low that the offset would not fit in a Duration.
func dueAt(k int64, rate float64) time.Duration {
	d := math.Round(float64(k) * float64(time.Second) / rate)
	if d >= math.MaxInt64 {
		return math.MaxInt64
	}
	return time.Duration(d)
}

// paceLateLimit is how late a send may be before it is skipped, unless the pacer's own
// interval is longer (lateLimit): the default of Config.PaceLate.
const paceLateLimit = 100 * time.Millisecond

// lateLimit is how late one of the pacer's sends may be before it is skipped: its late (by
// default paceLateLimit), or two of the pacer's intervals when those are longer, so that a slow
// pacer is not made to skip by one short stall (at most an hour).
func (p paceSchedule) lateLimit() time.Duration {
	late := p.late
	if late <= 0 {
		late = paceLateLimit
	}
	twoIntervals := 2 * float64(time.Second) * float64(p.senders) / (p.rate * float64(p.owned))
	return time.Duration(min(max(twoIntervals, float64(late)), float64(time.Hour)))
}

// paceShard is one pacer goroutine: it sends its messages of step from senders, as p says.
func (r *runner) paceShard(ctx context.Context, step int, senders []*client, p paceSchedule) time.Time {
	return paceLoop(ctx, p,
		func(j int64) bool { return sendFrom(senders, p.slot(j), step) },
		func() { r.stats.skipped.Add(1) })
}

// paceLoop calls send(j) for each of the pacer's messages j when it is due, or skip() instead
// when it is more than its lateLimit late. It ends when the schedule does (dur or the step's
// limit), when send reports false (no sender left), or when ctx ends, and returns the time of
// its last send.
func paceLoop(ctx context.Context, p paceSchedule, send func(j int64) bool, skip func()) time.Time {
	// Below a millisecond between sends, waking per message costs the generator more than it
	// is worth; the pacer then wakes every millisecond and sends what is due.
	minWait := time.Duration(0)
	if p.rate*float64(p.owned)/float64(p.senders) > 1000 {
		minWait = time.Millisecond
	}
	late := p.lateLimit()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	last := p.start
	var j int64
	for {
		el := time.Since(p.start)
		for {
			k := p.index(j)
			d := p.due(k)
			if d >= p.dur || p.limit > 0 && k >= p.limit {
				return last
			}
			if d > el {
				break
			}
			if el-d > late {
				skip()
				j++
				continue
			}
			if !send(j) {
				return last // every sender of this pacer is gone
			}
			j++
			last = time.Now()
			el = last.Sub(p.start) // a slow send makes the next ones late
		}
		timer.Reset(max(p.due(p.index(j))-time.Since(p.start), minWait))
		select {
		case <-ctx.Done():
			return last
		case <-timer.C:
		}
	}
}

// sendFrom sends one message of step from senders[i], or from the next sender still connected
// if that one is gone; it reports false when none is left.
func sendFrom(senders []*client, i, step int) bool {
	for range senders {
		if senders[i].send(step) {
			return true
		}
		i = (i + 1) % len(senders)
	}
	return false
}

// step runs one measured step: send, then wait up to Drain for the deliveries, then compare
// what arrived with sent × receivers. afterSend, if not nil, runs when sending stops.
func (r *runner) step(ctx context.Context, n int, senders []*client, receivers int, rate float64, dur time.Duration, afterSend func()) Step {
	s := r.stats
	s.beginStep(n)
	if r.nodeLat != nil {
		r.nodeLat.collect() // forget what came before the step
	}
	_, each0 := r.readServers()
	srv0, gen0 := r.sample()
	r.setPhase("step %d: %.0f msgs/s", n, rate)
	window := r.pace(ctx, n, senders, rate, dur, int64(r.cfg.StepMessages))
	if afterSend != nil {
		afterSend()
	}
	sent := s.sent[n].Load()
	expected := sent * int64(receivers)
	r.setPhase("step %d: draining", n)
	r.drain(ctx, n, expected)
	srv1, gen1 := r.sample()
	_, each1 := r.readServers()
	h := s.collect()
	r.overall.Merge(h)
	delivered := s.recv[n].Load()

	st := Step{
		N: n, OfferedRate: rate, Seconds: window.Seconds(), Sent: sent, Receivers: receivers,
		Expected: expected, Delivered: delivered, Latency: latencyOf(h),
	}
	if window > 0 {
		st.SentRate = float64(sent) / window.Seconds()
		st.DeliveriesPerSec = float64(delivered) / window.Seconds()
	}
	st.Lost = max(expected-delivered, 0)
	st.Extra = max(delivered-expected, 0)
	if expected > 0 {
		st.DeliveryRatio = float64(delivered) / float64(expected)
	}
	st.GeneratorCPU = (gen1.CPU - gen0.CPU).Seconds()
	st.GeneratorCPUPerM = perMillion(st.GeneratorCPU, delivered)
	if r.nodeLat != nil {
		same, cross := r.nodeLat.collect()
		st.SameNode, st.CrossNode = &same, &cross
	}
	if r.cfg.PID != 0 {
		cpu := (srv1.CPU - srv0.CPU).Seconds()
		st.ServerCPU = &cpu
		st.ServerCPUEach = cpuEach(each0, each1)
		st.ServerCPUPerM = perMillion(cpu, delivered)
		st.ServerRSSKiB = srv1.RSS >> 10
		if srv0.WriteCalls >= 0 && srv1.WriteCalls >= 0 {
			st.ServerWriteCallsPerDelivery = perDelivery(float64(srv1.WriteCalls-srv0.WriteCalls), delivered)
		}
	}
	switch {
	case sent == 0:
		st.Reason = "nothing was sent"
	case st.Lost > 0:
		st.Reason = fmt.Sprintf("%d of %d deliveries lost", st.Lost, expected)
	case st.Latency.P99 > ms(r.cfg.P99Bound):
		st.Reason = fmt.Sprintf("p99 %.1f ms over the %v bound", st.Latency.P99, r.cfg.P99Bound)
	default:
		st.OK = true
	}
	return st
}

// drain waits until step's deliveries reach expected, Drain passes, or ctx ends.
func (r *runner) drain(ctx context.Context, step int, expected int64) {
	deadline := time.Now().Add(r.cfg.Drain)
	t := time.NewTicker(5 * time.Millisecond)
	defer t.Stop()
	for r.stats.recv[step].Load() < expected && time.Now().Before(deadline) {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// sample reads the server's and the generator's CPU and memory; the server's is zero without
// a PID or when it cannot be read.
func (r *runner) sample() (srv, gen ProcSample) {
	gen, err := ReadProc(0)
	if err != nil {
		r.stats.sample("generator /proc: %v", err)
	}
	srv.WriteCalls = -1 // unknown unless read
	if r.cfg.PID != 0 {
		srv, _ = r.readServers()
	}
	return srv, gen
}

// perMillion is cpuSeconds per million deliveries; nil without deliveries.
func perMillion(cpuSeconds float64, deliveries int64) *float64 {
	return perDelivery(cpuSeconds*1e6, deliveries)
}

// perDelivery is x per delivery; nil without deliveries.
func perDelivery(x float64, deliveries int64) *float64 {
	if deliveries <= 0 {
		return nil
	}
	v := x / float64(deliveries)
	return &v
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// startProgress prints a progress line every ProgressEvery until the returned function is
// called; that function waits for the printer to end.
func (r *runner) startProgress() func() {
	if r.cfg.Progress == nil {
		return func() {}
	}
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(r.cfg.ProgressEvery)
		defer t.Stop()
		prevSrv, _ := r.sample()
		prevT := time.Now()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
			}
			srv, gen := r.sample()
			now := time.Now()
			r.mu.Lock()
			phase := r.phase
			r.mu.Unlock()
			s := r.stats
			var sent int64
			for i := 1; i <= MaxSteps; i++ {
				sent += s.sent[i].Load()
			}
			line := fmt.Sprintf("bench %5.1fs %s | conns %d sent %d delivered %d errors %d disconnects %d | gen cpu %.1fs rss %s",
				now.Sub(r.start).Seconds(), phase, r.conns.Load(), sent, s.totalRecv.Load(),
				s.errs.Load()+s.writeErrs.Load(), s.disconnects.Load(), gen.CPU.Seconds(), mib(gen.RSS))
			if r.cfg.PID != 0 {
				pct := 100 * (srv.CPU - prevSrv.CPU).Seconds() / now.Sub(prevT).Seconds()
				line += fmt.Sprintf(" | server cpu %.0f%% rss %s", pct, mib(srv.RSS))
			}
			prevSrv, prevT = srv, now
			fmt.Fprintln(r.cfg.Progress, line)
		}
	}()
	return func() { close(stop); <-done }
}

func mib(b int64) string { return fmt.Sprintf("%.1fMiB", float64(b)/(1<<20)) }
