package session_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"testing"
	"time"

	"hubbub"
	"hubbub/internal/auth"
	"hubbub/internal/hub"
	"hubbub/internal/server"
	"hubbub/internal/servertest"
	"hubbub/internal/testwait"
)

// users is the test server's store as the UserStore it is.
func users(t *testing.T, s *servertest.Server) hubbub.UserStore {
	t.Helper()
	return s.Store
}

// welcomeUser returns welcome's user object.
func welcomeUser(t *testing.T, w servertest.Frame) map[string]any {
	t.Helper()
	u, ok := w["user"].(map[string]any)
	if w.Type() != "welcome" || !ok {
		t.Fatalf("welcome = %v, want one with a user", w)
	}
	return u
}

// welcome names the user a connection acts for: a guest's stored id (the same for every
// connection with its key), a keyless connection's anonymous id, a token user's stored id and
// the token's role.
func TestWelcomeNamesTheUser(t *testing.T) {
	v, err := auth.NewHMAC(tokenSecret, nil)
	if err != nil {
		t.Fatal(err)
	}
	s := servertest.Start(t, servertest.Options{Server: server.Config{Tokens: v, Auth: "guest"}})
	ann := servertest.DialJSON(t, s, "")
	u := welcomeUser(t, hello(ann, "ann", ""))
	stored, found, err := users(t, s).UserByName(context.Background(), "ann")
	if err != nil || !found {
		t.Fatalf("ann not stored: %v", err)
	}
	if u["id"] != stored.ID || u["name"] != "ann" || u["kind"] != "guest" || u["role"] != "member" {
		t.Fatalf("guest's user %v, stored %+v", u, stored)
	}
	if again := welcomeUser(t, hello(servertest.DialJSON(t, s, ""), "ann", "")); again["id"] != stored.ID {
		t.Fatalf("the same key's second connection is user %v, want %s", again, stored.ID)
	}

	keyless := servertest.DialJSON(t, s, "")
	keyless.Send(servertest.Frame{"type": "hello", "name": "Tom"})
	tomKey, _ := hubbub.NameKey("Tom")
	if u := welcomeUser(t, keyless.Await("welcome")); u["id"] != hubbub.AnonymousUserID(tomKey) || u["kind"] != "anonymous" {
		t.Fatalf("keyless user %v", u)
	}
	if _, found, _ := users(t, s).UserByName(context.Background(), "Tom"); found {
		t.Fatal("a keyless user was stored")
	}

	tok, err := auth.Mint(tokenSecret, auth.Claims{UserID: "app-7", Name: "Vera", Role: auth.RoleModerator}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	vera := servertest.DialJSON(t, s, "")
	u = welcomeUser(t, hello(vera, "", tok))
	if id, _ := u["id"].(string); len(id) != 34 || id[:2] != "u_" || u["name"] != "Vera" || u["kind"] != "app" || u["role"] != "moderator" {
		t.Fatalf("token user %v", u)
	}
}

// Two users each send a message with the id c-1 into one room: both are stored and delivered,
// neither is a duplicate of the other's (idempotency is per user).
func TestClientIDsArePerUser(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	ann, bob := servertest.DialJSON(t, s, "ann"), servertest.DialJSON(t, s, "bob")
	ann.Join("r", nil)
	bob.Join("r", nil)
	a := ann.Say("r", "c-1", "from ann")
	b := bob.Say("r", "c-1", "from bob")
	if a.Type() != "ack" || b.Type() != "ack" || a["duplicate"] == true || b["duplicate"] == true || a.Num("seq") == b.Num("seq") {
		t.Fatalf("acks %v and %v, want two messages", a, b)
	}
	got := ann.Messages("r", 2)
	if got[0].Str("text") != "from ann" || got[1].Str("text") != "from bob" {
		t.Fatalf("ann got %v", got)
	}
	// A resend by one of them is still that user's duplicate.
	if again := bob.Say("r", "c-1", "from bob"); again["duplicate"] != true || again.Num("seq") != b.Num("seq") {
		t.Fatalf("bob's resend: %v, want the first ack, duplicate", again)
	}
}

// A ban is of a user: the guest who comes back with the same key under another name is still
// banned, and whoever takes the name they left is not.
func TestBanFollowsTheUserAcrossARename(t *testing.T) {
	s := startModerated(t)
	mod := servertest.DialJSON(t, s, "mod")
	mod.Join("r", nil) // keeps the room open on this node
	eve := servertest.DialJSON(t, s, "")
	eveID := welcomeUser(t, hello(eve, "eve", ""))["id"]
	eve.Join("r", nil)
	if got := moderate(mod, servertest.Frame{"type": "ban", "room": "r", "name": "eve", "duration": "1h"}); got.Type() != "moderated" {
		t.Fatalf("ban answered %v", got)
	}
	awaitError(eve, "kicked")

	// Same key (hello sends "client-key-" + name), new name: the same user, renamed.
	renamed := servertest.DialJSON(t, s, "")
	renamed.Send(servertest.Frame{"type": "hello", "name": "eve2", "key": "client-key-eve"})
	if u := welcomeUser(t, renamed.Await("welcome")); u["id"] != eveID || u["name"] != "eve2" {
		t.Fatalf("renamed guest %v, want user %v named eve2", u, eveID)
	}
	if j := renamed.Join("r", nil); j.Str("code") != "banned" {
		t.Fatalf("the renamed user joins: %v, want banned", j)
	}
	// The name eve is free now, and its new holder is not the banned user.
	newEve := servertest.DialJSON(t, s, "eve")
	if newEve.User == eveID {
		t.Fatal("the new eve is the banned user")
	}
	if j := newEve.Join("r", nil); j.Type() != "joined" {
		t.Fatalf("the name's new holder joins: %v", j)
	}
	// After a restart the ban still follows the user, not the name.
	mod.Conn.Close()
	newEve.Conn.Close()
	s = s.Restart()
	back := servertest.DialJSON(t, s, "")
	back.Send(servertest.Frame{"type": "hello", "name": "eve3", "key": "client-key-eve"})
	back.Await("welcome")
	if j := back.Join("r", nil); j.Str("code") != "banned" {
		t.Fatalf("after a restart the renamed user joins: %v, want banned", j)
	}
	if j := servertest.DialJSON(t, s, "eve").Join("r", nil); j.Type() != "joined" {
		t.Fatalf("after a restart the name's new holder joins: %v", j)
	}
}

// A token user and a guest cannot hold one name: whichever came first keeps it.
func TestTokenUserAndGuestCannotShareAName(t *testing.T) {
	v, err := auth.NewHMAC(tokenSecret, nil)
	if err != nil {
		t.Fatal(err)
	}
	s := servertest.Start(t, servertest.Options{Server: server.Config{Tokens: v, Auth: "guest"}})
	servertest.DialJSON(t, s, "ann") // a guest first
	expectError(t, hello(servertest.DialJSON(t, s, ""), "", mint(t, "app-1", "ann", time.Hour)), hubbub.ECodeNameTaken, "belongs to another user")
	expectError(t, hello(servertest.DialJSON(t, s, ""), "", mint(t, "app-1", "Аnn", time.Hour)), hubbub.ECodeNameTaken, "belongs to another user")

	bob := servertest.DialJSON(t, s, "") // a token user first
	welcomeUser(t, hello(bob, "", mint(t, "app-2", "bob", time.Hour)))
	expectError(t, hello(servertest.DialJSON(t, s, ""), "bob", ""), hubbub.ECodeNameTaken, "belongs to another user")
	keyless := servertest.DialJSON(t, s, "")
	keyless.Send(servertest.Frame{"type": "hello", "name": "bob"})
	expectError(t, keyless.Await("error"), hubbub.ECodeNameTaken, "belongs to another user")
}

// With --auth accounts a guest is refused and told where to sign in; a browser that signed in
// comes in with its session cookie, as its user, without giving a name.
func TestAccountsModeNeedsASession(t *testing.T) {
	s := servertest.Start(t, servertest.Options{Server: server.Config{Auth: "accounts"}})
	expectError(t, hello(servertest.DialJSON(t, s, ""), "ann", ""), hubbub.ECodeUnauthorized, "sign in at /signin")

	ctx := context.Background()
	us := users(t, s)
	ann, err := us.CreateUser(ctx, hubbub.User{Name: "ann", Kind: hubbub.UserAccount, Role: hubbub.RoleAdmin}, "")
	if err != nil {
		t.Fatal(err)
	}
	cookie := base64.RawURLEncoding.EncodeToString([]byte("thirty-two bytes, like /signin..")) // the form of a real one
	if err := us.CreateSession(ctx, hubbub.LoginSession{ID: hubbub.SecretHash(cookie), User: ann.ID,
		Created: time.Now(), Expires: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	h := http.Header{"Cookie": {"hubbub_session=" + cookie}}
	c := dialJSONWith(t, s, "", h)
	c.Send(servertest.Frame{"type": "hello"})
	if u := welcomeUser(t, c.Await("welcome")); u["id"] != ann.ID || u["name"] != "ann" || u["kind"] != "account" || u["role"] != "admin" {
		t.Fatalf("signed-in user %v", u)
	}
	if j := c.Join("r", nil); j.Type() != "joined" {
		t.Fatalf("join: %v", j)
	}
	// An unknown cookie is no session.
	bad := dialJSONWith(t, s, "", http.Header{"Cookie": {"hubbub_session=forged"}})
	bad.Send(servertest.Frame{"type": "hello", "name": "ann"})
	expectError(t, bad.Await("error"), hubbub.ECodeUnauthorized, "sign in")
}

// Presence is per user: online while a connection of theirs sends frames, away after
// --away-after without one, online again on the next frame, and offline once the last
// connection ends, with the time stored as their last seen.
//
// AwayAfter is a second, not less: the test must see ann online between ann2's ping and going
// away again, and ann's join must be handled before she goes away (a change announced while
// she is in no room reaches nobody, and bob then waits for an "away" that never comes); at
// 50 ms, either failed about once in ten runs on a starved core.
func TestPresencePerUser(t *testing.T) {
	s := servertest.Start(t, servertest.Options{Hub: hub.Config{AwayAfter: time.Second, PresenceInterval: 20 * time.Millisecond}})
	bob := servertest.DialJSON(t, s, "bob")
	bob.Join("r", nil)
	ann := servertest.DialJSON(t, s, "ann")
	ann2 := servertest.DialJSON(t, s, "ann")
	id := ann.User
	ann.Join("r", nil) // ann's last frame for a while: bob is in the room for what follows
	annState := func(state string) servertest.Frame {
		return bob.AwaitFunc("ann "+state, func(f servertest.Frame) bool {
			return f.Type() == "presence" && f.Str("name") == "ann" && f.Str("event") == "state" && f.Str("state") == state
		})
	}
	// The members frame reads the same states.
	memberState := func() map[string]any {
		t.Helper()
		bob.Send(servertest.Frame{"type": "members", "room": "r"})
		page := bob.AwaitFunc("members", func(f servertest.Frame) bool { return f.Type() == "members" && f.Str("room") == "r" })
		list, _ := page["members"].([]any)
		for _, m := range list {
			if m, ok := m.(map[string]any); ok && m["user"] == id {
				return m
			}
		}
		t.Fatalf("members %v, want ann among them", page)
		return nil
	}
	testwait.Until(t, "ann away", func() bool { return s.Hub.UserState(id).State == hub.StateAway })
	annState("away") // the room hears it
	if m := memberState(); m["state"] != "away" || m["last_seen"] != nil {
		t.Fatalf("ann in members while away: %v", m)
	}
	ann2.Send(servertest.Frame{"type": "ping", "id": "p"})
	ann2.Await("pong")
	testwait.Until(t, "ann online after a frame", func() bool { return s.Hub.UserState(id).State == hub.StateOnline })
	annState("online")
	ann.Conn.Close()
	testwait.Until(t, "ann's first connection gone", func() bool {
		p, _ := s.Hub.Presence("r")
		return p.Connections == 1
	})
	if st := s.Hub.UserState(id); st.State == hub.StateOffline {
		t.Fatalf("ann with a connection left is %+v", st)
	}
	ann2.Conn.Close()
	testwait.Until(t, "ann offline", func() bool { return s.Hub.UserState(id).State == hub.StateOffline })
	testwait.Until(t, "ann's last seen stored", func() bool {
		u, _, err := users(t, s).UserByID(context.Background(), id)
		return err == nil && !u.LastSeen.IsZero()
	})
	if st := s.Hub.UserStates([]string{id, "u_nobody"}); st["u_nobody"].State != hub.StateOffline || st[id].State != hub.StateOffline {
		t.Fatalf("states %+v", st)
	}
	if m := memberState(); m["state"] != "offline" || m["last_seen"] == nil {
		t.Fatalf("ann in members once gone: %v, want offline with a last seen", m)
	}
}

// One guest on two devices that spell the name two ways ("ALICE" typed on one, "alice" on a
// phone that lowers it) is one user under one name: the second hello keeps the stored
// spelling (its welcome says so), and the room lists her once, as bob and both her
// connections see it. Before, the second hello renamed the user and the room listed
// "ALICE, alice", the first connection still sending as ALICE.
func TestOneGuestTwoSpellingsIsOneName(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	bob := servertest.DialJSON(t, s, "bob")
	bob.Join("r", nil)
	first := servertest.DialJSON(t, s, "")
	firstUser := welcomeUser(t, hello(first, "ALICE", ""))
	if firstUser["name"] != "ALICE" {
		t.Fatalf("first welcome %v", firstUser)
	}
	first.Join("r", nil)
	second := servertest.DialJSON(t, s, "")
	second.Send(servertest.Frame{"type": "hello", "name": "alice", "key": "client-key-ALICE"})
	w := second.Await("welcome")
	if u := welcomeUser(t, w); u["id"] != firstUser["id"] || w.Str("name") != "ALICE" || u["name"] != "ALICE" {
		t.Fatalf("the second device's welcome %v, want ALICE's user under her stored spelling", w)
	}
	if j := second.Join("r", nil); fmt.Sprint(j["members"]) != "[ALICE bob]" {
		t.Errorf("the second device joins r with members %v, want [ALICE bob]", j["members"])
	}
	if got := s.Hub.Members("r"); fmt.Sprint(got) != "[ALICE bob]" {
		t.Errorf("r's members %v, want [ALICE bob]", got)
	}
	second.Send(servertest.Frame{"type": "send", "room": "r", "id": "m-1", "text": "hi"})
	m := bob.AwaitFunc("the second device's message", func(f servertest.Frame) bool { return f.Type() == "message" && f.Str("text") == "hi" })
	if m.Str("from") != "ALICE" {
		t.Errorf("the second device's message is from %q, want ALICE", m.Str("from"))
	}
	if u, _, err := users(t, s).UserByName(context.Background(), "alice"); err != nil || u.Name != "ALICE" {
		t.Errorf("stored user %+v, %v; want ALICE as she was", u, err)
	}
}

// An operator renames a guest (hubbub user rename ALICE alice2, as docs/operations.md advises
// when two users' names became one) and another user takes the old name; the guest's device
// still says hello with the old name and its key. It comes in as the guest under the name the
// operator gave, which welcome says, and its messages carry that name. Before, every hello was
// refused name_taken, and the guest was locked out until it guessed its new name.
func TestGuestRenamedByAnOperatorComesBackUnderItsNewName(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	ctx := context.Background()
	first := servertest.DialJSON(t, s, "")
	ann := welcomeUser(t, hello(first, "ann", "")) // key "client-key-ann"
	if _, err := users(t, s).UpdateUser(ctx, ann["id"].(string), hubbub.UserChange{Name: new("ann2")}); err != nil {
		t.Fatal(err)
	}
	other := servertest.DialJSON(t, s, "")
	if w := hello(other, "Ann", ""); w.Type() != "welcome" {
		t.Fatalf("another guest takes Ann: %v", w)
	}
	other.Join("r", nil)

	back := servertest.DialJSON(t, s, "")
	w := hello(back, "ann", "")
	if w.Type() != "welcome" {
		t.Fatalf("the renamed guest's hello with its old name: %v, want welcome", w)
	}
	if u := welcomeUser(t, w); u["id"] != ann["id"] || w.Str("name") != "ann2" {
		t.Fatalf("the renamed guest's welcome %v, want %s as ann2", w, ann["id"])
	}
	back.Join("r", nil)
	back.Send(servertest.Frame{"type": "send", "room": "r", "id": "m-1", "text": "still me"})
	m := other.AwaitFunc("the renamed guest's message", func(f servertest.Frame) bool { return f.Type() == "message" && f.Str("text") == "still me" })
	if m.Str("from") != "ann2" {
		t.Errorf("the renamed guest's message is from %q, want ann2", m.Str("from"))
	}
	// A device without the key is still refused the name, as ever.
	impostor := servertest.DialJSON(t, s, "")
	impostor.Send(servertest.Frame{"type": "hello", "name": "ann2", "key": "not ann's key"})
	if f := impostor.Await("error"); f.Str("code") != "name_taken" {
		t.Errorf("another key's hello as ann2: %v, want name_taken", f)
	}
}
