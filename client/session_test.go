package client_test

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"hubbub"
	"hubbub/client"
	"hubbub/internal/hub"
	"hubbub/internal/server"
	"hubbub/internal/servertest"
	"hubbub/internal/testwait"
	"hubbub/internal/wire"
)

// startSession connects a session for name to urls with fast backoff, records its events and
// closes it when the test ends.
func startSession(t *testing.T, name string, urls ...string) (*client.Session, *recorder) {
	t.Helper()
	ses, err := client.Connect(testContext(t), client.SessionOptions{
		URLs: urls, Name: name, Key: "key-" + name, Logger: quiet,
		BackoffBase: 10 * time.Millisecond, BackoffMax: 100 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ses.Close() })
	return ses, drain(ses)
}

// sayAll sends texts to room from c with ids id-1, id-2, … and waits for each ack.
func sayAll(t *testing.T, c *client.Conn, rec *recorder, room, id string, texts ...string) {
	t.Helper()
	ctx := testContext(t)
	for _, text := range texts {
		if err := c.Send(ctx, room, id+text, text); err != nil {
			t.Fatal(err)
		}
	}
	testwait.Until(t, "acks", func() bool {
		return rec.count(func(f wire.Frame) bool {
			a, ok := f.(*wire.Ack)
			return ok && strings.HasPrefix(a.ID, id)
		}) == len(texts)
	})
}

func numbered(prefix string, from, to int) []string {
	var out []string
	for i := from; i <= to; i++ {
		out = append(out, fmt.Sprintf("%s%d", prefix, i))
	}
	return out
}

func seqs(ms []*wire.Message) []uint64 {
	var out []uint64
	for _, m := range ms {
		out = append(out, m.Seq)
	}
	return out
}

func events[T wire.Frame](rec *recorder) []T {
	var out []T
	for _, f := range rec.all() {
		if e, ok := f.(T); ok {
			out = append(out, e)
		}
	}
	return out
}

// The server restarts on the same file while alice is away; she comes back, rejoins with the
// last seq she saw, and sees every message once, in order.
func TestSessionRecoversMissedMessagesAcrossServerRestart(t *testing.T) {
	s := servertest.Start(t, servertest.Options{DataPath: filepath.Join(t.TempDir(), "hubbub.db")})
	p := startProxy(t, s.Addr) // lets the test keep alice away until bob has spoken
	ctx := testContext(t)
	alice, arec := startSession(t, "alice", p.URL())
	if _, err := alice.Join(ctx, "general"); err != nil {
		t.Fatal(err)
	}
	bob, brec := dialConn(t, ctx, s.WS, "bob")
	if _, err := bob.Join(ctx, "general", nil, 0); err != nil {
		t.Fatal(err)
	}
	sayAll(t, bob, brec, "general", "b1-", numbered("m", 1, 3)...)
	testwait.Until(t, "alice's first 3 messages", func() bool { return len(arec.messages("general")) == 3 })

	p.setDown(true)
	s = s.Restart()
	bob, brec = dialConn(t, ctx, s.WS, "bob")
	if _, err := bob.Join(ctx, "general", nil, 0); err != nil {
		t.Fatal(err)
	}
	sayAll(t, bob, brec, "general", "b2-", numbered("m", 4, 6)...)
	p.setDown(false)

	testwait.Until(t, "alice back in general", func() bool { return len(events[*wire.Joined](arec)) == 2 })
	sayAll(t, bob, brec, "general", "b3-", "m7")
	testwait.Until(t, "alice's 7 messages", func() bool { return len(arec.messages("general")) >= 7 })
	if got, want := arec.texts("general"), numbered("m", 1, 7); !reflect.DeepEqual(got, want) {
		t.Errorf("alice saw %q, want %q", got, want)
	}
	if got := seqs(arec.messages("general")); !reflect.DeepEqual(got, []uint64{1, 2, 3, 4, 5, 6, 7}) {
		t.Errorf("seqs = %v", got)
	}
	if j := events[*wire.Joined](arec)[1]; j.LastSeq != 6 || j.Replay != 3 || j.Truncated {
		t.Errorf("rejoin = %+v, want last_seq 6 with 3 replayed", j)
	}
	if n := len(events[*client.Disconnected](arec)); n != 1 {
		t.Errorf("%d Disconnected events, want 1", n)
	}
	if n := len(events[*client.Connected](arec)); n != 2 {
		t.Errorf("%d Connected events, want 2", n)
	}
}

// A send reaches the server but its ack is lost with the connection; the session resends it
// with the same id after reconnecting, and the server stores it once.
func TestSessionResendsUnacknowledgedSendWithSameID(t *testing.T) {
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

	p.freeze() // alice's frames reach the server; nothing comes back
	r, err := alice.Send(ctx, "general", "stored once")
	if err != nil {
		t.Fatal(err)
	}
	testwait.Until(t, "bob to see alice's message", func() bool { return len(brec.messages("general")) == 1 })
	select {
	case <-r.Done():
		t.Fatal("the send completed though its ack was held back")
	default:
	}
	p.cut()

	ack, err := r.Wait(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !ack.Duplicate || ack.Seq != 1 || ack.ID != r.ID {
		t.Errorf("ack after the resend = %+v, want a duplicate of seq 1 with id %s", ack, r.ID)
	}
	if m := brec.messages("general")[0]; m.ClientID != r.ID {
		t.Errorf("stored client id %q, want %q", m.ClientID, r.ID)
	}
	h, err := bob.History(ctx, "general", 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Messages) != 1 {
		t.Errorf("history holds %d messages, want 1: %+v", len(h.Messages), h.Messages)
	}
	testwait.Until(t, "alice's own message", func() bool { return len(arec.messages("general")) == 1 })

	// Sends made while disconnected wait for the next connection, in order.
	p.setDown(true)
	p.cut()
	testwait.Until(t, "alice to notice", func() bool { return len(events[*client.Disconnected](arec)) == 2 })
	var rs []*client.Receipt
	for _, text := range []string{"away 1", "away 2", "away 3"} {
		r, err := alice.Send(ctx, "general", text)
		if err != nil {
			t.Fatal(err)
		}
		rs = append(rs, r)
	}
	if n := alice.Pending(); n != 3 {
		t.Errorf("%d sends pending, want 3", n)
	}
	p.setDown(false)
	for i, r := range rs {
		ack, err := r.Wait(ctx)
		if err != nil || ack.Duplicate || ack.Seq != uint64(i+2) {
			t.Errorf("ack %d = %+v, %v", i, ack, err)
		}
	}
	testwait.Until(t, "bob's 4 messages", func() bool { return len(brec.messages("general")) == 4 })
	if got, want := brec.texts("general"), []string{"stored once", "away 1", "away 2", "away 3"}; !reflect.DeepEqual(got, want) {
		t.Errorf("bob saw %q, want %q", got, want)
	}
	testwait.Until(t, "alice's 4 messages", func() bool { return len(arec.messages("general")) == 4 })
	if got := seqs(arec.messages("general")); !reflect.DeepEqual(got, []uint64{1, 2, 3, 4}) {
		t.Errorf("alice saw seqs %v", got)
	}
	if alice.Pending() != 0 {
		t.Errorf("%d sends still pending", alice.Pending())
	}
}

// When more was missed than the server replays, the session pages the rest from history and
// still delivers every message once, in order.
func TestSessionCompletesTruncatedReplay(t *testing.T) {
	s := servertest.Start(t, servertest.Options{Hub: hub.Config{MaxReplay: 3}})
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
	sayAll(t, bob, brec, "general", "y-", numbered("m", 2, 12)...)
	p.setDown(false)
	testwait.Until(t, "alice back in general", func() bool { return len(events[*wire.Joined](arec)) == 2 })
	sayAll(t, bob, brec, "general", "z-", "m13")

	testwait.Until(t, "alice's 13 messages", func() bool { return len(arec.messages("general")) >= 13 })
	if got, want := arec.texts("general"), numbered("m", 1, 13); !reflect.DeepEqual(got, want) {
		t.Errorf("alice saw %q, want %q", got, want)
	}
	if j := events[*wire.Joined](arec)[1]; !j.Truncated || j.Replay != 3 || j.LastSeq != 12 {
		t.Errorf("rejoin = %+v, want a truncated replay of 3", j)
	}
}

// With the first server gone, the session moves to the next URL and carries on there.
// deadURL refuses every connection: nothing listens on port 1 (only root may bind it, and no
// test does). A port freed by closing a listener would not do: another package's test server,
// running beside this one, can be given it.
const deadURL = "ws://127.0.0.1:1/ws"

func TestSessionFailsOverToNextURL(t *testing.T) {
	dead := deadURL
	s1 := servertest.Start(t, servertest.Options{})
	s2 := servertest.Start(t, servertest.Options{})
	ctx := testContext(t)

	alice, arec := startSession(t, "alice", dead, s1.WS, s2.WS)
	testwait.Until(t, "the connected event", func() bool { return len(events[*client.Connected](arec)) == 1 })
	if c := events[*client.Connected](arec); c[0].URL != s1.WS {
		t.Fatalf("connected events %+v, want one to %s", c, s1.WS)
	}
	if _, err := alice.Join(ctx, "general"); err != nil {
		t.Fatal(err)
	}
	for _, text := range []string{"on s1 a", "on s1 b"} {
		r, err := alice.Send(ctx, "general", text)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := r.Wait(ctx); err != nil {
			t.Fatal(err)
		}
	}

	s1.Stop()
	testwait.Until(t, "alice on s2", func() bool { return len(events[*wire.Joined](arec)) == 2 })
	if c := events[*client.Connected](arec); c[len(c)-1].URL != s2.WS {
		t.Errorf("reconnected to %s, want %s", c[len(c)-1].URL, s2.WS)
	}
	// s2 has its own, empty store: its seqs start again at 1 and the session follows.
	r, err := alice.Send(ctx, "general", "on s2")
	if err != nil {
		t.Fatal(err)
	}
	if ack, err := r.Wait(ctx); err != nil || ack.Seq != 1 {
		t.Fatalf("ack on s2 = %+v, %v", ack, err)
	}
	testwait.Until(t, "alice's 3 messages", func() bool { return len(arec.messages("general")) == 3 })
	if got, want := arec.texts("general"), []string{"on s1 a", "on s1 b", "on s2"}; !reflect.DeepEqual(got, want) {
		t.Errorf("alice saw %q, want %q", got, want)
	}
}

func TestSessionGivesUpAfterMaxAttempts(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	ctx := testContext(t)
	ses, err := client.Connect(ctx, client.SessionOptions{
		URLs: []string{s.WS}, Name: "alice", Logger: quiet,
		BackoffBase: time.Millisecond, BackoffMax: 5 * time.Millisecond, MaxAttempts: 3,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer ses.Close()
	rec := drain(ses)
	if _, err := ses.Join(ctx, "general"); err != nil {
		t.Fatal(err)
	}
	s.Stop()
	// Queued if the session has not given up yet, refused if it has; never acknowledged.
	r, sendErr := ses.Send(ctx, "general", "into the void")
	if sendErr != nil && !errors.Is(sendErr, client.ErrClosed) {
		t.Fatal(sendErr)
	}
	select {
	case <-ses.Done():
	case <-ctx.Done():
		t.Fatal("the session did not give up")
	}
	if err := ses.Err(); err == nil || !strings.Contains(err.Error(), "giving up after 3 attempts") {
		t.Errorf("Err() = %v", err)
	}
	if sendErr == nil {
		if _, err := r.Wait(ctx); err == nil {
			t.Error("the send succeeded")
		}
	}
	if _, err := ses.Send(ctx, "general", "more"); !errors.Is(err, client.ErrClosed) {
		t.Errorf("send after the end: %v", err)
	}
	if _, err := ses.Join(ctx, "other"); !errors.Is(err, client.ErrClosed) {
		t.Errorf("join after the end: %v", err)
	}
	testwait.Until(t, "the disconnect event", func() bool { return len(events[*client.Disconnected](rec)) == 1 })
}

func TestConnectErrors(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	ctx := testContext(t)
	dead := deadURL

	cases := []struct {
		name string
		opts client.SessionOptions
		want string
	}{
		{"no URL", client.SessionOptions{Name: "a"}, "no server URL"},
		{"bad name", client.SessionOptions{URLs: []string{s.WS}, Name: "bad\nname"}, "control"},
		{"every server down", client.SessionOptions{URLs: []string{dead, dead}, Name: "a"}, "refused; "},
		{"bad URL", client.SessionOptions{URLs: []string{"nope"}, Name: "a"}, "bad URL"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.opts.Logger = quiet
			ses, err := client.Connect(ctx, tc.opts)
			if err == nil {
				ses.Close()
				t.Fatal("connected")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not mention %q", err, tc.want)
			}
		})
	}

	// A name another user holds (server-wide) is refused at hello.
	holder, _ := dialConn(t, ctx, s.WS, "")
	if _, err := holder.Hello(ctx, "alice", "the real key"); err != nil {
		t.Fatal(err)
	}
	if _, err := client.Connect(ctx, client.SessionOptions{URLs: []string{s.WS}, Name: "alice", Key: "another key", Logger: quiet}); hubbub.ErrorCode(err) != hubbub.ECodeNameTaken {
		t.Errorf("connect with a name held under another key: %v", err)
	}

	// A refused join returns the server's error, and the room is not rejoined later.
	ses, rec := startSession(t, "bea", s.WS)
	bea, _, err := s.Store.UserByName(ctx, "bea")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Hub.Sanction(ctx, hub.Actor{Log: "test"}, hubbub.Sanction{Room: "general", User: bea.ID, Name: "bea", Kind: hubbub.SanctionBan,
		Until: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if _, err := ses.Join(ctx, "general"); hubbub.ErrorCode(err) != hubbub.ECodeBanned {
		t.Errorf("join of a room one is banned from: %v", err)
	}
	if _, err := ses.Join(ctx, "other"); err != nil {
		t.Fatal(err)
	}
	testwait.Until(t, "the joined event", func() bool { return len(events[*wire.Joined](rec)) == 1 })
	if _, err := ses.Send(ctx, "general", ""); hubbub.ErrorCode(err) != hubbub.ECodeEmpty {
		t.Errorf("empty send: %v", err)
	}
	r, err := ses.Send(ctx, "general", "not a member")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Wait(ctx); hubbub.ErrorCode(err) != hubbub.ECodeNotJoined {
		t.Errorf("send to a room not joined: %v", err)
	}
	if got := ses.Err(); got != nil {
		t.Errorf("Err() = %v while running", got)
	}
	ses.Close()
	if !errors.Is(ses.Err(), client.ErrClosed) {
		t.Errorf("Err() after Close = %v", ses.Err())
	}
}

// TestSessionRefusesAFrameTheServerWillNotRead: a message whose frame is over the server's
// --read-limit (here 2,048 bytes, for a 3,000-byte text within --max-text) gets the connection
// closed with 1009; the session resent it on every reconnect, so it was closed again and
// again — hubbub chat reconnected 55 times in 8 s until its --ack-timeout. A request the server
// closes two connections in a row over, the oldest unacknowledged on both, is refused with
// too_long; what was queued behind it goes on. The server here is one older than
// welcome.limits.frame (its welcome stripped of it), which a session cannot refuse a frame
// for before sending it.
func TestSessionRefusesAFrameTheServerWillNotRead(t *testing.T) {
	s := servertest.Start(t, servertest.Options{Server: server.Config{ReadLimit: 2048}})
	ses, _ := startSession(t, "ann", withoutFrameLimit(t, s.WS))
	ctx := testContext(t)
	if _, err := ses.Join(ctx, "general"); err != nil {
		t.Fatal(err)
	}
	big, err := ses.Send(ctx, "general", strings.Repeat("x", 3000))
	if err != nil {
		t.Fatal(err)
	}
	small, err := ses.Send(ctx, "general", "after it")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := big.Wait(ctx); code(err) != hubbub.ECodeTooLong {
		t.Fatalf("the oversized message: %v, want a too_long refusal", err)
	}
	if ack, err := small.Wait(ctx); err != nil || ack.Seq != 1 {
		t.Fatalf("the message after it: %+v %v, want seq 1", ack, err)
	}
}

// TestSessionRefusesALargeFrameBeforeSending: the welcome says the server reads frames of
// 2,048 bytes at most (limits.frame), so a message whose frame is larger is refused with
// too_long by Send itself and never written — written, the server would close the connection
// with 1009. The connection stays up and the next message is stored.
func TestSessionRefusesALargeFrameBeforeSending(t *testing.T) {
	s := servertest.Start(t, servertest.Options{Server: server.Config{ReadLimit: 2048}})
	ses, rec := startSession(t, "ann", s.WS)
	ctx := testContext(t)
	if _, err := ses.Join(ctx, "general"); err != nil {
		t.Fatal(err)
	}
	r, err := ses.Send(ctx, "general", strings.Repeat(`"`, 1500)) // 3,000 bytes as JSON
	if hubbub.ErrorCode(err) != hubbub.ECodeTooLong || r != nil || !strings.Contains(err.Error(), "--read-limit") {
		t.Fatalf("Send of a frame past the server's 2048 bytes = %v, %v; want a too_long refusal naming --read-limit", r, err)
	}
	if n := ses.Pending(); n != 0 {
		t.Errorf("%d requests pending after the refusal, want none", n)
	}
	small, err := ses.Send(ctx, "general", "after it")
	if err != nil {
		t.Fatal(err)
	}
	if ack, err := small.Wait(ctx); err != nil || ack.Seq != 1 {
		t.Fatalf("the message after it: %+v %v, want seq 1", ack, err)
	}
	if d := events[*client.Disconnected](rec); len(d) > 0 {
		t.Errorf("the connection closed: %+v", d[0])
	}
}

// TestSessionRefusesATextLongerThanMaxText: a text longer than the welcome's max_text after
// the server's cleaning is refused by Send with too_long, not written; one that is longer only
// by the spaces the server trims is sent.
func TestSessionRefusesATextLongerThanMaxText(t *testing.T) {
	s := servertest.Start(t, servertest.Options{Server: server.Config{MaxText: 100}})
	ses, _ := startSession(t, "ann", s.WS)
	ctx := testContext(t)
	if _, err := ses.Join(ctx, "general"); err != nil {
		t.Fatal(err)
	}
	r, err := ses.Send(ctx, "general", strings.Repeat("x", 101))
	if hubbub.ErrorCode(err) != hubbub.ECodeTooLong || r != nil || !strings.Contains(err.Error(), "--max-text") {
		t.Fatalf("Send of 101 bytes past --max-text 100 = %v, %v; want a too_long refusal naming --max-text", r, err)
	}
	if _, err := ses.Edit(ctx, "general", 1, strings.Repeat("x", 101)); hubbub.ErrorCode(err) != hubbub.ECodeTooLong {
		t.Fatalf("Edit to 101 bytes = %v, want a too_long refusal", err)
	}
	padded, err := ses.Send(ctx, "general", strings.Repeat("x", 100)+strings.Repeat(" ", 50))
	if err != nil {
		t.Fatal(err)
	}
	if ack, err := padded.Wait(ctx); err != nil || ack.Seq != 1 {
		t.Fatalf("100 bytes and 50 trailing spaces: %+v %v, want stored as seq 1", ack, err)
	}
}

// While the server is down, each round of reconnect attempts that fails is a *Reconnecting
// event: counted from 1, with the error and the pause before the next round, so that a client
// can say when it tries again (hubbub chat does). The first round follows the Disconnected at
// once; the Connected of the server back comes after the last.
func TestSessionSaysWhenItTriesAgain(t *testing.T) {
	s := servertest.Start(t, servertest.Options{DataPath: filepath.Join(t.TempDir(), "hubbub.db")})
	_, rec := startSession(t, "ann", s.WS) // BackoffBase 10ms, BackoffMax 100ms
	s.Stop()
	testwait.Until(t, "three failed rounds", func() bool { return len(events[*client.Reconnecting](rec)) >= 3 })
	s = s.Restart()
	testwait.Until(t, "ann to be back", func() bool { return len(events[*client.Connected](rec)) == 2 })

	var kinds []string
	round := 0
	for _, f := range rec.all() {
		switch f := f.(type) {
		case *client.Disconnected, *client.Connected:
			kinds = append(kinds, f.FrameType())
		case *client.Reconnecting:
			if len(kinds) == 0 || kinds[len(kinds)-1] != "reconnecting" {
				kinds = append(kinds, "reconnecting")
			}
			round++
			// The backoff: BackoffBase·2ⁿ⁻¹ capped at BackoffMax, of which a random half is jitter;
			// a server shutting down may answer 503 with a Retry-After, and then more.
			most := min(10*time.Millisecond<<(round-1), 100*time.Millisecond)
			least := most / 2
			var refused *client.DialError
			if errors.As(f.Err, &refused) && refused.RetryAfter > 0 {
				least, most = max(least, refused.RetryAfter), max(most, refused.RetryAfter+time.Second)
			}
			// Err is the server's going, seen as a refused dial, a 503 or an EOF.
			if f.Round != round || f.Err == nil || f.Wait < least || f.Wait > most {
				t.Errorf("reconnecting %+v, want round %d, an error and a wait within [%v, %v]", f, round, least, most)
			}
		}
	}
	if want := []string{"connected", "disconnected", "reconnecting", "connected"}; !reflect.DeepEqual(kinds, want) {
		t.Errorf("the session's events: %q, want %q", kinds, want)
	}
}

// Connected came after the frame the server sends right after its welcome (the user's rooms)
// as often as not: the session emitted it once hello returned, racing the connection's reader.
// It comes first now. The test makes the race's losing order certain: the session logs
// "connected" as its hello returns, and that log is held until the rooms are delivered (or
// servertest.Wait has passed).
func TestSessionConnectedComesBeforeTheFramesAfterTheWelcome(t *testing.T) {
	s := servertest.Start(t, servertest.Options{DataPath: filepath.Join(t.TempDir(), "hubbub.db")})
	var (
		armed atomic.Bool
		rec   *recorder
	)
	roomsSince := func(from int) bool {
		return slices.ContainsFunc(rec.all()[from:], func(f wire.Frame) bool { _, ok := f.(*wire.Rooms); return ok })
	}
	since := 0
	hold := writerFunc(func(p []byte) (int, error) {
		if armed.Load() && bytes.Contains(p, []byte("msg=connected ")) {
			for deadline := time.Now().Add(servertest.Wait); time.Now().Before(deadline) && !roomsSince(since); {
				time.Sleep(5 * time.Millisecond)
			}
		}
		return len(p), nil
	})
	ses, err := client.Connect(testContext(t), client.SessionOptions{
		URLs: []string{s.WS}, Name: "alice", Key: "key-alice",
		Logger:      slog.New(slog.NewTextHandler(hold, nil)),
		BackoffBase: 10 * time.Millisecond, BackoffMax: 100 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ses.Close() })
	rec = drain(ses)
	// The first connection's rooms frame, recorded: the recorder drains the session's events on
	// a goroutine of its own, so it may record them after Join returned, and a rooms frame
	// counted after since read as the reconnect's (CI, on a376580: ["rooms" "connected"], the
	// second rooms not yet come).
	testwait.Until(t, "alice's first rooms", func() bool { return roomsSince(0) })
	if _, err := ses.Join(testContext(t), "general"); err != nil { // a room in alice's list
		t.Fatal(err)
	}
	since = len(rec.all())
	armed.Store(true)

	s = s.Restart()
	testwait.Until(t, "alice back, with her rooms", func() bool {
		return len(events[*client.Connected](rec)) == 2 && roomsSince(since)
	})
	var order []string
	for _, f := range rec.all()[since:] {
		switch f.(type) {
		case *client.Connected, *wire.Rooms:
			order = append(order, f.FrameType())
		}
	}
	if want := []string{"connected", "rooms"}; !reflect.DeepEqual(order, want) {
		t.Errorf("after the reconnect the session delivered %q, want %q", order, want)
	}
}

// writerFunc is a function as an io.Writer.
type writerFunc func(p []byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
