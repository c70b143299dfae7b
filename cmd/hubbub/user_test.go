package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"hubbub/internal/accounts"
	"hubbub/internal/hub"
	"hubbub/internal/server"
	"hubbub/internal/servertest"
	"hubbub/internal/testwait"
)

// userCmdRun runs `hubbub user args...` in-process with stdin and returns what it printed.
func userCmdRun(t *testing.T, stdin string, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := run(context.Background(), append([]string{"user"}, args...), stdio{in: strings.NewReader(stdin), out: &out, err: &errOut})
	return out.String(), err
}

// cheap makes the command's password hashes cheap, as the test server's are.
var cheap = []string{"--argon2-memory", "64", "--argon2-time", "1"}

// cheapIf is cheap for the actions that hash a password (add, passwd), which alone take the
// argon2 flags, and nothing for the others.
func cheapIf(action string) []string {
	if action == "add" || action == "passwd" {
		return cheap
	}
	return nil
}

// TestUserCommands runs each `hubbub user` action against a real SQLite file that a running
// server holds open, and signs in to that server with what they made.
func TestUserCommands(t *testing.T) {
	data := filepath.Join(t.TempDir(), "hubbub.db")
	s := servertest.Start(t, servertest.Options{DataPath: data,
		Server: server.Config{Accounts: accounts.Config{Hash: accounts.TestHashParams}}})
	ok := func(stdin string, args ...string) string {
		t.Helper()
		out, err := userCmdRun(t, stdin, append(args, append([]string{"--data", data}, cheapIf(args[0])...)...)...)
		if err != nil {
			t.Fatalf("hubbub user %q: %v", args, err)
		}
		return out
	}
	out := ok("correct horse\n", "add", "admin", "--role", "admin", "--password-stdin")
	if !regexp.MustCompile(`^added admin \(u_[0-9a-f]{32}\), role admin\n$`).MatchString(out) {
		t.Fatalf("add: %q", out)
	}
	ok("battery staple\n", "add", "ann", "--password-stdin")
	out = ok("", "list")
	if !regexp.MustCompile(`(?m)^admin +u_[0-9a-f]+ +account +admin +active `).MatchString(out) ||
		!regexp.MustCompile(`(?m)^ann +u_[0-9a-f]+ +account +member +active `).MatchString(out) {
		t.Fatalf("list:\n%s", out)
	}

	// The server sees the user the command made, and its password signs in.
	b := newTestBrowser(t, s)
	if st := b.signIn("admin", "correct horse"); st != http.StatusSeeOther {
		t.Fatalf("sign in as the CLI's admin: %d", st)
	}

	ok("", "role", "ann", "moderator")
	ok("new password\n", "passwd", "ann", "--password-stdin")
	if st := newTestBrowser(t, s).signIn("ann", "battery staple"); st != http.StatusUnauthorized {
		t.Fatalf("ann's old password: %d", st)
	}
	if st := newTestBrowser(t, s).signIn("ann", "new password"); st != http.StatusSeeOther {
		t.Fatalf("ann's new password: %d", st)
	}
	if out := ok("", "disable", "ann"); out != "ann is disabled and signed out everywhere; a running server closes their open connections within seconds\n" {
		t.Fatalf("disable: %q", out)
	}
	if !regexp.MustCompile(`(?m)^ann +u_[0-9a-f]+ +account +moderator +disabled `).MatchString(ok("", "list")) {
		t.Fatal("list does not show ann disabled and a moderator")
	}
	if st := newTestBrowser(t, s).signIn("ann", "new password"); st != http.StatusForbidden {
		t.Fatalf("disabled ann signs in: %d", st)
	}
	ok("", "disable", "ann", "--enable")
	if st := newTestBrowser(t, s).signIn("ann", "new password"); st != http.StatusSeeOther {
		t.Fatalf("enabled ann: %d", st)
	}
	// The operator's rename (docs/operations.md, after two names became one): the account
	// signs in under its new name with its password, and no longer under the old one.
	if out := ok("", "rename", "ANN", "anna"); !regexp.MustCompile(`^ann \(u_[0-9a-f]{32}\) is now anna; `).MatchString(out) {
		t.Fatalf("rename: %q", out)
	}
	if st := newTestBrowser(t, s).signIn("anna", "new password"); st != http.StatusSeeOther {
		t.Fatalf("renamed anna: %d", st)
	}
	if st := newTestBrowser(t, s).signIn("ann", "new password"); st != http.StatusUnauthorized {
		t.Fatalf("ann's old name after the rename: %d", st)
	}

	// An invite link from the command line works once on the running server.
	link := strings.TrimSpace(ok("", "invite", "--role", "moderator", "--expires", "1h", "--url", s.URL, "--by", "admin"))
	base, code, found := strings.Cut(link, "/invite#")
	if !found || base != s.URL || len(code) != 43 {
		t.Fatalf("invite printed %q", link)
	}
	form := url.Values{"code": {code}, "name": {"cy"}, "password": {"cy's password"}, "confirm": {"cy's password"}}
	if st := newTestBrowser(t, s).post("/invite", form); st != http.StatusSeeOther {
		t.Fatalf("redeem the CLI's invite: %d", st)
	}
	form.Set("name", "dee")
	if st := newTestBrowser(t, s).post("/invite", form); st != http.StatusNotFound {
		t.Fatalf("second use of the CLI's invite: %d", st)
	}
	if !regexp.MustCompile(`(?m)^cy +u_[0-9a-f]+ +account +moderator +active `).MatchString(ok("", "list")) {
		t.Fatal("list does not show cy, a moderator")
	}
}

// TestUserCommandsOnPostgres runs the commands on the PostgreSQL store a running server
// shares (--postgres), as several nodes would.
func TestUserCommandsOnPostgres(t *testing.T) {
	pg := servertest.PostgresSchemas.Schema(t)
	s := servertest.Start(t, servertest.Options{Postgres: pg,
		Server: server.Config{Accounts: accounts.Config{Hash: accounts.TestHashParams}}})
	ok := func(stdin string, args ...string) string {
		t.Helper()
		out, err := userCmdRun(t, stdin, append(args, append([]string{"--postgres", pg}, cheapIf(args[0])...)...)...)
		if err != nil {
			t.Fatalf("hubbub user %q: %v", args, err)
		}
		return out
	}
	ok("correct horse\n", "add", "admin", "--role", "admin", "--password-stdin")
	if !regexp.MustCompile(`(?m)^admin +u_[0-9a-f]+ +account +admin +active `).MatchString(ok("", "list")) {
		t.Fatal("list does not show the admin")
	}
	if st := newTestBrowser(t, s).signIn("admin", "correct horse"); st != http.StatusSeeOther {
		t.Fatalf("sign in as the CLI's admin: %d", st)
	}
	ok("", "disable", "admin")
	if st := newTestBrowser(t, s).signIn("admin", "correct horse"); st != http.StatusForbidden {
		t.Fatalf("disabled admin signs in: %d", st)
	}
}

func TestUserCommandErrors(t *testing.T) {
	data := filepath.Join(t.TempDir(), "hubbub.db")
	if _, err := userCmdRun(t, "correct horse\n", append([]string{"add", "ann", "--password-stdin", "--data", data}, cheap...)...); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		stdin string
		args  []string
		want  string
	}{
		{"", nil, "which action"},
		{"", []string{"frobnicate"}, "unknown action"},
		{"other pass\n", []string{"add", "аnn", "--password-stdin"}, "taken"}, // a Cyrillic а
		{"short\n", []string{"add", "bob", "--password-stdin"}, "too short"},
		{"", []string{"add", "bob", "--password-stdin"}, "no password"},
		{"", []string{"add", "bob"}, "no password: run in a terminal"},
		{"x\n", []string{"add", " bad name", "--password-stdin"}, "name"},
		{"long enough\n", []string{"add", "bob", "--role", "owner", "--password-stdin"}, "unknown role"},
		{"", []string{"add"}, "missing the user's name"},
		{"", []string{"list", "extra"}, "takes no arguments"},
		{"", []string{"role", "ann"}, "missing the role"},
		{"", []string{"role", "ann", "king"}, "unknown role"},
		{"", []string{"rename", "ann"}, "missing the new name"},
		{"", []string{"rename", "nobody", "bob"}, `no user is named "nobody"`},
		{"", []string{"rename", "ann", " bad name"}, "name"},
		{"", []string{"disable", "nobody"}, `no user is named "nobody"`},
		{"long enough\n", []string{"passwd", "nobody", "--password-stdin"}, "no user is named"},
		{"", []string{"invite", "--expires", "0s"}, "expire"},
		{"", []string{"invite", "--expires", "10000h"}, "expire"},
		{"", []string{"invite", "--url", "chat.example.com"}, "not like https://"},
		{"", []string{"invite", "--by", "nobody"}, "no user is named"},
		{"long enough\n", []string{"passwd", "ann", "--password-stdin", "--argon2-threads", "300"}, "out of range"},
		{"", []string{"list", "--sqlite-busy-timeout", "-1s"}, "must not be negative"},
		{"", []string{"list", "--nope"}, "flag provided but not defined"},
	} {
		args := tc.args
		if len(args) > 0 {
			args = append(append([]string{}, args...), append([]string{"--data", data}, cheapIf(args[0])...)...)
		}
		_, err := userCmdRun(t, tc.stdin, args...)
		if err == nil || exitCode(err) != 2 || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("user %q: %v (exit %d), want a usage error about %q", tc.args, err, exitCode(err), tc.want)
		}
	}
}

// testBrowser signs in to a test server as a browser does: it opens the page for the form's
// CSRF token, then posts the form from the page's origin.
type testBrowser struct {
	t *testing.T
	s *servertest.Server
	c *http.Client
}

func newTestBrowser(t *testing.T, s *servertest.Server) *testBrowser {
	jar, _ := cookiejar.New(nil)
	return &testBrowser{t: t, s: s, c: &http.Client{Jar: jar, Timeout: servertest.Wait,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

var csrfInput = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (b *testBrowser) post(path string, form url.Values) int {
	b.t.Helper()
	resp, err := b.c.Get(b.s.URL + "/signin")
	if err != nil {
		b.t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := csrfInput.FindSubmatch(page)
	if m == nil {
		b.t.Fatalf("no csrf field on /signin: %d %q", resp.StatusCode, page)
	}
	form.Set("csrf", string(m[1]))
	req, _ := http.NewRequest("POST", b.s.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", b.s.URL)
	resp, err = b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func (b *testBrowser) signIn(name, pw string) int {
	b.t.Helper()
	return b.post("/signin", url.Values{"name": {name}, "password": {pw}})
}

// TestUserAddTakesAPasswordFile: hubbub user add and passwd read the password from a file as
// hubbub chat --signin does (--password-file), so one file serves both: a new user who made
// an account with the flag chat takes was told "flag provided but not defined".
func TestUserAddTakesAPasswordFile(t *testing.T) {
	data := filepath.Join(t.TempDir(), "hubbub.db")
	s := servertest.Start(t, servertest.Options{DataPath: data,
		Server: server.Config{Accounts: accounts.Config{Hash: accounts.TestHashParams}}})
	pw := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(pw, []byte("correct horse\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := userCmdRun(t, "", append([]string{"add", "erin", "--password-file", pw, "--data", data}, cheap...)...); err != nil {
		t.Fatalf("user add --password-file: %v", err)
	}
	if _, stderr, err := chatToEnd(t, "hi as erin\n", "--name", "erin", "--signin", "--password-file", pw, s.WS); err != nil {
		t.Fatalf("chat --signin with the same file: %v\n%s", err, stderr)
	}
	// Both ways at once, or an empty file, are refused with a reason.
	if _, err := userCmdRun(t, "x\n", append([]string{"passwd", "erin", "--password-file", pw, "--password-stdin", "--data", data}, cheap...)...); err == nil || !strings.Contains(err.Error(), "password-stdin") {
		t.Errorf("--password-file with --password-stdin: %v, want an error naming both", err)
	}
	empty := filepath.Join(t.TempDir(), "empty")
	_ = os.WriteFile(empty, nil, 0o600)
	if _, err := userCmdRun(t, "", append([]string{"passwd", "erin", "--password-file", empty, "--data", data}, cheap...)...); err == nil || !strings.Contains(err.Error(), empty) {
		t.Errorf("an empty --password-file: %v, want an error naming the file", err)
	}
}

// TestUserListIsByName: hubbub user list prints users by name, whatever the case, where it
// printed them in the store's order, that of their random ids.
func TestUserListIsByName(t *testing.T) {
	data := filepath.Join(t.TempDir(), "hubbub.db")
	names := []string{"zed", "Bob", "amy", "gus", "carl", "Fay", "Dee", "eve"}
	for _, name := range names {
		if _, err := userCmdRun(t, "a long password\n", append([]string{"add", name, "--password-stdin", "--data", data}, cheap...)...); err != nil {
			t.Fatalf("add %s: %v", name, err)
		}
	}
	out, err := userCmdRun(t, "", "list", "--data", data)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, line := range strings.Split(strings.TrimSpace(out), "\n")[1:] {
		got = append(got, strings.Fields(line)[0])
	}
	if want := []string{"amy", "Bob", "carl", "Dee", "eve", "Fay", "gus", "zed"}; !slices.Equal(got, want) {
		t.Errorf("hubbub user list: %q, want %q\n%s", got, want, out)
	}
}

// TestUserListSaysWhenTheLastConnectionEnded: the store records a user's last seen when their
// last connection ends, and hubbub user list reads the store, not the running server, so it
// cannot tell who is connected now. Under "LAST SEEN", carol, connected as it ran, read as gone
// since her previous visit ended; the column now says that it is her last disconnect.
func TestUserListSaysWhenTheLastConnectionEnded(t *testing.T) {
	data := filepath.Join(t.TempDir(), "hubbub.db")
	s := servertest.Start(t, servertest.Options{DataPath: data, Hub: hub.Config{PresenceInterval: 50 * time.Millisecond}})
	list := func() (header string, rows map[string]string) {
		t.Helper()
		out, err := userCmdRun(t, "", "list", "--data", data)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(out), "\n")
		rows = map[string]string{}
		for _, l := range lines[1:] {
			rows[strings.Fields(l)[0]] = l
		}
		return lines[0], rows
	}
	last := regexp.MustCompile(`  (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)$`)

	first := servertest.DialJSON(t, s, "carol") // a guest: stored, with no last seen yet
	if _, rows := list(); !strings.HasSuffix(rows["carol"], "  -") {
		t.Fatalf("carol, on her first connection, has a last disconnect: %q", rows["carol"])
	}
	first.Conn.Close()
	var ended string
	testwait.Until(t, "carol's disconnect recorded", func() bool {
		_, rows := list()
		m := last.FindStringSubmatch(rows["carol"])
		if m != nil {
			ended = m[1]
		}
		return m != nil
	})

	servertest.DialJSON(t, s, "carol") // connected again, and still
	header, rows := list()
	if !strings.HasSuffix(header, "  LAST DISCONNECT") || !strings.HasSuffix(rows["carol"], "  "+ended) {
		t.Errorf("hubbub user list while carol is connected:\n%s\n%s\nwant a LAST DISCONNECT column with %s, when her first connection ended", header, rows["carol"], ended)
	}
}

// TestUserRefusesZeroCosts: hubbub user took --argon2-time 0, --argon2-memory 0 (and the
// threads and concurrency) for argon2's defaults without a word, as serve once took its 0s,
// so an operator lowering the cost to "nothing" got 64 MiB and two passes instead. Each is now
// a usage error naming the flag and its default, from the command line or the environment,
// and nothing is stored; the store's own flags and invite's --expires refuse 0 alike.
func TestUserRefusesZeroCosts(t *testing.T) {
	data := filepath.Join(t.TempDir(), "hubbub.db")
	if _, err := userCmdRun(t, "correct horse\n", append([]string{"add", "ann", "--password-stdin", "--data", data}, cheap...)...); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ flag, want string }{
		{"--argon2-time", "invalid --argon2-time 0: want 1 or more; 0 is not \"none\" or \"off\" here (leave it out for the default, 2)"},
		{"--argon2-memory", "invalid --argon2-memory 0: want 1 or more"},
		{"--argon2-threads", "invalid --argon2-threads 0: want 1 or more"},
		{"--argon2-concurrency", "invalid --argon2-concurrency 0: want 1 or more"},
		{"--sqlite-busy-timeout", "invalid --sqlite-busy-timeout 0s: want more than 0s"},
	} {
		_, err := userCmdRun(t, "correct horse\n", append([]string{"add", "bob", "--password-stdin", "--data", data}, append(cheap, c.flag, "0")...)...)
		if err == nil || exitCode(err) != 2 || !strings.Contains(err.Error(), c.want) {
			t.Errorf("user add %s 0: %v (exit %d), want a usage error %q", c.flag, err, exitCode(err), c.want)
		}
	}
	if _, err := userCmdRun(t, "", "invite", "--expires", "0s", "--url", "https://chat.example.com", "--data", data); exitCode(err) != 2 ||
		!strings.Contains(err.Error(), "invalid --expires 0s: want more than 0s") {
		t.Errorf("user invite --expires 0s: %v (exit %d), want a usage error", err, exitCode(err))
	}
	t.Setenv("HUBBUB_ARGON2_TIME", "0")
	_, err := userCmdRun(t, "correct horse\n", "add", "bob", "--password-stdin", "--argon2-memory", "64", "--data", data)
	if exitCode(err) != 2 || !strings.Contains(err.Error(), "invalid --argon2-time 0: want 1 or more") || !strings.Contains(err.Error(), "(from env HUBBUB_ARGON2_TIME)") {
		t.Errorf("HUBBUB_ARGON2_TIME=0: %v (exit %d), want a usage error saying where the 0 came from", err, exitCode(err))
	}
	os.Unsetenv("HUBBUB_ARGON2_TIME")
	if out, err := userCmdRun(t, "", "list", "--data", data); err != nil || !strings.Contains(out, "ann") || strings.Contains(out, "bob") {
		t.Errorf("after the refusals: %v, list %q, want no bob", err, out)
	}
}
