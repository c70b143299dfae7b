package session_test

import (
	"context"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"hubbub"
	"hubbub/internal/server"
	"hubbub/internal/servertest"
	"hubbub/internal/testwait"
)

// A user's account changed beside the server (`hubbub user role`, `hubbub user disable`: the
// store written directly, as a second process does) ends that user's open connections once the
// node sees the change: a demoted moderator went on moderating, and a disabled user went on
// talking, until they chose to reconnect. Connecting again gives the account as it is now.
// A user whose account did not change stays connected.
func TestAccountChangesEndOpenConnections(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	ctx := t.Context()
	ann := servertest.DialJSON(t, s, "ann")
	bob := servertest.DialJSON(t, s, "bob")
	carol := servertest.DialJSON(t, s, "carol")
	for _, c := range []*servertest.JSONClient{ann, bob, carol} {
		if f := c.Join("general", nil); f.Type() != "joined" {
			t.Fatal(f)
		}
	}

	moderator := hubbub.RoleModerator
	if _, err := s.Store.UpdateUser(ctx, ann.User, hubbub.UserChange{Role: &moderator}); err != nil {
		t.Fatal(err)
	}
	closedFor := func(c *servertest.JSONClient, who, want string) {
		t.Helper()
		ce := c.Closed()
		if ce == nil || ce.Code != websocket.ClosePolicyViolation || !strings.Contains(ce.Text, want) {
			t.Fatalf("%s's connection after the change: %v, want a close 1008 saying %q", who, ce, want)
		}
	}
	closedFor(ann, "ann", "your role changed to moderator")
	again := servertest.DialJSON(t, s, "")
	again.Send(servertest.Frame{"type": "hello", "name": "ann", "key": "key-ann"})
	if w := again.Await("welcome"); w.Str("role") != "moderator" {
		t.Fatalf("ann's welcome on connecting again: %v, want role moderator", w)
	}

	disabled := true
	if _, err := s.Store.UpdateUser(ctx, bob.User, hubbub.UserChange{Disabled: &disabled}); err != nil {
		t.Fatal(err)
	}
	closedFor(bob, "bob", "your account was disabled")
	refused := servertest.DialJSON(t, s, "")
	refused.Send(servertest.Frame{"type": "hello", "name": "bob", "key": "key-bob"})
	if f := refused.AwaitFunc("bob's hello", func(f servertest.Frame) bool { return f.Type() == "welcome" || f.Type() == "error" }); f.Type() != "error" {
		t.Fatalf("a disabled user's hello: %v", f)
	}

	if f := carol.Say("general", "c1", "still here"); f.Type() != "ack" {
		t.Fatalf("carol, whose account did not change: %v", f)
	}
}

// A signed-in text-protocol connection (the classic page, a netcat-style client with a session
// cookie) is closed too when its account is disabled: it was on no user's channel, so no
// change reached it.
func TestDisabledAccountEndsItsTextConnection(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	ctx := t.Context()
	dave, cookie := accountWithSession(t, s, "dave", "terminal")
	text := servertest.NewTextClient(t, servertest.Dial(t, s.WS, "", http.Header{"Cookie": {"hubbub_session=" + cookie}}))
	text.Say("dave")
	text.Say("hello from a terminal")
	watcher := servertest.DialJSON(t, s, "watcher")
	watcher.Join(hubbub.DefaultRoom, nil)
	watcher.AwaitFunc("dave's line", func(f servertest.Frame) bool {
		return f.Type() == "message" && f.Str("text") == "hello from a terminal"
	})

	disabled := true
	if _, err := users(t, s).UpdateUser(ctx, dave.ID, hubbub.UserChange{Disabled: &disabled}); err != nil {
		t.Fatal(err)
	}
	if ce := text.Closed(); ce == nil || ce.Code != websocket.ClosePolicyViolation || !strings.Contains(ce.Text, "your account was disabled") {
		t.Fatalf("dave's text connection after his account was disabled: %v", ce)
	}
}

// Signing out ends the connections the signed-out session opened: signing out on one device (the page's sign-out) ends that session's connections and not the user's
// others; signing out everywhere (or `hubbub user passwd`, which does it) ends them all.
// Before, a stolen session's open connection went on after its owner signed out everywhere.
func TestSignOutEndsItsSessionsConnections(t *testing.T) {
	s := servertest.Start(t, servertest.Options{Server: server.Config{Auth: "accounts"}})
	ctx := t.Context()
	us := users(t, s)
	signIn := func(name, device string) (*servertest.JSONClient, string) {
		t.Helper()
		u, cookie := accountWithSession(t, s, name, device)
		c := dialJSONWith(t, s, "", http.Header{"Cookie": {"hubbub_session=" + cookie}})
		c.Send(servertest.Frame{"type": "hello"})
		c.Await("welcome")
		if f := c.Join("general", nil); f.Type() != "joined" {
			t.Fatalf("%s's %s: %v", u.Name, device, f)
		}
		return c, cookie
	}
	laptop, laptopCookie := signIn("dave", "laptop")
	phone, phoneCookie := signIn("dave", "phone")
	tablet, _ := signIn("dave", "tablet")
	eves, _ := signIn("eve", "phone")
	dave, _, _ := us.UserByName(ctx, "dave")
	eve, _, _ := us.UserByName(ctx, "eve")
	closedFor := func(c *servertest.JSONClient, what string) {
		t.Helper()
		if ce := c.Closed(); ce == nil || ce.Code != websocket.ClosePolicyViolation || !strings.Contains(ce.Text, "you were signed out") {
			t.Fatalf("%s: %v, want a close 1008 saying you were signed out", what, ce)
		}
	}

	if err := us.DeleteSession(ctx, hubbub.SecretHash(phoneCookie)); err != nil {
		t.Fatal(err)
	}
	closedFor(phone, "dave's phone after its sign-out")
	// The server checks once per change, one pass at a time: when eve's disabling has closed
	// her connection, the pass that saw the phone's sign-out has also checked the laptop.
	disabled := true
	if _, err := us.UpdateUser(ctx, eve.ID, hubbub.UserChange{Disabled: &disabled}); err != nil {
		t.Fatal(err)
	}
	if ce := eves.Closed(); ce == nil || !strings.Contains(ce.Text, "disabled") {
		t.Fatalf("eve's connection after her account was disabled: %v", ce)
	}
	if f := laptop.Say("general", "l-1", "the laptop is still here"); f.Type() != "ack" {
		t.Fatalf("dave's laptop after his phone's sign-out: %v", f)
	}

	if _, err := us.DeleteSessions(ctx, dave.ID); err != nil {
		t.Fatal(err)
	}
	closedFor(laptop, "dave's laptop after signing out everywhere")
	closedFor(tablet, "dave's tablet after signing out everywhere")
	again := dialJSONWith(t, s, "", http.Header{"Cookie": {"hubbub_session=" + laptopCookie}})
	again.Send(servertest.Frame{"type": "hello"})
	expectError(t, again.Await("error"), hubbub.ECodeUnauthorized, "sign in")
}

// A connection a sign-in session opened ends when the session expires, as a token's does:
// before, the page and the terminal client of a session 30 days old went on chatting until
// they chose to reconnect. Coming back with the expired cookie is told the session ended. A
// connection of a session still live stays.
func TestSessionExpiryEndsItsConnections(t *testing.T) {
	s := servertest.Start(t, servertest.Options{Server: server.Config{Auth: "accounts"}})
	// Three seconds: the laptop's, the phone's and the terminal's hellos all come before it
	// ends, on a busy machine too.
	_, shortCookie := accountWithSessionUntil(t, s, "dave", "laptop", time.Now().Add(3*time.Second))
	_, longCookie := accountWithSession(t, s, "dave", "phone")
	open := func(cookie string) *servertest.JSONClient {
		t.Helper()
		c := dialJSONWith(t, s, "", http.Header{"Cookie": {"hubbub_session=" + cookie}})
		c.Send(servertest.Frame{"type": "hello"})
		c.Await("welcome")
		if f := c.Join(hubbub.DefaultRoom, nil); f.Type() != "joined" {
			t.Fatal(f)
		}
		return c
	}
	laptop, phone := open(shortCookie), open(longCookie)
	text := servertest.NewTextClient(t, servertest.Dial(t, s.WS, "", http.Header{"Cookie": {"hubbub_session=" + shortCookie}}))
	text.Say("dave")
	text.Say("from the terminal")
	phone.AwaitFunc("the terminal's line", func(f servertest.Frame) bool {
		return f.Type() == "message" && f.Str("text") == "from the terminal"
	})

	for what, ce := range map[string]*websocket.CloseError{"the laptop": laptop.Closed(), "the terminal": text.Closed()} {
		if ce == nil || ce.Code != websocket.ClosePolicyViolation || !strings.Contains(ce.Text, "session expired") {
			t.Fatalf("%s's connection once its session expired: %v, want a close 1008 saying the session expired", what, ce)
		}
	}
	if f := phone.Say(hubbub.DefaultRoom, "p-1", "the phone's session is live"); f.Type() != "ack" {
		t.Fatalf("the phone, whose session had not expired: %v", f)
	}
	again := dialJSONWith(t, s, "", http.Header{"Cookie": {"hubbub_session=" + shortCookie}})
	again.Send(servertest.Frame{"type": "hello"})
	expectError(t, again.Await("error"), hubbub.ECodeUnauthorized, "session has ended")
}

// signOutDuringHello signs its user out everywhere right after a hello read the session
// (once armed), and lets the hello go on only once the account check that sign-out starts is
// under way: that check runs before the connection is on its user's channel, where checks
// find connections.
type signOutDuringHello struct {
	hubbub.Store
	armed   atomic.Pointer[string] // the user to sign out
	checked chan struct{}          // closed at the first UsersByID after the sign-out
	once    sync.Once
	signed  atomic.Bool
}

func (s *signOutDuringHello) Session(ctx context.Context, id string) (hubbub.LoginSession, hubbub.User, bool, error) {
	ls, u, found, err := s.Store.Session(ctx, id)
	if user := s.armed.Swap(nil); user != nil {
		if _, err := s.Store.DeleteSessions(ctx, *user); err != nil {
			panic("the planted sign-out failed: " + err.Error())
		}
		s.signed.Store(true)
		select {
		case <-s.checked:
		case <-time.After(testwait.Timeout):
			panic("no account check began after the planted sign-out")
		}
	}
	return ls, u, found, err
}

func (s *signOutDuringHello) UsersByID(ctx context.Context, ids []string) ([]hubbub.User, error) {
	if s.signed.Load() {
		s.once.Do(func() { close(s.checked) })
	}
	return s.Store.UsersByID(ctx, ids)
}

// A sign-out made while a connection says hello — after its session was read, before the
// connection is among its user's — ends it too: the check that the sign-out starts cannot see
// it, so the connection checks its account once more when it joins its user's channel.
func TestSignOutDuringHelloEndsTheConnection(t *testing.T) {
	var st *signOutDuringHello
	s := servertest.Start(t, servertest.Options{Server: server.Config{Auth: "accounts"},
		WrapStore: func(inner hubbub.Store) hubbub.Store {
			st = &signOutDuringHello{Store: inner, checked: make(chan struct{})}
			return st
		}})
	// eve is connected, so the check has a user to read.
	_, eveCookie := accountWithSession(t, s, "eve", "laptop")
	eves := dialJSONWith(t, s, "", http.Header{"Cookie": {"hubbub_session=" + eveCookie}})
	eves.Send(servertest.Frame{"type": "hello"})
	eves.Await("welcome")

	dave, daveCookie := accountWithSession(t, s, "dave", "laptop")
	st.armed.Store(&dave.ID)
	c := dialJSONWith(t, s, "", http.Header{"Cookie": {"hubbub_session=" + daveCookie}})
	c.Send(servertest.Frame{"type": "hello"})
	if ce := c.Closed(); ce == nil || ce.Code != websocket.ClosePolicyViolation || !strings.Contains(ce.Text, "you were signed out") {
		t.Fatalf("dave's connection, signed out during its hello: %v, want a close 1008 saying you were signed out", ce)
	}
	if f := eves.Join("general", nil); f.Type() != "joined" {
		t.Fatalf("eve, whose account did not change: %v", f)
	}
}

// failingSessions fails the next read of a session, once armed, as a store briefly down would.
type failingSessions struct {
	hubbub.Store
	armed atomic.Bool
}

func (s *failingSessions) Session(ctx context.Context, id string) (hubbub.LoginSession, hubbub.User, bool, error) {
	if s.armed.CompareAndSwap(true, false) {
		return hubbub.LoginSession{}, hubbub.User{}, false, errors.New("the planted store failure")
	}
	return s.Store.Session(ctx, id)
}

// A sign-out whose check could not read the session (the store failed a moment) is checked
// again a second later, and the connection ends then: it is not left open until some other
// account changes.
func TestSignOutCheckedAgainAfterAFailedRead(t *testing.T) {
	var st *failingSessions
	s := servertest.Start(t, servertest.Options{Server: server.Config{Auth: "accounts"},
		WrapStore: func(inner hubbub.Store) hubbub.Store { st = &failingSessions{Store: inner}; return st }})
	ctx := t.Context()
	us := users(t, s)
	_, cookie := accountWithSession(t, s, "dave", "laptop")
	c := dialJSONWith(t, s, "", http.Header{"Cookie": {"hubbub_session=" + cookie}})
	c.Send(servertest.Frame{"type": "hello"})
	c.Await("welcome")

	st.armed.Store(true)
	if err := us.DeleteSession(ctx, hubbub.SecretHash(cookie)); err != nil {
		t.Fatal(err)
	}
	if ce := c.Closed(); ce == nil || ce.Code != websocket.ClosePolicyViolation || !strings.Contains(ce.Text, "you were signed out") {
		t.Fatalf("dave's connection after a sign-out whose first check failed: %v", ce)
	}
	if st.armed.Load() {
		t.Error("no check read the session (the planted failure was not met)")
	}
}

// A guest given a password (`hubbub user passwd gina` beside the server) is an account now,
// which its key no longer signs in: its open connection, opened with the key, ends and says
// how to go on. Before, it went on while every new connection of the device was refused.
func TestGuestGivenAPasswordEndsItsKeyConnection(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	gina := servertest.DialJSON(t, s, "gina")
	other := servertest.DialJSON(t, s, "other")
	hash := "$argon2id$planted"
	if _, err := s.Store.UpdateUser(t.Context(), gina.User, hubbub.UserChange{PasswordHash: &hash}); err != nil {
		t.Fatal(err)
	}
	if ce := gina.Closed(); ce == nil || ce.Code != websocket.ClosePolicyViolation || !strings.Contains(ce.Text, "your name now has a password") {
		t.Fatalf("gina's key connection after she was given a password: %v", ce)
	}
	if f := other.Join("general", nil); f.Type() != "joined" {
		t.Fatalf("another guest after gina's change: %v", f)
	}
}

// accountWithSession stores an account named name and a live session of it for device, as
// /signin would, and returns the account and the session's cookie value.
func accountWithSession(t *testing.T, s *servertest.Server, name, device string) (hubbub.User, string) {
	t.Helper()
	return accountWithSessionUntil(t, s, name, device, time.Now().Add(time.Hour))
}

// accountWithSessionUntil is accountWithSession with a session that expires at expires.
func accountWithSessionUntil(t *testing.T, s *servertest.Server, name, device string, expires time.Time) (hubbub.User, string) {
	t.Helper()
	us := users(t, s)
	u, found, err := us.UserByName(t.Context(), name)
	if err != nil {
		t.Fatal(err)
	}
	if !found {
		if u, err = us.CreateUser(t.Context(), hubbub.User{Name: name, Kind: hubbub.UserAccount}, ""); err != nil {
			t.Fatal(err)
		}
	}
	cookie := base64.RawURLEncoding.EncodeToString([]byte(strings.Repeat(name+"'s "+device+" ", 32)[:32])) // the form of a real one
	if err := us.CreateSession(t.Context(), hubbub.LoginSession{ID: hubbub.SecretHash(cookie), User: u.ID,
		Created: time.Now(), Expires: expires}); err != nil {
		t.Fatal(err)
	}
	return u, cookie
}

// A client whose session was signed out and that comes back with the dead cookie is told its
// session ended: a page with no name, and a text client whose first line is the account's own
// name (it was "the name belongs to another user"). A guest's files cookie that ended is no
// sign-out: a request with it alone is asked for credentials, not told to sign in again.
func TestDeadSessionIsToldItEnded(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	us := users(t, s)
	dave, cookie := accountWithSession(t, s, "dave", "laptop")
	if _, err := us.DeleteSessions(t.Context(), dave.ID); err != nil {
		t.Fatal(err)
	}
	h := http.Header{"Cookie": {"hubbub_session=" + cookie}}
	page := dialJSONWith(t, s, "", h)
	page.Send(servertest.Frame{"type": "hello"})
	expectError(t, page.Await("error"), hubbub.ECodeUnauthorized, "your session has ended")
	named := dialJSONWith(t, s, "", h)
	named.Send(servertest.Frame{"type": "hello", "name": "dave"})
	expectError(t, named.Await("error"), hubbub.ECodeUnauthorized, "your session has ended")
	text := servertest.NewTextClient(t, servertest.Dial(t, s.WS, "", h))
	text.Say("dave")
	if l := text.Lines(1); !strings.Contains(l[0], "your session has ended") {
		t.Errorf("a text client with a dead cookie, named as its account: %q", l[0])
	}
	// A guest that comes with its key is let in whatever dead cookie it carries.
	guest := dialJSONWith(t, s, "", h)
	guest.Send(servertest.Frame{"type": "hello", "name": "gus", "key": "key-gus"})
	guest.Await("welcome")

	// A guest's files cookie, ended, is not a sign-in's.
	r, _ := http.NewRequest("GET", s.URL+"/files/f_none/x.txt", nil)
	r.AddCookie(&http.Cookie{Name: "hubbub_files", Value: cookie})
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || strings.Contains(string(body), "session has ended") {
		t.Errorf("a download with a dead files cookie: %d %s, want 401 asking who it is", resp.StatusCode, body)
	}
}
