package storetest

import (
	"strings"
	"testing"

	"hubbub"
)

// The bots of issue 18: the bot flag of messages, bots with their tokens and rooms, incoming
// webhooks (hubbub.BotStore).

// botCases are the bot subtests of RunStoreTests.
var botCases = []struct {
	name string
	run  func(*testing.T, opener)
}{
	{"BotFlag", testBotFlag},
	{"Bots", testBots},
	{"BotNames", testBotNames},
	{"IncomingHooks", testIncomingHooks},
}

// botMsg is a bot's message.
func botMsg(room, from, text string) hubbub.Entry {
	m := msg(room, from, text)
	m.Bot = true
	return m
}

// testBotFlag: a message's Bot is stored with it and read back by Since, Before and Replies,
// on the plain path (no id) and the other one (an id, a reply), and by a resend; a person's
// message stays unmarked, and another kind does not keep it.
func testBotFlag(t *testing.T, open opener) {
	s := open(t, hubbub.Retention{})
	plain := mustAppend(t, s, botMsg("r", "ci", "build 1 passed"))
	person := mustAppend(t, s, msg("r", "alice", "thanks"))
	keyed := botMsg("r", "ci", "build 2 failed")
	keyed.ClientID = "build-2"
	keyedStored := mustAppend(t, s, keyed)
	answer := botMsg("r", "ci", "rerun started")
	answer.ReplyTo = keyedStored.Seq
	answerStored := mustAppend(t, s, answer)
	e := edit("r", "ci", plain.Seq, "build 1 passed (all green)")
	e.Bot = true
	editStored := mustAppend(t, s, e)
	for _, m := range []hubbub.Entry{plain, keyedStored, answerStored} {
		if !m.Bot {
			t.Errorf("Append of a bot's message returned %+v without Bot", m)
		}
	}
	if person.Bot {
		t.Errorf("Append of a person's message returned Bot: %+v", person)
	}

	byseq := map[uint64]bool{}
	for _, m := range since(t, s, "r", 0, 10) {
		byseq[m.Seq] = m.Bot
	}
	want := map[uint64]bool{plain.Seq: true, person.Seq: false, keyedStored.Seq: true, answerStored.Seq: true, editStored.Seq: false}
	for seq, bot := range want {
		if got, ok := byseq[seq]; !ok || got != bot {
			t.Errorf("Since: seq %d has Bot %v (read: %v), want %v", seq, got, ok, bot)
		}
	}
	for _, m := range before(t, s, "r", 0, 10) {
		if m.Bot != want[m.Seq] {
			t.Errorf("Before: seq %d has Bot %v, want %v", m.Seq, m.Bot, want[m.Seq])
		}
	}
	if rs := replies(t, s, "r", keyedStored.Seq, 0, 10); len(rs) != 1 || !rs[0].Bot {
		t.Errorf("Replies: %+v, want the bot's answer with Bot", rs)
	}
	again, dup, err := appendValue(t.Context(), s, keyed)
	if err != nil || !dup || !again.Bot {
		t.Errorf("resend of a bot's message: %+v dup %v err %v, want the stored one with Bot", again, dup, err)
	}
}

// newBot creates a bot and fails t on error.
func newBot(t testing.TB, s hubbub.Store, name string, rooms []string, token string) hubbub.Bot {
	t.Helper()
	hash := ""
	if token != "" {
		hash = hubbub.SecretHash(token)
	}
	b, err := s.CreateBot(t.Context(), name, rooms, hash)
	if err != nil {
		t.Fatalf("CreateBot(%q): %v", name, err)
	}
	return b
}

// testBots: a bot is a user of kind bot with its rooms and token, found by its token until
// the token is rotated or taken away or the bot deleted; a deleted bot's user stays, disabled.
func testBots(t *testing.T, open opener) {
	s := open(t, hubbub.Retention{})
	ctx := t.Context()
	ci := newBot(t, s, "ci", []string{"builds", "deploy-*"}, "hbt_one")
	if ci.User.Kind != hubbub.UserBot || ci.User.ID == "" || ci.User.Name != "ci" || !ci.Token ||
		strings.Join(ci.Rooms, ",") != "builds,deploy-*" {
		t.Fatalf("CreateBot returned %+v", ci)
	}
	if u, found := userByID(t, s, ci.User.ID); !found || u.Kind != hubbub.UserBot {
		t.Errorf("the bot's user: %+v found %v, want kind bot", u, found)
	}
	quiet := newBot(t, s, "quiet", nil, "")
	if quiet.Token || len(quiet.Rooms) != 0 {
		t.Errorf("a bot without token and rooms: %+v", quiet)
	}

	if b, found, err := s.BotByToken(ctx, hubbub.SecretHash("hbt_one")); err != nil || !found || b.User.ID != ci.User.ID ||
		strings.Join(b.Rooms, ",") != "builds,deploy-*" {
		t.Errorf("BotByToken: %+v found %v err %v, want ci", b, found, err)
	}
	for _, hash := range []string{"", hubbub.SecretHash("hbt_other")} {
		if b, found, err := s.BotByToken(ctx, hash); err != nil || found {
			t.Errorf("BotByToken(%q): %+v found %v err %v, want none", hash, b, found, err)
		}
	}
	if b, found, err := s.Bot(ctx, quiet.User.ID); err != nil || !found || b.User.Name != "quiet" {
		t.Errorf("Bot(quiet): %+v %v %v", b, found, err)
	}
	person, err := s.CreateUser(ctx, hubbub.User{Name: "alice"}, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, found, err := s.Bot(ctx, person.ID); err != nil || found {
		t.Errorf("Bot(a person) found %v err %v, want not found", found, err)
	}
	bots, err := s.Bots(ctx)
	if err != nil || len(bots) != 2 || bots[0].User.ID > bots[1].User.ID {
		t.Errorf("Bots: %+v %v, want both in id order", bots, err)
	}

	// Refusals.
	_, err = s.CreateBot(ctx, "bad", []string{"no spaces"}, "")
	wantCode(t, "CreateBot with a bad room pattern", err, hubbub.ECodeBadRoom)
	_, err = s.CreateBot(ctx, "twin", nil, hubbub.SecretHash("hbt_one"))
	wantCode(t, "CreateBot with another bot's token", err, hubbub.ECodeExists)
	if _, found := userByName(t, s, "twin"); found {
		t.Errorf("a refused CreateBot left its user")
	}
	_, err = s.UpdateBot(ctx, person.ID, hubbub.BotChange{})
	wantCode(t, "UpdateBot of a person", err, hubbub.ECodeNotFound)

	// Rooms and rotation.
	rooms := []string{"*"}
	if b, err := s.UpdateBot(ctx, ci.User.ID, hubbub.BotChange{Rooms: &rooms}); err != nil || strings.Join(b.Rooms, ",") != "*" {
		t.Errorf("UpdateBot rooms: %+v %v", b, err)
	}
	bad := []string{"ok", "not ok"}
	_, err = s.UpdateBot(ctx, ci.User.ID, hubbub.BotChange{Rooms: &bad})
	wantCode(t, "UpdateBot with a bad pattern", err, hubbub.ECodeBadRoom)
	newHash := hubbub.SecretHash("hbt_two")
	if b, err := s.UpdateBot(ctx, ci.User.ID, hubbub.BotChange{TokenHash: &newHash}); err != nil || !b.Token {
		t.Errorf("UpdateBot token: %+v %v", b, err)
	}
	if _, found, _ := s.BotByToken(ctx, hubbub.SecretHash("hbt_one")); found {
		t.Errorf("the rotated-out token still finds the bot")
	}
	if b, found, _ := s.BotByToken(ctx, newHash); !found || strings.Join(b.Rooms, ",") != "*" {
		t.Errorf("the new token: %+v found %v", b, found)
	}
	none := ""
	if b, err := s.UpdateBot(ctx, ci.User.ID, hubbub.BotChange{TokenHash: &none}); err != nil || b.Token {
		t.Errorf("UpdateBot without token: %+v %v", b, err)
	}
	if _, found, _ := s.BotByToken(ctx, newHash); found {
		t.Errorf("a token taken away still finds the bot")
	}

	// Delete: the user stays, disabled; the bot and its token go.
	if _, err := s.UpdateBot(ctx, ci.User.ID, hubbub.BotChange{TokenHash: &newHash}); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteBot(ctx, ci.User.ID); err != nil {
		t.Fatalf("DeleteBot: %v", err)
	}
	if _, found, _ := s.BotByToken(ctx, newHash); found {
		t.Errorf("a deleted bot's token still finds it")
	}
	if _, found, _ := s.Bot(ctx, ci.User.ID); found {
		t.Errorf("Bot finds a deleted bot")
	}
	if u, found := userByID(t, s, ci.User.ID); !found || !u.Disabled || u.Name != "ci" {
		t.Errorf("a deleted bot's user: %+v found %v, want it kept, disabled", u, found)
	}
	wantCode(t, "DeleteBot twice", s.DeleteBot(ctx, ci.User.ID), hubbub.ECodeNotFound)
	if bots, err := s.Bots(ctx); err != nil || len(bots) != 1 || bots[0].User.ID != quiet.User.ID {
		t.Errorf("Bots after a delete: %+v %v", bots, err)
	}
}

// testBotNames: a bot's name is a user's name like any other: a taken name is refused either
// way.
func testBotNames(t *testing.T, open opener) {
	s := open(t, hubbub.Retention{})
	ctx := t.Context()
	if _, err := s.CreateUser(ctx, hubbub.User{Name: "Alice"}, ""); err != nil {
		t.Fatal(err)
	}
	_, err := s.CreateBot(ctx, "alice", nil, "")
	wantCode(t, "CreateBot with a person's name", err, hubbub.ECodeNameTaken)
	newBot(t, s, "deploy", nil, "")
	_, err = s.CreateUser(ctx, hubbub.User{Name: "Deploy"}, "")
	wantCode(t, "CreateUser with a bot's name", err, hubbub.ECodeNameTaken)
	_, err = s.CreateBot(ctx, "", nil, "")
	wantCode(t, "CreateBot without a name", err, hubbub.ECodeBadName)
}

// testIncomingHooks: a hook belongs to a live bot and one room, is read back with its bot's
// name, and goes with its bot.
func testIncomingHooks(t *testing.T, open opener) {
	s := open(t, hubbub.Retention{})
	ctx := t.Context()
	ci := newBot(t, s, "ci", []string{"builds"}, "")
	alerts := newBot(t, s, "alerts", []string{"ops"}, "")
	h1, err := s.CreateIncomingHook(ctx, hubbub.IncomingHook{Room: "builds", Bot: ci.User.ID, SecretHash: hubbub.SecretHash("s1")})
	if err != nil {
		t.Fatalf("CreateIncomingHook: %v", err)
	}
	if !strings.HasPrefix(h1.ID, "ih_") || len(h1.ID) != 3+32 || h1.Room != "builds" || h1.Bot != ci.User.ID ||
		h1.BotName != "ci" || h1.SecretHash != hubbub.SecretHash("s1") || h1.Created.IsZero() {
		t.Errorf("CreateIncomingHook returned %+v", h1)
	}
	h2, err := s.CreateIncomingHook(ctx, hubbub.IncomingHook{Room: "ops", Bot: alerts.User.ID, SecretHash: hubbub.SecretHash("s2")})
	if err != nil {
		t.Fatal(err)
	}
	got, found, err := s.IncomingHook(ctx, h1.ID)
	if err != nil || !found || got.Room != "builds" || got.BotName != "ci" || got.SecretHash != h1.SecretHash ||
		!got.Created.Equal(h1.Created) {
		t.Errorf("IncomingHook: %+v found %v err %v, want %+v", got, found, err, h1)
	}
	if _, found, err := s.IncomingHook(ctx, "ih_nope"); err != nil || found {
		t.Errorf("IncomingHook(unknown): found %v err %v", found, err)
	}
	hooks, err := s.IncomingHooks(ctx)
	if err != nil || len(hooks) != 2 || hooks[0].ID > hooks[1].ID {
		t.Errorf("IncomingHooks: %+v %v", hooks, err)
	}

	_, err = s.CreateIncomingHook(ctx, hubbub.IncomingHook{Room: "bad room", Bot: ci.User.ID, SecretHash: "x"})
	wantCode(t, "CreateIncomingHook with a bad room", err, hubbub.ECodeBadRoom)
	_, err = s.CreateIncomingHook(ctx, hubbub.IncomingHook{Room: "r", Bot: ci.User.ID})
	wantCode(t, "CreateIncomingHook without a secret", err, hubbub.ECodeMissing)
	_, err = s.CreateIncomingHook(ctx, hubbub.IncomingHook{Room: "r", Bot: "u_nobody", SecretHash: "x"})
	wantCode(t, "CreateIncomingHook for no bot", err, hubbub.ECodeNotFound)

	if err := s.DeleteIncomingHook(ctx, h2.ID); err != nil {
		t.Fatalf("DeleteIncomingHook: %v", err)
	}
	wantCode(t, "DeleteIncomingHook twice", s.DeleteIncomingHook(ctx, h2.ID), hubbub.ECodeNotFound)
	if err := s.DeleteBot(ctx, ci.User.ID); err != nil {
		t.Fatal(err)
	}
	if _, found, _ := s.IncomingHook(ctx, h1.ID); found {
		t.Errorf("a deleted bot's hook is still found")
	}
	_, err = s.CreateIncomingHook(ctx, hubbub.IncomingHook{Room: "r", Bot: ci.User.ID, SecretHash: "x"})
	wantCode(t, "CreateIncomingHook for a deleted bot", err, hubbub.ECodeNotFound)
}
