package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"hubbub/internal/wire"
)

// Storm timing limits.
const (
	// stormBackoffMin and stormBackoffMax bound a reconnecting client's backoff, doubled after
	// every failed attempt and jittered (a wait is between half and all of the backoff).
	stormBackoffMin = 100 * time.Millisecond
	stormBackoffMax = 2 * time.Second
	// stormBucket is the width of one count of Storm.JoinsPer100ms; stormBuckets the most kept.
	stormBucket  = 100 * time.Millisecond
	stormBuckets = 1200
	// stormShedJitter is the most a shed client adds to the server's Retry-After, which has
	// whole seconds only: clients shed in the same instant spread over this much.
	stormShedJitter = time.Second
	// listenPoll is how often the storm dials the target's port while waiting for it to listen.
	listenPoll = 10 * time.Millisecond
)

// Storm is the storm scenario's result: every client of the rooms reconnects when the server
// restarts, and is counted back (joined again) and caught up (it has every message acked
// before the restart).
type Storm struct {
	// Clients and Rooms shape the load; Rate is messages per second sent in all.
	Clients int     `json:"clients"`
	Rooms   int     `json:"rooms"`
	Rate    float64 `json:"rate"`
	// RestartSeconds is from the restart's start (the signal) to the port listening again:
	// the first TCP connection the server accepted after the restart command returned, the
	// storm's probe's or a reconnecting client's, whichever came first (a probe alone can be
	// seconds late: its SYN is dropped like everyone's while the accept queue is full). In a
	// rolling restart, how long the restart command took.
	RestartSeconds float64 `json:"restart_s"`
	// Rolling is set for a rolling restart (ScenarioRolling): one node of several was
	// restarted, and BackSeconds and CaughtUpSeconds are from the signal, the other nodes
	// listening all along. Moved counts the clients that ended on another node than the one
	// they began on.
	Rolling bool `json:"rolling,omitempty"`
	Moved   int  `json:"moved,omitempty"`
	// BackSeconds and CaughtUpSeconds are from the port listening again to the last client
	// joined again, and to the last client holding every message acked before the signal;
	// absent if some client never was.
	BackSeconds     *float64 `json:"back_s,omitempty"`
	CaughtUpSeconds *float64 `json:"caught_up_s,omitempty"`
	// BackoffFloorSeconds is the clients' own share of BackSeconds: from the port listening
	// again to the last client's first attempt at it (a client whose attempt was under way
	// when the port listened tried at once). A client backing off tries again only when its
	// wait, chosen before the server was back, ends — up to stormBackoffMax — so no server
	// could have every client back sooner; BackSeconds minus this is what the server's pace
	// cost. Absent in a rolling restart and when no client reconnected.
	BackoffFloorSeconds *float64 `json:"backoff_floor_s,omitempty"`
	// Back and CaughtUp count the clients that were; Dropped the clients whose connection
	// ended at the restart.
	Dropped  int `json:"dropped"`
	Back     int `json:"back"`
	CaughtUp int `json:"caught_up"`
	// JoinsPer100ms counts the joins completed in each 100 ms from the port listening again
	// (a join completed before it counts in the first).
	JoinsPer100ms []int `json:"joins_per_100ms"`
	// Attempts counts reconnect attempts; Retryable those the server refused with a status or
	// close code that means "try again" (503, 429, 1013), honoured as backoff; Failed the others
	// (a refused or reset connection while the server is down, a handshake error).
	// Shed counts the retryable refusals that carried a Retry-After (the server's admission
	// control, --max-connecting): the client waited that long plus up to stormShedJitter.
	Attempts  int64 `json:"attempts"`
	Retryable int64 `json:"retryable_refusals"`
	Shed      int64 `json:"shed"`
	Failed    int64 `json:"failed_attempts"`
	// Sent, Acked and Unsent count messages: written, acknowledged, and not sent because the
	// client picked was reconnecting.
	Sent   int64 `json:"sent"`
	Acked  int64 `json:"acked"`
	Unsent int64 `json:"unsent"`
	// Lost counts deliveries of acked messages that never reached a member of their room;
	// Duplicated deliveries a member got more than once; UnackedDelivered deliveries of
	// messages whose ack the restart cut off (stored after all; not lost, not expected).
	Lost             int64 `json:"lost"`
	Duplicated       int64 `json:"duplicated"`
	UnackedDelivered int64 `json:"unacked_delivered"`
	// Recovered and NotRecovered are Centrifugo's: the resubscribes that asked to recover from
	// the client's stream position (offset and epoch) and were answered recovered true, or
	// false (the epoch changed — the memory engine's history dies with the process — or the
	// history no longer reaches back). A client with no stream position (history off in the
	// namespace) asks for nothing and counts in neither. What a client not recovered missed is
	// counted lost, and it is not waited for to catch up.
	Recovered    int64 `json:"recovered,omitempty"`
	NotRecovered int64 `json:"not_recovered,omitempty"`
}

// msgKey names one message of a storm run: its room, its sender's index in the room and the
// sender's seq.
type msgKey struct {
	room, sender int
	seq          uint64
}

// stormState is one storm run's shared state.
type stormState struct {
	r       *runner
	members int
	ctx     context.Context // ends the reconnect loops
	// byKeys: a client is caught up when it has every message acked before the signal (its
	// room's signalKeys), not when it has seen the room's seq at the signal; Centrifugo's
	// publish reply carries no offset to compare.
	byKeys bool

	signalled atomic.Bool
	listenAt  atomic.Int64 // unix nanoseconds the port listened again; 0 before
	attempts  atomic.Int64
	retryable atomic.Int64
	shed      atomic.Int64
	failed    atomic.Int64
	drops     atomic.Int64
	recovered atomic.Int64
	unrecov   atomic.Int64

	// armed is when the restart command returned (unix nanoseconds; 0 before): a connection
	// made after it is to the new process. firstConn is the first such connection's time.
	armed, firstConn atomic.Int64

	mu         sync.Mutex
	acked      map[msgKey]struct{}
	deliveries map[msgKey]int32
	dups       int64
	roomTop    []uint64   // per room: highest seq acked
	target     []uint64   // per room: roomTop at the signal
	signalKeys [][]msgKey // per room, byKeys: the messages acked before the signal
	gaveUp     []bool     // per client: its last resubscribe was not recovered (Centrifugo)
	joins      []time.Time
	backAt     []time.Time // per client: when it joined again
	caughtAt   []time.Time // per client: when it was caught up again
}

// attemptSpan is one reconnect attempt: from its dial's start to its end, unix nanoseconds.
type attemptSpan struct{ start, end int64 }

// stormClient is the per-client state of a storm run.
type stormClient struct {
	roomIdx  int
	up       atomic.Bool   // connected and joined: may send
	roomSeq  atomic.Uint64 // highest room seq seen: the next join's since
	waiting  atomic.Bool   // rejoined, not yet caught up
	firstSeq atomic.Uint64 // the seq of its first measured send: earlier ones were probes
	seen     map[msgKey]struct{}
	handedTo bool // the reader handed the client to a reconnect loop
	// tries are its reconnect attempts since the signal, each from its dial's start to its
	// end (stormState.mu): the backoff floor is read from them.
	tries []attemptSpan

	// epoch is the Centrifugo stream epoch its last subscribe was answered with (the
	// connecting goroutine sets it and reads it at the next subscribe; "" with history off).
	epoch string
	// pending maps the id of each Centrifugo publish command in flight to the send's seq, so
	// that its reply counts as the ack; nil for hubbub, whose ack names the send's id.
	pmu     sync.Mutex
	pending map[uint32]uint64
}

// storm connects Rooms × Members clients, has them send Rate messages a second in all, and
// after StormAfter calls Restart; every client whose connection ends reconnects with
// jittered exponential backoff and joins again with since. Sending goes on for Duration.
func (r *runner) storm(ctx context.Context, rep *Report) error {
	cfg := &r.cfg
	n := cfg.Rooms * cfg.Members
	st := &stormState{r: r, members: cfg.Members, acked: map[msgKey]struct{}{}, deliveries: map[msgKey]int32{},
		roomTop: make([]uint64, cfg.Rooms), backAt: make([]time.Time, n), caughtAt: make([]time.Time, n),
		gaveUp: make([]bool, n), byKeys: cfg.Target == TargetCentrifugo}
	sctx, stopReconnects := context.WithCancel(ctx)
	defer stopReconnects()
	st.ctx = sctx
	var all, probers []*client
	for i := range cfg.Rooms {
		room := fmt.Sprintf("%s-%d", cfg.Room, i+1)
		ms := r.roomMembers(i*cfg.Members, room, cfg.Members, 0)
		for _, c := range ms {
			c.storm = &stormClient{roomIdx: i, seen: map[msgKey]struct{}{}}
			if st.byKeys {
				c.storm.pending = map[uint32]uint64{}
			}
			c.storm.firstSeq.Store(math.MaxUint64) // no ack counts until the measured sends
		}
		probers = append(probers, ms[0])
		all = append(all, ms...)
	}
	r.stormRun.Store(st)
	for _, c := range all {
		c.storm.up.Store(true) // before the reader can see it drop
	}
	if err := r.connectAll(ctx, all, rep); err != nil {
		return err
	}
	if err := r.awaitReady(ctx, probers, len(all)); err != nil {
		return err
	}
	for _, c := range all {
		c.wmu.Lock()
		c.storm.firstSeq.Store(c.seq + 1)
		c.wmu.Unlock()
	}
	const step = 1
	r.stats.beginStep(step)
	order := acrossRooms(all, cfg.Members)
	var sent, unsent atomic.Int64
	sendDone := make(chan struct{})
	go func() {
		defer close(sendDone)
		st.send(ctx, order, &sent, &unsent)
	}()

	// The signal.
	r.setPhase("storm: sending before the restart")
	select {
	case <-ctx.Done():
	case <-time.After(cfg.StormAfter):
	}
	t0 := time.Now()
	st.mu.Lock()
	st.target = append([]uint64(nil), st.roomTop...)
	if st.byKeys {
		st.signalKeys = make([][]msgKey, cfg.Rooms)
		for k := range st.acked {
			st.signalKeys[k.room] = append(st.signalKeys[k.room], k)
		}
	}
	st.mu.Unlock()
	st.signalled.Store(true)
	rolling := cfg.Scenario == ScenarioRolling
	if rolling {
		st.heldThrough(all, t0)
	}
	r.setPhase("storm: restarting the server")
	restartErr := cfg.Restart(ctx)
	if restartErr != nil {
		rep.note(fmt.Sprintf("the restart reported: %v", restartErr))
	}
	restarted := time.Now()
	st.armed.Store(restarted.UnixNano())
	listenAt := t0 // rolling: the other nodes listen all along
	if !rolling {
		var err error
		listenAt, err = awaitListen(ctx, net.JoinHostPort(cfg.target.Hostname(), strconv.Itoa(targetPort(cfg.target))), cfg.ReadyTimeout)
		if err != nil {
			stopReconnects()
			<-sendDone
			return fmt.Errorf("after the restart: %w", err)
		}
		if first := st.firstConn.Load(); first != 0 && first < listenAt.UnixNano() {
			listenAt = time.Unix(0, first) // a client got in before the probe did
		}
	}
	st.listenAt.Store(listenAt.UnixNano())
	for _, c := range all { // a client whose connection the restart did not end is back already
		if !rolling && c.storm.up.Load() {
			st.rejoinedIfNotYet(c, listenAt)
		}
	}

	// Back and caught up: wait for every client (at most ReadyTimeout), then for the sending
	// to end, then for the deliveries in flight.
	r.setPhase("storm: waiting for every client")
	deadline := time.Now().Add(cfg.ReadyTimeout)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for ctx.Err() == nil && time.Now().Before(deadline) && st.settledCount() < n {
		select {
		case <-ctx.Done():
		case <-tick.C:
		}
	}
	<-sendDone
	stopReconnects()
	r.setPhase("storm: draining")
	dl := time.Now().Add(cfg.Drain)
	for ctx.Err() == nil && time.Now().Before(dl) && st.lostNow() > 0 {
		select {
		case <-ctx.Done():
		case <-tick.C:
		}
	}
	rep.Storm = st.report(n, cfg, t0, listenAt, sent.Load(), unsent.Load())
	if rolling {
		rep.Storm.rollingResult(all, restarted.Sub(t0), len(r.urls))
	} else {
		rep.Storm.BackoffFloorSeconds = st.floorOf(all, listenAt)
	}
	h := r.stats.collect()
	r.overall.Merge(h)
	return nil
}

// send paces one message every 1/Rate from the next client in order, for Duration; a client
// that is reconnecting is skipped (counted unsent).
func (st *stormState) send(ctx context.Context, order []*client, sent, unsent *atomic.Int64) {
	cfg := &st.r.cfg
	start := time.Now()
	end := start.Add(cfg.Duration)
	interval := time.Duration(float64(time.Second) / cfg.Rate)
	t := time.NewTicker(max(interval, time.Millisecond))
	defer t.Stop()
	var k int64
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		now := time.Now()
		if !now.Before(end) {
			return
		}
		due := int64(now.Sub(start) / interval) // catch up a tick the ticker dropped
		for ; k <= due; k++ {
			c := order[k%int64(len(order))]
			if c.stormSend(1) {
				sent.Add(1)
			} else {
				unsent.Add(1)
			}
		}
	}
}

// stormSend sends one message of step if c is up; the check is made under the write lock,
// which a reconnect takes before it replaces the connection.
func (c *client) stormSend(step int) bool {
	r := c.r
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if !c.storm.up.Load() {
		return false
	}
	c.seq++
	c.pl = r.codec.appendPayload(c.pl[:0], payload{step: step, sender: c.sidx, seq: c.seq, ts: time.Now().UnixNano()}, r.cfg.Size)
	c.out = r.drv.appendSend(c.out[:0], c, c.pl)
	if c.storm.pending != nil {
		c.storm.pmu.Lock()
		c.storm.pending[c.cmdID] = c.seq
		c.storm.pmu.Unlock()
	}
	if err := c.writeLocked(c.out); err != nil {
		c.storm.up.Store(false) // the reader sees the connection end and reconnects
		return false
	}
	r.stats.sent[step].Add(1)
	return true
}

// awaitListen dials hostport every listenPoll until it accepts, and returns when it did.
func awaitListen(ctx context.Context, hostport string, limit time.Duration) (time.Time, error) {
	deadline := time.Now().Add(limit)
	d := net.Dialer{Timeout: time.Second, Control: loopbackOnly}
	for {
		conn, err := d.DialContext(ctx, "tcp", hostport)
		if err == nil {
			at := time.Now()
			conn.Close()
			return at, nil
		}
		if time.Now().After(deadline) {
			return time.Time{}, fmt.Errorf("%s did not listen again within %v: %w", hostport, limit, err)
		}
		select {
		case <-ctx.Done():
			return time.Time{}, ctx.Err()
		case <-time.After(listenPoll):
		}
	}
}

// connected records that a client's TCP connection was accepted at t: after the restart
// command returned, the earliest such time is when the new process was listening at the
// latest.
func (st *stormState) connected(t time.Time) {
	armed := st.armed.Load()
	if armed == 0 || t.UnixNano() < armed {
		return
	}
	for {
		first := st.firstConn.Load()
		if first != 0 && first <= t.UnixNano() || st.firstConn.CompareAndSwap(first, t.UnixNano()) {
			return
		}
	}
}

// dropped is called by c's reader when its connection ended during a storm run: a loop
// reconnects it.
func (st *stormState) dropped(c *client) {
	c.wmu.Lock()
	c.storm.up.Store(false)
	c.wmu.Unlock()
	c.storm.waiting.Store(false)
	if c.storm.pending != nil { // the old connection's replies will never come: unanswered
		c.storm.pmu.Lock()
		clear(c.storm.pending)
		c.storm.pmu.Unlock()
	}
	st.drops.Add(1)
	// A client back and dropped again (by a process still shutting down, or a server full
	// up) is not back any more: Back counts the clients whose last connection joined, and
	// the run waits for this one to join and catch up again.
	st.mu.Lock()
	st.backAt[c.idx], st.caughtAt[c.idx] = time.Time{}, time.Time{}
	st.mu.Unlock()
	st.r.wg.Add(1)
	go func() {
		defer st.r.wg.Done()
		st.reconnect(c)
	}()
}

// reconnect dials c again, with jittered exponential backoff from stormBackoffMin to
// stormBackoffMax, until it joins or the run ends.
func (st *stormState) reconnect(c *client) {
	r := st.r
	backoff := stormBackoffMin
	wait := time.Duration(rand.Int64N(int64(stormBackoffMin))) // spread the first attempts too
	for {
		select {
		case <-st.ctx.Done():
			return
		case <-time.After(wait):
		}
		if r.stopping.Load() {
			return
		}
		st.attempts.Add(1)
		if len(r.urls) > 1 { // a client that knows several nodes tries the next one
			c.node.Store((c.node.Load() + 1) % int32(len(r.urls)))
		}
		c.since = c.storm.roomSeq.Load()
		c.dead.Store(false)
		began := time.Now()
		err := r.dial(st.ctx, c)
		st.tried(c, began, time.Now())
		if err == nil {
			if r.stopping.Load() { // closeAll may have missed it
				c.close()
				return
			}
			c.storm.up.Store(true)
			st.rejoined(c, time.Now())
			return
		}
		var refused *refusedError
		if errors.As(err, &refused) && refused.hasRetryAfter && retryable(err) {
			// The server said when: wait that long, spread by a jitter of our own, and keep
			// the backoff where it was (the server is up, just busy).
			st.retryable.Add(1)
			st.shed.Add(1)
			wait = refused.retryAfter + time.Duration(rand.Int64N(int64(stormShedJitter)))
			continue
		}
		if retryable(err) {
			st.retryable.Add(1)
		} else {
			st.failed.Add(1)
			if st.listenAt.Load() != 0 {
				r.stats.sample("storm reconnect: %v", err)
			}
		}
		wait = backoff/2 + time.Duration(rand.Int64N(int64(backoff/2)+1))
		backoff = min(2*backoff, stormBackoffMax)
	}
}

// tried records one reconnect attempt of c, from its dial's start to its end.
func (st *stormState) tried(c *client, began, ended time.Time) {
	st.mu.Lock()
	c.storm.tries = append(c.storm.tries, attemptSpan{began.UnixNano(), ended.UnixNano()})
	st.mu.Unlock()
}

// floorOf is Storm.BackoffFloorSeconds of clients, nil if none reconnected after listen.
func (st *stormState) floorOf(clients []*client, listen time.Time) *float64 {
	st.mu.Lock()
	defer st.mu.Unlock()
	states := make([]*stormClient, len(clients))
	for i, c := range clients {
		states[i] = c.storm
	}
	floor, ok := backoffFloor(states, listen)
	if !ok {
		return nil
	}
	v := floor.Seconds()
	return &v
}

// backoffFloor is how long after listen the last of clients that reconnected first tried the
// listening port: at listen itself for one whose attempt was under way then, else its first
// attempt begun after it. ok is false if no client made an attempt at or after listen.
func backoffFloor(clients []*stormClient, listen time.Time) (floor time.Duration, ok bool) {
	at := listen.UnixNano()
	for _, c := range clients {
		first := int64(-1)
		for _, a := range c.tries {
			if a.start < at && a.end >= at {
				first = at // trying when the port listened: no wait of its own
				break
			}
			if a.start >= at {
				first = a.start
				break
			}
		}
		if first < 0 {
			continue
		}
		ok = true
		floor = max(floor, time.Duration(first-at))
	}
	return floor, ok
}

// retryable reports whether a failed connect was the server asking to be tried later: an
// HTTP 503 or 429 answer to the upgrade, or a close with 1013 (Try Again Later).
func retryable(err error) bool {
	s := err.Error()
	return strings.Contains(s, "503 ") || strings.Contains(s, "429 ") || strings.Contains(s, "close 1013") ||
		strings.Contains(s, "(1013)") || strings.Contains(s, "websocket: close 1013")
}

// rejoined records c joined again at t, and caught up if its room has nothing it lacks.
func (st *stormState) rejoined(c *client, t time.Time) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.rejoinedLocked(c, t)
}

func (st *stormState) rejoinedLocked(c *client, t time.Time) {
	if !st.signalled.Load() {
		return
	}
	st.joins = append(st.joins, t)
	st.backAt[c.idx] = t
	c.storm.waiting.Store(true)
	st.checkCaughtLocked(c, t)
}

// rejoinedIfNotYet records c joined again at t unless its reconnect loop already did (the
// loops run while the storm waits for the port).
func (st *stormState) rejoinedIfNotYet(c *client, t time.Time) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.backAt[c.idx].IsZero() {
		st.rejoinedLocked(c, t)
	}
}

// checkCaughtLocked records c caught up at t once it has seen its room's seq at the signal
// (byKeys: every message of its room acked before the signal).
func (st *stormState) checkCaughtLocked(c *client, t time.Time) {
	if !c.storm.waiting.Load() {
		return
	}
	if st.byKeys {
		for _, k := range st.signalKeys[c.storm.roomIdx] {
			if _, ok := c.storm.seen[k]; !ok {
				return
			}
		}
	} else if c.storm.roomSeq.Load() < st.target[c.storm.roomIdx] {
		return
	}
	c.storm.waiting.Store(false)
	st.caughtAt[c.idx] = t
}

// settledCount is how many clients are caught up, or back but not recovered (Centrifugo): the
// run waits for no more than these.
func (st *stormState) settledCount() int {
	st.mu.Lock()
	defer st.mu.Unlock()
	n := 0
	for i, t := range st.caughtAt {
		if !t.IsZero() || (st.gaveUp[i] && !st.backAt[i].IsZero()) {
			n++
		}
	}
	return n
}

// resubscribed records a Centrifugo resubscribe that asked to recover, and its answer.
func (st *stormState) resubscribed(c *client, recovered bool) {
	if recovered {
		st.recovered.Add(1)
	} else {
		st.unrecov.Add(1)
	}
	st.mu.Lock()
	st.gaveUp[c.idx] = !recovered
	st.mu.Unlock()
}

// lostNow is how many deliveries of acked messages have not arrived yet.
func (st *stormState) lostNow() int64 {
	st.mu.Lock()
	defer st.mu.Unlock()
	var lost int64
	for k := range st.acked {
		lost += int64(st.members) - int64(min(st.deliveries[k], int32(st.members)))
	}
	return lost
}

// onFrame reads what a storm run needs from a hubbub.v1 frame: a message's room seq (the
// next join's since), and an ack of one of the client's sends.
func (st *stormState) onFrame(c *client, frame []byte) {
	switch {
	case bytes.Contains(frame, messageType):
		if seq, ok := jsonUint(frame, `"seq":`); ok && seq > c.storm.roomSeq.Load() {
			c.storm.roomSeq.Store(seq)
			if c.storm.waiting.Load() {
				st.mu.Lock()
				st.checkCaughtLocked(c, time.Now())
				st.mu.Unlock()
			}
		}
	case bytes.Contains(frame, ackType):
		prefix := fmt.Sprintf(`"id":"%s-%d-`, c.r.codec.run, c.idx)
		own, ok := jsonUint(frame, prefix)
		if !ok || own < c.storm.firstSeq.Load() {
			return
		}
		roomSeq, _ := jsonUint(frame, `"seq":`)
		st.mu.Lock()
		st.acked[msgKey{c.storm.roomIdx, c.sidx, own}] = struct{}{}
		st.roomTop[c.storm.roomIdx] = max(st.roomTop[c.storm.roomIdx], roomSeq)
		st.mu.Unlock()
	}
}

// deliver counts one payload received by c: once per member, duplicates apart.
func (st *stormState) deliver(c *client, p payload) {
	k := msgKey{c.storm.roomIdx, p.sender, p.seq}
	st.mu.Lock()
	defer st.mu.Unlock()
	if _, ok := c.storm.seen[k]; ok {
		st.dups++
		return
	}
	c.storm.seen[k] = struct{}{}
	st.deliveries[k]++
	if st.byKeys && st.signalKeys != nil {
		st.checkCaughtLocked(c, time.Now())
	}
}

// messageType marks a hubbub.v1 message frame.
var messageType = []byte(`"type":"` + wire.TypeMessage + `"`)

// jsonUint reads the unsigned number right after the first key in frame.
func jsonUint(frame []byte, key string) (uint64, bool) {
	i := bytes.Index(frame, []byte(key))
	if i < 0 {
		return 0, false
	}
	rest := frame[i+len(key):]
	j := 0
	for j < len(rest) && rest[j] >= '0' && rest[j] <= '9' {
		j++
	}
	v, err := strconv.ParseUint(string(rest[:j]), 10, 64)
	return v, err == nil
}

// report sums up the run.
func (st *stormState) report(n int, cfg *Config, signal, listen time.Time, sent, unsent int64) *Storm {
	st.mu.Lock()
	defer st.mu.Unlock()
	s := &Storm{Clients: n, Rooms: cfg.Rooms, Rate: cfg.Rate, RestartSeconds: listen.Sub(signal).Seconds(),
		Dropped: int(st.drops.Load()), Attempts: st.attempts.Load(), Retryable: st.retryable.Load(), Shed: st.shed.Load(), Failed: st.failed.Load(),
		Sent: sent, Acked: int64(len(st.acked)), Unsent: unsent, Duplicated: st.dups,
		Recovered: st.recovered.Load(), NotRecovered: st.unrecov.Load()}
	var lastBack, lastCaught time.Time
	for i := range n {
		if b := st.backAt[i]; !b.IsZero() {
			s.Back++
			lastBack = later(lastBack, b)
		}
		if t := st.caughtAt[i]; !t.IsZero() {
			s.CaughtUp++
			lastCaught = later(lastCaught, t)
		}
	}
	if s.Back == n {
		v := max(lastBack.Sub(listen), 0).Seconds()
		s.BackSeconds = &v
	}
	if s.CaughtUp == n {
		v := max(lastCaught.Sub(listen), 0).Seconds()
		s.CaughtUpSeconds = &v
	}
	for _, j := range st.joins {
		b := max(int(j.Sub(listen)/stormBucket), 0)
		if b >= stormBuckets {
			continue
		}
		for len(s.JoinsPer100ms) <= b {
			s.JoinsPer100ms = append(s.JoinsPer100ms, 0)
		}
		s.JoinsPer100ms[b]++
	}
	for k, d := range st.deliveries {
		if _, ok := st.acked[k]; !ok {
			s.UnackedDelivered += int64(d)
		}
	}
	for k := range st.acked {
		s.Lost += int64(st.members) - int64(min(st.deliveries[k], int32(st.members)))
	}
	return s
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
