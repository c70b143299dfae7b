package termchat

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"hubbub/internal/chattest"
	"hubbub/internal/server"
	"hubbub/internal/servertest"
	"hubbub/internal/testwait"
)

// A moderator moderates from the terminal: /mute, /unmute, /kick and /ban in the current room
// reach the server and say what they did; a bad length or a missing name gets the usage, and a
// member's /kick the server's refusal. Before, `hubbub chat` had no moderation at all.
func TestChatModeration(t *testing.T) {
	chattest.LeakCheck(t)
	s := servertest.Start(t, servertest.Options{Server: server.Config{RoleFor: servertest.Roles("mod")}})
	eve := servertest.DialJSON(t, s, "eve")
	if f := eve.Join("general", nil); f.Type() != "joined" {
		t.Fatal(f)
	}
	run, say := typedChat(t, chattest.Args(chattest.User(t, "mod"), []string{s.WS})...)
	run.WaitOutput(t, "* you joined general")

	say("/mute eve 10m flooding")
	run.WaitErr(t, "* you muted eve in general until ")
	if f := eve.Say("general", "e-1", "let me"); f.Str("code") != "muted" {
		t.Fatalf("eve's send after /mute: %v", f)
	}
	say("/unmute eve")
	run.WaitErr(t, "* you unmuted eve in general\n")
	if f := eve.Say("general", "e-2", "thanks"); f.Type() != "ack" {
		t.Fatalf("eve's send after /unmute: %v", f)
	}
	say("/kick eve cool off")
	run.WaitErr(t, "* you kicked eve in general\n")
	if f := eve.AwaitFunc("eve's kick", func(f servertest.Frame) bool { return f.Type() == "error" && f.Str("code") == "kicked" }); f.Str("message") == "" {
		t.Errorf("eve's kick says nothing: %v", f)
	}
	say("/ban eve 2d")
	run.WaitErr(t, "* you banned eve in general until ")
	if f := eve.Join("general", nil); f.Str("code") != "banned" {
		t.Fatalf("eve's join after /ban: %v", f)
	}
	// A second word that is no length starts the reason: the ban is until lifted.
	say("/ban eve soon enough")
	run.WaitErr(t, "* you banned eve in general until lifted\n")
	say("/ban eve 1x")
	run.WaitErr(t, `* /ban: "1x" is not a length of time: say 30m, 12h or 7d`)
	say("/ban")
	run.WaitErr(t, "* usage: /ban NAME [FOR] [REASON] (FOR such as 30m, 12h or 7d; without it, until lifted)")
	say("/unban")
	run.WaitErr(t, "* usage: /unban NAME")
	// A name nobody holds: done, but the chat says it keeps out only a keyless client.
	say("/ban ghsot 1h")
	run.WaitErr(t, "* you banned ghsot in general until ")
	run.WaitErr(t, `*   but no user holds the name "ghsot"`)
	say("/unban ghsot")
	run.WaitErr(t, "* you unbanned ghsot in general\n")
	say("/mute eve 400d")
	run.WaitErr(t, `* /mute: "400d" is too long: at most 366d`)
	say("/mute eve 0m")
	run.WaitErr(t, `* /mute: "0m" is no time at all`)
	// A name with a space is quoted.
	annLee := servertest.DialJSON(t, s, "Ann Lee")
	if f := annLee.Join("general", nil); f.Type() != "joined" {
		t.Fatal(f)
	}
	say(`/mute "Ann Lee" 10m too loud`)
	run.WaitErr(t, "* you muted Ann Lee in general until ")
	if f := annLee.Say("general", "a-1", "hm"); f.Str("code") != "muted" {
		t.Fatalf("Ann Lee's send after /mute \"Ann Lee\": %v", f)
	}
	say(`/kick "Ann Lee`)
	run.WaitErr(t, `* usage: /kick NAME [REASON] (the closing " is missing)`)
	say("/unban eve")
	run.WaitErr(t, "* you unbanned eve in general\n")
	if f := eve.Join("general", nil); f.Type() != "joined" {
		t.Fatalf("eve's join after /unban: %v", f)
	}

	// A member's /kick is refused by the server, and says so.
	member, memberSays := typedChat(t, chattest.Args(chattest.User(t, "ann"), []string{s.WS})...)
	member.WaitOutput(t, "* you joined general")
	memberSays("/kick eve")
	member.WaitErr(t, "* /kick: only moderators and admins may kick (forbidden)")
	if f := eve.Say("general", "e-3", "still here"); f.Type() != "ack" {
		t.Fatalf("eve after a member's /kick: %v", f)
	}

	// In a direct message the confirmation does not name it by its id.
	say("/dm eve")
	run.WaitErr(t, "* lines you type go to @eve now\n")
	say("/mute eve 10m")
	run.WaitErr(t, "* you muted eve in your direct messages with eve until ")
}

// parseSanctionDuration takes Go durations and days, and refuses the rest with one message.
func TestParseSanctionDuration(t *testing.T) {
	for in, want := range map[string]time.Duration{"30m": 30 * time.Minute, "12h": 12 * time.Hour, "7d": 7 * 24 * time.Hour,
		"1h30m": 90 * time.Minute, "366d": 366 * 24 * time.Hour} {
		if got, err := parseSanctionDuration(in); err != nil || got != want {
			t.Errorf("parseSanctionDuration(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "0", "-1h", "0d", "367d", "9000h", "d", "1.5d", "soon"} {
		if d, err := parseSanctionDuration(in); err == nil {
			t.Errorf("parseSanctionDuration(%q) = %v, want an error", in, d)
		}
	}
}

// A kick is printed as what it is, a moderator's decision, not as "server error"; and a ban
// as a ban, with its end and its moderator: it was printed as the server's sentence followed
// by "(kicked)", the code a ban's kick has too (found in session 33).
func TestChatPrintsAKickAsANotice(t *testing.T) {
	chattest.LeakCheck(t)
	s := servertest.Start(t, servertest.Options{Server: server.Config{RoleFor: servertest.Roles("carol")}})
	mod := servertest.DialJSON(t, s, "carol")
	run, say := typedChat(t, chattest.Args(chattest.User(t, "eve"), []string{"--room", "lab", s.WS})...)
	run.WaitOutput(t, "* you joined lab")
	mod.Send(servertest.Frame{"type": "kick", "room": "lab", "name": "eve", "reason": "cool off"})
	run.WaitErr(t, "* you were kicked from lab (by carol): cool off\n")

	say("/join lab")
	run.WaitErr(t, "* lines you type go to lab now\n")
	mod.Send(servertest.Frame{"type": "ban", "room": "lab", "name": "eve", "duration": "2h", "reason": "spam"})
	done := mod.AwaitFunc("the ban's moderated", func(f servertest.Frame) bool { return f.Type() == "moderated" && f.Str("action") == "ban" })
	until, err := time.Parse(time.RFC3339, done.Str("until"))
	if err != nil {
		t.Fatalf("the ban's moderated: %v", done)
	}
	run.WaitErr(t, "* you were banned from lab (until "+until.Local().Format("Mon 2 Jan 15:04")+", by carol): spam\n")
	if got := run.Err.String(); strings.Contains(got, "server error") || strings.Contains(got, "(kicked)") {
		t.Errorf("the kick or the ban was printed in the server's words:\n%s", got)
	}
}

// The other members see a kick and a ban as what they are, with the moderator: both printed
// "* eve left general", as if she had chosen to (found in session 33).
func TestChatSaysWhoKickedAMember(t *testing.T) {
	chattest.LeakCheck(t)
	s := servertest.Start(t, servertest.Options{Server: server.Config{RoleFor: servertest.Roles("carol")}})
	mod := servertest.DialJSON(t, s, "carol")
	ann, _ := typedChat(t, chattest.Args(chattest.User(t, "ann"), []string{s.WS})...)
	ann.WaitOutput(t, "* you joined general")
	eve := servertest.DialJSON(t, s, "eve")
	join := func() {
		t.Helper()
		if f := eve.Join("general", nil); f.Type() != "joined" {
			t.Fatal(f)
		}
	}
	join()
	ann.WaitOutput(t, "* eve joined general\n")
	mod.Send(servertest.Frame{"type": "kick", "room": "general", "name": "eve", "reason": "cool off"})
	ann.WaitOutput(t, "* eve was kicked from general by carol\n")
	eve.Await("error") // her kicked, which Join would take for its refusal
	join()
	testwait.Until(t, "eve's second join", func() bool { return strings.Count(ann.Out.String(), "* eve joined general\n") == 2 })
	// A ban is an entry of the room's log, whose line says it, with its end; the leave it
	// makes is not said again.
	mod.Send(servertest.Frame{"type": "ban", "room": "general", "name": "eve", "duration": "1h"})
	ann.WaitOutput(t, "* carol banned eve in general until ")
	mod.Await("moderated")
	eve.AwaitFunc("eve's left", func(f servertest.Frame) bool { return f.Type() == "left" })
	ann.WaitOutput(t, "\n") // the ban's line ended
	if got := ann.Out.String(); strings.Contains(got, "eve left") || strings.Contains(got, "eve was banned") {
		t.Errorf("a kick or ban printed as a leave, or a ban twice:\n%s", got)
	}
}

// The server's UTC times read as local ones, as the moderator's own confirmation shows them.
func TestLocalTimes(t *testing.T) {
	at := time.Date(2026, 12, 5, 15, 49, 0, 0, time.UTC)
	want := `you are muted in room "general" until ` + at.Local().Format("Mon 2 Jan 15:04")
	for _, in := range []string{`you are muted in room "general" until 2026-12-05T15:49:00Z`,
		`you are muted in room "general" until 2026-12-05T15:49:00.000Z`} {
		if got := localTimes(in); got != want {
			t.Errorf("localTimes(%q) = %q, want %q", in, got, want)
		}
	}
	if got := localTimes("nothing 2026-12-05 here"); got != "nothing 2026-12-05 here" {
		t.Errorf("a text without a time changed: %q", got)
	}
}

// One kick is one line on each side (found by s29-chat): the moderator's chat printed "* you
// kicked eve in general" and then eve's leave, "* eve left general"; eve's printed the
// moderator's reason and then "* you left general". A ban, which takes her out too, is one
// line each as well; a leave of hers later is still said.
func TestChatKickIsOneLine(t *testing.T) {
	chattest.LeakCheck(t)
	s := servertest.Start(t, servertest.Options{Server: server.Config{RoleFor: servertest.Roles("mod")}})
	mod, modSays := typedChat(t, chattest.Args(chattest.User(t, "mod"), []string{s.WS})...)
	mod.WaitOutput(t, "* you joined general")
	eve, eveSays := typedChat(t, chattest.Args(chattest.User(t, "eve"), []string{"--room", "lobby", s.WS})...)
	eve.WaitOutput(t, "* you joined lobby")
	eveSays("/join general")
	eve.WaitOutput(t, "* you joined general")
	mod.WaitOutput(t, "* eve joined general\n")

	// after waits until a later event of general has printed in both chats: anything the
	// kick was to print (eve's leave in the room, her "left" frame) has printed by then.
	n := 0
	after := func() {
		t.Helper()
		n++
		name := fmt.Sprintf("zed%d", n)
		z := servertest.DialJSON(t, s, name)
		if f := z.Join("general", nil); f.Type() != "joined" {
			t.Fatal(f)
		}
		mod.WaitOutput(t, "* "+name+" joined general\n")
		eveSays("/who lobby") // answered after every frame the kick sent her
		testwait.Until(t, "eve's /who", func() bool { return strings.Count(eve.Out.String(), "* members of lobby") == n })
	}

	modSays("/kick eve cool off")
	mod.WaitErr(t, "* you kicked eve in general\n")
	eve.WaitErr(t, "* you were kicked from general (by mod): cool off\n")
	after()
	eveSays("/join general")
	testwait.Until(t, "eve's second join", func() bool { return strings.Count(mod.Out.String(), "* eve joined general\n") == 2 })
	modSays("/ban eve 1h spam")
	mod.WaitErr(t, "* you banned eve in general until ")
	eve.WaitErr(t, "* you were banned from general (until ")
	after()
	if got := mod.Out.String(); strings.Contains(got, "eve left") {
		t.Errorf("the moderator's chat said eve's leave besides its own line:\n%s", mod.All.String())
	}
	if got := eve.Out.String(); strings.Contains(got, "you left general") {
		t.Errorf("eve's chat said she left besides the moderator's reason:\n%s", eve.All.String())
	}

	// A leave of hers that no command made is said.
	modSays("/unban eve")
	mod.WaitErr(t, "* you unbanned eve in general\n")
	eveSays("/join general")
	testwait.Until(t, "eve's third join", func() bool { return strings.Count(mod.Out.String(), "* eve joined general\n") == 3 })
	eveSays("/leave general")
	mod.WaitOutput(t, "* eve left general\n")
}

// Banned from general, eve typed /join general: the refusal was followed by "* lines you type
// still go to general", which was false: the ban had taken her out, and her next line was not
// sent there. Found by s31-term. It says where lines go now: the room joined before, or none.
func TestChatRefusedJoinAfterABanSaysWhereLinesGo(t *testing.T) {
	chattest.LeakCheck(t)
	s := servertest.Start(t, servertest.Options{Server: server.Config{RoleFor: servertest.Roles("mod")}})
	mod := servertest.DialJSON(t, s, "mod")
	eve, say := typedChatOn(t, IO{TTY: true}, chattest.Args(chattest.User(t, "eve"), []string{"--room", "lobby", s.WS})...)
	eve.WaitOutput(t, "* you joined lobby")
	say("/join general")
	eve.WaitErr(t, "* lines you type go to general now\n")

	mod.Send(servertest.Frame{"type": "ban", "room": "general", "name": "eve", "duration": "1h", "reason": "spam"})
	eve.WaitErr(t, "* you were banned from general (until ")
	say("/join general")
	eve.WaitErr(t, "* /join: you are banned from room \"general\"")
	eve.WaitErr(t, "* lines you type go to lobby now\n")
	if got := eve.Err.String(); strings.Contains(got, "still go to general") {
		t.Errorf("after the ban, the refused /join said lines still go to general:\n%s", got)
	}
	say("to lobby")
	eve.WaitOutput(t, "[lobby] #1 eve: to lobby\n")

	// Out of her last room, a /join the chat refuses itself says she is in no room.
	mod.Send(servertest.Frame{"type": "kick", "room": "lobby", "name": "eve"})
	eve.WaitErr(t, "* you were kicked from lobby (by mod)\n")
	say("/join bad!room")
	eve.WaitErr(t, "* you are in no room now; /join one to send\n")
	if got := eve.Err.String(); strings.Contains(got, "still go to lobby") {
		t.Errorf("after the kick, the refused /join said lines still go to lobby:\n%s", got)
	}
}

// A ban, mute or lift is an entry of the room's log, which the chat prints for every member as
// a notice: before, a member's chat said nothing of it (the frame went to moderators' pages
// only), and bob's ban read as his leaving.
func TestChatPrintsSanctionsOfTheRoom(t *testing.T) {
	chattest.LeakCheck(t)
	s := servertest.Start(t, servertest.Options{Server: server.Config{RoleFor: servertest.Roles("mod")}})
	mod := servertest.DialJSON(t, s, "mod")
	bob := servertest.DialJSON(t, s, "bob")
	bob.Join("lab", nil)
	run, _ := typedChat(t, chattest.Args(chattest.User(t, "ann"), []string{"--room", "lab", s.WS})...)
	run.WaitOutput(t, "* you joined lab")
	for _, f := range []servertest.Frame{
		{"type": "ban", "room": "lab", "name": "bob", "duration": "1h", "reason": "spam"},
		{"type": "mute", "room": "lab", "name": "ann", "duration": "10m"},
		{"type": "unmute", "room": "lab", "name": "ann"},
	} {
		mod.Send(f)
		mod.Await("moderated")
	}
	run.WaitOutput(t, "* mod banned bob in lab until ")
	run.WaitOutput(t, ": spam\n")
	run.WaitOutput(t, "* mod muted you in lab until ")
	run.WaitOutput(t, "* mod lifted your mute in lab\n")
	if got := run.Out.String(); strings.Contains(got, "bob was banned") || strings.Contains(got, "bob left") {
		t.Errorf("bob's ban was said twice:\n%s", got)
	}
}

// What the server API does reads "a server admin", for the members and for the one it takes
// out: the chat printed the audit log's "* api muted bob" and "by a moderator", where the
// API's sanctions say api: true and its kicks name nobody. A moderator who goes by the name
// api is still a person, named as such.
func TestChatSaysTheServerAPIsModeration(t *testing.T) {
	chattest.LeakCheck(t)
	const key = "chat-api-key"
	s := servertest.Start(t, servertest.Options{Server: server.Config{APIKey: key, RoleFor: servertest.Roles("api")}})
	api := func(method, path string, body any) {
		t.Helper()
		if code, f := s.API(method, path, key, body); code != 200 {
			t.Fatalf("%s %s: %d %v", method, path, code, f)
		}
	}
	bob := servertest.DialJSON(t, s, "bob")
	bob.Join("lab", nil)
	ann, _ := typedChat(t, chattest.Args(chattest.User(t, "ann"), []string{"--room", "lab", s.WS})...)
	ann.WaitOutput(t, "* you joined lab")
	eve, eveSays := typedChat(t, chattest.Args(chattest.User(t, "eve"), []string{"--room", "lab", s.WS})...)
	eve.WaitOutput(t, "* you joined lab")
	ann.WaitOutput(t, "* eve joined lab\n")

	api("POST", "/api/rooms/lab/mute", map[string]any{"name": "bob", "duration": "1h", "reason": "shouting"})
	ann.WaitOutput(t, "* a server admin muted bob in lab until ")
	ann.WaitOutput(t, ": shouting\n")

	api("POST", "/api/rooms/lab/kick", map[string]any{"name": "eve", "reason": "cool off"})
	eve.WaitErr(t, "* you were kicked from lab (by a server admin): cool off\n")
	ann.WaitOutput(t, "* eve was kicked from lab by a server admin\n")

	eveSays("/join lab")
	testwait.Until(t, "eve's second join", func() bool { return strings.Count(ann.Out.String(), "* eve joined lab\n") == 2 })
	api("POST", "/api/rooms/lab/ban", map[string]any{"name": "eve", "duration": "1h", "reason": "spam"})
	eve.WaitErr(t, "* you were banned from lab (until ")
	eve.WaitErr(t, ", by a server admin): spam\n")
	ann.WaitOutput(t, "* a server admin banned eve in lab until ")

	impostor := servertest.DialJSON(t, s, "api") // a moderator who goes by the name api
	impostor.Send(servertest.Frame{"type": "unmute", "room": "lab", "name": "bob"})
	impostor.Await("moderated")
	ann.WaitOutput(t, "* api lifted bob's mute in lab\n")
	if got := ann.Out.String(); strings.Contains(got, "eve was banned") || strings.Contains(got, "by a moderator") || strings.Contains(got, "* api muted") {
		t.Errorf("the API's moderation said twice, or as api or a moderator:\n%s", got)
	}
}

// What the server API does as itself reads "a server admin" by the frames' api flag: a plain
// kick, whose kicked error has neither until nor reason (it read "by a moderator", in the
// server's words), an invitation and a moderator's delete (they read "api invited bob", "api
// deleted bob's message"). The leave of the API's ban names its entry, which said it: it is
// not said again.
func TestChatSaysTheServerAPIsPlainKickInvitationAndDelete(t *testing.T) {
	chattest.LeakCheck(t)
	const key = "chat-api-key"
	s := servertest.Start(t, servertest.Options{Server: server.Config{APIKey: key}})
	api := func(method, path string, body any, want int) {
		t.Helper()
		if code, f := s.API(method, path, key, body); code != want {
			t.Fatalf("%s %s: %d %v", method, path, code, f)
		}
	}
	bob := servertest.DialJSON(t, s, "bob")
	bob.Join("lab", nil)
	ann, annSays := typedChat(t, chattest.Args(chattest.User(t, "ann"), []string{"--room", "lab", s.WS})...)
	ann.WaitOutput(t, "* you joined lab")
	eve, _ := typedChat(t, chattest.Args(chattest.User(t, "eve"), []string{"--room", "lab", s.WS})...)
	eve.WaitOutput(t, "* you joined lab")
	ann.WaitOutput(t, "* eve joined lab\n")

	api("POST", "/api/rooms/lab/kick", map[string]any{"name": "eve"}, 200)
	eve.WaitErr(t, "* you were kicked from lab (by a server admin)\n")
	ann.WaitOutput(t, "* eve was kicked from lab by a server admin\n")

	seq := bob.Say("lab", "b-1", "delete me").Num("seq")
	ann.WaitOutput(t, "delete me")
	api("DELETE", fmt.Sprintf("/api/rooms/lab/messages/%d", seq), nil, 200)
	ann.WaitOutput(t, fmt.Sprintf("* a server admin deleted bob's message #%d in lab\n", seq))

	api("POST", "/api/rooms", map[string]any{"room": "plans", "private": true, "owner": "ann"}, 201)
	ann.WaitOutput(t, "* plans is in your rooms")
	annSays("/join plans")
	ann.WaitOutput(t, "* you joined plans")
	api("POST", "/api/rooms/plans/invite", map[string]any{"name": "bob"}, 201)
	ann.WaitOutput(t, "* a server admin invited bob to plans\n")

	api("POST", "/api/rooms/lab/ban", map[string]any{"name": "bob", "duration": "1h"}, 200)
	ann.WaitOutput(t, "* a server admin banned bob in lab until ")
	// The leave comes after the entry, made with bob's kick; a presence ann prints after it
	// (the room's presence comes in order) shows whether it was said.
	bob.AwaitFunc("bob's kick", func(f servertest.Frame) bool { return f.Type() == "error" && f.Str("code") == "kicked" })
	carol := servertest.DialJSON(t, s, "carol")
	carol.Join("lab", nil)
	ann.WaitOutput(t, "* carol joined lab\n")
	if got := ann.Out.String(); strings.Contains(got, "by a moderator") || strings.Contains(got, "* api ") || strings.Contains(got, "bob was banned") {
		t.Errorf("the API's moderation said as api or a moderator, or a ban said twice:\n%s", got)
	}
}
