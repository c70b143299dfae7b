package e2e

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"hubbub/client"
	"hubbub/internal/servertest"
	"hubbub/internal/wire"
)

// goUser is a person on the terminal side: a Go hubbub.v1 connection (the package hubbub chat
// uses) that the tests drive next to the browsers.
type goUser struct {
	t    *testing.T
	name string
	conn *client.Conn

	mu      sync.Mutex
	acks    map[string]*wire.Ack
	errs    map[string]*wire.Error
	changed chan struct{}
}

// sendIDs numbers the sends of every goUser of the test binary.
var sendIDs atomic.Uint64

// dialUser connects name to srv, says hello and joins rooms. The connection closes when the
// test ends.
func dialUser(t *testing.T, srv *servertest.Server, name string, rooms ...string) *goUser {
	t.Helper()
	g := &goUser{t: t, name: name, acks: map[string]*wire.Ack{}, errs: map[string]*wire.Error{},
		changed: make(chan struct{}, 1)}
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	conn, err := client.Dial(ctx, srv.WS, client.Options{
		Handler: g.handle,
		Logger:  slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatalf("%s: dial %s: %v", name, srv.WS, err)
	}
	g.conn = conn
	t.Cleanup(func() { _ = conn.Close() })
	if _, err := conn.Hello(ctx, name, "key-of-"+name); err != nil {
		t.Fatalf("%s: hello: %v", name, err)
	}
	for _, room := range rooms {
		if _, err := conn.Join(ctx, room, nil, 0); err != nil {
			t.Fatalf("%s: join %s: %v", name, room, err)
		}
	}
	return g
}

// handle runs on the connection's read goroutine: record, signal, return.
func (g *goUser) handle(f wire.Frame) {
	g.mu.Lock()
	switch f := f.(type) {
	case *wire.Ack:
		g.acks[f.ID] = f
	case *wire.Error:
		if f.ID != "" {
			g.errs[f.ID] = f
		}
	}
	g.mu.Unlock()
	select {
	case g.changed <- struct{}{}:
	default:
	}
}

// say sends text to room and waits for the server to acknowledge it as stored.
func (g *goUser) say(room, text string) uint64 {
	g.t.Helper()
	// Ids are unique across connections: a reconnected user reusing one would (rightly) be told
	// it was a duplicate.
	id := fmt.Sprintf("%s-%d", g.name, sendIDs.Add(1))
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	if err := g.conn.Send(ctx, room, id, text); err != nil {
		g.t.Fatalf("%s: send %q: %v", g.name, text, err)
	}
	for {
		g.mu.Lock()
		ack, e := g.acks[id], g.errs[id]
		g.mu.Unlock()
		switch {
		case ack != nil:
			return ack.Seq
		case e != nil:
			g.t.Fatalf("%s: send %q: %v", g.name, text, e)
		}
		select {
		case <-g.changed:
		case <-ctx.Done():
			g.t.Fatalf("%s: no ack for %q", g.name, text)
		}
	}
}

// typing tells room that the user is typing.
func (g *goUser) typing(room string) {
	g.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	if err := g.conn.Typing(ctx, room); err != nil {
		g.t.Fatalf("%s: typing: %v", g.name, err)
	}
}

// waitMembers polls the room's member list (who) until it is exactly want, in order.
func (g *goUser) waitMembers(room string, want ...string) {
	g.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	var got []string
	for {
		var err error
		if got, err = g.conn.Who(ctx, room); err != nil {
			g.t.Fatalf("%s: who %s: %v (last seen %q, want %q)", g.name, room, err, got, want)
		}
		slices.Sort(got)
		if slices.Equal(got, want) {
			return
		}
		select {
		case <-ctx.Done():
			g.t.Fatalf("%s: members of %s are %q, want %q", g.name, room, got, want)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// sendRefused sends text to room and waits for the server to refuse it; it returns the code.
func (g *goUser) sendRefused(room, text string) string {
	g.t.Helper()
	id := fmt.Sprintf("%s-%d", g.name, sendIDs.Add(1))
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	if err := g.conn.Send(ctx, room, id, text); err != nil {
		g.t.Fatalf("%s: send %q: %v", g.name, text, err)
	}
	for {
		g.mu.Lock()
		ack, e := g.acks[id], g.errs[id]
		g.mu.Unlock()
		switch {
		case ack != nil:
			g.t.Fatalf("%s: %q was stored (seq %d), want it refused", g.name, text, ack.Seq)
		case e != nil:
			return e.Code
		}
		select {
		case <-g.changed:
		case <-ctx.Done():
			g.t.Fatalf("%s: no answer to %q", g.name, text)
		}
	}
}

// history returns every stored text of room, oldest first, paging back through history.
func (g *goUser) history(room string) []string {
	g.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	var texts []string
	var before uint64
	for {
		page, err := g.conn.History(ctx, room, before, 200)
		if err != nil {
			g.t.Fatalf("%s: history of %s: %v", g.name, room, err)
		}
		batch := make([]string, 0, len(page.Messages)+len(texts))
		for _, m := range page.Messages {
			batch = append(batch, m.Text)
		}
		texts = append(batch, texts...)
		if !page.More || len(page.Messages) == 0 {
			return texts
		}
		before = page.Messages[0].Seq
	}
}

// request sends a frame that carries id (an edit, react, delete, or a send with reply_to) and
// waits for its ack; it returns the ack's seq, the entry's place in the room's log.
func (g *goUser) request(what, id string, frame any) uint64 {
	g.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	if err := g.conn.WriteFrame(ctx, frame); err != nil {
		g.t.Fatalf("%s: %s: %v", g.name, what, err)
	}
	for {
		g.mu.Lock()
		ack, e := g.acks[id], g.errs[id]
		g.mu.Unlock()
		switch {
		case ack != nil:
			return ack.Seq
		case e != nil:
			g.t.Fatalf("%s: %s: %v", g.name, what, e)
		}
		select {
		case <-g.changed:
		case <-ctx.Done():
			g.t.Fatalf("%s: no ack for %s", g.name, what)
		}
	}
}

// nextID is a client id unique across the test binary's connections.
func (g *goUser) nextID() string { return fmt.Sprintf("%s-%d", g.name, sendIDs.Add(1)) }

// reply sends text to room as a reply to message parent; it returns the reply's seq.
func (g *goUser) reply(room string, parent uint64, text string) uint64 {
	g.t.Helper()
	id := g.nextID()
	return g.request(fmt.Sprintf("reply %q", text), id, wire.SendRequest{Type: wire.TypeSend, Room: room, ID: id, Text: text, ReplyTo: parent})
}

// edit replaces the text of the user's message seq of room.
func (g *goUser) edit(room string, seq uint64, text string) {
	g.t.Helper()
	id := g.nextID()
	g.request(fmt.Sprintf("edit %d", seq), id, wire.EditRequest{Type: wire.TypeEdit, Room: room, Seq: seq, Text: text, ID: id})
}

// react toggles the user's reaction emoji on message seq of room.
func (g *goUser) react(room string, seq uint64, emoji string) {
	g.t.Helper()
	id := g.nextID()
	g.request(fmt.Sprintf("react %s on %d", emoji, seq), id, wire.ReactRequest{Type: wire.TypeReact, Room: room, Seq: seq, Emoji: emoji, ID: id})
}

// deleteMessage deletes message seq of room.
func (g *goUser) deleteMessage(room string, seq uint64) {
	g.t.Helper()
	id := g.nextID()
	g.request(fmt.Sprintf("delete %d", seq), id, wire.DeleteRequest{Type: wire.TypeDelete, Room: room, Seq: seq, ID: id})
}
