package bench

import (
	"testing"
	"time"

	"hubbub/internal/server"
	"hubbub/internal/servertest"
)

// TestIngressCountsAcksAndDeliveries runs closed-loop senders against a real server until a
// message cap: every send is acked, and every acked message reaches every member of its room
// once.
func TestIngressCountsAcksAndDeliveries(t *testing.T) {
	s := startServer(t)
	const rooms, senders, total = 3, 2, 60
	cfg := testConfig(ScenarioIngress, TargetHubbub, s.WS)
	cfg.Rooms, cfg.Senders, cfg.StepMessages = rooms, senders, total
	rep := run(t, cfg)
	checkClean(t, rep)
	in := rep.Ingress
	if in == nil {
		t.Fatalf("no ingress result: %+v", rep)
	}
	if in.Sent != total || in.Acked != total || in.Refused+in.TimedOut+in.AckDuplicates != 0 {
		t.Errorf("sent %d acked %d refused %d unanswered %d duplicate acks %d, want %d sent and acked and nothing else",
			in.Sent, in.Acked, in.Refused, in.TimedOut, in.AckDuplicates, total)
	}
	if in.Lost != 0 || in.Duplicated != 0 || in.Ack.Count != total || in.AckedPerSec <= 0 {
		t.Errorf("lost %d duplicated %d ack latencies %d rate %v, want 0, 0, %d, > 0", in.Lost, in.Duplicated, in.Ack.Count, in.AckedPerSec, total)
	}
	if len(rep.Steps) != 1 || rep.Steps[0].Delivered != total*senders || !rep.Steps[0].OK {
		t.Errorf("steps %+v, want one ok step of %d deliveries", rep.Steps, total*senders)
	}
}

// TestIngressCountsRefusals has the server refuse sends (a send rate of one a second, a burst
// of one): the refusals are counted, not taken for acks, and only acked messages are expected.
func TestIngressCountsRefusals(t *testing.T) {
	s := servertestStart(t, 1, 1)
	cfg := testConfig(ScenarioIngress, TargetHubbub, s.WS)
	cfg.Rooms, cfg.Senders, cfg.StepMessages, cfg.Drain = 1, 1, 5, 2*time.Second
	rep, _ := runAllowingErrors(t, cfg)
	in := rep.Ingress
	if in == nil {
		t.Fatalf("no ingress result: %+v", rep)
	}
	if in.Refused == 0 || in.Acked+in.Refused != in.Sent || in.Lost != 0 || in.Duplicated != 0 {
		t.Errorf("sent %d acked %d refused %d lost %d duplicated %d: want refusals counted apart from acks, nothing lost (%v, %+v)",
			in.Sent, in.Acked, in.Refused, in.Lost, in.Duplicated, rep.Errors, rep.Counters)
	}
}

func TestIngressRefusesOtherTargets(t *testing.T) {
	cfg := testConfig(ScenarioIngress, TargetText, "ws://127.0.0.1:1/ws")
	if _, err := Run(t.Context(), cfg); err == nil {
		t.Fatal("ingress against the text target ran; want a config error")
	}
}

// servertestStart starts a real server whose connections may send rate messages a second
// with a burst of burst.
func servertestStart(t *testing.T, rate float64, burst int) *servertest.Server {
	t.Helper()
	return servertest.Start(t, servertest.Options{Server: server.Config{SendRate: rate, SendBurst: burst}})
}

// runAllowingErrors runs cfg and returns its report whatever the counters say.
func runAllowingErrors(t *testing.T, cfg Config) (*Report, error) {
	t.Helper()
	rep, err := Run(t.Context(), cfg)
	if rep == nil {
		t.Fatalf("Run: %v", err)
	}
	return rep, err
}

// TestIngressTallyKeepsUnansweredApart delivers, through the members' own delivery path, the
// messages of a sender of a room of three: one acked and delivered to all, one acked and
// missed by one member, one acked and delivered twice to one member, one acked and delivered
// twice to one member and not at all to another, and one never answered (its ack timed out)
// but delivered to all. The unanswered one's deliveries are neither duplicates nor make up for
// the missed one (the count as delivered − acked × members said 1 lost, 4 duplicated), and one
// member's second copy does not make up for another's missing one (a count of deliveries per
// message said 3 of 3 for it: nothing lost, nothing duplicated).
func TestIngressTallyKeepsUnansweredApart(t *testing.T) {
	r := &runner{cfg: Config{Scenario: ScenarioIngress}, stats: newStats(), codec: newPayloadCodec(), urls: []string{"ws://127.0.0.1:1/ws"}}
	members := r.roomMembers(0, "r", 3, 0)
	for _, m := range members {
		m.tally = newIngressTally(len(members)) // as ingress gives every member, each a sender
	}
	sender := members[0]
	at := time.Now()
	deliver := func(m *client, seq uint64) {
		m.deliver(payload{step: 1, sender: sender.sidx, seq: seq, ts: at.UnixNano()}, at)
	}
	for _, m := range members {
		deliver(m, 1) // acked, everyone
		deliver(m, 4) // never answered, everyone
	}
	deliver(members[0], 2) // acked, one member misses it
	deliver(members[1], 2)
	for _, m := range members {
		deliver(m, 3) // acked, one member twice
	}
	deliver(members[2], 3)
	deliver(members[0], 5) // acked: member 1 twice, member 2 never
	deliver(members[1], 5)
	deliver(members[1], 5)
	for _, seq := range []uint64{1, 2, 3, 5} {
		sender.tally.ack(seq)
	}
	lost, dup, unacked := tallyIngress(members)
	if lost != 2 || dup != 2 || unacked != 3 {
		t.Errorf("lost %d duplicated %d unanswered delivered %d, want 2, 2, 3", lost, dup, unacked)
	}
}
