package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"hubbub/internal/server"
	"hubbub/internal/servertest"
	"hubbub/internal/storecache"
)

// botCmdRun runs `hubbub CMD args...` in-process and returns what it printed.
func botCmdRun(t *testing.T, args ...string) (string, error) {
	t.Helper()
	out, _, err := botCmdRunBoth(t, args...)
	return out, err
}

// botCmdRunBoth is botCmdRun with what it printed to standard error too.
func botCmdRunBoth(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err = run(context.Background(), args, stdio{in: strings.NewReader(""), out: &out, err: &errOut})
	return out.String(), errOut.String(), err
}

// TestBotCommandsSayARunningServerLearnsLate: hubbub bot rooms, rotate and delete change the
// store, and a running server learns of it at its next read of the store's generations, not at
// once as through the API. They said "the old one no longer works" and "its token and hooks no
// longer work" without the delay; an admin rotating a leaked token was not told to use the API
// for it. Each says how late (--store-cache-poll, the bound TestBotCommandsReachARunningServer
// checks), and names the API call that acts at once.
func TestBotCommandsSayARunningServerLearnsLate(t *testing.T) {
	data := filepath.Join(t.TempDir(), "hubbub.db")
	both := func(args ...string) (string, string) {
		t.Helper()
		out, errOut, err := botCmdRunBoth(t, append(args, "--data", data)...)
		if err != nil {
			t.Fatalf("hubbub %q: %v", args, err)
		}
		return out, errOut
	}
	both("bot", "create", "Ci Bot", "--rooms", "builds")
	const late = " for up to its --store-cache-poll (250ms by default; about a second for the bot's open connections); "
	for _, c := range []struct {
		args      []string
		out, note string
	}{
		{[]string{"bot", "rooms", "Ci Bot", "deploy"}, "bot Ci Bot may now enter deploy",
			"note: a running server lets the bot into the rooms it had" + late + "PATCH /api/bots/Ci%20Bot changes them at once"},
		{[]string{"bot", "rotate", "Ci Bot"}, "new token for Ci Bot (shown once; the old one stops working): hbt_",
			"note: a running server takes the old token" + late + "POST /api/bots/Ci%20Bot/token rotates it at once"},
		{[]string{"bot", "delete", "Ci Bot"}, "its hooks no longer work, nor its token (below)",
			"note: a running server takes its token" + late + "DELETE /api/bots/Ci%20Bot deletes it at once"},
	} {
		out, errOut := both(c.args...)
		if !strings.Contains(out, c.out) || strings.Contains(out, "no longer works)") {
			t.Errorf("hubbub %q printed %q, want %q", c.args, out, c.out)
		}
		if strings.TrimSpace(errOut) != c.note {
			t.Errorf("hubbub %q said %q on stderr, want %q", c.args, errOut, c.note)
		}
	}
}

// TestBotCommandsReachARunningServer: hubbub bot rooms, rotate and delete, run on the SQLite
// file a server holds open, reach that server without its --bot-cache-age (an hour here): the
// change moves the store's users' generation, which the server reads every --store-cache-poll,
// and it then forgets the bots it cached and re-reads its bots' open connections. Before, the
// server went on taking the rotated-out or deleted token, on the WebSocket and the API, and
// kept the bot in the rooms it had, for the cache's whole age; `hubbub user disable` of a
// bot's user likewise.
func TestBotCommandsReachARunningServer(t *testing.T) {
	data := filepath.Join(t.TempDir(), "hubbub.db")
	s := servertest.Start(t, servertest.Options{DataPath: data, Server: server.Config{BotCacheAge: time.Hour},
		StoreCache: storecache.Config{Poll: 20 * time.Millisecond}})
	cli := func(args ...string) string {
		t.Helper()
		out, _, err := botCmdRunBoth(t, append(args, "--data", data)...)
		if err != nil {
			t.Fatalf("hubbub %q: %v", args, err)
		}
		return out
	}
	tokenIn := func(out string) string {
		t.Helper()
		m := regexp.MustCompile(`(hbt_[0-9a-f]{64})`).FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("no token in:\n%s", out)
		}
		return m[1]
	}
	// signIn says hello with token on a new connection and returns it with the answer's type.
	signIn := func(token string) (*servertest.JSONClient, string) {
		t.Helper()
		c := servertest.DialJSON(t, s, "")
		c.Send(servertest.Frame{"type": "hello", "token": token})
		return c, c.AwaitFunc("welcome or error", func(f servertest.Frame) bool { return f.Type() == "welcome" || f.Type() == "error" }).Type()
	}
	read := func(token, room string) int {
		t.Helper()
		status, _ := s.API("GET", "/api/rooms/"+room+"/messages", token, nil)
		return status
	}

	old := tokenIn(cli("bot", "create", "Ci Bot", "--rooms", "builds,deploy"))
	bot, got := signIn(old)
	if got != "welcome" {
		t.Fatalf("the new bot's hello: %s", got)
	}
	for _, room := range []string{"builds", "deploy"} {
		if f := bot.Join(room, nil); f.Type() != "joined" {
			t.Fatalf("the bot's join of %s: %v", room, f)
		}
		if f := bot.Say(room, "first-"+room, "hello "+room); f.Type() != "ack" {
			t.Fatalf("the bot's message in %s: %v", room, f)
		}
	}
	if status := read(old, "builds"); status != http.StatusOK { // the server caches the bot now
		t.Fatalf("the bot's read of builds: %d", status)
	}

	// rooms: the open connection leaves the room its bot lost, and the API refuses it.
	cli("bot", "rooms", "Ci Bot", "deploy")
	if f := bot.AwaitFunc("left builds", func(f servertest.Frame) bool { return f.Type() == "left" && f.Str("room") == "builds" }); f == nil {
		t.Fatal("no left frame")
	}
	if status := read(old, "builds"); status != http.StatusForbidden {
		t.Errorf("after hubbub bot rooms, the bot's read of builds: %d, want 403", status)
	}
	if status := read(old, "deploy"); status != http.StatusOK {
		t.Errorf("after hubbub bot rooms, the bot's read of deploy: %d, want 200", status)
	}

	// rotate: the open connection of the old token closes, the old token signs nothing in.
	rotated := tokenIn(cli("bot", "rotate", "Ci Bot"))
	if ce := bot.Closed(); ce == nil || ce.Code != 1008 {
		t.Errorf("after hubbub bot rotate, the old token's connection: %v, want closed with 1008", ce)
	}
	if _, got := signIn(old); got != "error" {
		t.Errorf("after hubbub bot rotate, the old token's hello: %s, want an error", got)
	}
	if status := read(old, "deploy"); status != http.StatusUnauthorized {
		t.Errorf("after hubbub bot rotate, the old token's read: %d, want 401", status)
	}
	bot, got = signIn(rotated)
	if got != "welcome" {
		t.Fatalf("the rotated token's hello: %s", got)
	}
	if status := read(rotated, "deploy"); status != http.StatusOK {
		t.Fatalf("the rotated token's read: %d", status)
	}

	// delete: the same for the token it had.
	cli("bot", "delete", "Ci Bot")
	if ce := bot.Closed(); ce == nil {
		t.Errorf("after hubbub bot delete, its connection: %v, want closed", ce)
	}
	if _, got := signIn(rotated); got != "error" {
		t.Errorf("after hubbub bot delete, its token's hello: %s, want an error", got)
	}
	if status := read(rotated, "deploy"); status != http.StatusUnauthorized {
		t.Errorf("after hubbub bot delete, its token's read: %d, want 401", status)
	}

	// hubbub user disable of a bot's user moved the users' count before too, but the account
	// pass leaves bots' connections to the bot cache, which went on believing the bot.
	ops := tokenIn(cli("bot", "create", "Ops Bot", "--rooms", "deploy"))
	bot, got = signIn(ops)
	if got != "welcome" || read(ops, "deploy") != http.StatusOK {
		t.Fatalf("the second bot's hello: %s", got)
	}
	cli("user", "disable", "Ops Bot")
	if ce := bot.Closed(); ce == nil {
		t.Errorf("after hubbub user disable, the bot's connection: %v, want closed", ce)
	}
	if _, got := signIn(ops); got != "error" {
		t.Errorf("after hubbub user disable, the bot's hello: %s, want an error", got)
	}
	if status := read(ops, "deploy"); status != http.StatusUnauthorized {
		t.Errorf("after hubbub user disable, the bot's read: %d, want 401", status)
	}
}

// TestBotAndHookCommands runs `hubbub bot` and `hubbub hook` against the SQLite file a running
// server holds open, then uses what they printed on that server: the token signs the bot in,
// the URL posts a message.
func TestBotAndHookCommands(t *testing.T) {
	data := filepath.Join(t.TempDir(), "hubbub.db")
	s := servertest.Start(t, servertest.Options{DataPath: data})
	ok := func(args ...string) string {
		t.Helper()
		out, err := botCmdRun(t, append(args, "--data", data)...)
		if err != nil {
			t.Fatalf("hubbub %q: %v", args, err)
		}
		return out
	}
	out := ok("bot", "create", "ci", "--rooms", "builds,deploy-*")
	m := regexp.MustCompile(`(?m)^token \(shown once; the server keeps only its hash\): (hbt_[0-9a-f]{64})$`).FindStringSubmatch(out)
	if m == nil || !strings.Contains(out, "created bot ci (u_") {
		t.Fatalf("bot create:\n%s", out)
	}
	token := m[1]
	if out := ok("bot", "list"); !regexp.MustCompile(`(?m)^ci +u_[0-9a-f]+ +yes +active +builds,deploy-\* `).MatchString(out) {
		t.Errorf("bot list:\n%s", out)
	}
	bot := servertest.DialJSON(t, s, "")
	bot.Send(servertest.Frame{"type": "hello", "token": token})
	if w := bot.Await("welcome"); w.Str("name") != "ci" {
		t.Fatalf("the printed token's hello: %v", w)
	}
	if j := bot.Join("deploy-prod", nil); j.Type() != "joined" {
		t.Errorf("join deploy-prod: %v", j)
	}
	if out := ok("bot", "rooms", "ci", "builds"); !strings.Contains(out, "may now enter builds") {
		t.Errorf("bot rooms: %q", out)
	}
	rot := ok("bot", "rotate", "ci")
	if !strings.Contains(rot, "hbt_") || strings.Contains(rot, token) {
		t.Errorf("bot rotate: %q", rot)
	}

	// Mistakes exit as usage errors with a clear message.
	for _, args := range [][]string{
		{"bot", "create", "ci", "--rooms", "builds"},                // taken
		{"bot", "create", "nowhere"},                                // no rooms: it could post nowhere
		{"bot", "create", "nowhere", "--rooms", ","},                // no rooms either
		{"bot", "create", "x", "--rooms", "bad room"},               // bad pattern
		{"bot", "delete", "nobody"},                                 // unknown
		{"hook", "create"},                                          // no room
		{"bot", "frobnicate"},                                       // no such action
		{"hook", "create", "--room", "dm.0123456789abcdef01234567"}, // a DM no one started
	} {
		if _, err := botCmdRun(t, append(args, "--data", data)...); err == nil || exitCode(err) != 2 {
			t.Errorf("hubbub %q: %v (exit %d), want a usage error", args, err, exitCode(err))
		}
	}
	// A bot with no rooms is refused, not made: its token would be shown once for a bot that
	// may post nowhere.
	if _, err := botCmdRun(t, "bot", "create", "nowhere", "--data", data); err == nil || !strings.Contains(err.Error(), "--rooms is required") ||
		strings.Contains(err.Error(), "bot create: bot create") {
		t.Errorf("bot create without --rooms: %v", err)
	}
	if out := ok("bot", "list"); strings.Contains(out, "nowhere") {
		t.Errorf("a bot created without rooms:\n%s", out)
	}

	// A hook into a room that does not exist yet is made, with a note: a misspelt name would
	// quietly post into a new room nobody is in. One into a room that exists gets none.
	out, stderr, err := botCmdRunBoth(t, "hook", "create", "--room", "alerts", "--url", s.URL, "--data", data)
	if err != nil || !strings.Contains(stderr, "note: room alerts does not exist yet; the hook's first post will create it") {
		t.Fatalf("hook create into a new room: %v, stderr %q", err, stderr)
	}
	if _, stderr, err := botCmdRunBoth(t, "hook", "create", "--room", "deploy-prod", "--url", s.URL, "--data", data); err != nil || stderr != "" {
		t.Errorf("hook create into a room that exists: %v, stderr %q", err, stderr)
	}
	url := regexp.MustCompile(`(?m)^URL \(shown once; the server keeps only its secret's hash\): (\S+)$`).FindStringSubmatch(out)
	if url == nil || !strings.Contains(out, "posting as hook-alerts") {
		t.Fatalf("hook create:\n%s", out)
	}
	resp, err := http.Post(url[1], "application/json", strings.NewReader(`{"text":"from the CLI's hook","id":"h-1"}`))
	if err != nil {
		t.Fatal(err)
	}
	var reply struct {
		Message struct {
			From string `json:"from"`
			Bot  bool   `json:"bot"`
		} `json:"message"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&reply)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated || reply.Message.From != "hook-alerts" || !reply.Message.Bot {
		t.Errorf("post to the printed URL: %d %+v", resp.StatusCode, reply)
	}
	list := ok("hook", "list")
	id := regexp.MustCompile(`(?m)^(ih_[0-9a-f]{32}) +alerts +hook-alerts `).FindStringSubmatch(list)
	if id == nil {
		t.Fatalf("hook list:\n%s", list)
	}
	ok("hook", "delete", id[1])
	if out := ok("bot", "delete", "ci"); !strings.Contains(out, "deleted bot ci") {
		t.Errorf("bot delete: %q", out)
	}
	if out := ok("bot", "list"); strings.Contains(out, "\nci ") {
		t.Errorf("a deleted bot is still listed:\n%s", out)
	}
}

// TestHookCreateWithinItsBotsRooms: hubbub hook create --bot of an existing bot whose rooms do
// not cover --room is refused (exit 2) naming the bot's rooms, and makes no hook — a tester's
// hook into general as a bot of builds was made without a word, and posted where the bot's own
// token may not. A paused bot (rooms emptied) is refused too, saying so.
func TestHookCreateWithinItsBotsRooms(t *testing.T) {
	data := filepath.Join(t.TempDir(), "hubbub.db")
	if _, err := botCmdRun(t, "bot", "create", "ci", "--rooms", "builds", "--data", data); err != nil {
		t.Fatal(err)
	}
	_, err := botCmdRun(t, "hook", "create", "--room", "general", "--bot", "ci", "--url", "http://chat.test", "--data", data)
	if exitCode(err) != 2 || err == nil || !strings.Contains(err.Error(), `bot "ci" may not use room "general" (its rooms: builds)`) {
		t.Errorf("hook create into general as ci: %v (exit %d), want a usage error naming its rooms", err, exitCode(err))
	}
	if out, err := botCmdRun(t, "hook", "list", "--data", data); err != nil || strings.Contains(out, "general") {
		t.Errorf("hook list after the refusal: %v\n%s", err, out)
	}
	if _, err := botCmdRun(t, "hook", "create", "--room", "builds", "--bot", "ci", "--url", "http://chat.test", "--data", data); err != nil {
		t.Errorf("hook create into builds as ci: %v", err)
	}
	if _, err := botCmdRun(t, "bot", "rooms", "ci", "", "--data", data); err != nil {
		t.Fatal(err)
	}
	_, err = botCmdRun(t, "hook", "create", "--room", "builds", "--bot", "ci", "--url", "http://chat.test", "--data", data)
	if exitCode(err) != 2 || err == nil || !strings.Contains(err.Error(), "paused") {
		t.Errorf("hook create as the paused ci: %v (exit %d), want a usage error saying it is paused", err, exitCode(err))
	}
}

// TestAdminCommandsRefuseZeroAndNegatives: hubbub bot, hook and command bind the store's
// flags as hubbub user does, but refused nothing: --sqlite-busy-timeout 0 (or
// -1s) waited the default 5s for the server's lock. Each is now a usage error naming the
// flag, before the store is opened, as in hubbub user and serve.
func TestAdminCommandsRefuseZeroAndNegatives(t *testing.T) {
	data := filepath.Join(t.TempDir(), "hubbub.db")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"bot", "list", "--sqlite-busy-timeout", "0"}, "invalid --sqlite-busy-timeout 0s: want more than 0s"},
		{[]string{"bot", "list", "--sqlite-busy-timeout", "-1s"}, "--sqlite-busy-timeout -1s must not be negative"},
		{[]string{"hook", "list", "--sqlite-busy-timeout", "0"}, "invalid --sqlite-busy-timeout 0s"},
		{[]string{"hook", "list", "--sqlite-busy-timeout", "-1s"}, "--sqlite-busy-timeout -1s must not be negative"},
		{[]string{"command", "list", "--sqlite-busy-timeout", "0"}, "invalid --sqlite-busy-timeout 0s"},
		{[]string{"webhook", "dead", "--limit", "-1", "wh_1"}, "--limit -1 must not be negative"},
		{[]string{"webhook", "list", "--sqlite-busy-timeout", "0"}, "invalid --sqlite-busy-timeout 0s"},
		{[]string{"webhook", "dead", "--limit", "0", "wh_1"}, "invalid --limit 0"},
	} {
		_, err := botCmdRun(t, append(c.args, "--data", data)...)
		if exitCode(err) != 2 || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: %v (exit %d), want a usage error %q", c.args, err, exitCode(err), c.want)
		}
	}
	if _, err := os.Stat(data); !os.IsNotExist(err) {
		t.Errorf("the refusals made %s (%v): the flags are checked before the store is opened", data, err)
	}
}

// TestBotListIsByName: hubbub bot list showed bots in the order of their random ids, so an
// operator looking for one among many read the whole list; it lists them by name, whatever
// their case, as hubbub user list does. Eight bots made out of order: their ids' order is the
// names' one time in 40,320.
func TestBotListIsByName(t *testing.T) {
	data := filepath.Join(t.TempDir(), "hubbub.db")
	names := []string{"Hotel", "alpha", "golf", "Delta", "charlie", "foxtrot", "bravo", "echo"}
	for _, name := range names {
		if _, err := botCmdRun(t, "bot", "create", name, "--rooms", "builds", "--data", data); err != nil {
			t.Fatalf("bot create %s: %v", name, err)
		}
	}
	out, err := botCmdRun(t, "bot", "list", "--data", data)
	if err != nil {
		t.Fatal(err)
	}
	var listed []string
	for _, line := range strings.Split(strings.TrimSpace(out), "\n")[1:] {
		listed = append(listed, strings.Fields(line)[0])
	}
	if want := []string{"alpha", "bravo", "charlie", "Delta", "echo", "foxtrot", "golf", "Hotel"}; !slices.Equal(listed, want) {
		t.Errorf("bot list names %v, want %v:\n%s", listed, want, out)
	}
}

// TestHookListIsByRoom: hubbub hook list showed hooks in the order of their random ids; it
// lists them by room, whatever its case (a room's oldest first), and the usage of every admin
// command's list says the order it prints in. Eight rooms made out of order: their hooks'
// ids' order is the rooms' one time in 40,320.
func TestHookListIsByRoom(t *testing.T) {
	data := filepath.Join(t.TempDir(), "hubbub.db")
	rooms := []string{"Hotel", "alpha", "golf", "Delta", "charlie", "foxtrot", "bravo", "echo"}
	for _, room := range rooms {
		if _, err := botCmdRun(t, "hook", "create", "--room", room, "--url", "http://chat.test", "--data", data); err != nil {
			t.Fatalf("hook create --room %s: %v", room, err)
		}
	}
	out, err := botCmdRun(t, "hook", "list", "--data", data)
	if err != nil {
		t.Fatal(err)
	}
	var listed []string
	for _, line := range strings.Split(strings.TrimSpace(out), "\n")[1:] {
		listed = append(listed, strings.Fields(line)[1])
	}
	if want := []string{"alpha", "bravo", "charlie", "Delta", "echo", "foxtrot", "golf", "Hotel"}; !slices.Equal(listed, want) {
		t.Errorf("hook list rooms %v, want %v:\n%s", listed, want, out)
	}

	for _, c := range adminCommands {
		a, ok := c.action("list")
		if !ok {
			t.Errorf("hubbub %s has no list", c.name)
			continue
		}
		if !strings.Contains(a.note, "by name") && !strings.Contains(a.note, "oldest first") {
			t.Errorf("hubbub %s list: its usage says no order (%q)", c.name, a.note)
		}
		if !strings.Contains(c.usage(), "("+a.note+")") {
			t.Errorf("hubbub %s's usage does not show the order of its list:\n%s", c.name, c.usage())
		}
	}
}
