package client_test

import (
	"testing"
	"time"

	"hubbub"
	"hubbub/client"
	"hubbub/internal/hub"
	"hubbub/internal/servertest"
	"hubbub/internal/testwait"
	"hubbub/internal/wire"
)

// A ban made while alice was away is an entry of the room's log: her session's rejoin with
// since replays it as a SanctionChanged before the message that followed it (not counted by
// joined.replay, which clients from before it count by the kinds they know), and sends that
// reach the room after the rejoin are answered: the session's since moved past it.
func TestSessionReplaysASanctionMadeWhileAway(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
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
	sayAll(t, bob, brec, "general", "b1-", "before")
	testwait.Until(t, "alice's first message", func() bool { return len(arec.messages("general")) == 1 })

	p.setDown(true)
	p.cut()
	testwait.Until(t, "alice away", func() bool { return len(events[*client.Disconnected](arec)) == 1 })
	carol := servertest.DialJSON(t, s, "carol")
	if err := s.Hub.Sanction(ctx, hub.Actor{Log: "test", Name: "mod"}, hubbub.Sanction{Room: "general", User: carol.User, Name: "carol",
		Kind: hubbub.SanctionMute, Until: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	sayAll(t, bob, brec, "general", "b2-", "after")
	p.setDown(false)

	testwait.Until(t, "alice back in general", func() bool { return len(events[*wire.Joined](arec)) == 2 })
	if j := events[*wire.Joined](arec)[1]; j.Replay != 1 {
		t.Errorf("rejoin = %+v, want replay 1: the message, the mute replayed uncounted", j)
	}
	r, err := alice.Send(ctx, "general", "back")
	if err != nil {
		t.Fatal(err)
	}
	if ack, err := r.Wait(ctx); err != nil || ack.Seq != 4 {
		t.Fatalf("alice's send after the rejoin: %+v, %v; want seq 4", ack, err)
	}
	got := events[*wire.SanctionChanged](arec)
	if len(got) != 1 || got[0].LogSeq != 2 || got[0].Action != "mute" || got[0].Name != "carol" || got[0].From != "mod" {
		t.Fatalf("alice was told of sanctions %+v, want carol's mute at log_seq 2 by mod", got)
	}
	if texts := arec.texts("general"); len(texts) < 2 || texts[1] != "after" {
		t.Errorf("alice saw %q, want before, after", texts)
	}
}
