package client_test

import (
	"testing"

	"hubbub/client"
	"hubbub/internal/servertest"
	"hubbub/internal/testwait"
)

// A session whose user is renamed while it is connected (another device of the guest said
// hello with a new name) delivers the Renamed frame, reports the new name, and says it when it
// connects again: saying the old one, from the same key, would rename the user back.
func TestSessionFollowsARenameAcrossReconnects(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	p := startProxy(t, s.Addr)
	ctx := testContext(t)
	ses, rec := startSession(t, "ann", p.URL())
	if _, err := ses.Join(ctx, "general"); err != nil {
		t.Fatal(err)
	}

	other := servertest.DialJSON(t, s, "")
	other.Send(servertest.Frame{"type": "hello", "name": "anna", "key": "key-ann"})
	other.Await("welcome")
	testwait.Until(t, "the session's Renamed", func() bool { return len(events[*client.Renamed](rec)) == 1 })
	if r := events[*client.Renamed](rec)[0]; r.Name != "anna" || r.Was != "ann" {
		t.Fatalf("Renamed = %+v", r)
	}
	if ses.Name() != "anna" || ses.User().Name != "anna" {
		t.Fatalf("Name() = %q, User().Name = %q after the rename, want anna", ses.Name(), ses.User().Name)
	}

	p.cut() // the connection drops; the session connects again
	testwait.Until(t, "the session connected again", func() bool { return len(events[*client.Connected](rec)) == 2 })
	if w := events[*client.Connected](rec)[1].Welcome; w.Name != "anna" {
		t.Fatalf("the welcome after reconnecting: %+v, want anna (the session said the old name)", w)
	}
	if u, found, err := s.Store.UserByID(ctx, ses.User().ID); err != nil || !found || u.Name != "anna" {
		t.Fatalf("the stored user after the reconnect: %+v %v %v, want still anna", u, found, err)
	}
}
