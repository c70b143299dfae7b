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

// TestBusyRoomRestatedEveryOtherTick drives two nodes' presence ticks by hand: a node restates
// a room after a change, and after a tick in which it published nothing there; it skips a tick
// in which it published and nothing changed, but never two in a row (nodes of the version
// before count only restatements as signs of life). The other node keeps the members of a node
// it heard from since the cutoff, by any event, and expires them once it has heard nothing.
func TestBusyRoomRestatedEveryOtherTick(t *testing.T) {
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	path := filepath.Join(t.TempDir(), "h.db")
	sqlitetest.Fresh(t, path)
	store, err := sqlite.Open(path, sqlite.Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	broker := inmem.NewBroker()
	cfg := Config{Logger: quiet, PresenceInterval: time.Hour} // no tick but the test's
	cfg.Node = "a"
	a := New(cfg, store, broker)
	cfg.Node = "b"
	b := New(cfg, store, broker)
	t.Cleanup(func() { a.Close(); b.Close(); broker.Close(); store.Close() })

	var mu sync.Mutex
	restated := 0
	stop, err := broker.Subscribe("r", func(ev hubbub.Event) {
		if _, ok := ev.Body.(hubbub.PresenceReported); ok && ev.Node == "a" {
			mu.Lock()
			restated++
			mu.Unlock()
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	count := func() int {
		mu.Lock()
		defer mu.Unlock()
		return restated
	}

	ctx := context.Background()
	for _, j := range []struct {
		h    *Hub
		name string
	}{{a, "ann"}, {b, "bob"}} {
		m := &Member{Name: j.name, Key: "user:" + j.name, UserID: j.name, Out: NewOutbox(1000, nil)}
		if _, err := j.h.Join(ctx, JoinRequest{Room: "r", Member: m, NoReplay: true}); err != nil {
			t.Fatal(err)
		}
	}
	testwait.Until(t, "b to see ann", func() bool { return fmt.Sprint(b.Members("r")) == "[ann bob]" })
	a.bg.Wait() // a's answer to b's question, a restatement outside the ticks
	send := func() {
		t.Helper()
		if _, _, err := a.Send(ctx, &hubbub.Entry{Room: "r", From: "ann", User: "ann", Text: "hi"}); err != nil {
			t.Fatal(err)
		}
	}

	for i, step := range []struct {
		send    bool
		restate bool
	}{
		{false, true}, // ann joined since the last tick
		{true, false}, // a spoke, nothing changed
		{true, true},  // the same, but the last tick skipped
		{false, true}, // a said nothing
		{true, false},
	} {
		if step.send {
			send()
		}
		before := count()
		a.presenceTick(time.Now())
		if got := count() - before; got != map[bool]int{false: 0, true: 1}[step.restate] {
			t.Fatalf("tick %d (sent: %v): %d restatements, want restate = %v", i+1, step.send, got, step.restate)
		}
	}

	// b last heard a's restatement before mid, and a message after it: a's members stay.
	mid := time.Now()
	for !time.Now().After(mid) {
	}
	send()
	b.presenceTick(mid.Add(cfg.withDefaults().PresenceExpiry))
	if got := fmt.Sprint(b.Members("r")); got != "[ann bob]" {
		t.Fatalf("b expired a's members it heard from since the cutoff: members %s", got)
	}
	b.presenceTick(time.Now().Add(cfg.withDefaults().PresenceExpiry + time.Second))
	if got := fmt.Sprint(b.Members("r")); got != "[bob]" {
		t.Fatalf("b kept a's members past the expiry: members %s", got)
	}
}

// A restatement that says what the last one did changes nothing and allocates nothing; one
// that differs in a name or in who is away is applied and announced.
func TestUnchangedRestatementAllocatesNothing(t *testing.T) {
	a, _ := lone(t, Config{PresenceInterval: time.Hour})
	out := NewOutbox(1000, nil)
	m := &Member{Name: "ann", Key: "user:ann", UserID: "ann", Out: out}
	if _, err := a.Join(context.Background(), JoinRequest{Room: "r", Member: m, NoReplay: true}); err != nil {
		t.Fatal(err)
	}
	r := a.lookup("r")
	names := make([]string, 1000)
	for i := range names {
		names[i] = fmt.Sprintf("user%04d", i)
	}
	report := func(names, away []string) hubbub.Event {
		return hubbub.Event{Room: "r", Node: "b", Body: hubbub.PresenceReported{Names: names, Away: away}}
	}
	r.onEvent(report(names, []string{"user0007"}))
	if got := a.MemberStates("r"); len(got) != 1001 || got["user0007"] != StateAway {
		t.Fatalf("after b's first restatement: %d states, user0007 %q", len(got), got["user0007"])
	}
	same := report(names, []string{"user0007"})
	if n := testing.AllocsPerRun(100, func() { r.onEvent(same) }); n != 0 {
		t.Errorf("an unchanged restatement of 1000 names: %v allocations, want 0", n)
	}
	for _, c := range []struct {
		what        string
		names, away []string
		state       string // of user0007 after it
	}{
		{"back", names, nil, StateOnline},
		{"away again", names, []string{"user0007"}, StateAway},
		{"a name listed twice for one gone", append(append([]string{}, names[:999]...), names[998]), []string{"user0007"}, StateAway},
	} {
		r.onEvent(report(c.names, c.away))
		got := a.MemberStates("r")
		if got["user0007"] != c.state {
			t.Errorf("%s: user0007 %q, want %q", c.what, got["user0007"], c.state)
		}
		if c.what == "a name listed twice for one gone" && got["user0999"] != "" {
			t.Errorf("%s: user0999 still %q", c.what, got["user0999"])
		}
	}
}
