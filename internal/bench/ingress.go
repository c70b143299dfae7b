package bench

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"hubbub/internal/wire"
)

// ackResult is what the server answered one send of the ingress scenario: an ack, or an
// error frame naming the send's id.
type ackResult struct {
	seq       uint64 // the send's seq (its id's last part)
	ok        bool
	duplicate bool
}

// Ingress is the ingress scenario's result: closed-loop senders, each sending its next message
// as soon as the previous one is acknowledged.
type Ingress struct {
	// Rooms and SendersPerRoom shape the load.
	Rooms          int `json:"rooms"`
	SendersPerRoom int `json:"senders_per_room"`
	// Sent counts sends written; Acked those the server acknowledged as stored; Refused those
	// it answered with an error frame; TimedOut those with no answer within AckTimeout (the
	// sender then stops); AckDuplicates acks that said the id was stored before (none should).
	Sent          int64 `json:"sent"`
	Acked         int64 `json:"acked"`
	Refused       int64 `json:"refused"`
	TimedOut      int64 `json:"timed_out"`
	AckDuplicates int64 `json:"ack_duplicates"`
	// Seconds is the sending time; AckedPerSec is Acked / Seconds.
	Seconds     float64 `json:"seconds"`
	AckedPerSec float64 `json:"acked_per_s"`
	// Ack is the time from writing a send to reading its ack.
	Ack Latency `json:"ack_latency"`
	// Lost and Duplicated count, per acked message and member of its room (the senders
	// themselves), the members that did not get it and the deliveries past one.
	// UnackedDelivered counts the deliveries of sends never answered (past the ack timeout, or
	// the run's deadline): stored after all, so neither lost nor duplicated, and not expected.
	Lost             int64 `json:"lost"`
	Duplicated       int64 `json:"duplicated"`
	UnackedDelivered int64 `json:"unacked_delivered"`
}

// ingressTally is one ingress sender's account of its messages: how many times each member
// of its room (itself included) got each of them, and which were acked. Counted per member and
// message, so that one member's duplicate cannot hide another's loss. The members' readers and
// the sender write it, so it has its own lock.
type ingressTally struct {
	mu      sync.Mutex
	members int                // the room's members, each with its index among them
	got     map[uint64][]int32 // the sender's seq → deliveries to each member
	strays  map[uint64]int32   // the sender's seq → deliveries to no known member (a bug)
	acked   map[uint64]struct{}
}

func newIngressTally(members int) *ingressTally {
	return &ingressTally{members: members, got: map[uint64][]int32{}, strays: map[uint64]int32{}, acked: map[uint64]struct{}{}}
}

// delivered counts one delivery of the sender's message seq to the member of index member.
func (t *ingressTally) delivered(seq uint64, member int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if member < 0 || member >= t.members {
		t.strays[seq]++
		return
	}
	n := t.got[seq]
	if n == nil {
		n = make([]int32, t.members)
		t.got[seq] = n
	}
	n[member]++
}

func (t *ingressTally) ack(seq uint64) {
	t.mu.Lock()
	t.acked[seq] = struct{}{}
	t.mu.Unlock()
}

// count compares, for each acked message, each member's deliveries with one: the members that
// missed it, and the deliveries past one per member (a delivery to no known member is past
// one too); and it counts the deliveries of messages never acked.
func (t *ingressTally) count() (lost, dup, unacked int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for seq := range t.acked {
		n := t.got[seq]
		for m := range t.members {
			var k int32
			if n != nil {
				k = n[m]
			}
			if k == 0 {
				lost++
			}
			dup += int64(max(k-1, 0))
		}
		dup += int64(t.strays[seq])
	}
	for seq, n := range t.got {
		if _, ok := t.acked[seq]; !ok {
			for _, k := range n {
				unacked += int64(k)
			}
		}
	}
	for seq, k := range t.strays {
		if _, ok := t.acked[seq]; !ok {
			unacked += int64(k)
		}
	}
	return lost, dup, unacked
}

// tallyIngress sums every sender's count.
func tallyIngress(all []*client) (lost, dup, unacked int64) {
	for _, c := range all {
		l, d, u := c.tally.count()
		lost, dup, unacked = lost+l, dup+d, unacked+u
	}
	return lost, dup, unacked
}

// ackTimeout bounds the wait for one ack in the ingress scenario.
func (c *Config) ackTimeout() time.Duration { return max(c.WriteTimeout, 10*time.Second) }

// ingress puts Senders senders in each of Rooms rooms; each sends its next message as soon as
// the previous one is acknowledged, for Duration or until StepMessages messages in all (0 =
// no cap). Every sender is a member of its room, so each acked message is expected at Senders
// members; what arrives is counted as in every other scenario.
func (r *runner) ingress(ctx context.Context, rep *Report) error {
	cfg := &r.cfg
	var all, probers []*client
	for i := range cfg.Rooms {
		room := fmt.Sprintf("%s-%d", cfg.Room, i+1)
		ms := r.roomMembers(i*cfg.Senders, room, cfg.Senders, 0)
		for _, c := range ms {
			c.acks = make(chan ackResult, 4)
			c.tally = newIngressTally(len(ms))
		}
		probers = append(probers, ms[0])
		all = append(all, ms...)
	}
	if err := r.connectAll(ctx, all, rep); err != nil {
		return err
	}
	if err := r.awaitReady(ctx, probers, len(all)); err != nil {
		return err
	}

	const step = 1
	s := r.stats
	s.beginStep(step)
	srv0, gen0 := r.sample()
	r.setPhase("ingress: %d senders in %d rooms", len(all), cfg.Rooms)
	in := &Ingress{Rooms: cfg.Rooms, SendersPerRoom: cfg.Senders}
	var acked, refused, timedOut, dups, sent atomic.Int64
	budget := int64(cfg.StepMessages)
	var claimed atomic.Int64
	ackHist := newHist()
	var ackMu sync.Mutex
	sctx, cancel := context.WithTimeout(ctx, cfg.Duration)
	defer cancel()
	start := time.Now()
	var wg sync.WaitGroup
	for _, c := range all {
		wg.Add(1)
		go func() {
			defer wg.Done()
			timer := time.NewTimer(time.Hour)
			defer timer.Stop()
			for sctx.Err() == nil {
				if budget > 0 && claimed.Add(1) > budget {
					return
				}
			drop: // answers to earlier sends must not take the room of this one's
				for {
					select {
					case <-c.acks:
					default:
						break drop
					}
				}
				t0 := time.Now()
				if !c.send(step) {
					return
				}
				sent.Add(1)
				c.wmu.Lock()
				seq := c.seq
				c.wmu.Unlock()
				timer.Reset(cfg.ackTimeout())
			wait:
				select {
				case a := <-c.acks:
					if a.seq != seq { // a late answer to an earlier send (a probe's)
						goto wait
					}
					if !a.ok {
						refused.Add(1)
						continue
					}
					acked.Add(1)
					c.tally.ack(seq)
					if a.duplicate {
						dups.Add(1)
					}
					lat := time.Since(t0)
					ackMu.Lock()
					_ = ackHist.RecordValue(min(max(int64(lat/time.Microsecond), histMin), histMax))
					ackMu.Unlock()
				case <-timer.C:
					timedOut.Add(1)
					s.sample("ingress: no ack within %v", cfg.ackTimeout())
					return
				case <-ctx.Done(): // the run's deadline, not the end of sending: wait no more
					return
				}
			}
		}()
	}
	wg.Wait()
	window := time.Since(start)
	expected := acked.Load() * int64(cfg.Senders)
	r.setPhase("ingress: draining")
	drainUntil(ctx, cfg.Drain, func() bool { l, _, _ := tallyIngress(all); return l == 0 })
	srv1, gen1 := r.sample()
	h := s.collect()
	r.overall.Merge(h)
	delivered := s.recv[step].Load()

	in.Sent, in.Acked, in.Refused, in.TimedOut, in.AckDuplicates = sent.Load(), acked.Load(), refused.Load(), timedOut.Load(), dups.Load()
	in.Seconds = window.Seconds()
	if window > 0 {
		in.AckedPerSec = float64(in.Acked) / window.Seconds()
	}
	in.Ack = latencyOf(ackHist)
	// Counted per message and member, not as delivered − acked × senders: a send never
	// answered is delivered all the same, and those deliveries are neither duplicates nor make
	// up for a lost one; nor does one member's second copy make up for another's missing one.
	in.Lost, in.Duplicated, in.UnackedDelivered = tallyIngress(all)
	rep.Ingress = in

	st := Step{N: step, Seconds: window.Seconds(), Sent: in.Acked, Receivers: cfg.Senders, Expected: expected,
		Delivered: delivered, Latency: latencyOf(h), Lost: in.Lost, Extra: in.Duplicated}
	if window > 0 {
		st.SentRate = in.AckedPerSec
		st.DeliveriesPerSec = float64(delivered) / window.Seconds()
	}
	if expected > 0 {
		st.DeliveryRatio = float64(expected-in.Lost) / float64(expected) // of the acked messages
	}
	st.GeneratorCPU = (gen1.CPU - gen0.CPU).Seconds()
	st.GeneratorCPUPerM = perMillion(st.GeneratorCPU, delivered)
	if cfg.PID != 0 {
		cpu := (srv1.CPU - srv0.CPU).Seconds()
		st.ServerCPU = &cpu
		st.ServerCPUPerM = perMillion(cpu, delivered)
		st.ServerRSSKiB = srv1.RSS >> 10
	}
	switch {
	case in.Acked == 0:
		st.Reason = "nothing was acknowledged"
	case st.Lost > 0:
		st.Reason = fmt.Sprintf("%d of %d deliveries lost", st.Lost, expected)
	case in.TimedOut > 0:
		st.Reason = fmt.Sprintf("%d sends were never answered", in.TimedOut)
	default:
		st.OK = true
	}
	rep.Steps = append(rep.Steps, st)
	return nil
}

// drainUntil waits up to limit (or ctx's end) for done to report true.
func drainUntil(ctx context.Context, limit time.Duration, done func() bool) {
	deadline := time.Now().Add(limit)
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for !done() && time.Now().Before(deadline) {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// ackType marks a hubbub.v1 ack frame.
var ackType = []byte(`"type":"` + wire.TypeAck + `"`)

// onAck passes a hubbub.v1 ack, or an error frame, that answers the client's last send to its
// ingress sender, if it has one; an answer to an earlier send (a probe's) is not passed on.
func (c *client) onAck(frame []byte) {
	if c.acks == nil {
		return
	}
	c.wmu.Lock()
	seq := c.seq
	c.wmu.Unlock()
	id := fmt.Appendf(nil, `"id":"%s-%d-%d"`, c.r.codec.run, c.idx, seq)
	if !bytes.Contains(frame, id) {
		return
	}
	a := ackResult{seq: seq}
	switch {
	case bytes.Contains(frame, ackType):
		a.ok, a.duplicate = true, bytes.Contains(frame, []byte(`"duplicate":true`))
	case bytes.Contains(frame, errorType):
	default:
		return
	}
	select {
	case c.acks <- a:
	default: // nobody waits (a probe's ack): drop it
	}
}
