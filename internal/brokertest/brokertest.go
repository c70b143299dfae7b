// Package brokertest is the contract suite for hubbub.Broker: every implementation runs
// RunBrokerTests, so the in-process broker and the NATS broker are held to the same rules.
package brokertest

import (
	"context"
	"fmt"
	"reflect"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"hubbub"
	"hubbub/internal/eventtest"
	"hubbub/internal/testwait"
)

// Timeout bounds every wait for an event. Events normally arrive within milliseconds; the
// margin absorbs a loaded CI machine.
const Timeout = testwait.Timeout

// pollInterval is how often a waiting test looks again.
const pollInterval = 2 * time.Millisecond

// RunBrokerTests checks the contract documented on hubbub.Broker.
//
// open is called once per subtest. It returns two brokers that behave as two nodes attached to
// the same bus: what is published on one reaches subscribers on both. An implementation with
// nothing to connect (the in-process broker) returns the same broker twice. open must close the
// brokers when the test ends (t.Cleanup); some subtests close a broker themselves first, so
// the cleanup must tolerate, and may ignore the error of, a second Close.
//
// The subtests run one after another and use distinct rooms, so open may hand out brokers
// that share a bus with other subtests. Every event the suite publishes has Node set, so a
// broker may fill in an empty Node with its own id.
func RunBrokerTests(t *testing.T, open func(t *testing.T) (a, b hubbub.Broker)) {
	t.Run("DeliversLocalAndRemote", func(t *testing.T) { testDeliversLocalAndRemote(t, open) })
	t.Run("SubscribeThenPublishImmediately", func(t *testing.T) { testSubscribeThenPublish(t, open) })
	t.Run("PerPublisherOrder", func(t *testing.T) { testPerPublisherOrder(t, open) })
	t.Run("RoomsIsolated", func(t *testing.T) { testRoomsIsolated(t, open) })
	t.Run("CancelStopsDelivery", func(t *testing.T) { testCancel(t, open) })
	t.Run("SeveralSubscribersPerRoom", func(t *testing.T) { testSeveralSubscribers(t, open) })
	t.Run("HandlerCallsNotConcurrent", func(t *testing.T) { testNotConcurrent(t, open) })
	t.Run("PublishAfterClose", func(t *testing.T) { testClose(t, open) })
	t.Run("EventRoundTrip", func(t *testing.T) { testRoundTrip(t, open) })
	t.Run("LargePresenceWhole", func(t *testing.T) { testLargePresence(t, open) })
}

// roomSeq makes room names unique across subtests, in case open shares a bus between them.
var roomSeq atomic.Int64

// room returns a fresh room name; base must be a valid room name ([A-Za-z0-9._-]).
func room(base string) string {
	return fmt.Sprintf("bt%d.%s", roomSeq.Add(1), base)
}

// recorder is a subscriber that keeps what it receives and notices overlapping handler calls.
type recorder struct {
	// spin, if set, is how many times every handler call yields the processor, to widen any
	// overlap between calls (a sleep would be coarse and slow).
	spin int

	inflight atomic.Int32
	overlap  atomic.Bool

	mu     sync.Mutex
	events []hubbub.Event
}

func (r *recorder) handle(ev hubbub.Event) {
	if r.inflight.Add(1) > 1 {
		r.overlap.Store(true)
	}
	for range r.spin {
		runtime.Gosched()
	}
	r.mu.Lock()
	r.events = append(r.events, ev)
	r.mu.Unlock()
	r.inflight.Add(-1)
}

func (r *recorder) snapshot() []hubbub.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]hubbub.Event(nil), r.events...)
}

// waitFor polls until r holds at least n events and returns them; it fails the test after
// Timeout.
func (r *recorder) waitFor(t testing.TB, what string, n int) []hubbub.Event {
	t.Helper()
	deadline := time.Now().Add(Timeout)
	for {
		evs := r.snapshot()
		if len(evs) >= n {
			return evs
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: got %d events within %v, want %d: %s", what, len(evs), Timeout, n, describe(evs))
		}
		time.Sleep(pollInterval)
	}
}

// waitUntil polls until r has received an event for which match is true, then returns
// everything r received.
func (r *recorder) waitUntil(t testing.TB, what string, match func(hubbub.Event) bool) []hubbub.Event {
	t.Helper()
	deadline := time.Now().Add(Timeout)
	for {
		evs := r.snapshot()
		for _, ev := range evs {
			if match(ev) {
				return evs
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not received within %v; got %s", what, Timeout, describe(evs))
		}
		time.Sleep(pollInterval)
	}
}

func subscribe(t testing.TB, b hubbub.Broker, room string, r *recorder) (cancel func()) {
	t.Helper()
	cancel, err := b.Subscribe(room, r.handle)
	if err != nil {
		t.Fatalf("Subscribe(%q): %v", room, err)
	}
	t.Cleanup(cancel)
	return cancel
}

func publish(t testing.TB, b hubbub.Broker, ev hubbub.Event) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	defer cancel()
	if err := b.Publish(ctx, ev); err != nil {
		t.Fatalf("Publish(%s): %v", describe([]hubbub.Event{ev}), err)
	}
}

// typing returns a small event; its Name carries a label the test looks for.
func typing(room, label, node string) hubbub.Event {
	return hubbub.Event{Room: room, Node: node, Body: hubbub.MemberTyping{Name: label}}
}

// label returns the label of a typing event, "" for another kind.
func label(ev hubbub.Event) string {
	if b, ok := ev.Body.(hubbub.MemberTyping); ok {
		return b.Name
	}
	return ""
}

// message returns a message event whose Seq is seq.
func message(room string, seq uint64, node string) hubbub.Event {
	return hubbub.Event{Room: room, Node: node, Body: hubbub.EntryAppended{Entry: &hubbub.Entry{
		Room: room, Seq: seq, ID: fmt.Sprintf("%s-%d", node, seq), From: node, Text: fmt.Sprint("text ", seq),
		Time: time.Date(2026, 1, 2, 3, 4, 5, int(seq), time.UTC),
	}}}
}

func names(evs []hubbub.Event) []string {
	out := make([]string, len(evs))
	for i, ev := range evs {
		out[i] = label(ev)
	}
	return out
}

func describe(evs []hubbub.Event) string {
	const limit = 10
	s := "["
	for i, ev := range evs {
		if i == limit {
			s += fmt.Sprintf(" … %d more", len(evs)-limit)
			break
		}
		if i > 0 {
			s += " "
		}
		s += fmt.Sprintf("{room=%s node=%q ", ev.Room, ev.Node)
		if m := ev.AppendedEntry(); m != nil {
			s += fmt.Sprintf("message seq=%d}", m.Seq)
		} else {
			s += fmt.Sprintf("%T%+v}", ev.Body, ev.Body)
		}
	}
	return s + "]"
}

func testDeliversLocalAndRemote(t *testing.T, open func(*testing.T) (a, b hubbub.Broker)) {
	a, b := open(t)
	rm := room("both")
	var onA, onB recorder
	subscribe(t, a, rm, &onA)
	subscribe(t, b, rm, &onB)

	publish(t, a, typing(rm, "from-a", "a"))
	publish(t, b, typing(rm, "from-b", "b"))

	for _, c := range []struct {
		node string
		r    *recorder
	}{{"a", &onA}, {"b", &onB}} {
		evs := c.r.waitFor(t, "subscriber on "+c.node, 2)
		got := map[string]int{}
		for _, ev := range evs {
			got[label(ev)]++
		}
		if len(evs) != 2 || got["from-a"] != 1 || got["from-b"] != 1 {
			t.Errorf("subscriber on %s got %v, want from-a and from-b once each", c.node, names(evs))
		}
	}
}

// testSubscribeThenPublish checks that Subscribe does not return before the subscription is
// live everywhere: an event published the moment it returns, from either node, arrives.
func testSubscribeThenPublish(t *testing.T, open func(*testing.T) (a, b hubbub.Broker)) {
	a, b := open(t)
	const rounds = 20
	for i := range rounds {
		rm := room(fmt.Sprint("quick", i))
		var r recorder
		subscribe(t, a, rm, &r)
		from := b
		if i%2 == 1 {
			from = a
		}
		publish(t, from, typing(rm, "first", "x"))
		r.waitFor(t, fmt.Sprintf("round %d", i), 1)
	}
}

func testPerPublisherOrder(t *testing.T, open func(*testing.T) (a, b hubbub.Broker)) {
	a, b := open(t)
	rm := room("order")
	const n = 200
	var onA, onB recorder
	subscribe(t, a, rm, &onA)
	subscribe(t, b, rm, &onB)

	// Both nodes publish at the same time, each from one goroutine; each publisher's events
	// must keep their order, however the two streams interleave.
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	for _, p := range []struct {
		node string
		br   hubbub.Broker
	}{{"a", a}, {"b", b}} {
		wg.Go(func() {
			for i := 1; i <= n; i++ {
				if err := p.br.Publish(context.Background(), message(rm, uint64(i), p.node)); err != nil {
					errs <- fmt.Errorf("publish %d from %s: %w", i, p.node, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}

	for _, c := range []struct {
		node string
		r    *recorder
	}{{"a", &onA}, {"b", &onB}} {
		evs := c.r.waitFor(t, "subscriber on "+c.node, 2*n)
		if len(evs) != 2*n {
			t.Errorf("subscriber on %s got %d events, want %d", c.node, len(evs), 2*n)
		}
		next := map[string]uint64{"a": 1, "b": 1}
		for _, ev := range evs {
			m := ev.AppendedEntry()
			if m == nil {
				t.Fatalf("subscriber on %s got an event without a message: %s", c.node, describe([]hubbub.Event{ev}))
			}
			if m.Seq != next[ev.Node] {
				t.Fatalf("subscriber on %s: from %s got seq %d, want %d", c.node, ev.Node, m.Seq, next[ev.Node])
			}
			next[ev.Node]++
		}
	}
}

// testRoomsIsolated uses names that collide if a broker maps rooms carelessly onto its
// transport: '.' separates NATS subject tokens, and case must matter.
func testRoomsIsolated(t *testing.T, open func(*testing.T) (a, b hubbub.Broker)) {
	a, b := open(t)
	base := room("iso")
	rooms := []string{base, base + ".x", base + "_x", base + "-x", base + ".x.y", base + "x", base + ".X", base + "..x"}
	recs := make([]*recorder, len(rooms))
	for i, rm := range rooms {
		recs[i] = &recorder{}
		subscribe(t, a, rm, recs[i])
	}
	for _, rm := range rooms {
		publish(t, b, typing(rm, rm, "b"))
	}
	// A fence per room: once it is in, an event that leaked from another room would normally
	// be in too.
	for _, rm := range rooms {
		publish(t, b, typing(rm, "fence", "b"))
	}
	for i, rm := range rooms {
		evs := recs[i].waitUntil(t, "fence in room "+rm, func(ev hubbub.Event) bool { return label(ev) == "fence" })
		if want := []string{rm, "fence"}; !reflect.DeepEqual(names(evs), want) {
			t.Errorf("room %q got %q, want %q", rm, names(evs), want)
		}
		for _, ev := range evs {
			if ev.Room != rm {
				t.Errorf("room %q got an event for room %q", rm, ev.Room)
			}
		}
	}
}

func testCancel(t *testing.T, open func(*testing.T) (a, b hubbub.Broker)) {
	a, b := open(t)
	rm := room("cancel")
	var gone, stays, remote recorder
	cancel := subscribe(t, a, rm, &gone)
	subscribe(t, a, rm, &stays)
	subscribe(t, b, rm, &remote)

	publish(t, b, typing(rm, "before", "b"))
	gone.waitFor(t, "before cancel", 1)

	cancel()
	cancel() // idempotent: no panic, no effect on the others

	publish(t, a, typing(rm, "after-a", "a"))
	publish(t, b, typing(rm, "after-b", "b"))
	for _, r := range []*recorder{&stays, &remote} {
		evs := r.waitFor(t, "remaining subscriber", 3)
		if len(evs) != 3 {
			t.Errorf("remaining subscriber got %q, want 3 events", names(evs))
		}
	}
	if evs := gone.snapshot(); !reflect.DeepEqual(names(evs), []string{"before"}) {
		t.Errorf("cancelled subscriber got %q, want only %q", names(evs), "before")
	}
}

func testSeveralSubscribers(t *testing.T, open func(*testing.T) (a, b hubbub.Broker)) {
	a, b := open(t)
	rm := room("many")
	const perNode, n = 3, 20
	var recs []*recorder
	for _, br := range []hubbub.Broker{a, b} {
		for range perNode {
			r := &recorder{}
			recs = append(recs, r)
			subscribe(t, br, rm, r)
		}
	}
	for i := 1; i <= n; i++ {
		from := a
		if i%2 == 0 {
			from = b
		}
		publish(t, from, typing(rm, fmt.Sprint(i), "x"))
	}
	for i, r := range recs {
		evs := r.waitFor(t, fmt.Sprintf("subscriber %d", i), n)
		if len(evs) != n {
			t.Errorf("subscriber %d got %d events, want %d", i, len(evs), n)
		}
		seen := map[string]bool{}
		for _, ev := range evs {
			if seen[label(ev)] {
				t.Errorf("subscriber %d got event %s twice", i, label(ev))
			}
			seen[label(ev)] = true
		}
	}
}

func testNotConcurrent(t *testing.T, open func(*testing.T) (a, b hubbub.Broker)) {
	a, b := open(t)
	rm := room("serial")
	const publishers, each = 4, 50
	onA := &recorder{spin: 20}
	onB := &recorder{spin: 20}
	subscribe(t, a, rm, onA)
	subscribe(t, b, rm, onB)

	var wg sync.WaitGroup
	errs := make(chan error, 2*publishers)
	for _, br := range []hubbub.Broker{a, b} {
		for p := range publishers {
			wg.Go(func() {
				for i := range each {
					if err := br.Publish(context.Background(), typing(rm, fmt.Sprint(p, "-", i), "x")); err != nil {
						errs <- err
						return
					}
				}
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("publish: %v", err)
	}
	const total = 2 * publishers * each
	for node, r := range map[string]*recorder{"a": onA, "b": onB} {
		if evs := r.waitFor(t, "subscriber on "+node, total); len(evs) != total {
			t.Errorf("subscriber on %s got %d events, want %d", node, len(evs), total)
		}
		if r.overlap.Load() {
			t.Errorf("subscriber on %s: handler was called concurrently", node)
		}
	}
}

func testClose(t *testing.T, open func(*testing.T) (a, b hubbub.Broker)) {
	a, b := open(t)
	rm := room("close")
	var onA, onB recorder
	subscribe(t, a, rm, &onA)
	subscribe(t, b, rm, &onB)

	if err := a.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := a.Publish(context.Background(), typing(rm, "after-close", "a")); err == nil {
		t.Error("Publish after Close succeeded, want an error")
	}
	if cancel, err := a.Subscribe(room("close-sub"), func(hubbub.Event) {}); err == nil {
		cancel()
		t.Error("Subscribe after Close succeeded, want an error")
	}

	// If b is a separate node it still works, and a's subscriber no longer receives.
	if a == b {
		return
	}
	publish(t, b, typing(rm, "from-b", "b"))
	onB.waitUntil(t, "b's own event", func(ev hubbub.Event) bool { return label(ev) == "from-b" })
	for _, ev := range onA.snapshot() {
		t.Errorf("subscriber on the closed broker got %s", describe([]hubbub.Event{ev}))
	}
}

// testRoundTrip sends every kind of event with every field set (eventtest.Every), from the
// other node, and expects each to arrive intact: a kind a broker cannot carry fails here.
func testRoundTrip(t *testing.T, open func(*testing.T) (a, b hubbub.Broker)) {
	a, b := open(t)
	rm := room("trip")
	var r recorder
	subscribe(t, a, rm, &r)

	every := eventtest.Every(rm, "node-b")
	eventtest.CheckEvery(t, every)
	sparse := &hubbub.Entry{Room: rm, Seq: 2, ID: "id-2", From: "x", Text: "t", Time: time.Unix(1700000000, 0).UTC()}
	sent := append(every,
		hubbub.Event{Room: rm, Node: "node-b", Body: hubbub.EntryAppended{Entry: sparse}},
		hubbub.Event{Room: rm, Node: "node-b", Body: hubbub.PresenceReported{Names: []string{"alice", "bob"}, Away: []string{"bob"}}},
		hubbub.Event{Room: rm, Node: "node-b", Body: hubbub.SanctionChanged{Sanction: hubbub.Sanction{Room: rm, Name: "eve",
			Kind: hubbub.SanctionMute, Until: time.Date(2026, 2, 3, 5, 0, 0, 0, time.UTC)}}},
	)
	for _, ev := range sent {
		publish(t, b, ev)
	}
	got := r.waitFor(t, "round trip", len(sent))
	if len(got) != len(sent) {
		t.Fatalf("got %d events, want %d: %s", len(got), len(sent), describe(got))
	}
	for i := range sent {
		checkEvent(t, got[i], sent[i])
	}
}

// testLargePresence sends a statement of 40,000 members, 1.3 MB as JSON — past the 1 MB a NATS
// server takes in one message by default — followed by one of a few: the handler gets both,
// whole, in order.
func testLargePresence(t *testing.T, open func(*testing.T) (a, b hubbub.Broker)) {
	a, b := open(t)
	rm := room("crowd")
	var r recorder
	subscribe(t, a, rm, &r)
	big := hubbub.PresenceReported{Names: make([]string, 40000), Order: 41}
	for i := range big.Names {
		big.Names[i] = fmt.Sprintf("member %05d with a longish name", i)
		if i%3 == 0 {
			big.Away = append(big.Away, big.Names[i])
		}
	}
	sent := []hubbub.Event{
		{Room: rm, Node: "node-b", Body: big},
		{Room: rm, Node: "node-b", Body: hubbub.PresenceReported{Names: []string{"ann", "bob"}, Away: []string{"bob"}, Order: 42}},
	}
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	defer cancel()
	for i, ev := range sent {
		if err := b.Publish(ctx, ev); err != nil { // not publish, which would print 40,000 names
			t.Fatalf("Publish of statement %d: %v", i, err)
		}
	}
	got := r.waitFor(t, "both statements", len(sent))
	if len(got) != len(sent) {
		t.Fatalf("got %d events, want %d", len(got), len(sent))
	}
	for i := range sent {
		if !reflect.DeepEqual(got[i], sent[i]) {
			st, _ := got[i].Body.(hubbub.PresenceReported)
			t.Errorf("statement %d arrived as %T of %d names, %d away; want %d names, %d away", i, got[i].Body, len(st.Names), len(st.Away),
				len(sent[i].Body.(hubbub.PresenceReported).Names), len(sent[i].Body.(hubbub.PresenceReported).Away))
		}
	}
}

// checkEvent compares got with want field by field; times must be equal instants in the same
// location.
func checkEvent(t *testing.T, got, want hubbub.Event) {
	t.Helper()
	kind := fmt.Sprintf("%T", want.Body)
	if gm, wm := got.AppendedEntry(), want.AppendedEntry(); gm != nil && wm != nil {
		g, w := *gm, *wm
		if !g.Time.Equal(w.Time) || g.Time.Location().String() != w.Time.Location().String() {
			t.Errorf("%s: Message.Time = %v, want %v", kind, g.Time, w.Time)
		}
		g.Time, w.Time = time.Time{}, time.Time{}
		if !reflect.DeepEqual(g, w) {
			t.Errorf("%s: Message = %+v, want %+v", kind, g, w)
		}
		got.Body, want.Body = nil, nil
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s = %+v, want %+v", kind, got, want)
	}
}
