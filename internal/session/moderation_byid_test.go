package session_test

import (
	"testing"

	"hubbub/internal/servertest"
)

// A moderator bans the author of a message by the message's user id, after the author renamed:
// bob posts, then goes by "moderator" (his other device says hello with it). The ban names
// his id and the name the message shows; it reaches him as "moderator" — the answer, the
// sanction's entry and his kick name him so — and his join is refused. Before, the server
// read the name alone and banned "bob", a name nobody held, while he stayed in the room.
func TestModerationByUserIDReachesTheRenamedAuthor(t *testing.T) {
	s := startModerated(t)
	bob := servertest.DialJSON(t, s, "bob")
	mod := servertest.DialJSON(t, s, "mod")
	for _, c := range []*servertest.JSONClient{bob, mod} {
		if f := c.Join("general", nil); f.Type() != "joined" {
			t.Fatal(f)
		}
	}
	if f := bob.Say("general", "b-1", "hello, I am bob"); f.Type() != "ack" {
		t.Fatal(f)
	}
	msg := mod.Messages("general", 1)[0]
	id := msg.Str("user")
	if msg.Str("from") != "bob" || id == "" {
		t.Fatalf("bob's message as mod sees it: %v, want from bob with his user id", msg)
	}

	phone := servertest.DialJSON(t, s, "")
	phone.Send(servertest.Frame{"type": "hello", "name": "moderator", "key": "key-bob"})
	if w := phone.Await("welcome"); w.Str("name") != "moderator" {
		t.Fatalf("bob's phone's welcome: %v", w)
	}
	renameSeen(t, mod, "mod", "general", "bob", "moderator")

	done := moderate(mod, servertest.Frame{"type": "ban", "room": "general", "user": id, "name": "bob", "duration": "1h", "reason": "impersonation"})
	if done.Type() != "moderated" || done.Str("name") != "moderator" || done.Str("user") != id || done.Str("note") != "" {
		t.Fatalf("ban by bob's user id: %v, want moderated naming moderator, with his id and no note", done)
	}
	sc := mod.AwaitFunc("the ban's sanction_changed", func(f servertest.Frame) bool { return f.Type() == "sanction_changed" })
	if sc.Str("user") != id || sc.Str("name") != "moderator" {
		t.Errorf("the ban's entry: %v, want it of %s named moderator", sc, id)
	}
	if k := awaitError(bob, "kicked"); k.Str("room") != "general" {
		t.Errorf("bob's laptop: %v, want kicked from general", k)
	}
	if f := phone.Join("general", nil); f.Type() != "error" || f.Str("code") != "banned" {
		t.Errorf("the renamed bob's join: %v, want banned", f)
	}

	// Lifted by the id too; an id nobody has is not_found; neither field is missing_field.
	if f := moderate(mod, servertest.Frame{"type": "unban", "room": "general", "user": id}); f.Type() != "moderated" || f.Str("name") != "moderator" {
		t.Errorf("unban by id: %v", f)
	}
	if f := moderate(mod, servertest.Frame{"type": "mute", "room": "general", "user": "u_0000", "duration": "1h"}); f.Str("code") != "not_found" {
		t.Errorf("mute of an id nobody has: %v, want not_found", f)
	}
	if f := moderate(mod, servertest.Frame{"type": "kick", "room": "general"}); f.Str("code") != "missing_field" {
		t.Errorf("kick naming nobody: %v, want missing_field", f)
	}
}
