package client_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"hubbub"
	"hubbub/client"
	"hubbub/internal/server"
	"hubbub/internal/servertest"
	"hubbub/internal/testwait"
	"hubbub/internal/wire"
)

// dialConn dials s, says hello as name and records every frame; it is closed when the test ends.
func dialConn(t *testing.T, ctx context.Context, url, name string) (*client.Conn, *recorder) {
	t.Helper()
	rec := &recorder{}
	c, err := client.Dial(ctx, url, client.Options{Handler: rec.add, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if name != "" {
		w, err := c.Hello(ctx, name, "key-"+name)
		if err != nil {
			t.Fatal(err)
		}
		if w.Name != name || w.Limits.MaxText <= 0 || w.Limits.SendRate <= 0 {
			t.Fatalf("welcome = %+v", w)
		}
	}
	return c, rec
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), servertest.Wait)
	t.Cleanup(cancel)
	return ctx
}

func code(err error) string {
	var se *wire.Error
	if errors.As(err, &se) {
		return se.Code
	}
	return fmt.Sprintf("not a server error: %v", err)
}

func TestConnJoinSendAckHistory(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	ctx := testContext(t)
	alice, arec := dialConn(t, ctx, s.WS, "alice")
	bob, brec := dialConn(t, ctx, s.WS, "bob")

	j, err := alice.Join(ctx, "general", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	if j.Room != "general" || j.LastSeq != 0 || j.Replay != 0 || !reflect.DeepEqual(j.Members, []string{"alice"}) {
		t.Errorf("alice joined = %+v", j)
	}
	if _, err := bob.Join(ctx, "general", nil, 0); err != nil {
		t.Fatal(err)
	}
	testwait.Until(t, "bob's presence", func() bool {
		return arec.count(func(f wire.Frame) bool {
			p, ok := f.(*wire.Presence)
			return ok && p.Name == "bob" && p.Event == "join" && p.Room == "general"
		}) == 1
	})

	// Five messages: each is acked to its sender and delivered to both members in seq order.
	for i := 1; i <= 5; i++ {
		if err := alice.Send(ctx, "general", fmt.Sprintf("a-%d", i), fmt.Sprintf("hello %d", i)); err != nil {
			t.Fatal(err)
		}
	}
	acks := func() []*wire.Ack {
		var out []*wire.Ack
		for _, f := range arec.all() {
			if a, ok := f.(*wire.Ack); ok {
				out = append(out, a)
			}
		}
		return out
	}
	testwait.Until(t, "5 acks", func() bool { return len(acks()) == 5 })
	testwait.Until(t, "bob's 5 messages", func() bool { return len(brec.messages("general")) == 5 })
	for i, a := range acks() {
		if a.ID != fmt.Sprintf("a-%d", i+1) || a.Seq != uint64(i+1) || a.Duplicate || a.MsgID == "" {
			t.Errorf("ack %d = %+v", i, a)
		}
	}
	for i, m := range brec.messages("general") {
		if m.Seq != uint64(i+1) || m.From != "alice" || m.Text != fmt.Sprintf("hello %d", i+1) ||
			m.ClientID != fmt.Sprintf("a-%d", i+1) || m.Time.IsZero() {
			t.Errorf("bob's message %d = %+v", i, m)
		}
	}

	// Resending an id stores nothing new: the original ack comes back marked duplicate.
	if err := alice.Send(ctx, "general", "a-3", "hello 3"); err != nil {
		t.Fatal(err)
	}
	testwait.Until(t, "the duplicate ack", func() bool { return len(acks()) == 6 })
	if a := acks()[5]; a.ID != "a-3" || a.Seq != 3 || !a.Duplicate {
		t.Errorf("duplicate ack = %+v", a)
	}

	// History pages backwards, oldest first within a page.
	var seqs [][]uint64
	var before uint64
	for {
		h, err := bob.History(ctx, "general", before, 2)
		if err != nil {
			t.Fatal(err)
		}
		var page []uint64
		for _, m := range h.Messages {
			page = append(page, m.Seq)
		}
		seqs = append(seqs, page)
		if !h.More {
			break
		}
		before = h.Messages[0].Seq
	}
	if want := [][]uint64{{4, 5}, {2, 3}, {1}}; !reflect.DeepEqual(seqs, want) {
		t.Errorf("history pages = %v, want %v", seqs, want)
	}

	members, err := bob.Who(ctx, "general")
	if err != nil || !reflect.DeepEqual(members, []string{"alice", "bob"}) {
		t.Errorf("who = %v, %v", members, err)
	}
	if err := bob.Ping(ctx, "p-1"); err != nil {
		t.Errorf("ping: %v", err)
	}
	if err := bob.Typing(ctx, "general"); err != nil {
		t.Fatal(err)
	}
	testwait.Until(t, "bob's typing notice", func() bool {
		return arec.count(func(f wire.Frame) bool {
			ty, ok := f.(*wire.Typing)
			return ok && ty.Name == "bob" && ty.Room == "general"
		}) == 1
	})

	// A late joiner with since gets exactly what came after it; with history, the newest.
	carol, crec := dialConn(t, ctx, s.WS, "carol")
	since := uint64(3)
	if j, err := carol.Join(ctx, "general", &since, 0); err != nil || j.LastSeq != 5 || j.Replay != 2 {
		t.Fatalf("carol joined = %+v, %v", j, err)
	}
	testwait.Until(t, "carol's replay", func() bool { return len(crec.messages("general")) == 2 })
	if got := crec.texts("general"); !reflect.DeepEqual(got, []string{"hello 4", "hello 5"}) {
		t.Errorf("carol's replay = %q", got)
	}
	dave, drec := dialConn(t, ctx, s.WS, "dave")
	if j, err := dave.Join(ctx, "general", nil, 1); err != nil || j.Replay != 1 {
		t.Fatalf("dave joined = %+v, %v", j, err)
	}
	testwait.Until(t, "dave's replay", func() bool { return len(drec.messages("general")) == 1 })

	if err := bob.Leave(ctx, "general"); err != nil {
		t.Fatal(err)
	}
	testwait.Until(t, "bob's leave", func() bool {
		return arec.count(func(f wire.Frame) bool {
			p, ok := f.(*wire.Presence)
			return ok && p.Name == "bob" && p.Event == "leave"
		}) == 1
	})
}

func TestConnErrors(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	ctx := testContext(t)

	c, rec := dialConn(t, ctx, s.WS, "")
	if _, err := c.Join(ctx, "general", nil, 0); code(err) != hubbub.ECodeNoHello {
		t.Errorf("join before hello: %v", err)
	}
	if _, err := c.Hello(ctx, " spaced ", ""); code(err) != hubbub.ECodeBadName {
		t.Errorf("hello with a bad name: %v", err)
	}
	if _, err := c.Hello(ctx, "erin", "k"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Join(ctx, "-bad room", nil, 0); code(err) != hubbub.ECodeBadRoom {
		t.Errorf("join a bad room: %v", err)
	}
	if _, err := c.Who(ctx, "elsewhere"); code(err) != hubbub.ECodeNotJoined {
		t.Errorf("who in a room not joined: %v", err)
	}
	// Send errors arrive through the Handler, naming the request and its id.
	if err := c.Send(ctx, "elsewhere", "e-1", "hi"); err != nil {
		t.Fatal(err)
	}
	testwait.Until(t, "the send's error frame", func() bool {
		return rec.count(func(f wire.Frame) bool {
			e, ok := f.(*wire.Error)
			return ok && e.Code == hubbub.ECodeNotJoined && e.Request == "send" && e.ID == "e-1"
		}) == 1
	})

	// Another key cannot take the name, anywhere (a name is one user's, server-wide).
	if _, err := c.Join(ctx, "general", nil, 0); err != nil {
		t.Fatal(err)
	}
	impostor, _ := dialConn(t, ctx, s.WS, "")
	if _, err := impostor.Hello(ctx, "erin", "other key"); code(err) != hubbub.ECodeNameTaken {
		t.Errorf("hello with a taken name: %v", err)
	}
	if u := c.User(); u == nil || u.Name != "erin" || u.Kind != "guest" || u.ID == "" {
		t.Errorf("the welcome's user: %+v", u)
	}

	// A request whose ctx ends gives up; the connection stays usable.
	done, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := c.Who(done, "general"); !errors.Is(err, context.Canceled) {
		t.Errorf("who with a cancelled ctx: %v", err)
	}
	if _, err := c.Who(ctx, "general"); err != nil {
		t.Errorf("who after a cancelled request: %v", err)
	}

	// After Close, requests fail with ErrClosed and the goroutines are gone (TestMain checks).
	c.Close()
	if _, err := c.Who(ctx, "general"); !errors.Is(err, client.ErrClosed) {
		t.Errorf("who after Close: %v", err)
	}
	select {
	case <-c.Done():
	default:
		t.Error("Done is not closed after Close")
	}
}

func TestDialErrors(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	ctx := testContext(t)
	refused := deadURL

	cases := []struct {
		name, url string
		opts      client.Options
		want      string
	}{
		{"bad URL", "localhost:3434", client.Options{}, "bad URL"},
		{"nobody listening", refused, client.Options{}, "refused"},
		{"foreign origin", s.WS, client.Options{Origin: "https://evil.example"}, "403"},
		{"not a WebSocket endpoint", s.URL + "/nothing-here", client.Options{}, "404"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			c, err := client.Dial(ctx, tc.url, tc.opts)
			if err == nil {
				c.Close()
				t.Fatal("dial succeeded")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not mention %q", err, tc.want)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("took %v", d)
			}
		})
	}

	// The server's own origin and custom headers are fine.
	c, err := client.Dial(ctx, s.WS, client.Options{Origin: s.URL, Header: http.Header{"X-Test": {"1"}}, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
}

// docs/protocol.md: typing gets "nothing to the sender; typing to the other members".
func TestTypingIsNotEchoedToTheTypist(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	ctx := testContext(t)
	alice, arec := dialConn(t, ctx, s.WS, "alice")
	bob, brec := dialConn(t, ctx, s.WS, "bob")
	for _, c := range []*client.Conn{alice, bob} {
		if _, err := c.Join(ctx, "general", nil, 0); err != nil {
			t.Fatal(err)
		}
	}
	if err := bob.Typing(ctx, "general"); err != nil {
		t.Fatal(err)
	}
	isTyping := func(f wire.Frame) bool { _, ok := f.(*wire.Typing); return ok }
	testwait.Until(t, "alice to see bob typing", func() bool { return arec.count(isTyping) == 1 })
	// The notice to bob, if any, was queued before the one to alice; a ping flushes it.
	if err := bob.Ping(ctx, "flush"); err != nil {
		t.Fatal(err)
	}
	if n := brec.count(isTyping); n != 0 {
		t.Errorf("bob got %d typing notices of his own", n)
	}
}

// TestSendOfMarkupFitsTheReadLimit: a message of 1,500 "<" — well within the default
// --max-text, 4,096 bytes — closed the connection with 1009 (message over the read limit)
// and, resent on each reconnect, looped: encoding/json wrote each "<" as the six bytes
// \u003c, 9,000 bytes in all against the server's 8,192. The client writes frames as the
// browser's JSON.stringify does, so markup (HTML, XML, generics) costs a byte a character.
func TestSendOfMarkupFitsTheReadLimit(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	ctx := testContext(t)
	alice, arec := dialConn(t, ctx, s.WS, "alice")
	if _, err := alice.Join(ctx, "general", nil, 0); err != nil {
		t.Fatal(err)
	}
	text := strings.Repeat("<&>", 1000)
	if err := alice.Send(ctx, "general", "m1", text); err != nil {
		t.Fatal(err)
	}
	testwait.Until(t, "the ack of 3,000 bytes of markup", func() bool {
		return arec.count(func(f wire.Frame) bool { a, ok := f.(*wire.Ack); return ok && a.ID == "m1" }) == 1
	})
	if m := arec.messages("general"); len(m) != 1 || m[0].Text != text {
		t.Errorf("messages = %+v", m)
	}
}

// A Conn does not write a frame larger than the welcome says the server reads (limits.frame):
// Send returns a too_long error and the connection stays open for the next one.
func TestConnRefusesAFrameLargerThanTheServerReads(t *testing.T) {
	s := servertest.Start(t, servertest.Options{Server: server.Config{ReadLimit: 2048}})
	ctx := testContext(t)
	c, rec := dialConn(t, ctx, s.WS, "ann")
	if _, err := c.Join(ctx, "general", nil, 0); err != nil {
		t.Fatal(err)
	}
	err := c.Send(ctx, "general", "big", strings.Repeat("x", 3000))
	if hubbub.ErrorCode(err) != hubbub.ECodeTooLong {
		t.Fatalf("Send of a 3,000-byte text past a 2,048-byte frame limit = %v, want too_long", err)
	}
	sayAll(t, c, rec, "general", "small-", "after it")
	if err := c.Err(); err != nil {
		t.Fatalf("the connection ended: %v", err)
	}
}

// A request with a room or id longer than any valid one is refused, and the server's error
// echoes them cut short (docs/protocol.md, error): the Conn still matches that error to the
// request, rather than leaving it waiting until its context ends.
func TestConnOverlongRoomIsRefused(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	ctx := testContext(t)
	c, _ := dialConn(t, ctx, s.WS, "")
	if _, err := c.Hello(ctx, "erin", "k"); err != nil {
		t.Fatal(err)
	}
	quick := func() context.Context {
		ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		t.Cleanup(cancel)
		return ctx
	}
	long := strings.Repeat("r", 9000)
	if _, err := c.Join(quick(), long, nil, 0); code(err) != hubbub.ECodeBadRoom {
		t.Errorf("join a 9 KB room: %s, %.100v", code(err), err)
	}
	if _, err := c.Join(quick(), strings.Repeat("€", 30), nil, 0); code(err) != hubbub.ECodeBadRoom {
		t.Errorf("join a 90-byte room of 3-byte characters: %v", err)
	}
	if _, err := c.Who(quick(), long); code(err) != hubbub.ECodeBadRoom && code(err) != hubbub.ECodeNotJoined {
		t.Errorf("who in a 9 KB room: %s, %.100v", code(err), err)
	}
	if _, err := c.Search(quick(), client.SearchRequest{Q: "x", ID: strings.Repeat("i", 100)}); code(err) != hubbub.ECodeBadID {
		t.Errorf("search with a 100-byte id: %v", err)
	}
	// The connection is fine.
	if _, err := c.Join(ctx, "general", nil, 0); err != nil {
		t.Fatal(err)
	}
}

// An endpoint that takes the upgrade without choosing hubbub.v1 (the add service) is a
// *ProtocolError naming what it chose, so that a program can say which endpoint it reached
// (hubbub chat does), and Connect returns it.
func TestDialOfTheAddServiceIsAProtocolError(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	ctx := testContext(t)
	addURL := strings.TrimSuffix(s.WS, "/ws") + "/add"
	_, err := client.Dial(ctx, addURL, client.Options{Logger: quiet})
	var pe *client.ProtocolError
	if !errors.As(err, &pe) || pe.URL != addURL || pe.Chose != "" {
		t.Fatalf("Dial(%s) = %v, want a ProtocolError with no subprotocol chosen", addURL, err)
	}
	if want := fmt.Sprintf("client: dial %s: server does not speak hubbub.v1 (it chose \"\")", addURL); err.Error() != want {
		t.Errorf("the error reads %q, want %q as before", err, want)
	}
	_, err = client.Connect(ctx, client.SessionOptions{URLs: []string{addURL}, Name: "ann", Logger: quiet})
	if !errors.As(err, &pe) {
		t.Errorf("Connect(%s) = %v, want the ProtocolError", addURL, err)
	}
}
