package storetest

import (
	"testing"
	"time"

	"hubbub"
)

// The cases of hubbub.Generations (store.go's contract): the counts a node re-reads to know
// whether its caches of users, commands and rooms' access still hold.

// generationCases are the Generations cases, which RunStoreTests runs with the others.
var generationCases = []struct {
	name string
	run  func(*testing.T, opener)
}{
	{"Generations", testGenerations},
}

// generationsOf reads s's generations and fails t if it cannot.
func generationsOf(t testing.TB, s hubbub.Store) hubbub.Generations {
	t.Helper()
	g, err := s.Generations(t.Context())
	if err != nil {
		t.Fatalf("Generations: %v", err)
	}
	return g
}

// genStep is one change, and which counts it must move.
type genStep struct {
	what                   string
	do                     func(t *testing.T)
	users, commands, rooms bool
}

// checkGenerations runs each step on s and checks that exactly the counts it names grew.
func checkGenerations(t *testing.T, s hubbub.Store, steps []genStep) {
	t.Helper()
	for _, st := range steps {
		before := generationsOf(t, s)
		st.do(t)
		after := generationsOf(t, s)
		check := func(kind string, was, now uint64, moves bool) {
			switch {
			case moves && now <= was:
				t.Errorf("%s: the %s generation stayed at %d; it must grow", st.what, kind, was)
			case !moves && now != was:
				t.Errorf("%s: the %s generation moved from %d to %d; nothing it counts changed", st.what, kind, was, now)
			}
		}
		check("users", before.Users, after.Users, st.users)
		check("commands", before.Commands, after.Commands, st.commands)
		check("rooms", before.Rooms, after.Rooms, st.rooms)
	}
}

func testGenerations(t *testing.T, open opener) {
	s := open(t, hubbub.Retention{})
	ctx := t.Context()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	var ann hubbub.User
	var bot hubbub.Bot
	name, role, disabled, hash := "Ann2", hubbub.RoleModerator, true, "pw-hash-2"
	checkGenerations(t, s, []genStep{
		{what: "CreateUser", users: true, do: func(t *testing.T) {
			var err error
			ann, err = s.CreateUser(ctx, hubbub.User{Name: "ann", Kind: hubbub.UserAccount}, "pw-hash")
			must(err)
		}},
		{what: "SeenAt", do: func(t *testing.T) { must(s.SeenAt(ctx, ann.ID, time.Now())) }},
		{what: "a password", do: func(t *testing.T) {
			_, err := s.UpdateUser(ctx, ann.ID, hubbub.UserChange{PasswordHash: &hash})
			must(err)
		}},
		{what: "a rename", users: true, do: func(t *testing.T) {
			_, err := s.UpdateUser(ctx, ann.ID, hubbub.UserChange{Name: &name})
			must(err)
		}},
		{what: "a role", users: true, do: func(t *testing.T) {
			_, err := s.UpdateUser(ctx, ann.ID, hubbub.UserChange{Role: &role})
			must(err)
		}},
		{what: "a session", do: func(t *testing.T) {
			must(s.CreateSession(ctx, hubbub.LoginSession{ID: hubbub.SecretHash("gen-1"), User: ann.ID, Expires: time.Now().Add(time.Hour)}))
			must(s.CreateSession(ctx, hubbub.LoginSession{ID: hubbub.SecretHash("gen-2"), User: ann.ID, Expires: time.Now().Add(time.Hour)}))
		}},
		{what: "a sign-out (DeleteSession)", users: true, do: func(t *testing.T) { must(s.DeleteSession(ctx, hubbub.SecretHash("gen-1"))) }},
		{what: "a sign-out everywhere (DeleteSessions)", users: true, do: func(t *testing.T) {
			_, err := s.DeleteSessions(ctx, ann.ID)
			must(err)
		}},
		{what: "disabling", users: true, do: func(t *testing.T) {
			_, err := s.UpdateUser(ctx, ann.ID, hubbub.UserChange{Disabled: &disabled})
			must(err)
		}},
		{what: "ClaimGuest of a new guest", users: true, do: func(t *testing.T) {
			_, err := s.ClaimGuest(ctx, "bea", hubbub.SecretHash("key-bea"))
			must(err)
		}},
		{what: "ClaimGuest again, the same name", do: func(t *testing.T) {
			_, err := s.ClaimGuest(ctx, "bea", hubbub.SecretHash("key-bea"))
			must(err)
		}},
		{what: "ExternalUser of a new subject", users: true, do: func(t *testing.T) {
			_, err := s.ExternalUser(ctx, "iss", "sub-1", "cid", hubbub.RoleMember)
			must(err)
		}},
		{what: "ExternalUser again, unchanged", do: func(t *testing.T) {
			_, err := s.ExternalUser(ctx, "iss", "sub-1", "cid", hubbub.RoleMember)
			must(err)
		}},
		{what: "CreateBot", users: true, do: func(t *testing.T) {
			var err error
			bot, err = s.CreateBot(ctx, "gen-bot", nil, hubbub.SecretHash("hbt_gen"))
			must(err)
		}},
		// A bot's changes move the users' count, which nodes already read, so that each node's
		// bot cache forgets the bot whoever changed it (`hubbub bot rotate` on the store).
		{what: "UpdateBot of its rooms", users: true, do: func(t *testing.T) {
			rooms := []string{"gen-*"}
			_, err := s.UpdateBot(ctx, bot.User.ID, hubbub.BotChange{Rooms: &rooms})
			must(err)
		}},
		{what: "UpdateBot of its rooms, the same again", do: func(t *testing.T) {
			rooms := []string{"gen-*"}
			_, err := s.UpdateBot(ctx, bot.User.ID, hubbub.BotChange{Rooms: &rooms})
			must(err)
		}},
		{what: "UpdateBot of its token (a rotation)", users: true, do: func(t *testing.T) {
			hash := hubbub.SecretHash("hbt_gen_rotated")
			_, err := s.UpdateBot(ctx, bot.User.ID, hubbub.BotChange{TokenHash: &hash})
			must(err)
		}},
		{what: "DeleteBot", users: true, do: func(t *testing.T) { must(s.DeleteBot(ctx, bot.User.ID)) }},
		{what: "CreateBot, its user then disabled", users: true, do: func(t *testing.T) {
			var err error
			bot, err = s.CreateBot(ctx, "gen-bot-2", nil, hubbub.SecretHash("hbt_gen_2"))
			must(err)
			_, err = s.UpdateUser(ctx, bot.User.ID, hubbub.UserChange{Disabled: &disabled})
			must(err)
		}},
		{what: "DeleteBot of a disabled bot", users: true, do: func(t *testing.T) { must(s.DeleteBot(ctx, bot.User.ID)) }},
		{what: "CreateCommand", commands: true, do: func(t *testing.T) { mustCreateCommand(t, s, command("gen")) }},
		{what: "UpdateCommand", commands: true, do: func(t *testing.T) {
			secret := "another-secret"
			_, err := s.UpdateCommand(ctx, "gen", hubbub.CommandChange{Secret: &secret})
			must(err)
		}},
		{what: "DeleteCommand", commands: true, do: func(t *testing.T) { must(s.DeleteCommand(ctx, "gen")) }},
		{what: "a public room created", do: func(t *testing.T) {
			_, _, err := s.CreateRoom(ctx, hubbub.RoomMeta{Name: "gen-open", Topic: "t", CreatedBy: ann.ID}, nil)
			must(err)
		}},
		{what: "a message", do: func(t *testing.T) { mustAppend(t, s, msg("gen-open", "ann", "hello")) }},
		{what: "a private room created", rooms: true, do: func(t *testing.T) {
			_, _, err := s.CreateRoom(ctx, hubbub.RoomMeta{Name: "gen-closed", Private: true, CreatedBy: ann.ID},
				[]hubbub.Membership{{User: ann.ID, Role: hubbub.RoomOwner}})
			must(err)
		}},
	})
}

// testGenerationsTwoNodes: a change made through one store is counted in what the other reads
// (a node reading its generations sees what another node, or the CLI, wrote).
func testGenerationsTwoNodes(t *testing.T, open SharedOpener) {
	nodes := twoNodes(t, open)
	before := generationsOf(t, nodes[1])
	if _, err := nodes[0].CreateUser(t.Context(), hubbub.User{Name: "zoe", Kind: hubbub.UserAccount}, ""); err != nil {
		t.Fatal(err)
	}
	mustCreateCommand(t, nodes[0], command("zap"))
	if _, _, err := nodes[0].CreateRoom(t.Context(), hubbub.RoomMeta{Name: "zone", Private: true}, nil); err != nil {
		t.Fatal(err)
	}
	after := generationsOf(t, nodes[1])
	if after.Users <= before.Users || after.Commands <= before.Commands || after.Rooms <= before.Rooms {
		t.Errorf("the other node read %+v before and %+v after a user, a command and a private room were created", before, after)
	}
}
