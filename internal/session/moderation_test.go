package session_test

import (
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/gorilla/websocket"

	"hubbub"
	"hubbub/internal/server"
	"hubbub/internal/servertest"
)

// startModerated starts a server on which "mod" is a moderator and everyone else a member.
func startModerated(t *testing.T) *servertest.Server {
	t.Helper()
	return servertest.Start(t, servertest.Options{Server: server.Config{RoleFor: servertest.Roles("mod")}})
}

// moderate sends a moderation frame and returns the answer (moderated or error).
func moderate(c *servertest.JSONClient, f servertest.Frame) servertest.Frame {
	c.Send(f)
	return c.AwaitFunc("answer to "+f.Type(), func(g servertest.Frame) bool {
		return g.Type() == "moderated" || g.Type() == "error" && g.Str("request") == f.Type()
	})
}

func awaitError(c *servertest.JSONClient, code string) servertest.Frame {
	return c.AwaitFunc("error "+code, func(f servertest.Frame) bool { return f.Type() == "error" && f.Str("code") == code })
}

// (A member's delete of another's message is forbidden too: TestDeleteByAuthorOrModerator.)
func TestModerationForbiddenToMembers(t *testing.T) {
	s := startModerated(t)
	eve := servertest.DialJSON(t, s, "eve")
	eve.Join("general", nil)
	for _, f := range []servertest.Frame{
		{"type": "kick", "room": "general", "name": "ann"},
		{"type": "ban", "room": "general", "name": "ann", "duration": "1h"},
		{"type": "mute", "room": "other", "name": "ann", "duration": "1h"},
		{"type": "unban", "room": "general", "name": "ann"},
	} {
		if got := moderate(eve, f); got.Str("code") != "forbidden" {
			t.Errorf("%v from a member: %v, want error forbidden", f, got)
		}
	}
	mod := servertest.DialJSON(t, s, "mod")
	if got := moderate(mod, servertest.Frame{"type": "ban", "room": "general", "name": "eve"}); got.Str("code") != "missing_field" {
		t.Errorf("ban without duration: %v", got)
	}
	for _, d := range []string{"soon", "-1m", "9000h"} {
		if got := moderate(mod, servertest.Frame{"type": "mute", "room": "general", "name": "eve", "duration": d}); got.Str("code") != "bad_duration" {
			t.Errorf("mute for %q: %v, want bad_duration", d, got)
		}
	}
	// The limit in the words of the docs, where it said "at most 8784h0m0s".
	if got := moderate(mod, servertest.Frame{"type": "mute", "room": "general", "name": "eve", "duration": "9000h"}); got.Str("message") != `duration may be at most 366 days ("8784h"), or "forever" (until lifted)` {
		t.Errorf("mute for 9000h: %v", got)
	}
}

func TestKickJSONAndTextClients(t *testing.T) {
	s := startModerated(t)
	mod := servertest.DialJSON(t, s, "mod") // moderates without joining
	ann := servertest.DialJSON(t, s, "ann")
	ann.Join("general", nil)
	eve := servertest.DialJSON(t, s, "eve")
	eve.Join("general", nil)
	tom := servertest.DialText(t, s, "tom")
	servertest.WaitMembers(t, s, "lobby", 1)

	got := moderate(mod, servertest.Frame{"type": "kick", "room": "general", "name": "eve", "reason": "spam"})
	if got.Type() != "moderated" || got.Str("action") != "kick" || got.Str("name") != "eve" {
		t.Fatalf("kick answered %v", got)
	}
	k := awaitError(eve, "kicked")
	if k.Str("room") != "general" || !strings.Contains(k.Str("message"), "spam") {
		t.Errorf("kicked frame %v", k)
	}
	eve.AwaitFunc("left", func(f servertest.Frame) bool { return f.Type() == "left" && f.Str("room") == "general" })
	ann.AwaitFunc("eve leaving", func(f servertest.Frame) bool {
		return f.Type() == "presence" && f.Str("name") == "eve" && f.Str("event") == "leave"
	})
	// The session forgot the room: sends are not_joined; a kick is not a ban, so eve may rejoin.
	if f := eve.Say("general", "e1", "hello?"); f.Str("code") != "not_joined" {
		t.Errorf("send after kick: %v", f)
	}
	if j := eve.Join("general", nil); j.Type() != "joined" {
		t.Errorf("rejoin after kick: %v", j)
	}

	// A text client is told why and closed with 1008.
	moderate(mod, servertest.Frame{"type": "kick", "room": "lobby", "name": "tom", "reason": "flood"})
	ce := tom.Closed()
	if ce.Code != websocket.ClosePolicyViolation || !strings.Contains(ce.Text, "kicked") {
		t.Errorf("text client closed with %v", ce)
	}
	if lines := tom.Lines(1); !strings.HasPrefix(lines[0], "error: ") || !strings.Contains(lines[0], "flood") {
		t.Errorf("text client read %q", lines)
	}
}

// TestKickLongReasonCloseFrame kicks a text client with a reason whose close frame must be
// trimmed, and checks it still gets a close frame, with a reason that fits one (123 bytes)
// and is valid UTF-8: "kicked by a moderator: " and 3-byte runes put a rune across the limit.
// The tests of this package run on either transport (HUBBUB_TEST_TRANSPORT).
func TestKickLongReasonCloseFrame(t *testing.T) {
	s := startModerated(t)
	mod := servertest.DialJSON(t, s, "mod")
	tom := servertest.DialText(t, s, "tom")
	servertest.WaitMembers(t, s, "lobby", 1)

	reason := strings.Repeat("€", 80) // 240 bytes, under the 256-byte limit on reasons
	if got := moderate(mod, servertest.Frame{"type": "kick", "room": "lobby", "name": "tom", "reason": reason}); got.Type() != "moderated" {
		t.Fatalf("kick answered %v", got)
	}
	ce := tom.Closed() // fails the test if no close frame comes, or gorilla refuses it
	if ce.Code != websocket.ClosePolicyViolation {
		t.Errorf("closed with %d, want 1008", ce.Code)
	}
	if len(ce.Text) > 123 || !utf8.ValidString(ce.Text) || !strings.HasPrefix(ce.Text, "kicked by a moderator: €") {
		t.Errorf("close reason %q: %d bytes, valid UTF-8 %v", ce.Text, len(ce.Text), utf8.ValidString(ce.Text))
	}
}

func TestBanRefusesJoinsAndSendsUntilLifted(t *testing.T) {
	s := startModerated(t)
	mod := servertest.DialJSON(t, s, "mod")
	eve := servertest.DialJSON(t, s, "eve")
	eve.Join("general", nil)
	got := moderate(mod, servertest.Frame{"type": "ban", "room": "general", "name": "eve", "duration": "1h", "reason": "abuse"})
	if got.Type() != "moderated" || got.Str("until") == "" {
		t.Fatalf("ban answered %v", got)
	}
	awaitError(eve, "kicked")
	eve.Await("left")
	if j := eve.Join("general", nil); j.Str("code") != "banned" {
		t.Fatalf("join while banned: %v", j)
	}
	// Other rooms are not affected.
	if j := eve.Join("other", nil); j.Type() != "joined" {
		t.Fatalf("join of another room: %v", j)
	}
	// A banned text client is refused with an error line and 1008.
	moderate(mod, servertest.Frame{"type": "ban", "room": "lobby", "name": "tex", "duration": "1h"})
	tex := servertest.DialText(t, s, "tex")
	ce := tex.Closed()
	if ce.Code != websocket.ClosePolicyViolation {
		t.Errorf("banned text client closed with %v", ce)
	}
	if l := tex.Lines(1); !strings.Contains(l[0], "banned") {
		t.Errorf("banned text client read %q", l)
	}

	if got := moderate(mod, servertest.Frame{"type": "unban", "room": "general", "name": "eve"}); got.Type() != "moderated" {
		t.Fatalf("unban answered %v", got)
	}
	if j := eve.Join("general", nil); j.Type() != "joined" {
		t.Fatalf("join after unban: %v", j)
	}
	if a := eve.Say("general", "e1", "back"); a.Type() != "ack" {
		t.Fatalf("send after unban: %v", a)
	}
}

func TestMuteRefusesSendsButNotReading(t *testing.T) {
	s := startModerated(t)
	mod := servertest.DialJSON(t, s, "mod")
	ann := servertest.DialJSON(t, s, "ann")
	ann.Join("general", nil)
	eve := servertest.DialJSON(t, s, "eve")
	eve.Join("general", nil)
	tom := servertest.DialText(t, s, "tom")
	servertest.WaitMembers(t, s, "lobby", 1)
	moderate(mod, servertest.Frame{"type": "mute", "room": "general", "name": "eve", "duration": "1h"})
	moderate(mod, servertest.Frame{"type": "mute", "room": "lobby", "name": "tom", "duration": "1h"})
	if f := eve.Say("general", "e1", "let me talk"); f.Str("code") != "muted" {
		t.Fatalf("muted send: %v", f)
	}
	tom.Say("let me talk")
	if l := tom.Lines(1); !strings.HasPrefix(l[0], "error: ") || !strings.Contains(l[0], "muted") {
		t.Fatalf("muted text client read %q", l)
	}
	ann.Say("general", "a1", "you can still read")
	if m := eve.Messages("general", 1); m[0].Str("text") != "you can still read" {
		t.Fatalf("muted member read %v", m)
	}
	moderate(mod, servertest.Frame{"type": "unmute", "room": "general", "name": "eve"})
	if f := eve.Say("general", "e2", "thanks"); f.Type() != "ack" {
		t.Fatalf("send after unmute: %v", f)
	}
	// A short mute ends by itself. It ends 200 ms after the server made it, which is after
	// asked: a send acked sooner than that after asking was let through under the mute; one
	// acked later may have come after its end, on a machine busy enough (CI's, under -race).
	const short = 200 * time.Millisecond
	asked := time.Now()
	moderate(mod, servertest.Frame{"type": "mute", "room": "general", "name": "eve", "duration": short.String()})
	if f := eve.Say("general", "e3", "hm"); f.Str("code") != "muted" {
		if took := time.Since(asked); took < short {
			t.Fatalf("send under a short mute, %v after it was asked for: %v", took, f)
		} else {
			t.Logf("the send under the short mute came %v after it was asked for, maybe after its end: %v", took, f)
		}
	}
	time.Sleep(short + 100*time.Millisecond) // past its end, which came at most short after the send
	if f := eve.Say("general", "e4", "free"); f.Type() != "ack" {
		t.Fatalf("send after the mute expired: %v", f)
	}
}

func TestDeleteLeavesATombstone(t *testing.T) {
	s := startModerated(t)
	mod := servertest.DialJSON(t, s, "mod")
	ann := servertest.DialJSON(t, s, "ann")
	ann.Join("general", nil)
	for _, id := range []string{"1", "2", "3"} {
		ann.Say("general", id, "text "+id)
	}
	ann.Messages("general", 3)
	if got := moderate(mod, servertest.Frame{"type": "delete", "room": "general", "seq": 2}); got.Type() != "moderated" || got.Num("seq") != 2 {
		t.Fatalf("delete answered %v", got)
	}
	d := ann.Await("deleted")
	if d.Str("room") != "general" || d.Num("seq") != 2 {
		t.Fatalf("deleted frame %v", d)
	}
	if got := moderate(mod, servertest.Frame{"type": "delete", "room": "general", "seq": 99}); got.Str("code") != "not_found" {
		t.Fatalf("delete of a missing seq: %v", got)
	}
	// History and a new member's replay show the tombstone.
	ann.Send(servertest.Frame{"type": "history", "room": "general"})
	h := ann.Await("history")
	checkTombstone(t, "history", h["messages"].([]any))
	bob := servertest.DialJSON(t, s, "bob")
	bob.Join("general", nil)
	var replay []any
	for _, m := range bob.Messages("general", 3) {
		replay = append(replay, map[string]any(m))
	}
	checkTombstone(t, "replay", replay)
}

// TestDeleteTwiceAnnouncesOnce: a second delete of the same message answers "moderated"
// again but sends no second "deleted" frame (it did: every delete was broadcast). A message
// sent after both deletes marks the end of what the member could have been told.
func TestDeleteTwiceAnnouncesOnce(t *testing.T) {
	s := startModerated(t)
	mod := servertest.DialJSON(t, s, "mod")
	ann := servertest.DialJSON(t, s, "ann")
	ann.Join("general", nil)
	for _, id := range []string{"1", "2"} {
		ann.Say("general", id, "text "+id)
	}
	ann.Messages("general", 2)
	for i := range 2 {
		if got := moderate(mod, servertest.Frame{"type": "delete", "room": "general", "seq": 1}); got.Type() != "moderated" || got.Num("seq") != 1 {
			t.Fatalf("delete #%d answered %v", i+1, got)
		}
	}
	ann.Say("general", "3", "after the deletes")
	deleted := 0
	ann.AwaitFunc("the message after the deletes", func(f servertest.Frame) bool {
		if f.Type() == "deleted" {
			deleted++
		}
		return f.Type() == "message" && f.Str("text") == "after the deletes"
	})
	if deleted != 1 {
		t.Errorf("two deletes of one message sent the member %d deleted frames, want 1", deleted)
	}
}

// checkTombstone checks that of messages 1..3 the second is deleted and the others are not.
func checkTombstone(t *testing.T, what string, msgs []any) {
	t.Helper()
	if len(msgs) != 3 {
		t.Fatalf("%s: %d messages", what, len(msgs))
	}
	for i, m := range msgs {
		f := m.(map[string]any)
		deleted, _ := f["deleted"].(bool)
		if (i == 1) != deleted || deleted && f["text"] != "" || !deleted && f["text"] == "" {
			t.Errorf("%s: message %d = %v", what, i+1, f)
		}
	}
}

func TestBanSurvivesRestart(t *testing.T) {
	s := startModerated(t)
	mod := servertest.DialJSON(t, s, "mod")
	// A sanction is of the user who holds the name (a name nobody holds is the anonymous
	// user's), so eve and ann claim theirs first.
	servertest.DialJSON(t, s, "eve")
	servertest.DialJSON(t, s, "ann")
	moderate(mod, servertest.Frame{"type": "ban", "room": "general", "name": "eve", "duration": "1h"})
	moderate(mod, servertest.Frame{"type": "mute", "room": "general", "name": "ann", "duration": "1h"})
	s = s.Restart()
	eve := servertest.DialJSON(t, s, "eve")
	if j := eve.Join("general", nil); j.Str("code") != "banned" {
		t.Fatalf("join after restart: %v", j)
	}
	ann := servertest.DialJSON(t, s, "ann")
	ann.Join("general", nil)
	if f := ann.Say("general", "a1", "hi"); f.Str("code") != "muted" {
		t.Fatalf("send after restart: %v", f)
	}
}

// welcome tells a connection its role, so a page can offer moderation controls to moderators
// and admins only; with tokens off every name is a member unless Config.RoleFor says more.
func TestWelcomeSaysTheRole(t *testing.T) {
	s := servertest.Start(t, servertest.Options{Server: server.Config{RoleFor: servertest.Roles("mod", "admin")}})
	for name, want := range map[string]string{"mod": "moderator", "admin": "admin", "eve": "member"} {
		c := servertest.DialJSON(t, s, "")
		c.Send(servertest.Frame{"type": "hello", "name": name, "key": "key-" + name})
		if w := c.Await("welcome"); w.Str("role") != want {
			t.Errorf("%s: welcome role %q, want %q (%v)", name, w.Str("role"), want, w)
		}
	}
}

// Only an admin moderates the moderators: a moderator may not kick, ban or mute an admin or
// another moderator, nor lift an admin's sanction of one; an admin (and the operator's API)
// may. Before, a moderator could mute the admin, and the muted admin could not talk.
func TestModeratorsCannotSanctionTheirPeers(t *testing.T) {
	const apiKey = "test-api-key-0123456789"
	s := servertest.Start(t, servertest.Options{Server: server.Config{RoleFor: servertest.Roles("mod", "mod2", "admin"), APIKey: apiKey}})
	mod := servertest.DialJSON(t, s, "mod")
	mod2 := servertest.DialJSON(t, s, "mod2")
	admin := servertest.DialJSON(t, s, "admin")
	eve := servertest.DialJSON(t, s, "eve")
	for _, c := range []*servertest.JSONClient{mod, mod2, admin, eve} {
		c.Join("general", nil)
	}
	for _, f := range []servertest.Frame{
		{"type": "mute", "room": "general", "name": "admin", "duration": "1h"},
		{"type": "ban", "room": "general", "name": "admin", "duration": "1h"},
		{"type": "kick", "room": "general", "name": "admin"},
		{"type": "mute", "room": "general", "name": "mod2", "duration": "1h"},
		{"type": "kick", "room": "general", "name": "MOD2"}, // a look-alike is the same user
	} {
		got := moderate(mod, f)
		if got.Str("code") != "forbidden" || !strings.Contains(got.Str("message"), "only an admin may") {
			t.Errorf("%v by a moderator: %v, want forbidden", f, got)
		}
	}
	if f := admin.Say("general", "a1", "still talking"); f.Type() != "ack" {
		t.Fatalf("the admin after a moderator's refused mute: %v", f)
	}
	if f := mod2.Say("general", "m1", "still here"); f.Type() != "ack" {
		t.Fatalf("mod2 after a moderator's refused kick: %v", f)
	}

	// An admin mutes a moderator; another moderator may not lift it.
	if got := moderate(admin, servertest.Frame{"type": "mute", "room": "general", "name": "mod2", "duration": "1h"}); got.Type() != "moderated" {
		t.Fatalf("the admin's mute of mod2: %v", got)
	}
	if got := moderate(mod, servertest.Frame{"type": "unmute", "room": "general", "name": "mod2"}); got.Str("code") != "forbidden" {
		t.Errorf("a moderator's unmute of the admin's mute of mod2: %v, want forbidden", got)
	}
	if f := mod2.Say("general", "m2", "muted?"); f.Str("code") != "muted" {
		t.Fatalf("mod2's send under the admin's mute: %v", f)
	}
	// Members stay the moderators' to moderate, and the operator's API is an admin's.
	if got := moderate(mod, servertest.Frame{"type": "mute", "room": "general", "name": "eve", "duration": "1h"}); got.Type() != "moderated" {
		t.Errorf("a moderator's mute of a member: %v", got)
	}
	if status, body := s.API("DELETE", "/api/rooms/general/mutes/mod2", apiKey, nil); status != 200 {
		t.Errorf("the API's unmute of mod2: %d %v", status, body)
	}
	if f := mod2.Say("general", "m3", "free"); f.Type() != "ack" {
		t.Fatalf("mod2 after the API's unmute: %v", f)
	}

	// An admin an operator renamed keeps the old name on their open connection: a moderator
	// naming it finds the user behind it, and is refused.
	chief := servertest.DialJSON(t, s, "chief")
	admin2 := hubbub.RoleAdmin
	if _, err := s.Store.UpdateUser(t.Context(), chief.User, hubbub.UserChange{Role: &admin2}); err != nil {
		t.Fatal(err)
	}
	chief.Closed() // the role changed: the connection ends, and the next one is an admin's
	chief = servertest.DialJSON(t, s, "chief")
	if f := chief.Join("general", nil); f.Type() != "joined" {
		t.Fatal(f)
	}
	renamed := "chief2"
	if _, err := s.Store.UpdateUser(t.Context(), chief.User, hubbub.UserChange{Name: &renamed}); err != nil {
		t.Fatal(err)
	}
	for _, f := range []servertest.Frame{
		{"type": "mute", "room": "general", "name": "chief", "duration": "1h"},
		{"type": "kick", "room": "general", "name": "chief"},
		{"type": "kick", "room": "general", "name": "CHIEF"}, // the name the room shows, in another case
	} {
		if got := moderate(mod, f); got.Str("code") != "forbidden" {
			t.Errorf("%v by a moderator, of an admin renamed while connected: %v, want forbidden", f, got)
		}
	}
	if f := chief.Say("general", "c1", "still the admin"); f.Type() != "ack" {
		t.Fatalf("the renamed admin after the refusals: %v", f)
	}

	// A moderator may not delete an admin's or another moderator's message either; an admin
	// may, and a moderator still deletes a member's and their own.
	deleteAs := func(c *servertest.JSONClient, seq uint64, id string) servertest.Frame {
		c.Send(servertest.Frame{"type": "delete", "room": "general", "seq": seq, "id": id})
		return c.AwaitFunc("delete "+id+" answered", func(f servertest.Frame) bool {
			return (f.Type() == "ack" || f.Type() == "error") && f.Str("id") == id
		})
	}
	adminSeq := admin.Say("general", "a2", "from the admin").Num("seq")
	mod2Seq := mod2.Say("general", "m4", "from mod2").Num("seq")
	if f := moderate(mod, servertest.Frame{"type": "unmute", "room": "general", "name": "eve"}); f.Type() != "moderated" {
		t.Fatalf("mod's unmute of eve: %v", f)
	}
	eveSeq := eve.Say("general", "e1", "from eve").Num("seq")
	modSeq := mod.Say("general", "d0", "from mod").Num("seq")
	for what, seq := range map[string]uint64{"the admin's": adminSeq, "mod2's": mod2Seq} {
		if f := deleteAs(mod, seq, "del-"+what); f.Str("code") != "forbidden" || !strings.Contains(f.Str("message"), "only an admin may delete their messages") {
			t.Errorf("a moderator's delete of %s message: %v, want forbidden", what, f)
		}
	}
	for what, seq := range map[string]uint64{"eve's": eveSeq, "its own": modSeq} {
		if f := deleteAs(mod, seq, "del-ok-"+what); f.Type() != "ack" {
			t.Errorf("a moderator's delete of %s message: %v, want ack", what, f)
		}
	}
	if f := deleteAs(admin, mod2Seq, "admin-del"); f.Type() != "ack" {
		t.Errorf("the admin's delete of mod2's message: %v, want ack", f)
	}
}

// A ban or mute of a name no user holds says so in its note, unless a keyless client of that
// name is in the room (then it is what the moderator meant).
func TestSanctionOfANameNobodyHoldsHasANote(t *testing.T) {
	s := startModerated(t)
	mod := servertest.DialJSON(t, s, "mod")
	servertest.DialText(t, s, "tom")
	servertest.WaitMembers(t, s, "lobby", 1)
	if f := moderate(mod, servertest.Frame{"type": "mute", "room": "lobby", "name": "tom", "duration": "1h"}); f.Type() != "moderated" || f.Str("note") != "" {
		t.Errorf("a mute of the keyless client tom, in the room: %v, want moderated without a note", f)
	}
	if f := moderate(mod, servertest.Frame{"type": "ban", "room": "lobby", "name": "ghsot", "duration": "1h"}); f.Type() != "moderated" || !strings.Contains(f.Str("note"), `no user holds the name "ghsot"`) {
		t.Errorf("a ban of a name nobody holds: %v, want moderated with a note", f)
	}
}

// TestKickGoesByTheNameMembersShow: a kick typed in another case kicks the member who shows
// the name (a ban of "ann" bans Ann: names are one user's whatever their case), and a kick of
// a name nobody in the room shows says so instead of reading as done.
func TestKickGoesByTheNameMembersShow(t *testing.T) {
	s := startModerated(t)
	mod := servertest.DialJSON(t, s, "mod")
	ann := servertest.DialJSON(t, s, "Ann")
	ann.Join("general", nil)

	got := moderate(mod, servertest.Frame{"type": "kick", "room": "general", "name": "ann"})
	if got.Type() != "moderated" || got.Str("name") != "Ann" || got.Str("note") != "" {
		t.Fatalf("kick of ann, with Ann in the room: %v, want moderated naming Ann, without a note", got)
	}
	awaitError(ann, "kicked")

	ann.Join("general", nil)
	got = moderate(mod, servertest.Frame{"type": "kick", "room": "general", "name": "anne"})
	if got.Type() != "moderated" || !strings.Contains(got.Str("note"), `nobody called "anne" is in the room`) {
		t.Errorf("kick of a name nobody in the room shows: %v, want moderated with a note", got)
	}
	if f := ann.Say("general", "a1", "still here"); f.Type() != "ack" {
		t.Errorf("Ann after a kick of anne: %v, want her send acked", f)
	}
}

// The members answer names the server role of each member who moderates the server (admin or
// moderator), so that a client offers to moderate them only to an admin; a member has none.
func TestMembersSayWhoModeratesTheServer(t *testing.T) {
	s := servertest.Start(t, servertest.Options{Server: server.Config{RoleFor: servertest.Roles("mod", "admin")}})
	roles := map[string]string{"mod": "moderator", "admin": "admin", "eve": ""}
	var eve *servertest.JSONClient
	for _, name := range []string{"mod", "admin", "eve"} {
		c := servertest.DialJSON(t, s, name)
		c.Join("general", nil)
		eve = c
	}
	eve.Send(servertest.Frame{"type": "members", "room": "general"})
	f := eve.Await("members")
	list, _ := f["members"].([]any)
	if len(list) != len(roles) {
		t.Fatalf("members: %v, want %d", f, len(roles))
	}
	for _, m := range list {
		m := m.(map[string]any)
		got, _ := m["server_role"].(string)
		if want := roles[m["name"].(string)]; got != want {
			t.Errorf("%s's server_role %q, want %q", m["name"], got, want)
		}
	}
}

// storedMembers asks for a room's stored members (the page's roster) and returns their names
// with their states, "name:state".
func storedMembers(t *testing.T, c *servertest.JSONClient, room string) []string {
	t.Helper()
	return pairsOf(membersPage(c, room), "members", "state")
}

// A kick or a ban in a public room takes the room out of the member's list, as leaving it
// for good does: a public room has no remove, its moderators kick or ban instead (protocol.md).
// Before, the kicked member, still connected, stayed among the stored members, which the page
// lists as online (its roster): a second after the others saw eve leave, the moderator's page
// showed her back in the room (TestModerationControlsForModeratorsOnly on a busy machine), and
// eve's own page listed her among the members of a room it said she was removed from. She may
// still join again.
func TestKickOrBanTakesAPublicRoomOutOfTheList(t *testing.T) {
	s := startModerated(t)
	mod := servertest.DialJSON(t, s, "mod")
	mod.Join("general", nil)
	eve := servertest.DialJSON(t, s, "eve")
	eve.Join("general", nil)
	gopher := servertest.DialJSON(t, s, "gopher")
	gopher.Join("general", nil)
	if got, want := storedMembers(t, mod, "general"), []string{"eve:online", "gopher:online", "mod:online"}; !slices.Equal(got, want) {
		t.Fatalf("members before the kick: %q, want %q", got, want)
	}

	if got := moderate(mod, servertest.Frame{"type": "kick", "room": "general", "name": "eve", "reason": "off topic"}); got.Type() != "moderated" {
		t.Fatalf("kick answered %v", got)
	}
	awaitError(eve, "kicked")
	eve.Await("left")
	want := []string{"gopher:online", "mod:online"}
	if got := storedMembers(t, mod, "general"); !slices.Equal(got, want) {
		t.Errorf("members after eve's kick, to the moderator: %q, want %q", got, want)
	}
	if got := storedMembers(t, eve, "general"); !slices.Equal(got, want) {
		t.Errorf("members after eve's kick, to eve: %q, want %q", got, want)
	}

	eve.Join("general", nil) // a kick is not a ban: she may come back, and is a member again
	if got, want := storedMembers(t, mod, "general"), []string{"eve:online", "gopher:online", "mod:online"}; !slices.Equal(got, want) {
		t.Errorf("members after eve joined again: %q, want %q", got, want)
	}

	if got := moderate(mod, servertest.Frame{"type": "ban", "room": "general", "name": "gopher", "duration": "24h"}); got.Type() != "moderated" {
		t.Fatalf("ban answered %v", got)
	}
	awaitError(gopher, "kicked")
	if got, want := storedMembers(t, mod, "general"), []string{"eve:online", "mod:online"}; !slices.Equal(got, want) {
		t.Errorf("members after gopher's ban: %q, want %q", got, want)
	}
}

// A kick or a ban in a private room or a DM leaves the member a member (protocol.md: remove is
// what ends a membership there), which the server no longer asks the store to undo: the
// moderator is answered moderated, the member told "kicked" and "left", the others see them
// leave, as in a public room; the room stays in the member's list and among its stored
// members, and a kicked member may join again (a banned one may not, while banned).
func TestKickOrBanInAPrivateRoomKeepsTheMember(t *testing.T) {
	s := startModerated(t)
	ann, _ := dial(t, s, "ann")
	create(t, ann, "plans", true)
	ann.Join("plans", nil)
	eve, _ := dial(t, s, "eve")
	wantAck(t, "ann's invite", request(ann, servertest.Frame{"type": "invite", "room": "plans", "name": "eve", "id": "i-1"}), 2, 0)
	if f := eve.Join("plans", nil); f.Type() != "joined" {
		t.Fatalf("eve's join of the room she is invited to: %v", f)
	}
	kicked := func(what string, f servertest.Frame) {
		t.Helper()
		if got := moderate(ann, f); got.Type() != "moderated" || got.Str("action") != f.Type() || got.Str("name") != "eve" {
			t.Fatalf("%s answered %v", what, got)
		}
		if k := awaitError(eve, "kicked"); k.Str("room") != "plans" {
			t.Errorf("%s: eve was told %v", what, k)
		}
		eve.AwaitFunc("left plans", func(f servertest.Frame) bool { return f.Type() == "left" && f.Str("room") == "plans" })
		ann.AwaitFunc("eve leaving", func(f servertest.Frame) bool {
			return f.Type() == "presence" && f.Str("room") == "plans" && f.Str("name") == "eve" && f.Str("event") == "leave"
		})
		if got, want := storedMembers(t, ann, "plans"), []string{"ann:online", "eve:online"}; !slices.Equal(got, want) {
			t.Errorf("members after %s: %q, want %q (eve stays a member)", what, got, want)
		}
		if r := roomsOf(t, ask(eve, servertest.Frame{"type": "rooms"}, "rooms"))["plans"]; r == nil || r["invited"] == true {
			t.Errorf("eve's rooms after %s: plans is %v, want her room still", what, r)
		}
	}

	kicked("the kick", servertest.Frame{"type": "kick", "room": "plans", "name": "eve", "reason": "cool off"})
	if f := eve.Join("plans", nil); f.Type() != "joined" {
		t.Errorf("eve's join after the kick: %v, want joined (a member still)", f)
	}
	kicked("the ban", servertest.Frame{"type": "ban", "room": "plans", "name": "eve", "duration": "1h"})
	wantError(t, "eve's join while banned", eve.Join("plans", nil), "banned")

	// A DM's people are its members for good: a server moderator's kick leaves bob one.
	bob, _ := dial(t, s, "bob")
	dm := ask(ann, servertest.Frame{"type": "dm", "names": []string{"bob"}}, "room").Str("room")
	bob.Join(dm, nil)
	mod := servertest.DialJSON(t, s, "mod")
	if got := moderate(mod, servertest.Frame{"type": "kick", "room": dm, "name": "bob"}); got.Type() != "moderated" {
		t.Fatalf("the kick in a DM answered %v", got)
	}
	awaitError(bob, "kicked")
	if got, want := storedMembers(t, ann, dm), []string{"ann:online", "bob:online"}; !slices.Equal(got, want) {
		t.Errorf("the DM's members after the kick: %q, want %q", got, want)
	}
	if f := bob.Join(dm, nil); f.Type() != "joined" {
		t.Errorf("bob's join of the DM after the kick: %v, want joined", f)
	}
}

// sanctionsOf asks c for the first page of room's members and returns the sanctions it lists,
// "name:kind", sorted; ok is false when the frame has no sanctions field.
func sanctionsOf(t *testing.T, c *servertest.JSONClient, room string) (list []string, ok bool) {
	t.Helper()
	f := membersPage(c, room)
	if _, ok := f["sanctions"]; !ok {
		return nil, false
	}
	all, _ := f["sanctions"].([]any)
	for _, s := range all {
		if until, _ := s.(map[string]any)["until"].(string); until == "" {
			t.Errorf("sanction %v has no until", s)
		}
	}
	return sanctionNames(f), true
}

// The members answer tells one who may moderate the room its bans and mutes in force (the
// banned of a public room too, whom the members no longer list), so that the page offers to
// lift what is there and to impose what is not; it offered "Lift mute" and "Lift ban" on
// everyone. A member is told nothing of them.
func TestMembersTellModeratorsWhoIsMutedOrBanned(t *testing.T) {
	s := startModerated(t)
	mod := servertest.DialJSON(t, s, "mod")
	mod.Join("general", nil)
	eve := servertest.DialJSON(t, s, "eve")
	eve.Join("general", nil)
	gopher := servertest.DialJSON(t, s, "gopher")
	gopher.Join("general", nil)
	if got, ok := sanctionsOf(t, mod, "general"); !ok || len(got) != 0 {
		t.Errorf("sanctions before any, to the moderator: %q (field there: %v), want an empty list", got, ok)
	}
	for _, f := range []servertest.Frame{
		{"type": "mute", "room": "general", "name": "eve", "duration": "1h"},
		{"type": "ban", "room": "general", "name": "gopher", "duration": "1h"},
	} {
		if got := moderate(mod, f); got.Type() != "moderated" {
			t.Fatalf("%v answered %v", f, got)
		}
	}
	if got, want := storedMembers(t, mod, "general"), []string{"eve:online", "mod:online"}; !slices.Equal(got, want) {
		t.Errorf("members after gopher's ban: %q, want %q", got, want)
	}
	if got, want := mustSanctions(t, mod, "general"), []string{"eve:mute", "gopher:ban"}; !slices.Equal(got, want) {
		t.Errorf("sanctions to the moderator: %q, want %q", got, want)
	}
	if got, ok := sanctionsOf(t, eve, "general"); ok {
		t.Errorf("a member is told the room's sanctions: %q", got)
	}

	if got := moderate(mod, servertest.Frame{"type": "unmute", "room": "general", "name": "eve"}); got.Type() != "moderated" {
		t.Fatalf("unmute answered %v", got)
	}
	if got, want := mustSanctions(t, mod, "general"), []string{"gopher:ban"}; !slices.Equal(got, want) {
		t.Errorf("sanctions after the unmute: %q, want %q", got, want)
	}
}

// mustSanctions is sanctionsOf for a client that must be told them.
func mustSanctions(t *testing.T, c *servertest.JSONClient, room string) []string {
	t.Helper()
	list, ok := sanctionsOf(t, c, room)
	if !ok {
		t.Fatalf("members of %s to a moderator has no sanctions", room)
	}
	return list
}

// A moderator's first members page lists at most --sanctions-limit of the room's sanctions,
// those of the members on the page first, and says when there are more: a room of thousands
// of bans made that frame as large, every time a moderator's page opened the room.
func TestMembersCapTheSanctionsAndSayThereAreMore(t *testing.T) {
	s := servertest.Start(t, servertest.Options{Server: server.Config{RoleFor: servertest.Roles("mod"), SanctionsLimit: 2}})
	mod := servertest.DialJSON(t, s, "mod")
	mod.Join("general", nil)
	// ann and bob stay members, muted; cat and dan are banned, which takes a public room out
	// of their list: the page no longer lists them.
	for _, name := range []string{"ann", "bob", "cat", "dan"} {
		c := servertest.DialJSON(t, s, name)
		c.Join("general", nil)
	}
	impose := func(kind, name string) {
		t.Helper()
		if got := moderate(mod, servertest.Frame{"type": kind, "room": "general", "name": name, "duration": "1h"}); got.Type() != "moderated" {
			t.Fatalf("%s %s answered %v", kind, name, got)
		}
	}
	impose("ban", "cat")
	impose("mute", "ann")
	if f := membersPage(mod, "general"); f["sanctions_more"] != nil {
		t.Errorf("two sanctions of a limit of two: sanctions_more is %v, want absent", f["sanctions_more"])
	}
	impose("ban", "dan")
	impose("mute", "bob")
	f := membersPage(mod, "general")
	if f["sanctions_more"] != true {
		t.Errorf("four sanctions of a limit of two: sanctions_more is %v, want true", f["sanctions_more"])
	}
	if got, want := sanctionNames(f), []string{"ann:mute", "bob:mute"}; !slices.Equal(got, want) {
		t.Errorf("sanctions listed: %q, want %q (those of the members on the page)", got, want)
	}

	// A user listed has all of their sanctions listed: in quiet, ann is muted, and cat, not on
	// the page, banned and muted; a cut after cat's first would tell the page she is only
	// banned (and offer to mute her again rather than lift her mute).
	for _, name := range []string{"ann", "cat"} {
		c := servertest.DialJSON(t, s, name)
		c.Join("quiet", nil)
	}
	mod.Join("quiet", nil)
	for _, f := range []servertest.Frame{
		{"type": "mute", "room": "quiet", "name": "ann", "duration": "1h"},
		{"type": "ban", "room": "quiet", "name": "cat", "duration": "1h"},
		{"type": "mute", "room": "quiet", "name": "cat", "duration": "1h"},
	} {
		if got := moderate(mod, f); got.Type() != "moderated" {
			t.Fatalf("%v answered %v", f, got)
		}
	}
	f = membersPage(mod, "quiet")
	if got, want := sanctionNames(f), []string{"ann:mute"}; !slices.Equal(got, want) || f["sanctions_more"] != true {
		t.Errorf("sanctions listed in quiet: %q (sanctions_more %v), want %q and more", got, f["sanctions_more"], want)
	}

	// The field is the first page's: a member asks and is told nothing.
	ann := servertest.DialJSON(t, s, "ann")
	if f := membersPage(ann, "general"); f["sanctions"] != nil || f["sanctions_more"] != nil {
		t.Errorf("a member's members page has sanctions %v, sanctions_more %v", f["sanctions"], f["sanctions_more"])
	}
}

// membersPage asks c for the first page of room's members and returns the answer.
func membersPage(c *servertest.JSONClient, room string) servertest.Frame {
	c.Send(servertest.Frame{"type": "members", "room": room})
	return c.Await("members")
}

// sanctionNames are the sanctions of a members frame, "name:kind", sorted.
func sanctionNames(f servertest.Frame) []string { return pairsOf(f, "sanctions", "kind") }

// pairsOf lists the objects in f's field as "name:second", sorted (empty, not nil, if none).
func pairsOf(f servertest.Frame, field, second string) []string {
	all, _ := f[field].([]any)
	list := []string{}
	for _, o := range all {
		o := o.(map[string]any)
		list = append(list, o["name"].(string)+":"+o[second].(string))
	}
	slices.Sort(list)
	return list
}

// A moderator whose members page was told the room's sanctions is told of their changes as
// they happen (sanction_changed), whoever makes them: before, a ban, mute or lift by another
// moderator reached their page only when it asked for the members again, and its menus
// offered to ban the banned and to lift a lifted mute meanwhile. Sanctions are entries of the
// room's log, public room state: a member is told of them too, with the same log_seq.
func TestModeratorsSeeOtherModeratorsSanctionsLive(t *testing.T) {
	s := servertest.Start(t, servertest.Options{Server: server.Config{RoleFor: servertest.Roles("mod", "mod2")}})
	mod := servertest.DialJSON(t, s, "mod")
	mod.Join("general", nil)
	mod2 := servertest.DialJSON(t, s, "mod2")
	mod2.Join("general", nil)
	ann := servertest.DialJSON(t, s, "ann")
	ann.Join("general", nil)
	eve := servertest.DialJSON(t, s, "eve")
	eve.Join("general", nil)
	if got, ok := sanctionsOf(t, mod2, "general"); !ok || len(got) != 0 {
		t.Fatalf("sanctions to mod2: %q (field there: %v), want an empty list", got, ok)
	}
	if _, ok := sanctionsOf(t, ann, "general"); ok {
		t.Fatal("a member was told the sanctions")
	}
	eveID := eve.User

	changed := func(action string) servertest.Frame {
		t.Helper()
		return mod2.AwaitFunc("sanction_changed "+action, func(f servertest.Frame) bool {
			return f.Type() == "sanction_changed" && f.Str("action") == action
		})
	}
	for _, step := range []struct {
		frame  servertest.Frame
		action string
	}{
		{servertest.Frame{"type": "mute", "room": "general", "name": "eve", "duration": "1h"}, "mute"},
		{servertest.Frame{"type": "unmute", "room": "general", "name": "eve"}, "unmute"},
		{servertest.Frame{"type": "ban", "room": "general", "name": "eve", "duration": "1h"}, "ban"},
	} {
		if got := moderate(mod, step.frame); got.Type() != "moderated" {
			t.Fatalf("%v answered %v", step.frame, got)
		}
		f := changed(step.action)
		if f.Str("room") != "general" || f.Str("name") != "eve" || f.Str("user") != eveID {
			t.Errorf("%s told to mod2 as %v, want room general, name eve, user %s", step.action, f, eveID)
		}
		if lift := strings.HasPrefix(step.action, "un"); lift != (f["until"] == nil) {
			t.Errorf("%s told to mod2 with until %v", step.action, f["until"])
		}
	}
	for _, action := range []string{"mute", "unmute", "ban"} {
		f := ann.AwaitFunc("ann's sanction_changed", func(f servertest.Frame) bool { return f.Type() == "sanction_changed" })
		if f.Str("action") != action || f.Str("user") != eveID || f.Num("log_seq") == 0 {
			t.Errorf("ann, a member, was told %v, want eve's %s with its log_seq", f, action)
		}
	}
}
