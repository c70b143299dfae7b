package session_test

import (
	"strings"
	"testing"

	"hubbub/internal/server"
	"hubbub/internal/servertest"
)

// Lifting a ban or a mute that is not there is refused with not_found, and nobody is told: the
// unban of a typo answered "you unbanned someoneunknown", and every member of the room read
// that a ban nobody imposed was lifted.
func TestLiftOfNothingIsNotFound(t *testing.T) {
	s := startModerated(t)
	mod := servertest.DialJSON(t, s, "mod")
	mod.Join("general", nil)
	ann := servertest.DialJSON(t, s, "ann")
	ann.Join("general", nil)
	eve := servertest.DialJSON(t, s, "eve")
	eve.Join("general", nil)

	for _, f := range []servertest.Frame{
		{"type": "unban", "room": "general", "name": "someoneunknown"},
		{"type": "unmute", "room": "general", "name": "eve"}, // there, but not muted
		{"type": "unban", "room": "general", "name": "eve"},
	} {
		got := moderate(mod, f)
		if got.Str("code") != "not_found" || !strings.Contains(got.Str("message"), f.Str("name")) {
			t.Errorf("%v answered %v, want error not_found naming them", f, got)
		}
	}
	// The next change ann is told of is the mute that follows, not the refused lifts.
	if got := moderate(mod, servertest.Frame{"type": "mute", "room": "general", "name": "eve", "duration": "1h"}); got.Type() != "moderated" {
		t.Fatalf("mute answered %v", got)
	}
	if f := ann.AwaitFunc("sanction_changed", func(f servertest.Frame) bool { return f.Type() == "sanction_changed" }); f.Str("action") != "mute" {
		t.Errorf("ann was told %v first, want eve's mute", f)
	}
	// A lift of what is there still works, once.
	if got := moderate(mod, servertest.Frame{"type": "unmute", "room": "general", "name": "eve"}); got.Type() != "moderated" {
		t.Errorf("unmute of the mute answered %v", got)
	}
	if got := moderate(mod, servertest.Frame{"type": "unmute", "room": "general", "name": "eve"}); got.Str("code") != "not_found" {
		t.Errorf("second unmute answered %v, want not_found", got)
	}
}

// A ban (or mute) until lifted: duration "forever", which a server before it refused as a bad
// duration (and "" stays refused, as an old client expects). Its until is the far end of
// time, the refusal says "until lifted", and an unban ends it. Days ("7d") are a duration too,
// as the chat and the API accept them.
func TestBanUntilLifted(t *testing.T) {
	s := servertest.Start(t, servertest.Options{Server: server.Config{RoleFor: servertest.Roles("mod")}})
	mod := servertest.DialJSON(t, s, "mod")
	eve := servertest.DialJSON(t, s, "eve")
	eve.Join("general", nil)

	got := moderate(mod, servertest.Frame{"type": "ban", "room": "general", "name": "eve", "duration": "forever", "reason": "spam"})
	if got.Type() != "moderated" || got.Str("until") != "9999-12-31T00:00:00.000Z" {
		t.Fatalf("ban forever answered %v, want moderated until 9999-12-31T00:00:00.000Z", got)
	}
	if k := awaitError(eve, "kicked"); !strings.Contains(k.Str("message"), "banned until lifted: spam") {
		t.Errorf("eve's kick: %v", k)
	}
	if f := eve.Join("general", nil); f.Str("code") != "banned" || !strings.Contains(f.Str("message"), "until lifted") {
		t.Errorf("eve's join after the ban: %v, want banned until lifted", f)
	}
	if got := moderate(mod, servertest.Frame{"type": "unban", "room": "general", "name": "eve"}); got.Type() != "moderated" {
		t.Fatalf("unban answered %v", got)
	}
	if f := eve.Join("general", nil); f.Type() != "joined" {
		t.Errorf("eve's join after the unban: %v", f)
	}

	got = moderate(mod, servertest.Frame{"type": "mute", "room": "general", "name": "eve", "duration": "7d"})
	if got.Type() != "moderated" || !strings.HasPrefix(got.Str("until"), "20") {
		t.Errorf("mute for 7d answered %v", got)
	}
	for _, d := range []string{"", "367d", "0d", "d", "7days", "Forever"} {
		if got := moderate(mod, servertest.Frame{"type": "ban", "room": "general", "name": "eve", "duration": d}); got.Type() != "error" {
			t.Errorf("ban for %q answered %v, want an error", d, got)
		}
	}
}
