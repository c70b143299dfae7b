package nats_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	natsgo "github.com/nats-io/nats.go"

	"hubbub"
	"hubbub/internal/nats"
	"hubbub/internal/natstest"
	"hubbub/internal/testwait"
)

// bigStatement is a node's statement of n members of room, every name 30 bytes that JSON
// writes as about 120 (quotes, backslashes, <, > and &), every tenth away.
func bigStatement(room, node string, n int, tag string) hubbub.Event {
	st := hubbub.PresenceReported{}
	for i := range n {
		name := fmt.Sprintf("%s%04d %s", tag, i, strings.Repeat(`<&>"\`, 5))
		st.Names = append(st.Names, name)
		if i%10 == 0 {
			st.Away = append(st.Away, name)
		}
	}
	return hubbub.Event{Room: room, Node: node, Body: st}
}

// wireLog records the raw messages of a subject, as a node of the version before would get
// them: their sizes, and the kind each says it is.
type wireLog struct {
	mu    sync.Mutex
	sizes []int
	kinds []int
}

func watchWire(t *testing.T, url, subject string) *wireLog {
	t.Helper()
	nc, err := natsgo.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	var l wireLog
	if _, err := nc.Subscribe(subject, func(m *natsgo.Msg) {
		var w struct {
			Kind int `json:"kind"`
		}
		_ = json.Unmarshal(m.Data, &w)
		l.mu.Lock()
		l.sizes = append(l.sizes, len(m.Data))
		l.kinds = append(l.kinds, w.Kind)
		l.mu.Unlock()
	}); err != nil {
		t.Fatal(err)
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	return &l
}

func (l *wireLog) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.sizes)
}

// TestPresenceInParts: on a server whose max_payload is 64 KiB, a statement of 2,000 members
// (about 240 KB) reaches the other node whole, as one PresenceReported, where the server
// refused it before. On the wire it went in parts, each under the limit, none of the kind a
// node of the version before reads as a whole statement (5): such a node drops them as a kind
// it does not know. A statement that fits still goes as one message of that kind.
func TestPresenceInParts(t *testing.T) {
	const limit = 64 << 10
	s := natstest.StartWithOptions(t, &server.Options{MaxPayload: limit})
	a := connect(t, s.ClientURL(), testOptions("a"))
	b := connect(t, s.ClientURL(), testOptions("b"))
	wire := watchWire(t, s.ClientURL(), "hubbub.room.big")
	var r recorder
	cancel, err := b.Subscribe("big", r.handle)
	if err != nil {
		t.Fatal(err)
	}
	defer cancel()

	big := bigStatement("big", "a", 2000, "")
	if err := a.Publish(context.Background(), big); err != nil {
		t.Fatalf("Publish of a statement of 2,000 members: %v", err)
	}
	small := bigStatement("big", "a", 3, "small")
	if err := a.Publish(context.Background(), small); err != nil {
		t.Fatal(err)
	}
	testwait.Until(t, "both statements", func() bool {
		r.mu.Lock()
		defer r.mu.Unlock()
		return len(r.events) == 2
	})
	r.mu.Lock()
	defer r.mu.Unlock()
	for i, want := range []hubbub.Event{big, small} {
		if got := r.events[i]; !reflect.DeepEqual(got, want) {
			st, _ := got.Body.(hubbub.PresenceReported)
			t.Errorf("statement %d arrived as %T of %d names, %d away; want %d names, %d away", i, got.Body, len(st.Names), len(st.Away),
				len(want.Body.(hubbub.PresenceReported).Names), len(want.Body.(hubbub.PresenceReported).Away))
		}
	}

	testwait.Until(t, "the small statement on the wire", func() bool {
		wire.mu.Lock()
		defer wire.mu.Unlock()
		return len(wire.kinds) > 0 && wire.kinds[len(wire.kinds)-1] == 5
	})
	wire.mu.Lock()
	defer wire.mu.Unlock()
	parts := len(wire.sizes) - 1
	if parts < 3 {
		t.Errorf("the statement went in %d messages, want several", parts)
	}
	for i := range parts {
		if wire.sizes[i] > limit || wire.kinds[i] == 5 {
			t.Errorf("part %d: %d bytes, kind %d; want at most %d bytes, a kind other than 5", i, wire.sizes[i], wire.kinds[i], limit)
		}
	}
	if last := len(wire.kinds) - 1; wire.kinds[last] != 5 {
		t.Errorf("a statement that fits went as kind %d, want 5", wire.kinds[last])
	}
}

// TestPresenceInPartsConcurrently: statements in parts published at once, from one node, for
// two rooms and twice for one, each reach the subscribers whole: one's parts never mix with
// another's.
func TestPresenceInPartsConcurrently(t *testing.T) {
	s := natstest.StartWithOptions(t, &server.Options{MaxPayload: 64 << 10})
	a := connect(t, s.ClientURL(), testOptions("a"))
	b := connect(t, s.ClientURL(), testOptions("b"))
	sent := map[string][]hubbub.Event{}
	recs := map[string]*recorder{}
	for _, room := range []string{"one", "two"} {
		recs[room] = &recorder{}
		cancel, err := b.Subscribe(room, recs[room].handle)
		if err != nil {
			t.Fatal(err)
		}
		defer cancel()
		for i := range 3 {
			sent[room] = append(sent[room], bigStatement(room, "a", 1000+100*i, fmt.Sprint(room, i)))
		}
	}
	var wg sync.WaitGroup
	for _, evs := range sent {
		for _, ev := range evs {
			wg.Go(func() {
				if err := a.Publish(context.Background(), ev); err != nil {
					t.Error(err)
				}
			})
		}
	}
	wg.Wait()
	for room, r := range recs {
		testwait.Until(t, "the statements of "+room, func() bool {
			r.mu.Lock()
			defer r.mu.Unlock()
			return len(r.events) == len(sent[room])
		})
		r.mu.Lock()
		for _, got := range r.events {
			found := false
			for _, want := range sent[room] {
				found = found || reflect.DeepEqual(got, want)
			}
			if !found {
				st, _ := got.Body.(hubbub.PresenceReported)
				t.Errorf("room %s: a statement of %d names that was not sent", room, len(st.Names))
			}
		}
		r.mu.Unlock()
	}
}

// TestMaxEvent: Options.MaxEvent splits below the server's limit, and one below MinMaxEvent is
// refused at Connect.
func TestMaxEvent(t *testing.T) {
	s := natstest.Start(t) // 1 MB
	opts := testOptions("a")
	opts.MaxEvent = nats.MinMaxEvent - 1
	if b, err := nats.Connect(s.ClientURL(), opts); err == nil {
		_ = b.Close()
		t.Fatalf("Connect with MaxEvent %d: no error", opts.MaxEvent)
	}
	opts.MaxEvent = 16 << 10
	a := connect(t, s.ClientURL(), opts)
	wire := watchWire(t, s.ClientURL(), "hubbub.room.r")
	var r recorder
	cancel, err := a.Subscribe("r", r.handle)
	if err != nil {
		t.Fatal(err)
	}
	defer cancel()
	ev := bigStatement("r", "a", 500, "")
	if err := a.Publish(context.Background(), ev); err != nil {
		t.Fatal(err)
	}
	testwait.Until(t, "the statement", func() bool {
		r.mu.Lock()
		defer r.mu.Unlock()
		return len(r.events) == 1
	})
	r.mu.Lock()
	if !reflect.DeepEqual(r.events[0], ev) {
		t.Errorf("the statement arrived changed")
	}
	r.mu.Unlock()
	testwait.Until(t, "a statement of about 60 KB in parts under MaxEvent 16 KiB", func() bool { return wire.count() >= 4 })
	wire.mu.Lock()
	defer wire.mu.Unlock()
	for i, n := range wire.sizes {
		if n > opts.MaxEvent {
			t.Errorf("part %d: %d bytes, over MaxEvent %d", i, n, opts.MaxEvent)
		}
	}
}

// TestPresenceInPartsUnderASmallMaxPayload: on a server whose max_payload is 2 KiB, a
// statement of about 3 KB — larger than the server takes, smaller than MinMaxEvent — goes in
// parts and reaches the other node whole. Only statements over 4 KiB were split, so this one
// went as one message, which the server refused: the other nodes never heard of that node's
// members of the room.
func TestPresenceInPartsUnderASmallMaxPayload(t *testing.T) {
	const limit = 2 << 10
	s := natstest.StartWithOptions(t, &server.Options{MaxPayload: limit})
	a := connect(t, s.ClientURL(), testOptions("a"))
	b := connect(t, s.ClientURL(), testOptions("b"))
	wire := watchWire(t, s.ClientURL(), "hubbub.room.small")
	var r recorder
	cancel, err := b.Subscribe("small", r.handle)
	if err != nil {
		t.Fatal(err)
	}
	defer cancel()

	ev := bigStatement("small", "a", 25, "")
	st := ev.Body.(hubbub.PresenceReported)
	one, err := json.Marshal(map[string]any{"kind": 5, "room": ev.Room, "node": ev.Node, "names": st.Names, "away": st.Away})
	if err != nil {
		t.Fatal(err)
	}
	if len(one) <= limit || len(one) >= nats.MinMaxEvent {
		t.Fatalf("the statement is %d bytes in one message; the test needs %d to %d", len(one), limit, nats.MinMaxEvent)
	}
	if err := a.Publish(context.Background(), ev); err != nil {
		t.Fatalf("Publish of a statement of %d bytes under a max_payload of %d: %v", len(one), limit, err)
	}
	testwait.Until(t, "the statement", func() bool {
		r.mu.Lock()
		defer r.mu.Unlock()
		return len(r.events) == 1
	})
	r.mu.Lock()
	if !reflect.DeepEqual(r.events[0], ev) {
		t.Errorf("the statement arrived changed: %+v", r.events[0])
	}
	r.mu.Unlock()
	testwait.Until(t, "the statement on the wire in parts", func() bool { return wire.count() >= 2 })
	wire.mu.Lock()
	defer wire.mu.Unlock()
	for i, n := range wire.sizes {
		if n > limit {
			t.Errorf("part %d: %d bytes, over the server's %d", i, n, limit)
		}
	}
}

// TestIncompleteStatementOfADeadNodeDropped: a node dies after the first part of its
// statement (a connection of its own that publishes only that part). The other node drops
// the statement once PartsTimeout has passed, and says so, rather than keep it — up to 64 MB
// per node and room — until its subscription ends: the node is dead and sends no next
// statement, which would end it. A last part that comes after all, long after, makes no
// statement of it.
func TestIncompleteStatementOfADeadNodeDropped(t *testing.T) {
	s := natstest.Start(t)
	var logs logRecorder
	opts := testOptions("b")
	opts.Logger = slog.New(&logs)
	opts.PartsTimeout = 50 * time.Millisecond
	b := connect(t, s.ClientURL(), opts)
	var r recorder
	cancel, err := b.Subscribe("r", r.handle)
	if err != nil {
		t.Fatal(err)
	}
	defer cancel()

	dead, err := natsgo.Connect(s.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	defer dead.Close()
	part := func(i int, names ...string) {
		t.Helper()
		data, err := json.Marshal(map[string]any{"kind": 18, "room": "r", "node": "dead", "statement": 1, "part": i, "parts": 2, "names": names})
		if err != nil {
			t.Fatal(err)
		}
		if err := dead.Publish("hubbub.room.r", data); err != nil {
			t.Fatal(err)
		}
		if err := dead.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	part(0, "ann", "bob")
	testwait.Until(t, "the statement begun by the dead node to be dropped", func() bool {
		return logs.logged("dropping a presence statement whose last part did not come in time")
	})

	part(1, "carol")
	data, err := json.Marshal(map[string]any{"kind": 4, "room": "r", "node": "dead", "name": "after"})
	if err != nil {
		t.Fatal(err)
	}
	if err := dead.Publish("hubbub.room.r", data); err != nil {
		t.Fatal(err)
	}
	testwait.Until(t, "the event after the last part", func() bool {
		r.mu.Lock()
		defer r.mu.Unlock()
		return len(r.events) > 0
	})
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, typing := r.events[0].Body.(hubbub.MemberTyping); !typing || len(r.events) != 1 {
		t.Errorf("after a statement dropped, its last part gave %+v; want nothing before the typing notice", r.events)
	}
}
