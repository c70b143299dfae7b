package client_test

import (
	"context"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"hubbub"
	"hubbub/client"
	"hubbub/internal/accounts"
	"hubbub/internal/server"
	"hubbub/internal/servertest"
	"hubbub/internal/testwait"
)

// What a bot relies on: SkipHistory makes its first join replay nothing, so it answers only
// what is said once it is there; after a lost connection it still gets every message said
// while it was away (rejoin with since); Name says which messages are its own.
func TestSkipHistoryThenCatchUpAfterReconnect(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	p := startProxy(t, s.Addr)
	ctx := testContext(t)
	bob, brec := dialConn(t, ctx, s.WS, "bob")
	if _, err := bob.Join(ctx, "lobby", nil, 0); err != nil {
		t.Fatal(err)
	}
	sayAll(t, bob, brec, "lobby", "old-", "m1", "m2", "m3")

	bot, err := client.Connect(ctx, client.SessionOptions{URLs: []string{p.URL()}, Name: "bot", Key: "bot-key",
		SkipHistory: true, Logger: quiet, BackoffBase: 10 * time.Millisecond, BackoffMax: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { bot.Close() })
	rec := drain(bot)
	if bot.Name() != "bot" {
		t.Errorf("Name() = %q, want bot", bot.Name())
	}
	j, err := bot.Join(ctx, "lobby")
	if err != nil {
		t.Fatal(err)
	}
	if j.LastSeq != 3 || j.Replay != 0 || j.Truncated {
		t.Errorf("joined = %+v, want last_seq 3 and nothing replayed", j)
	}
	sayAll(t, bob, brec, "lobby", "live-", "m4")
	testwait.Until(t, "the bot's first message", func() bool { return len(rec.messages("lobby")) == 1 })

	// The bot's connection drops and stays down while bob talks.
	p.setDown(true)
	p.cut()
	testwait.Until(t, "the bot disconnected", func() bool { return len(events[*client.Disconnected](rec)) == 1 })
	sayAll(t, bob, brec, "lobby", "away-", "m5", "m6")
	p.setDown(false)
	testwait.Until(t, "the bot's catch-up", func() bool { return len(rec.messages("lobby")) == 3 })
	if r, err := bot.Send(ctx, "lobby", "back"); err != nil {
		t.Fatal(err)
	} else if _, err := r.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	testwait.Until(t, "the bot's own message", func() bool { return len(rec.messages("lobby")) == 4 })
	if got, want := rec.texts("lobby"), []string{"m4", "m5", "m6", "back"}; !reflect.DeepEqual(got, want) {
		t.Errorf("the bot saw %q, want %q", got, want)
	}
	if ms := rec.messages("lobby"); ms[3].From != bot.Name() || ms[0].From == bot.Name() {
		t.Errorf("From of bob's %q and the bot's %q, Name() = %q", ms[0].From, ms[3].From, bot.Name())
	}
}

// A message posted with the caller's id is stored once per room, user and id: a bot that
// restarts (a new Session with the same name and key) and answers the same question again
// with the same answer gets the first one back, marked duplicate; with another answer, the
// receipt fails with conflict (the id was spent on the first answer) and nothing is posted.
func TestPostWithCallersIDIsStoredOnce(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	ctx := testContext(t)
	post := func(text string) (*client.Ack, error) {
		t.Helper()
		ses, err := client.Connect(ctx, client.SessionOptions{URLs: []string{s.URL}, Name: "bot", Key: "bot-key", Logger: quiet})
		if err != nil {
			t.Fatal(err)
		}
		defer ses.Close()
		drain(ses)
		if _, err := ses.Join(ctx, "lobby"); err != nil {
			t.Fatal(err)
		}
		r, err := ses.Post(ctx, client.Outgoing{Room: "lobby", Text: text, ID: "answer-lobby-7"})
		if err != nil {
			t.Fatal(err)
		}
		if r.ID != "answer-lobby-7" {
			t.Errorf("receipt id %q, want the caller's", r.ID)
		}
		return r.Wait(ctx)
	}
	first, err := post("the answer")
	if err != nil {
		t.Fatal(err)
	}
	again, err := post("the answer")
	if err != nil {
		t.Fatal(err)
	}
	if first.Duplicate || !again.Duplicate || again.Seq != first.Seq || again.MsgID != first.MsgID {
		t.Errorf("first ack %+v, second %+v: want the second to be the first's duplicate", first, again)
	}
	other, err := post("another answer, said after a restart")
	if other != nil || hubbub.ErrorCode(err) != hubbub.ECodeConflict || !strings.Contains(err.Error(), "another text") {
		t.Errorf("another answer under the id: ack %+v, error %v; want conflict naming another text", other, err)
	}
	reader, _ := dialConn(t, ctx, s.WS, "reader")
	if _, err := reader.Join(ctx, "lobby", nil, 0); err != nil {
		t.Fatal(err)
	}
	h, err := reader.History(ctx, "lobby", 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Messages) != 1 || h.Messages[0].Text != "the answer" {
		t.Errorf("history %+v, want the first answer only", h.Messages)
	}
}

// A caller's id already spent by its user in the room on another request (here an edit of
// the session's own) is refused with conflict: the receipt fails with an error that says so
// and what to do, nothing is posted, and the session goes on.
func TestPostWithASpentIDIsConflict(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	ctx := testContext(t)
	ses, rec := startSession(t, "bot", s.URL)
	if _, err := ses.Join(ctx, "lobby"); err != nil {
		t.Fatal(err)
	}
	sent, err := ses.Send(ctx, "lobby", "hello")
	if err != nil {
		t.Fatal(err)
	}
	first, err := sent.Wait(ctx)
	if err != nil {
		t.Fatal(err)
	}
	edit, err := ses.Edit(ctx, "lobby", first.Seq, "hello, edited")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := edit.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	r, err := ses.Post(ctx, client.Outgoing{Room: "lobby", Text: "a new message", ID: edit.ID})
	if err != nil {
		t.Fatal(err)
	}
	ack, err := r.Wait(ctx)
	if ack != nil || hubbub.ErrorCode(err) != hubbub.ECodeConflict {
		t.Fatalf("a post with the edit's id: ack %+v, error %v; want conflict", ack, err)
	}
	if msg := err.Error(); !strings.Contains(msg, edit.ID) || !strings.Contains(msg, "edit of message") || !strings.Contains(msg, "new id") {
		t.Errorf("the error %q does not say the id was an edit's and to use a new one", msg)
	}
	if n := ses.Pending(); n != 0 {
		t.Errorf("%d requests still pending after the refusal", n)
	}
	again, err := ses.Send(ctx, "lobby", "a new message")
	if err != nil {
		t.Fatal(err)
	}
	if ack, err := again.Wait(ctx); err != nil || ack.Duplicate {
		t.Fatalf("the message sent again with the session's own id: %+v, %v", ack, err)
	}
	testwait.Until(t, "the message posted", func() bool { return len(rec.messages("lobby")) == 2 })
	if got, want := rec.texts("lobby"), []string{"hello", "a new message"}; !reflect.DeepEqual(got, want) {
		t.Errorf("the room holds %q, want %q: the refused post stored nothing", got, want)
	}
}

// Post refuses at once what the server would refuse: an id too long, an empty text, and an id
// still awaiting its ack.
func TestPostRefusals(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	p := startProxy(t, s.Addr)
	ctx := testContext(t)
	ses, _ := startSession(t, "bot", p.URL())
	if _, err := ses.Join(ctx, "lobby"); err != nil {
		t.Fatal(err)
	}
	if _, err := ses.Post(ctx, client.Outgoing{Room: "lobby", Text: "hi", ID: strings.Repeat("x", 65)}); hubbub.ErrorCode(err) != hubbub.ECodeBadID {
		t.Errorf("a 65-byte id: %v, want bad_id", err)
	}
	if _, err := ses.Post(ctx, client.Outgoing{Room: "lobby", Text: " \n"}); hubbub.ErrorCode(err) != hubbub.ECodeEmpty {
		t.Errorf("an empty text: %v, want empty", err)
	}
	p.freeze() // the ack of the first post cannot arrive
	first, err := ses.Post(ctx, client.Outgoing{Room: "lobby", Text: "one", ID: "same"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ses.Post(ctx, client.Outgoing{Room: "lobby", Text: "two", ID: "same"}); hubbub.ErrorCode(err) != hubbub.ECodeBadID {
		t.Errorf("a pending id again: %v, want bad_id", err)
	}
	p.cut() // the session reconnects and resends the first
	if ack, err := first.Wait(ctx); err != nil || ack.ID != "same" {
		t.Errorf("the first post: %+v, %v", ack, err)
	}
}

// An account signs in with SignIn and connects with the session cookie it returns, without
// a name: the server takes the user from the cookie.
func TestSignInAndConnectWithSessionCookie(t *testing.T) {
	s := servertest.Start(t, servertest.Options{Server: server.Config{Auth: "accounts"}})
	ctx := testContext(t)
	h, err := accounts.NewHasher(accounts.HashParams{Memory: 8 << 10, Time: 1, Threads: 1}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := accounts.AddUser(ctx, s.Store, h, "ann", hubbub.RoleMember, "correct horse battery"); err != nil {
		t.Fatal(err)
	}
	if _, err := client.SignIn(ctx, s.URL, "ann", "wrong password!", nil); hubbub.ErrorCode(err) != hubbub.ECodeUnauthorized {
		t.Errorf("a wrong password: %v, want unauthorized", err)
	}
	cookie, err := client.SignIn(ctx, s.WS, "ann", "correct horse battery", nil)
	if err != nil {
		t.Fatal(err)
	}
	ses, err := client.Connect(ctx, client.SessionOptions{URLs: []string{s.URL}, SessionCookie: cookie, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer ses.Close()
	drain(ses)
	if u := ses.User(); ses.Name() != "ann" || u == nil || u.Kind != string(hubbub.UserAccount) {
		t.Errorf("Name() %q, User() %+v: want the account ann", ses.Name(), u)
	}
	// Without the cookie this server lets nobody in.
	_, err = client.Connect(ctx, client.SessionOptions{URLs: []string{s.URL}, Name: "ann", Key: "k", Logger: quiet})
	if hubbub.ErrorCode(err) != hubbub.ECodeUnauthorized {
		t.Errorf("a guest on an accounts-only server: %v, want unauthorized", err)
	}
	// A server that has no such account says so, and a bad URL is refused before any request.
	if _, err := client.SignIn(ctx, "ftp://example.com", "ann", "x", nil); err == nil {
		t.Error("SignIn accepted an ftp:// URL")
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := client.SignIn(cctx, s.URL, "ann", "correct horse battery", nil); err == nil {
		t.Error("SignIn with a cancelled context succeeded")
	}
}

// A session whose sign-in ended (signed out everywhere here; an expiry the same) signs in
// again with SignInAgain and goes on: what it sends after is acknowledged, once one sign-in
// has been made. When signing in again fails (the password changed), the session ends with
// both reasons; without SignInAgain it ends with the server's refusal.
func TestSessionSignsInAgainWhenItsSessionEnds(t *testing.T) {
	s := servertest.Start(t, servertest.Options{Server: server.Config{Auth: "accounts"}})
	ctx := testContext(t)
	h, err := accounts.NewHasher(accounts.HashParams{Memory: 8 << 10, Time: 1, Threads: 1}, 1)
	if err != nil {
		t.Fatal(err)
	}
	ann, err := accounts.AddUser(ctx, s.Store, h, "ann", hubbub.RoleMember, "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	var password atomic.Pointer[string]
	password.Store(new("correct horse battery"))
	var signIns atomic.Int32
	connect := func(again bool) *client.Session {
		t.Helper()
		cookie, err := client.SignIn(ctx, s.URL, "ann", *password.Load(), nil)
		if err != nil {
			t.Fatal(err)
		}
		opts := client.SessionOptions{URLs: []string{s.URL}, SessionCookie: cookie, Logger: quiet, BackoffBase: 10 * time.Millisecond}
		if again {
			opts.SignInAgain = func(ctx context.Context) (string, error) {
				signIns.Add(1)
				return client.SignIn(ctx, s.URL, "ann", *password.Load(), nil)
			}
		}
		ses, err := client.Connect(ctx, opts)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ses.Close() })
		drain(ses)
		if _, err := ses.Join(ctx, "lobby"); err != nil {
			t.Fatal(err)
		}
		return ses
	}
	signOut := func() {
		t.Helper()
		if _, err := s.Store.DeleteSessions(ctx, ann.ID); err != nil {
			t.Fatal(err)
		}
	}
	ended := func(ses *client.Session, what string, want ...string) {
		t.Helper()
		select {
		case <-ses.Done():
		case <-time.After(testwait.Timeout):
			t.Fatalf("%s: the session did not end", what)
		}
		for _, w := range want {
			if err := ses.Err(); err == nil || !strings.Contains(err.Error(), w) {
				t.Fatalf("%s: the session ended with %v, want it to say %q", what, err, w)
			}
		}
	}

	ses := connect(true)
	signOut()
	testwait.Until(t, "the session signing in again", func() bool { return signIns.Load() > 0 })
	r, err := ses.Post(ctx, client.Outgoing{Room: "lobby", Text: "after the sign-out"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Wait(ctx); err != nil {
		t.Fatalf("a message sent after the session was signed out: %v, want an ack once signed in again", err)
	}
	if n := signIns.Load(); n != 1 {
		t.Fatalf("%d sign-ins again, want 1", n)
	}

	password.Store(new("a password someone else set"))
	signOut()
	ended(ses, "signed out with a changed password", "session has ended", "signing in again", "unauthorized")

	password.Store(new("correct horse battery"))
	plain := connect(false)
	signOut()
	ended(plain, "signed out without SignInAgain", "session has ended")
	if strings.Contains(plain.Err().Error(), "signing in again") {
		t.Errorf("a session without SignInAgain ended with %v: it tried no sign-in", plain.Err())
	}
}

// A bot user (hubbub bot create) connects with its API token as Token, and every client reads
// its messages with Message.Bot set; a person's are not.
func TestBotTokenSessionMarksMessages(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	ctx := testContext(t)
	token := hubbub.NewBotToken()
	if _, err := s.Store.CreateBot(ctx, "ci", []string{"builds"}, hubbub.SecretHash(token)); err != nil {
		t.Fatal(err)
	}
	bot, err := client.Connect(ctx, client.SessionOptions{URLs: []string{s.URL}, Token: token, SkipHistory: true, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { bot.Close() })
	if bot.Name() != "ci" {
		t.Errorf("Name() = %q, want the bot's name", bot.Name())
	}
	if _, err := bot.Join(ctx, "elsewhere"); hubbub.ErrorCode(err) != hubbub.ECodeForbidden {
		t.Errorf("join outside the bot's rooms: %v, want forbidden", err)
	}
	if _, err := bot.Join(ctx, "builds"); err != nil {
		t.Fatal(err)
	}
	bob, brec := dialConn(t, ctx, s.WS, "bob")
	if _, err := bob.Join(ctx, "builds", nil, 0); err != nil {
		t.Fatal(err)
	}
	if r, err := bot.Send(ctx, "builds", "build 3 passed"); err != nil {
		t.Fatal(err)
	} else if _, err := r.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	sayAll(t, bob, brec, "builds", "bob-", "thanks")
	testwait.Until(t, "both messages at bob", func() bool { return len(brec.messages("builds")) == 2 })
	if ms := brec.messages("builds"); !ms[0].Bot || ms[0].From != "ci" || ms[1].Bot {
		t.Errorf("bob read %+v and %+v, want only the bot's marked", ms[0], ms[1])
	}
}
