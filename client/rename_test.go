package client_test

import (
	"errors"
	"strings"
	"testing"

	"hubbub"
	"hubbub/client"
	"hubbub/internal/accounts"
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

// A session signed in to an account renames it (Rename, the account page's POST /api/me/name):
// the server tells it, as every connection of the user, and it goes by the new name. A name
// another user holds is refused name_taken, a guest's session cannot rename itself so, and
// none of the refusals changes a name.
func TestSessionRenamesItsAccount(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	ctx := testContext(t)
	h, err := accounts.NewHasher(accounts.TestHashParams, 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := accounts.AddUser(ctx, s.Store, h, "ann", hubbub.RoleMember, "correct horse battery"); err != nil {
		t.Fatal(err)
	}
	cookie, err := client.SignIn(ctx, s.URL, "ann", "correct horse battery", nil)
	if err != nil {
		t.Fatal(err)
	}
	ses, err := client.Connect(ctx, client.SessionOptions{URLs: []string{s.WS}, SessionCookie: cookie, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer ses.Close()
	rec := drain(ses)
	guest, _ := startSession(t, "bob", s.WS)

	if err := ses.Rename(ctx, "BOB"); hubbub.ErrorCode(err) != hubbub.ECodeNameTaken || !strings.Contains(err.Error(), "another user's") {
		t.Errorf("rename to a guest's name in capitals: %v, want name_taken", err)
	}
	if err := guest.Rename(ctx, "robert"); !errors.Is(err, client.ErrNotSignedIn) {
		t.Errorf("a guest's Rename: %v, want ErrNotSignedIn", err)
	}
	if err := ses.Rename(ctx, "Annie"); err != nil {
		t.Fatal(err)
	}
	testwait.Until(t, "the session's Renamed", func() bool { return len(events[*client.Renamed](rec)) == 1 })
	if r := events[*client.Renamed](rec)[0]; r.Name != "Annie" || r.Was != "ann" || ses.Name() != "Annie" {
		t.Fatalf("Renamed %+v, Name() %q: want Annie, was ann", r, ses.Name())
	}
	if guest.Name() != "bob" {
		t.Errorf("the guest is %q, want bob", guest.Name())
	}
}
