package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"hubbub/internal/chattest"
	"hubbub/internal/commands"
	"hubbub/internal/egress"
	"hubbub/internal/server"
	"hubbub/internal/servertest"
	"hubbub/internal/signing"
)

// commandCmdRun runs `hubbub command args...` in-process and returns what it printed.
func commandCmdRun(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := run(context.Background(), append([]string{"command"}, args...), stdio{in: strings.NewReader(""), out: &out, err: &errOut})
	return out.String() + errOut.String(), err
}

// An admin registers /echo with `hubbub command add` while the server runs; ann's `hubbub
// chat` sends "/echo hi" as a command (the URL gets it, signed with the secret add printed),
// prints the bot's answer, an ephemeral answer, and a refusal; list, rotate and delete work
// on the same file.
func TestCommandCLIAndChat(t *testing.T) {
	chattest.LeakCheck(t)
	data := filepath.Join(t.TempDir(), "hubbub.db")
	s := servertest.Start(t, servertest.Options{DataPath: data,
		Server: server.Config{Commands: commands.Config{Client: egress.New(egress.Config{AllowPrivate: true})}}})
	var mu sync.Mutex
	secret := ""
	got := make(chan string, 4)
	rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		err := signing.Verify(r.Header, secret, body, time.Now(), 0)
		mu.Unlock()
		if err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		var u struct{ Args string }
		_ = json.Unmarshal(body, &u)
		got <- u.Args
		_ = json.NewEncoder(w).Encode(map[string]any{"text": "echo: " + u.Args, "ephemeral": strings.HasPrefix(u.Args, "quietly")})
	}))
	t.Cleanup(rc.Close)

	out, err := commandCmdRun(t, "add", "echo", rc.URL, "--description", "says it back", "--data", data)
	// The receiver is on loopback, which this test's server may reach and a server of the
	// default settings may not: add says so, naming the setting.
	m := regexp.MustCompile(`^added /echo → ` + regexp.QuoteMeta(rc.URL) + `, answering as echo \(u_[0-9a-f]+\)\nsecret: (whsec_[0-9a-f]+)\n` +
		`note: 127\.0\.0\.1 is a loopback address: the server posts /echo there only if it runs with --command-allow-private\n$`).FindStringSubmatch(out)
	if err != nil || m == nil {
		t.Fatalf("command add: %v\n%s", err, out)
	}
	mu.Lock()
	secret = m[1]
	mu.Unlock()
	if out, err := commandCmdRun(t, "list", "--data", data); err != nil || !regexp.MustCompile(`(?m)^/echo +`+regexp.QuoteMeta(rc.URL)+` +echo +.* says it back$`).MatchString(out) || strings.Contains(out, "whsec_") {
		t.Errorf("command list: %v\n%s", err, out)
	}
	// a command without a description is listed by name alone, with nothing after it
	if out, err := commandCmdRun(t, "add", "hush", rc.URL, "--data", data); err != nil {
		t.Fatalf("command add hush: %v\n%s", err, out)
	}
	// A public address gets no note (nothing is dialled: the store only records it).
	if out, err := commandCmdRun(t, "add", "far", "https://ops.example.com/far", "--data", data); err != nil || strings.Contains(out, "note:") {
		t.Errorf("command add of a public URL: %v\n%s", err, out)
	}
	if _, err := commandCmdRun(t, "delete", "far", "--data", data); err != nil {
		t.Fatal(err)
	}
	for _, bad := range [][]string{
		{"add", "echo", rc.URL}, {"add", "join", rc.URL}, {"add", "x", "ftp://h/"}, {"add", "x"}, {"delete", "nothing"}, {"frobnicate"},
	} {
		if out, err := commandCmdRun(t, append(bad, "--data", data)...); err == nil || exitCode(err) != 2 {
			t.Errorf("command %q: %v (exit %d), want a usage error (exit 2): %s", bad, err, exitCode(err), out)
		}
	}

	bob := servertest.DialJSON(t, s, "bob")
	bob.Join("general", nil)
	chat, say := typedChat(t, chattest.Args(chattest.User(t, "ann"), []string{"--room", "general", s.WS})...)
	chat.WaitOutput(t, "* you joined general")
	say("/echo hi there")
	if args := <-got; args != "hi there" {
		t.Errorf("the URL got args %q, want %q", args, "hi there")
	}
	chat.WaitOutput(t, "[general] #1 echo (bot): echo: hi there\n")
	if f := bob.Messages("general", 1)[0]; f.Str("from") != "echo" || f.Str("text") != "echo: hi there" {
		t.Errorf("bob got %v", f)
	}
	say("/echo quietly now")
	<-got
	chat.WaitOutput(t, "[general] echo (/echo, to you only): echo: quietly now\n")
	say("/commands")
	chat.WaitErr(t, "* /echo says it back\n")
	chat.WaitErr(t, "* /hush\n")

	if out, err := commandCmdRun(t, "rotate", "echo", "--data", data); err != nil || !strings.Contains(out, "secret: whsec_") {
		t.Errorf("command rotate: %v\n%s", err, out)
	}
	say("/echo after rotation") // the URL still checks the old secret: it refuses
	chat.WaitErr(t, "/echo failed (HTTP 401)")
	if out, err := commandCmdRun(t, "delete", "echo", "--data", data); err != nil || !strings.Contains(out, "deleted /echo") {
		t.Errorf("command delete: %v\n%s", err, out)
	}
	say("/echo gone") // the chat's list is old: the server refuses
	chat.WaitErr(t, "* command refused: there is no command /echo (not_found)")
}
