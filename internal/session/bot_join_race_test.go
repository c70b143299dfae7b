package session_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"hubbub"
	"hubbub/internal/server"
	"hubbub/internal/servertest"
)

// pausingStore holds the next read of a room's latest messages (a join's replay, read before
// the hub counts the joining connection as the room's member) until the test lets it go.
type pausingStore struct {
	hubbub.Store
	room    atomic.Pointer[string]
	reading chan struct{} // closed when the held read has begun
	resume  chan struct{} // closed by the test to let it end
}

func (s *pausingStore) Before(ctx context.Context, room string, before uint64, n int) ([]hubbub.Entry, error) {
	if r := s.room.Load(); r != nil && *r == room && s.room.CompareAndSwap(r, nil) {
		close(s.reading)
		<-s.resume
	}
	return s.Store.Before(ctx, room, before, n)
}

// TestBotNarrowedDuringJoin: a bot's rooms narrowed while its join of one of them is reading
// the replay (the sweep of its rooms runs before the hub counts it as a member) do not leave
// it in the room: the join is refused (forbidden) with neither joined nor the replay it read,
// and the bot gets no further message of the room, nor the room in its list (its first join of
// the room had written it there before the refusal).
func TestBotNarrowedDuringJoin(t *testing.T) {
	ps := &pausingStore{reading: make(chan struct{}), resume: make(chan struct{})}
	s := servertest.Start(t, servertest.Options{Server: server.Config{APIKey: botAdminKey},
		WrapStore: func(st hubbub.Store) hubbub.Store { ps.Store = st; return ps }})
	const token = hubbub.BotTokenPrefix + "racer"
	newBot(t, s, "ci", token, "builds", "deploy")
	alice := servertest.DialJSON(t, s, "alice")
	alice.Join("deploy", nil)
	if f := alice.Say("deploy", "a-0", "before"); f.Type() != "ack" {
		t.Fatalf("alice's first send: %v", f)
	}
	bot := servertest.DialJSON(t, s, "")
	if w := hello(bot, "", token); w.Type() != "welcome" {
		t.Fatalf("hello: %v", w)
	}

	room := "deploy"
	ps.room.Store(&room)
	bot.Send(servertest.Frame{"type": "join", "room": "deploy"})
	<-ps.reading
	if status, body := s.API("PATCH", "/api/bots/ci", botAdminKey, map[string]any{"rooms": []string{"builds"}}); status != http.StatusOK {
		close(ps.resume)
		t.Fatalf("narrow: %d %v", status, body)
	}
	bot.AwaitFunc("left deploy", func(f servertest.Frame) bool { return f.Type() == "left" && f.Str("room") == "deploy" })
	close(ps.resume)
	expectError(t, bot.AwaitFunc("the join's error", func(f servertest.Frame) bool {
		if f.Type() == "joined" || f.Type() == "message" {
			t.Errorf("the bot got %v of a join refused while it read the replay", f)
		}
		return f.Type() == "error" && f.Str("request") == "join"
	}), hubbub.ECodeForbidden, "deploy")
	if m := s.Hub.Members("deploy"); len(m) != 1 {
		t.Errorf("deploy's members after the bot's refused join: %v, want alice alone", m)
	}
	// The replay read for the join may still arrive; nothing sent after it may.
	if f := alice.Say("deploy", "a-1", "secret plans"); f.Type() != "ack" {
		t.Fatalf("alice's send: %v", f)
	}
	bot.Send(servertest.Frame{"type": "ping", "id": "after"})
	bot.AwaitFunc("pong", func(f servertest.Frame) bool {
		if f.Type() == "message" && f.Str("client_id") == "a-1" {
			t.Errorf("the bot got %v after its join was refused", f)
		}
		return f.Type() == "pong"
	})
	again := servertest.DialJSON(t, s, "")
	if w := hello(again, "", token); w.Type() != "welcome" {
		t.Fatalf("hello: %v", w)
	}
	if rooms := roomsOf(t, again.Await("rooms")); rooms["deploy"] != nil {
		t.Fatalf("the bot's rooms after its refused join of deploy: %v, want it not there", rooms)
	}
}

// helloPausingStore holds the next read of a bot by its token after the read (so the hello gets
// the bot as it was) until the test lets it go.
type helloPausingStore struct {
	hubbub.Store
	armed   atomic.Bool
	reading chan struct{} // closed when the held read has its answer
	resume  chan struct{} // closed by the test to let it return
}

func (s *helloPausingStore) BotByToken(ctx context.Context, hash string) (hubbub.Bot, bool, error) {
	b, found, err := s.Store.BotByToken(ctx, hash)
	if s.armed.CompareAndSwap(true, false) {
		close(s.reading)
		<-s.resume
	}
	return b, found, err
}

// TestBotDeletedDuringHello: a bot deleted while its hello is between reading the bot and
// following its changes (the change's event finds no connection to tell) is still closed with
// 1008: following it reads the bot again when a change came meanwhile.
func TestBotDeletedDuringHello(t *testing.T) {
	ps := &helloPausingStore{reading: make(chan struct{}), resume: make(chan struct{})}
	s := servertest.Start(t, servertest.Options{Server: server.Config{APIKey: botAdminKey},
		WrapStore: func(st hubbub.Store) hubbub.Store { ps.Store = st; return ps }})
	const token = hubbub.BotTokenPrefix + "late"
	newBot(t, s, "doomed", token, hubbub.DefaultRoom)
	bot := servertest.DialJSON(t, s, "")
	ps.armed.Store(true)
	bot.Send(servertest.Frame{"type": "hello", "token": token})
	<-ps.reading
	if status, body := s.API("DELETE", "/api/bots/doomed", botAdminKey, nil); status != http.StatusNoContent {
		close(ps.resume)
		t.Fatalf("delete: %d %v", status, body)
	}
	close(ps.resume)
	// Read before the deletion: let in and then told, or — when the deletion's event reaches
	// the hello before its welcome is written — refused at once; either way an unauthorized
	// error, if a frame comes at all, and the close with 1008.
	_ = bot.Conn.SetReadDeadline(time.Now().Add(servertest.Wait))
	for {
		_, data, err := bot.Conn.ReadMessage()
		if err != nil {
			if ce, ok := err.(*websocket.CloseError); !ok || ce.Code != 1008 {
				t.Errorf("the connection of a bot deleted during its hello: %v, want closed with 1008", err)
			}
			return
		}
		if strings.Contains(string(data), `"type":"error"`) {
			var f servertest.Frame
			if err := json.Unmarshal(data, &f); err != nil {
				t.Fatal(err)
			}
			expectError(t, f, hubbub.ECodeUnauthorized, "no longer works")
			break
		} // the welcome and what follows it, when the hello was let in
	}
	if ce := bot.Closed(); ce == nil || ce.Code != 1008 {
		t.Errorf("the connection of a bot deleted during its hello: %v, want closed with 1008", ce)
	}
}
