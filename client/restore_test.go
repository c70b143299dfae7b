package client_test

import (
	"context"
	"reflect"
	"sync/atomic"
	"testing"

	"hubbub"
	"hubbub/internal/hub"
	"hubbub/internal/servertest"
	"hubbub/internal/sqlite"
	"hubbub/internal/testwait"
	"hubbub/internal/wire"
)

// countBefore counts the store's Before reads: one per history request.
type countBefore struct {
	hubbub.Store
	n *atomic.Int64
}

func (c countBefore) Before(ctx context.Context, room string, before uint64, limit int) ([]hubbub.Entry, error) {
	c.n.Add(1)
	return c.Store.Before(ctx, room, before, limit)
}

// A session that was behind when its server's store was backed up, and comes back after the
// store was restored from that backup (hubbub restore: the room's seqs jumped a million), gets
// every message once, in order, from a truncated replay and history, with a few history
// requests: paging the jump 200 seqs at a time took 5,000.
func TestSessionCrossesARestoredRoomsJump(t *testing.T) {
	var befores atomic.Int64
	opts := servertest.Options{Hub: hub.Config{MaxReplay: 3},
		WrapStore: func(s hubbub.Store) hubbub.Store { return countBefore{s, &befores} }}
	s := servertest.Start(t, opts)
	p := startProxy(t, s.Addr)
	ctx := testContext(t)
	alice, arec := startSession(t, "alice", p.URL())
	if _, err := alice.Join(ctx, "general"); err != nil {
		t.Fatal(err)
	}
	bob, brec := dialConn(t, ctx, s.WS, "bob")
	if _, err := bob.Join(ctx, "general", nil, 0); err != nil {
		t.Fatal(err)
	}
	sayAll(t, bob, brec, "general", "x-", "m1")
	testwait.Until(t, "alice's first message", func() bool { return len(arec.messages("general")) == 1 })
	p.setDown(true)
	p.cut()
	sayAll(t, bob, brec, "general", "y-", "m2", "m3")

	// The store, restored: its rooms' numbering moved on, as hubbub restore does.
	s.Stop()
	store, err := sqlite.Open(s.Opts.DataPath, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.SkipSeqs(ctx, 1_000_000); err != nil {
		t.Fatal(err)
	}
	if err := store.Close(); err != nil {
		t.Fatal(err)
	}
	s = servertest.Start(t, s.Opts)
	bob, brec = dialConn(t, ctx, s.WS, "bob")
	if _, err := bob.Join(ctx, "general", nil, 0); err != nil {
		t.Fatal(err)
	}
	sayAll(t, bob, brec, "general", "z-", numbered("m", 4, 8)...)

	befores.Store(0)
	p.setDown(false)
	testwait.Until(t, "alice's 8 messages", func() bool { return len(arec.messages("general")) >= 8 })
	if got, want := arec.texts("general"), numbered("m", 1, 8); !reflect.DeepEqual(got, want) {
		t.Errorf("alice saw %q, want %q", got, want)
	}
	if j := events[*wire.Joined](arec); !j[len(j)-1].Truncated {
		t.Errorf("rejoin = %+v, want a truncated replay", j[len(j)-1])
	}
	if n := befores.Load(); n > 100 {
		t.Errorf("alice's session made %d history reads to cross the room's jump, want a few dozen", n)
	}
}
