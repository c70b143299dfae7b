package session_test

import (
	"testing"

	"hubbub/internal/server"
	"hubbub/internal/servertest"
)

// A ban, mute or lift is an entry of the room's log: every member in the room is told of it
// with its log_seq, and a member who was away when it was made is told of it when they come
// back with since, in the log's order, before what followed it. Before, a sanction took no
// seq and reached only the moderators watching the room's sanctions, live: alice, back with
// since, learned nothing of bob's ban.
func TestSanctionsAreReplayedBySince(t *testing.T) {
	s := servertest.Start(t, servertest.Options{Server: server.Config{RoleFor: servertest.Roles("mod")}})
	mod := servertest.DialJSON(t, s, "mod")
	mod.Join("general", nil)
	ann := servertest.DialJSON(t, s, "ann")
	ann.Join("general", nil)
	bob := servertest.DialJSON(t, s, "bob")
	bob.Join("general", nil)
	alice := servertest.DialJSON(t, s, "alice")
	alice.Join("general", nil)
	if ack := alice.Say("general", "a-1", "hello"); ack.Type() != "ack" || ack.Num("seq") != 1 {
		t.Fatalf("alice's message answered %v, want ack seq 1", ack)
	}
	alice.Conn.Close()

	if got := moderate(mod, servertest.Frame{"type": "ban", "room": "general", "name": "bob", "duration": "1h",
		"reason": "spam"}); got.Type() != "moderated" {
		t.Fatalf("ban answered %v", got)
	}
	if got := moderate(mod, servertest.Frame{"type": "mute", "room": "general", "name": "ann", "duration": "10m"}); got.Type() != "moderated" {
		t.Fatalf("mute answered %v", got)
	}
	if got := moderate(mod, servertest.Frame{"type": "unmute", "room": "general", "name": "ann"}); got.Type() != "moderated" {
		t.Fatalf("unmute answered %v", got)
	}
	if ack := mod.Say("general", "m-1", "after"); ack.Type() != "ack" || ack.Num("seq") != 5 {
		t.Fatalf("the message after three sanctions answered %v, want ack seq 5 (the sanctions took 2 to 4)", ack)
	}
	// A member in the room, no moderator, is told live, as the whole room is.
	for _, want := range []struct {
		action string
		seq    uint64
	}{{"ban", 2}, {"mute", 3}, {"unmute", 4}} {
		f := ann.AwaitFunc("sanction_changed "+want.action, func(f servertest.Frame) bool { return f.Type() == "sanction_changed" })
		if f.Str("action") != want.action || f.Num("log_seq") != want.seq || f.Str("from") != "mod" || f.Str("room") != "general" {
			t.Errorf("ann was told %v, want %s at log_seq %d from mod", f, want.action, want.seq)
		}
	}

	alice = servertest.DialJSON(t, s, "alice")
	since := uint64(1)
	if j := alice.Join("general", &since); j.Type() != "joined" {
		t.Fatalf("alice's join with since 1 answered %v", j)
	} else if j.Num("replay") != 1 {
		// A Go client from before sanctions were entries waited for as many frames as replay
		// says, counting the kinds it knew: three more than it would ever count.
		t.Errorf("alice's joined says replay %v, want 1: the message; the sanctions are replayed uncounted", j["replay"])
	}
	var logSeqs []uint64
	var ban servertest.Frame
	for {
		f := alice.AwaitFunc("an entry after seq 1", func(f servertest.Frame) bool {
			return f.Type() == "sanction_changed" || f.Type() == "message"
		})
		if f.Type() == "message" {
			if f.Num("seq") != 5 || f.Str("text") != "after" {
				t.Fatalf("alice was replayed message %v, want seq 5 \"after\"", f)
			}
			logSeqs = append(logSeqs, f.Num("seq"))
			break
		}
		if ban == nil {
			ban = f
		}
		logSeqs = append(logSeqs, f.Num("log_seq"))
	}
	if len(logSeqs) != 4 || logSeqs[0] != 2 || logSeqs[1] != 3 || logSeqs[2] != 4 {
		t.Fatalf("alice was replayed log seqs %v, want 2, 3, 4 (the sanctions) then 5", logSeqs)
	}
	if ban.Str("action") != "ban" || ban.Str("name") != "bob" || ban.Str("user") != bob.User || ban.Str("from") != "mod" ||
		ban.Str("reason") != "spam" || ban.Str("until") == "" || ban.Str("time") == "" {
		t.Errorf("the ban was replayed as %v, want bob's ban by mod until an hour from now, for spam", ban)
	}
}
