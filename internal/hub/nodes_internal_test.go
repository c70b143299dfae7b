package hub

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"hubbub"
	"hubbub/internal/inmem"
	"hubbub/internal/sqlite"
	"hubbub/internal/sqlitetest"
	"hubbub/internal/testwait"
)

// lone starts one hub on an in-process broker that the test shares, to play the other nodes
// on it by hand.
func lone(t *testing.T, cfg Config) (*Hub, *inmem.Broker) {
	t.Helper()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	path := filepath.Join(t.TempDir(), "h.db")
	sqlitetest.Fresh(t, path)
	store, err := sqlite.Open(path, sqlite.Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	broker := inmem.NewBroker()
	cfg.Logger, cfg.Node = quiet, "a"
	h := New(cfg, store, broker)
	t.Cleanup(func() { h.Close(); broker.Close(); store.Close() })
	return h, broker
}

// heardOn records what the other nodes see of a room's (or a channel's) events.
type heardOn struct {
	mu  sync.Mutex
	evs []hubbub.Event
}

func listen(t *testing.T, b hubbub.Broker, room string) *heardOn {
	t.Helper()
	h := &heardOn{}
	stop, err := b.Subscribe(room, func(ev hubbub.Event) {
		h.mu.Lock()
		h.evs = append(h.evs, ev)
		h.mu.Unlock()
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	return h
}

// take returns what node published since the last take, as "PresenceReported [ann]" etc.
func (h *heardOn) take(node string) []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for _, ev := range h.evs {
		if ev.Node != node {
			continue
		}
		switch b := ev.Body.(type) {
		case hubbub.PresenceReported:
			out = append(out, fmt.Sprint("PresenceReported ", b.Names))
		case hubbub.PresenceQueried:
			out = append(out, "PresenceQueried "+b.Room)
		default:
			out = append(out, fmt.Sprintf("%T", ev.Body)[len("hubbub."):])
		}
	}
	h.evs = nil
	return out
}

func publish(t *testing.T, b hubbub.Broker, ev hubbub.Event) {
	t.Helper()
	if err := b.Publish(context.Background(), ev); err != nil {
		t.Fatal(err)
	}
}

// A node answers every node's question on the presence channel, on the room asked about: with
// its members where it holds some, else that it holds none. It answers a question on the room
// itself only from a node of the version before: one that also asked on the channel (Queried)
// is answered there alone, once.
func TestEveryQuestionAnsweredOnce(t *testing.T) {
	a, broker := lone(t, Config{PresenceInterval: time.Hour})
	ann := &Member{Name: "ann", Key: "user:ann", UserID: "ann", Out: NewOutbox(1000, nil)}
	if _, err := a.Join(context.Background(), JoinRequest{Room: "r", Member: ann, NoReplay: true}); err != nil {
		t.Fatal(err)
	}
	onR, onElsewhere := listen(t, broker, "r"), listen(t, broker, "elsewhere")
	ask := func(ev hubbub.Event) {
		t.Helper()
		publish(t, broker, ev)
		a.bg.Wait() // answers go out in the background
	}

	ask(hubbub.Event{Room: "r", Node: "new", Body: hubbub.PresenceRequested{Queried: true}})
	if got := onR.take("a"); len(got) != 0 {
		t.Errorf("a question on the room that was asked on the channel too: answered %v there", got)
	}
	ask(hubbub.Event{Room: hubbub.PresenceChannel, Node: "new", Body: hubbub.PresenceQueried{Room: "r"}})
	if got := fmt.Sprint(onR.take("a")); got != "[PresenceReported [ann]]" {
		t.Errorf("the channel's question about r: answered %s, want [PresenceReported [ann]]", got)
	}
	ask(hubbub.Event{Room: hubbub.PresenceChannel, Node: "new", Body: hubbub.PresenceQueried{Room: "elsewhere"}})
	if got := fmt.Sprint(onElsewhere.take("a")); got != "[AbsenceReported]" {
		t.Errorf("the channel's question about a room a does not hold: answered %s, want [AbsenceReported]", got)
	}
	ask(hubbub.Event{Room: "r", Node: "old", Body: hubbub.PresenceRequested{}})
	if got := fmt.Sprint(onR.take("a")); got != "[PresenceReported [ann]]" {
		t.Errorf("the question of a node of the version before: answered %s, want [PresenceReported [ann]]", got)
	}
}

// A node that knows no other yet holds a room's first join until a node announces itself and
// the others it hears, and then until those have answered — counting an answer that came
// before the announcement. Its own announcement, when asked, lists the nodes it hears.
func TestOpeningWaitsForTheNodesTheFirstAnnouncementNames(t *testing.T) {
	a, broker := lone(t, Config{PresenceWait: time.Hour, PresenceInterval: time.Hour})
	channel := listen(t, broker, hubbub.PresenceChannel)
	type joined struct {
		info JoinInfo
		err  error
	}
	done := make(chan joined, 1)
	go func() {
		m := &Member{Name: "ann", Key: "user:ann", UserID: "ann", Out: NewOutbox(1000, nil)}
		info, err := a.Join(context.Background(), JoinRequest{Room: "r", Member: m, NoReplay: true})
		done <- joined{info, err}
	}()
	var asked []string
	testwait.Until(t, "a to ask about r", func() bool {
		asked = append(asked, channel.take("a")...)
		return fmt.Sprint(asked) == "[PresenceQueried r]"
	})

	publish(t, broker, hubbub.Event{Room: "r", Node: "b", Body: hubbub.AbsenceReported{}})
	publish(t, broker, hubbub.Event{Room: hubbub.PresenceChannel, Node: "b", Body: hubbub.NodeAnnounced{Peers: []string{"a", "c"}}})
	select {
	case j := <-done:
		t.Fatalf("the join went before c answered: %+v, %v", j.info, j.err)
	case <-time.After(20 * time.Millisecond):
	}
	publish(t, broker, hubbub.Event{Room: "r", Node: "c", Body: hubbub.PresenceReported{Names: []string{"carol"}}})
	j := <-done
	if j.err != nil || fmt.Sprint(j.info.Members) != "[ann carol]" {
		t.Fatalf("join: %+v, %v; want members [ann carol]", j.info, j.err)
	}

	publish(t, broker, hubbub.Event{Room: hubbub.PresenceChannel, Node: "d", Body: hubbub.NodeAnnounced{Hello: true}})
	a.bg.Wait()
	var said []string
	channel.mu.Lock()
	for _, ev := range channel.evs {
		if b, ok := ev.Body.(hubbub.NodeAnnounced); ok && ev.Node == "a" {
			said = append(said, fmt.Sprint(b.Peers, b.Hello))
		}
	}
	channel.mu.Unlock()
	if fmt.Sprint(said) != "[[b c d] false]" {
		t.Errorf("a's answer to d's hello: %v, want [[b c d] false]", said)
	}
}

// A node that leaves is no longer waited for: a room that opens meanwhile goes at once, even
// after what the node published before its goodbye comes in later (on another queue).
func TestLeavingNodeNotWaitedFor(t *testing.T) {
	a, broker := lone(t, Config{PresenceWait: time.Hour, PresenceInterval: time.Hour})
	publish(t, broker, hubbub.Event{Room: hubbub.PresenceChannel, Node: "b", Body: hubbub.NodeAnnounced{}})
	publish(t, broker, hubbub.Event{Room: hubbub.PresenceChannel, Node: "b", Body: hubbub.NodeAnnounced{Leaving: true}})
	join := func(room string) {
		t.Helper()
		m := &Member{Name: "ann", Key: "user:ann", UserID: "ann", Out: NewOutbox(1000, nil)}
		ctx, cancel := context.WithTimeout(context.Background(), testwait.Timeout)
		defer cancel()
		if _, err := a.Join(ctx, JoinRequest{Room: room, Member: m, NoReplay: true}); err != nil {
			t.Fatalf("join %s after the only other node left: %v", room, err)
		}
	}
	join("r")
	publish(t, broker, hubbub.Event{Room: "r", Node: "b", Body: hubbub.PresenceReported{Names: []string{"bob"}}})
	publish(t, broker, hubbub.Event{Room: "r", Node: "b", Body: hubbub.AbsenceReported{}})
	join("s")
}

// A room that opens is asked about on its own subject too, as the version before asked, only
// while a node of that version may be up: one heard restating a room but never on the
// presence channel.
func TestAsksOnTheRoomOnlyWhileAnOldNodeMayBeUp(t *testing.T) {
	a, broker := lone(t, Config{PresenceInterval: time.Hour})
	join := func(room string) []string {
		t.Helper()
		on := listen(t, broker, room)
		m := &Member{Name: "ann", Key: "user:ann", UserID: "ann", Out: NewOutbox(1000, nil)}
		if _, err := a.Join(context.Background(), JoinRequest{Room: room, Member: m, NoReplay: true}); err != nil {
			t.Fatal(err)
		}
		var asked []string
		for _, said := range on.take("a") {
			if said != "MemberJoined" { // ann's join
				asked = append(asked, said)
			}
		}
		return asked
	}
	publish(t, broker, hubbub.Event{Room: hubbub.PresenceChannel, Node: "new", Body: hubbub.NodeAnnounced{}})
	if got := join("x"); len(got) != 0 {
		t.Errorf("with only a node of this version up, a asked on the room: %v", got)
	}
	publish(t, broker, hubbub.Event{Room: "x", Node: "old", Body: hubbub.PresenceReported{Names: []string{"olga"}}})
	if got := fmt.Sprint(join("y")); got != "[PresenceRequested]" {
		t.Errorf("with a node of the version before up, a said %s on the room, want [PresenceRequested]", got)
	}
}
