package bench

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// roomMembers makes the clients of one room: senders first (sender index 0…senders-1), then
// listeners; every one counts deliveries and checks each sender's order.
func (r *runner) roomMembers(base int, room string, senders, listeners int) []*client {
	out := make([]*client, 0, senders+listeners)
	for i := range senders {
		out = append(out, r.newClient(base+i, room, i, senders, true))
	}
	for i := range listeners {
		out = append(out, r.newClient(base+senders+i, room, -1, senders, true))
	}
	for _, c := range out { // a receiver tells a cross-node delivery by its sender's node
		c.peers = out
	}
	return out
}

// idle opens Conns connections into the room, holds them for Duration and reads the server's
// memory before and after.
func (r *runner) idle(ctx context.Context, rep *Report) error {
	cfg := &r.cfg
	clients := make([]*client, cfg.Conns)
	for i := range clients {
		clients[i] = r.newClient(i, cfg.Room, -1, 0, true)
	}
	srv0, gen0 := r.sample()
	r.setPhase("connecting %d", len(clients))
	t0 := time.Now()
	ok, failed, err := r.connectMany(ctx, clients, false)
	rep.setConnect(ok, failed, time.Since(t0))
	if err != nil {
		return err
	}
	if ok == 0 {
		return fmt.Errorf("no connection succeeded: %v", r.stats.errorSamples())
	}
	holdEnd := time.Now().Add(cfg.Duration)
	settled := time.Now().Add(cfg.Settle)
	peak := srv0.RSS
	t := time.NewTicker(250 * time.Millisecond)
	defer t.Stop()
	// Keep the last second's server CPU readings to tell whether the server went quiet.
	type reading struct {
		at  time.Time
		cpu time.Duration
	}
	var recent []reading
	for now := time.Now(); now.Before(holdEnd); now = time.Now() {
		if now.Before(settled) {
			r.setPhase("holding %d (settling)", ok)
		} else {
			r.setPhase("holding %d", ok)
		}
		select {
		case <-ctx.Done():
			rep.note("the run's deadline ended the hold early")
			holdEnd = now
		case <-t.C:
			srv, _ := r.sample()
			peak = max(peak, srv.RSS)
			recent = append(recent, reading{time.Now(), srv.CPU})
			for len(recent) > 1 && time.Since(recent[0].at) > time.Second {
				recent = recent[1:]
			}
		}
	}
	srv1, gen1 := r.sample()
	id := &Idle{
		Held:                int(r.conns.Load()),
		HoldSeconds:         cfg.Duration.Seconds(),
		GeneratorRSSKiB:     gen1.RSS >> 10,
		GeneratorPerConnKiB: float64(gen1.RSS-gen0.RSS) / 1024 / float64(ok),
	}
	if cfg.PID != 0 {
		id.ServerRSSBeforeKiB = srv0.RSS >> 10
		id.ServerRSSAfterKiB = srv1.RSS >> 10
		id.ServerRSSPeakKiB = max(peak, srv1.RSS) >> 10
		per := float64(srv1.RSS-srv0.RSS) / 1024 / float64(ok)
		id.ServerPerConnKiB = &per
		cpu := (srv1.CPU - srv0.CPU).Seconds()
		id.ServerCPU = &cpu
		if len(recent) > 0 {
			if span := time.Since(recent[0].at); span > 0 {
				pct := 100 * (srv1.CPU - recent[0].cpu).Seconds() / span.Seconds()
				id.ServerCPUPctAtEnd = &pct
				if pct > 10 {
					rep.note(fmt.Sprintf("the server was still busy at the end of the hold (%.0f%% of a core): its memory had not settled; hold longer (--duration)", pct))
				}
			}
		}
	}
	rep.Idle = id
	return nil
}

// oneRoom connects the Senders and Listeners of one room (fanout and churn) and waits until a
// probe reaches every one of them. The senders come first in the result.
func (r *runner) oneRoom(ctx context.Context, rep *Report) ([]*client, error) {
	cfg := &r.cfg
	members := r.roomMembers(0, cfg.Room, cfg.Senders, cfg.Listeners)
	if err := r.connectAll(ctx, members, rep); err != nil {
		return nil, err
	}
	if err := r.awaitReady(ctx, members[:1], len(members)); err != nil {
		return nil, err
	}
	return members, nil
}

// fanout fills one room with Senders and Listeners and steps the offered rate up by
// StepFactor until a step loses a delivery or its p99 passes P99Bound, Steps are done, or the
// rate would pass MaxRate.
func (r *runner) fanout(ctx context.Context, rep *Report) error {
	cfg := &r.cfg
	members, err := r.oneRoom(ctx, rep)
	if err != nil {
		return err
	}
	senders := members[:cfg.Senders]
	rate := cfg.Rate
	for n := 1; n <= cfg.Steps; n++ {
		if ctx.Err() != nil {
			rep.note("the run's deadline stopped the steps")
			break
		}
		st := r.step(ctx, n, senders, len(members), rate, cfg.StepDuration, nil)
		rep.Steps = append(rep.Steps, st)
		if !st.OK {
			if st.Lost > 0 { // give stragglers one more drain, to tell late from lost
				r.setPhase("step %d: waiting for late deliveries", n)
				r.drain(ctx, n, st.Expected)
			}
			break
		}
		if st.SentRate < 0.9*rate && cfg.StepMessages == 0 {
			rep.note(fmt.Sprintf("step %d sent only %.0f of the %.0f msgs/s offered (generator or server back-pressure); stopping", n, st.SentRate, rate))
			break
		}
		if n == cfg.Steps {
			rep.note("every step passed; raise --steps or --rate to find the limit")
			break
		}
		if rate*cfg.StepFactor > cfg.MaxRate {
			rep.note(fmt.Sprintf("stopped at the maximum rate %.0f msgs/s", cfg.MaxRate))
			break
		}
		rate *= cfg.StepFactor
	}
	return nil
}

// rooms runs Rooms rooms of Members members, each member sending MemberRate messages per
// second for Duration, as one measured step.
func (r *runner) rooms(ctx context.Context, rep *Report) error {
	cfg := &r.cfg
	var all, probers []*client
	for i := range cfg.Rooms {
		room := fmt.Sprintf("%s-%d", cfg.Room, i+1)
		ms := r.roomMembers(i*cfg.Members, room, cfg.Members, 0)
		probers = append(probers, ms[0])
		all = append(all, ms...)
	}
	if err := r.connectAll(ctx, all, rep); err != nil {
		return err
	}
	if err := r.awaitReady(ctx, probers, len(all)); err != nil {
		return err
	}
	rate := float64(len(all)) * cfg.MemberRate
	st := r.step(ctx, 1, acrossRooms(all, cfg.Members), cfg.Members, rate, cfg.Duration, nil)
	rep.Steps = append(rep.Steps, st)
	return nil
}

// acrossRooms reorders all, which holds the rooms' members room by room (members each), so
// that consecutive senders belong to different rooms: the first member of every room, then
// the second, and so on. The pacer sends message k from sender k mod senders, so each
// room's members then send at even intervals (a second / members apart at 1 msg/s each)
// instead of one after another, which would hand the server each room's traffic for the
// second as a burst it could write to every member at once.
func acrossRooms(all []*client, members int) []*client {
	rooms := len(all) / members
	out := make([]*client, 0, len(all))
	for j := range members {
		for i := range rooms {
			out = append(out, all[i*members+j])
		}
	}
	return out
}

// churnInflight bounds the churning connections open at once.
func churnInflight(cfg *Config) int {
	n := int(cfg.ChurnRate*(cfg.ChurnHold+cfg.HandshakeTimeout).Seconds()) + 1
	return min(n, 5000)
}

// churn has a room of Senders and Listeners chat at Rate for Duration while ChurnRate other
// clients per second connect to the room, stay ChurnHold and leave. Deliveries are counted at
// the stable members only; the churners' connects are counted and timed.
func (r *runner) churn(ctx context.Context, rep *Report) error {
	cfg := &r.cfg
	members, err := r.oneRoom(ctx, rep)
	if err != nil {
		return err
	}
	ch := &churnState{hist: newHist()}
	cctx, stopChurn := context.WithCancel(ctx)
	defer stopChurn()
	var spawner sync.WaitGroup
	spawner.Add(1)
	go func() {
		defer spawner.Done()
		r.spawnChurners(cctx, ctx, ch, len(members))
	}()
	stop := func() {
		stopChurn()
		spawner.Wait()
		ch.wg.Wait()
	}
	st := r.step(ctx, 1, members[:cfg.Senders], len(members), cfg.Rate, cfg.Duration, stop)
	rep.Steps = append(rep.Steps, st)
	ch.mu.Lock()
	rep.Churn = &Churn{
		Rate: cfg.ChurnRate, HoldSeconds: cfg.ChurnHold.Seconds(),
		Attempted: ch.attempted.Load(), Connected: ch.connected.Load(), Failed: ch.failed.Load(),
		Skipped: ch.skipped.Load(), DroppedEarly: ch.dropped.Load(), Connect: latencyOf(ch.hist),
		Deliveries: r.stats.sideRecv.Load(),
	}
	ch.mu.Unlock()
	return nil
}

// churnState counts one churn run.
type churnState struct {
	wg                                             sync.WaitGroup
	attempted, connected, failed, skipped, dropped atomic.Int64
	mu                                             sync.Mutex
	hist                                           *hdrHist
}

// spawnChurners starts a churner every 1/ChurnRate until ctx ends. Churners run under
// runCtx, so the last ones finish their cycle (connect, hold, close) after spawning stops.
func (r *runner) spawnChurners(ctx, runCtx context.Context, ch *churnState, base int) {
	cfg := &r.cfg
	t := time.NewTicker(time.Duration(float64(time.Second) / cfg.ChurnRate))
	defer t.Stop()
	limit := int64(churnInflight(cfg))
	var inflight atomic.Int64
	for k := 0; ; k++ {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if inflight.Load() >= limit {
			ch.skipped.Add(1)
			continue
		}
		inflight.Add(1)
		ch.attempted.Add(1)
		ch.wg.Add(1)
		c := r.newClient(base+k, cfg.Room, -1, 0, false)
		c.name = "c" + r.codec.run[:6] + "-" + fmt.Sprint(k)
		go func() {
			defer ch.wg.Done()
			defer inflight.Add(-1)
			r.churnOne(runCtx, ch, c)
		}()
	}
}

// churnOne connects c, keeps it ChurnHold (or until ctx ends), and closes it.
func (r *runner) churnOne(ctx context.Context, ch *churnState, c *client) {
	t0 := time.Now()
	if err := r.dial(ctx, c); err != nil {
		if ctx.Err() == nil {
			ch.failed.Add(1)
			r.stats.sample("churn connect: %v", err)
		}
		return
	}
	ch.connected.Add(1)
	lat := time.Since(t0)
	ch.mu.Lock()
	_ = ch.hist.RecordValue(min(max(int64(lat/time.Microsecond), histMin), histMax))
	ch.mu.Unlock()
	hold := time.NewTimer(r.cfg.ChurnHold)
	select {
	case <-ctx.Done():
	case <-hold.C:
	}
	hold.Stop()
	if c.dead.Load() {
		ch.dropped.Add(1)
	}
	c.close()
}
