package session_test

import (
	"strings"
	"testing"

	"hubbub"
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
// bot deleted — and a signed-token server takes bot tokens too.
func TestBotTokenRefused(t *testing.T) {
	s := tokenServer(t)
	const token = hubbub.BotTokenPrefix + "first"
	b := newBot(t, s, "deployer", token, "*")
	if w := hello(servertest.DialJSON(t, s, ""), "", token); w.Type() != "welcome" {
		t.Fatalf("a bot's token on a server that requires tokens: %v", w)
	}
	expectError(t, hello(servertest.DialJSON(t, s, ""), "", hubbub.BotTokenPrefix+"unknown"), hubbub.ECodeUnauthorized, "bot token")

	rotated := hubbub.SecretHash(hubbub.BotTokenPrefix + "second")
	if _, err := s.Store.UpdateBot(t.Context(), b.User.ID, hubbub.BotChange{TokenHash: &rotated}); err != nil {
		t.Fatal(err)
	}
	expectError(t, hello(servertest.DialJSON(t, s, ""), "", token), hubbub.ECodeUnauthorized, "bot token")
	if w := hello(servertest.DialJSON(t, s, ""), "", hubbub.BotTokenPrefix+"second"); w.Type() != "welcome" {
		t.Fatalf("the rotated token: %v", w)
	}
	if err := s.Store.DeleteBot(t.Context(), b.User.ID); err != nil {
		t.Fatal(err)
	}
	expectError(t, hello(servertest.DialJSON(t, s, ""), "", hubbub.BotTokenPrefix+"second"), hubbub.ECodeUnauthorized, "bot token")
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

// TestBotRevokedWhileConnected: a bot's connection that is already in its rooms is stopped at
// its next write when an admin narrows its rooms (forbidden), then rotates its token or
// deletes it (unauthorized, and the connection closes).
func TestBotRevokedWhileConnected(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
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
