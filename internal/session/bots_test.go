package session_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"hubbub"
	"hubbub/internal/auth"
	"hubbub/internal/server"
	"hubbub/internal/servertest"
)

// newBot stores a bot with rooms and the API token token on s's store.
func newBot(t *testing.T, s *servertest.Server, name, token string, rooms ...string) hubbub.Bot {
	t.Helper()
	b, err := s.Store.CreateBot(t.Context(), name, rooms, hubbub.SecretHash(token))
	if err != nil {
		t.Fatalf("CreateBot: %v", err)
	}
	return b
}

// TestBotTokenLimitsRooms: a bot's token signs it in as its bot user, in the rooms its
// patterns cover only; members see its messages marked as a bot's and their own unmarked.
func TestBotTokenLimitsRooms(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	const token = hubbub.BotTokenPrefix + "0123456789abcdef0123456789abcdef"
	b := newBot(t, s, "ci", token, "builds", "deploy-*")

	bot := servertest.DialJSON(t, s, "")
	w := hello(bot, "", token)
	user, _ := w["user"].(map[string]any)
	if w.Type() != "welcome" || w.Str("name") != "ci" || user["kind"] != "bot" || user["id"] != b.User.ID {
		t.Fatalf("a bot's hello: %v", w)
	}
	for _, room := range []string{"builds", "deploy-prod"} {
		if j := bot.Join(room, nil); j.Type() != "joined" {
			t.Fatalf("the bot joining %s, which its patterns cover: %v", room, j)
		}
	}
	for _, room := range []string{"general", "deploy", "dm.0123"} {
		expectError(t, bot.Join(room, nil), hubbub.ECodeForbidden, room)
	}
	// Nor may it make or change a room outside them, or start a DM.
	for _, f := range []servertest.Frame{
		{"type": "create", "room": "elsewhere", "id": "cr-1"},
		{"type": "topic", "room": "general", "topic": "hijacked", "id": "tp-1"},
		{"type": "dm", "names": []string{"alice"}, "id": "dm-1"},
	} {
		bot.Send(f)
		got := bot.AwaitFunc("the answer to "+f.Str("type"), func(g servertest.Frame) bool {
			return g.Str("id") == f.Str("id") || g.Type() == "error"
		})
		if got.Type() != "error" || got.Str("code") != hubbub.ECodeForbidden {
			t.Errorf("a bot's %s outside its rooms: %v, want forbidden", f.Str("type"), got)
		}
		// A DM's refusal says what the bot lacks: it named room "" (a DM has no name yet).
		if f.Str("type") == "dm" && !strings.Contains(got.Str("message"), "dm.*") {
			t.Errorf("a bot's DM refused with %q, want the pattern it needs", got.Str("message"))
		}
	}
	// A message to a room it did not join is refused as for anyone.
	if f := bot.Say("general", "c-0", "sneaky"); f.Type() != "error" {
		t.Fatalf("a bot's send to a room outside its patterns: %v", f)
	}

	alice := servertest.DialJSON(t, s, "alice")
	alice.Join("builds", nil)
	if f := bot.Say("builds", "c-1", "build 7 passed"); f.Type() != "ack" {
		t.Fatalf("the bot's send: %v", f)
	}
	if f := alice.Say("builds", "a-1", "thanks"); f.Type() != "ack" {
		t.Fatalf("alice's send: %v", f)
	}
	got := alice.Messages("builds", 2)
	if got[0].Str("from") != "ci" || got[0]["bot"] != true {
		t.Errorf("the bot's message as alice receives it: %v, want bot true", got[0])
	}
	if _, marked := got[1]["bot"]; marked || got[1].Str("from") != "alice" {
		t.Errorf("alice's own message: %v, want no bot field", got[1])
	}
	// A later join replays it from the store, still marked.
	carol := servertest.DialJSON(t, s, "carol")
	carol.Join("builds", nil)
	if replay := carol.Messages("builds", 2); replay[0]["bot"] != true || replay[1]["bot"] != nil {
		t.Errorf("replay: %v, want the bot's message marked and alice's not", replay)
	}
}

// TestBotTokenRefused: a token no live bot holds is refused — unknown, rotated out, or its
// bot deleted (by an admin through the API) — and a signed-token server takes bot tokens too.
func TestBotTokenRefused(t *testing.T) {
	v, err := auth.NewHMAC(tokenSecret, nil)
	if err != nil {
		t.Fatal(err)
	}
	s := servertest.Start(t, servertest.Options{Server: server.Config{Tokens: v, APIKey: botAdminKey}})
	const token = hubbub.BotTokenPrefix + "first"
	b := newBot(t, s, "deployer", token, "*")
	if w := hello(servertest.DialJSON(t, s, ""), "", token); w.Type() != "welcome" {
		t.Fatalf("a bot's token on a server that requires tokens: %v", w)
	}
	expectError(t, hello(servertest.DialJSON(t, s, ""), "", hubbub.BotTokenPrefix+"unknown"), hubbub.ECodeUnauthorized, "bot token")

	second := rotateBot(t, s, b.User.ID)
	expectError(t, hello(servertest.DialJSON(t, s, ""), "", token), hubbub.ECodeUnauthorized, "bot token")
	if w := hello(servertest.DialJSON(t, s, ""), "", second); w.Type() != "welcome" {
		t.Fatalf("the rotated token: %v", w)
	}
	if status, body := s.API("DELETE", "/api/bots/"+b.User.ID, botAdminKey, nil); status != http.StatusNoContent {
		t.Fatalf("delete: %d %v", status, body)
	}
	expectError(t, hello(servertest.DialJSON(t, s, ""), "", second), hubbub.ECodeUnauthorized, "bot token")
}

// botAdminKey is the API key of the servers whose bots an admin changes in these tests.
const botAdminKey = "bots-admin-key"

// rotateBot rotates the bot id's token through the API and returns the new one.
func rotateBot(t *testing.T, s *servertest.Server, id string) string {
	t.Helper()
	status, body := s.API("POST", "/api/bots/"+id+"/token", botAdminKey, nil)
	if status != http.StatusOK || body.Str("token") == "" {
		t.Fatalf("rotate: %d %v", status, body)
	}
	return body.Str("token")
}

// TestBotOnTextProtocol: text clients see a bot's message as "name (bot): text", and a bot may
// itself use the text protocol (its token in ?token=) in lobby only if its patterns cover it.
func TestBotOnTextProtocol(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	newBot(t, s, "greeter", hubbub.BotTokenPrefix+"lobby", hubbub.DefaultRoom)
	newBot(t, s, "elsewhere", hubbub.BotTokenPrefix+"other", "builds")

	text := servertest.DialText(t, s, "tom")
	servertest.WaitMembers(t, s, hubbub.DefaultRoom, 1)
	bot := dialJSONWith(t, s, "token="+hubbub.BotTokenPrefix+"lobby", nil)
	bot.Send(servertest.Frame{"type": "hello"})
	bot.Await("welcome")
	bot.Join(hubbub.DefaultRoom, nil)
	if f := bot.Say(hubbub.DefaultRoom, "g-1", "welcome, tom"); f.Type() != "ack" {
		t.Fatalf("send: %v", f)
	}
	if lines := text.Lines(1); lines[0] != "greeter (bot): welcome, tom" {
		t.Errorf("the text client read %q", lines)
	}

	tb := servertest.NewTextClient(t, servertest.Dial(t, s.WS+"?token="+hubbub.BotTokenPrefix+"lobby", "", nil))
	tb.Say("ignored")
	tb.Say("beep")
	if lines := text.Lines(1); lines[0] != "greeter (bot): beep" {
		t.Errorf("a bot on the text protocol, as tom reads it: %q", lines)
	}
	out := servertest.NewTextClient(t, servertest.Dial(t, s.WS+"?token="+hubbub.BotTokenPrefix+"other", "", nil))
	out.Say("ignored")
	if ce := out.Closed(); ce == nil || !strings.Contains(ce.Text, "lobby") {
		t.Errorf("a bot outside lobby on the text protocol: %v, want a close naming lobby", ce)
	}
}

// TestBotRevokedWhileConnected: when an admin narrows a bot's rooms, its connection leaves the
// rooms no longer covered at once, without writing, and gets no further message of them; when
// the admin rotates its token, the connection is told and closed with 1008 at once.
func TestBotRevokedWhileConnected(t *testing.T) {
	s := servertest.Start(t, servertest.Options{Server: server.Config{APIKey: botAdminKey}})
	const token = hubbub.BotTokenPrefix + "live"
	b := newBot(t, s, "ci", token, "builds", "deploy")
	bot := servertest.DialJSON(t, s, "")
	if w := hello(bot, "", token); w.Type() != "welcome" {
		t.Fatalf("hello: %v", w)
	}
	bot.Join("builds", nil)
	bot.Join("deploy", nil)
	if f := bot.Say("deploy", "d-1", "deploying"); f.Type() != "ack" {
		t.Fatalf("send: %v", f)
	}
	alice := servertest.DialJSON(t, s, "alice")
	alice.Join("deploy", nil)

	if status, body := s.API("PATCH", "/api/bots/ci", botAdminKey, map[string]any{"rooms": []string{"builds"}}); status != http.StatusOK {
		t.Fatalf("narrow: %d %v", status, body)
	}
	if f := bot.Await("left"); f.Str("room") != "deploy" {
		t.Fatalf("the bot's connection after its rooms were narrowed: %v, want left deploy", f)
	}
	servertest.WaitMembers(t, s, "deploy", 1)
	expectNoMessageOf(t, bot, "deploy", func() {
		if f := alice.Say("deploy", "a-1", "secret plans"); f.Type() != "ack" {
			t.Fatalf("alice's send: %v", f)
		}
	})
	expectError(t, bot.Join("deploy", nil), hubbub.ECodeForbidden, "deploy")
	if f := bot.Say("builds", "b-1", "build ok"); f.Type() != "ack" {
		t.Fatalf("a send to a room still covered: %v", f)
	}

	rotateBot(t, s, b.User.ID)
	expectError(t, bot.Await("error"), hubbub.ECodeUnauthorized, "no longer works")
	if ce := bot.Closed(); ce == nil || ce.Code != 1008 {
		t.Errorf("the connection of a rotated-out token: %v, want closed with 1008", ce)
	}
}

// expectNoMessageOf runs say, which sends a message to room through a member on the same node
// as c, and then checks that c, no longer in room, got no message of it (but its own, from
// before): c's ping is answered after anything the room queued for it.
func expectNoMessageOf(t *testing.T, c *servertest.JSONClient, room string, say func()) {
	t.Helper()
	say()
	c.Send(servertest.Frame{"type": "ping", "id": "after-" + room})
	c.AwaitFunc("pong", func(f servertest.Frame) bool {
		if f.Type() == "message" && f.Str("room") == room && f.Str("from") != "ci" {
			t.Errorf("got %v from room %s after leaving it", f, room)
		}
		return f.Type() == "pong"
	})
}

// TestBotDeletedWhileConnected: deleting a bot closes its connections at once, on both
// protocols, with 1008, before they write anything.
func TestBotDeletedWhileConnected(t *testing.T) {
	s := servertest.Start(t, servertest.Options{Server: server.Config{APIKey: botAdminKey}})
	const token = hubbub.BotTokenPrefix + "doomed"
	newBot(t, s, "doomed", token, hubbub.DefaultRoom)
	bot := servertest.DialJSON(t, s, "")
	if w := hello(bot, "", token); w.Type() != "welcome" {
		t.Fatalf("hello: %v", w)
	}
	bot.Join(hubbub.DefaultRoom, nil)
	text := servertest.NewTextClient(t, servertest.Dial(t, s.WS+"?token="+token, "", nil))
	text.Say("ignored")
	text.Say("ready") // its first message: named and followed once the JSON connection sees it
	if m := bot.Messages(hubbub.DefaultRoom, 1)[0]; m.Str("text") != "ready" {
		t.Fatalf("the JSON connection got %v, want the text connection's message", m)
	}

	if status, body := s.API("DELETE", "/api/bots/doomed", botAdminKey, nil); status != http.StatusNoContent {
		t.Fatalf("delete: %d %v", status, body)
	}
	expectError(t, bot.Await("error"), hubbub.ECodeUnauthorized, "no longer works")
	if ce := bot.Closed(); ce == nil || ce.Code != 1008 {
		t.Errorf("the JSON connection of a deleted bot: %v, want closed with 1008", ce)
	}
	if ce := text.Closed(); ce == nil || ce.Code != 1008 || !strings.Contains(ce.Text, "no longer works") {
		t.Errorf("the text connection of a deleted bot: %v, want closed with 1008", ce)
	}
}

// TestBotChangedInTheStore: a change made on the store directly (hubbub bot, without the API)
// tells no node; it takes effect at the bot's next write once the node's cache forgets the bot
// (--bot-cache-age, here at once).
func TestBotChangedInTheStore(t *testing.T) {
	s := servertest.Start(t, servertest.Options{Server: server.Config{BotCacheAge: time.Nanosecond}})
	const token = hubbub.BotTokenPrefix + "cli"
	b := newBot(t, s, "ci", token, "builds", "deploy")
	bot := servertest.DialJSON(t, s, "")
	if w := hello(bot, "", token); w.Type() != "welcome" {
		t.Fatalf("hello: %v", w)
	}
	bot.Join("builds", nil)
	bot.Join("deploy", nil)
	rooms := []string{"builds"}
	if _, err := s.Store.UpdateBot(t.Context(), b.User.ID, hubbub.BotChange{Rooms: &rooms}); err != nil {
		t.Fatal(err)
	}
	expectError(t, bot.Say("deploy", "d-2", "still deploying"), hubbub.ECodeForbidden, "deploy")
	if f := bot.Say("builds", "b-1", "build ok"); f.Type() != "ack" {
		t.Fatalf("a send to a room still covered: %v", f)
	}
	rotated := hubbub.SecretHash(hubbub.BotTokenPrefix + "next")
	if _, err := s.Store.UpdateBot(t.Context(), b.User.ID, hubbub.BotChange{TokenHash: &rotated}); err != nil {
		t.Fatal(err)
	}
	expectError(t, bot.Say("builds", "b-2", "after rotation"), hubbub.ECodeUnauthorized, "no longer works")
	if ce := bot.Closed(); ce == nil || ce.Code != 1008 {
		t.Errorf("the connection of a rotated-out token: %v, want closed with 1008", ce)
	}
}

// TestDMWithABotFollowsItsPatterns: a person may start a DM with a bot only if the bot may use
// it (a pattern covers "dm.", as for a DM the bot starts); otherwise the DM would hold a member
// that can never join it, and the person would wait for an answer that cannot come. A bot whose
// patterns cover DMs gets the DM and answers in it.
func TestDMWithABotFollowsItsPatterns(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	newBot(t, s, "ci", hubbub.BotTokenPrefix+"ci", "builds", "*")
	const helperToken = hubbub.BotTokenPrefix + "helper"
	newBot(t, s, "helper", helperToken, "dm.*")
	ann := servertest.DialJSON(t, s, "ann")

	expectError(t, ask(ann, servertest.Frame{"type": "dm", "names": []string{"ci"}}, "room"), hubbub.ECodeForbidden, `"ci"`)

	bot := servertest.DialJSON(t, s, "")
	if w := hello(bot, "", helperToken); w.Type() != "welcome" {
		t.Fatalf("the helper bot's hello: %v", w)
	}
	f := ask(ann, servertest.Frame{"type": "dm", "names": []string{"helper"}}, "room")
	room := f.Str("room")
	if !hubbub.IsDMRoom(room) {
		t.Fatalf("a DM with a bot that may use DMs: %v", f)
	}
	listed := bot.AwaitFunc("the DM listed", func(f servertest.Frame) bool { return f.Type() == "room" && f.Str("room") == room })
	if j := bot.Join(listed.Str("room"), nil); j.Type() != "joined" {
		t.Fatalf("the bot joins the DM: %v", j)
	}
	ann.Join(room, nil)
	ann.Say(room, "q-1", "help?")
	if m := bot.Messages(room, 1)[0]; m.Str("text") != "help?" || m.Str("from") != "ann" {
		t.Errorf("the bot got %v", m)
	}
	bot.Say(room, "a-1", "here")
	if m := ann.AwaitFunc("the bot's answer", func(f servertest.Frame) bool { return f.Type() == "message" && f.Str("from") == "helper" }); m.Str("text") != "here" {
		t.Errorf("ann got %v", m)
	}
}
