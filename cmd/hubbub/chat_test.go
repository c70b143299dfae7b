package main

// The command line of the terminal chat (internal/termchat holds the chat and its tests):
// its flags and their errors, the sign-in that asks for a password, and the tests that run it
// beside another command (serve, add) or that other commands' tests share.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"hubbub"
	"hubbub/internal/accounts"
	"hubbub/internal/chattest"
	"hubbub/internal/server"
	"hubbub/internal/servertest"
	"hubbub/internal/testwait"
)

// refusingAddr refuses every connection: nothing listens on port 1 (only root may bind it, and
// no test does). A port freed by closing a listener would not do: another package's test
// server, running beside this one, can be given it.
const refusingAddr = "127.0.0.1:1"

// runArgs is the chattest.Func of the command line: runChat on the streams given.
func runArgs(ctx context.Context, args []string, in io.Reader, out, errw io.Writer, tty bool) error {
	return runChat(ctx, args, stdio{in: in, out: out, err: errw, tty: tty})
}

// typedChat runs `hubbub chat args...` reading the lines the function it returns types, as
// a person types them (chattest.Typed); the test ends it with Stop (Ctrl-C), and its output
// is logged if the test failed.
func typedChat(t *testing.T, args ...string) (*chattest.Run, func(line string)) {
	t.Helper()
	return chattest.Typed(t, runArgs, chattest.Streams{}, args...)
}

// chatToEnd runs `hubbub chat args...` on in to the end and returns its output and error.
func chatToEnd(t *testing.T, in string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	return chattest.ToEnd(t, runArgs, in, args...)
}

func TestChatErrors(t *testing.T) {
	chattest.LeakCheck(t)
	s := servertest.Start(t, servertest.Options{})
	dead := "ws://" + refusingAddr + "/ws"
	holder := servertest.DialJSON(t, s, "") // holds the name "held" in general
	holder.Send(servertest.Frame{"type": "hello", "name": "held", "key": "someone else's"})
	holder.Await("welcome")
	holder.Join("general", nil)

	cases := []struct {
		name string
		in   string
		args []string
		want string
		exit int
	}{
		{"no URL", "", chattest.User(t, "a"), "no server URL", 2},
		{"bad URL", "", chattest.Args(chattest.User(t, "a"), []string{"localhost:3434"}), "bad URL", 2},
		{"bad flag", "", chattest.Args(chattest.User(t, "a"), []string{"--colour", s.WS}), "flag provided but not defined", 2},
		{"bad name", "", chattest.Args(chattest.User(t, " a"), []string{s.WS}), "--name", 2},
		{"bad room", "", chattest.Args(chattest.User(t, "a"), []string{"--room", "x!", s.WS}), "--room", 2},
		{"bad room with #", "", chattest.Args(chattest.User(t, "a"), []string{"--room", "#", s.WS}), "--room", 2},
		// "@" names no one: said so, not looked up as "no direct message with : /dm  starts one".
		{"bad DM", "", chattest.Args(chattest.User(t, "a"), []string{"--room", "@", s.WS}), `chat: --room: "@" is not a direct message: "" is not a name (name is empty)`, 2},
		{"negative history", "", chattest.Args(chattest.User(t, "a"), []string{"--history", "-2", s.WS}), "--history -2 must not be negative", 2},
		{"unreachable", "", chattest.Args(chattest.User(t, "a"), []string{dead}), "connection refused", 1},
		{"every server unreachable", "", chattest.Args(chattest.User(t, "a"), []string{dead, dead}), "no server could be reached", 1},
		{"name taken", "hi\n", chattest.Args(chattest.User(t, "held"), []string{s.WS}), "name_taken", 1},
		{"message refused", strings.Repeat("x", 5000) + "\n", chattest.Args(chattest.User(t, "a"), []string{s.WS}), "1 of 1 messages were refused", 1},
		// Several refusals may differ: the summary names the first as the first.
		{"messages refused", strings.Repeat("x", 5000) + "\n/reply 99 nothing there\n", chattest.Args(chattest.User(t, "b"), []string{s.WS}),
			"2 of 2 messages were refused; the first: ", 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := chatToEnd(t, tc.in, tc.args...)
			if err == nil {
				t.Fatal("no error")
			}
			if msg := err.Error(); !strings.Contains(msg, tc.want) || strings.Contains(msg, "\n") {
				t.Errorf("error %q: want one line mentioning %q", msg, tc.want)
			}
			if got := exitCode(err); got != tc.exit {
				t.Errorf("exit code %d, want %d", got, tc.exit)
			}
		})
	}
}

// An account holder chats from the terminal client on a server that admits accounts only:
// --signin with the password (here from --password-file) signs in as the sign-in page does,
// and the messages go out under the account's name. Without it the refusal says what to pass.
func TestChatSignsInToAnAccount(t *testing.T) {
	chattest.LeakCheck(t)
	s, _ := accountsServerWithAnn(t)
	dir := t.TempDir()
	pwFile, wrongFile := filepath.Join(dir, "pw"), filepath.Join(dir, "wrong")
	if err := os.WriteFile(pwFile, []byte("correct horse battery\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(wrongFile, []byte("not the password\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	_, _, err := chatToEnd(t, "hi\n", chattest.Args(chattest.User(t, "ann"), []string{s.WS})...)
	if err == nil || !strings.Contains(err.Error(), "unauthorized") || !strings.Contains(err.Error(), "--signin") {
		t.Errorf("a guest on an accounts-only server: %v, want unauthorized and a hint to --signin", err)
	}
	_, _, err = chatToEnd(t, "hi\n", chattest.Args(chattest.User(t, "ann"), []string{"--signin", "--password-file", wrongFile, s.WS})...)
	if err == nil || !strings.Contains(err.Error(), "wrong name or password") || exitCode(err) != 2 {
		t.Errorf("a wrong password: %v (exit %d), want 'wrong name or password', exit 2", err, exitCode(err))
	}

	_, stderr, err := chatToEnd(t, "signed in and chatting\n",
		chattest.Args(chattest.User(t, "ann"), []string{"--signin", "--password-file", pwFile, "--room", "general", s.WS})...)
	if err != nil {
		t.Fatalf("hubbub chat --signin: %v\nstderr:\n%s", err, stderr)
	}
	entries, err := s.Store.Since(context.Background(), "general", 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	var sent []string
	for _, e := range entries {
		if e.Kind == hubbub.KindMessage {
			sent = append(sent, e.From+": "+e.Text)
		}
	}
	if len(sent) != 1 || sent[0] != "ann: signed in and chatting" {
		t.Errorf("the room's messages: %q, want ann's one", sent)
	}
}

// A `hubbub chat --signin --password-file` left running signs in again when its session ends
// (signed out everywhere here; the server ends it likewise when it expires) and goes on
// chatting.
func TestChatSignsInAgainWhenItsSessionEnds(t *testing.T) {
	chattest.LeakCheck(t)
	s, ann := accountsServerWithAnn(t)
	pwFile := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(pwFile, []byte("correct horse battery\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	run, typeLine := typedChat(t, chattest.Args(chattest.User(t, "ann"), []string{"--signin", "--password-file", pwFile, s.WS})...)
	run.WaitOutput(t, "* you joined general")
	if _, err := s.Store.DeleteSessions(context.Background(), ann.ID); err != nil {
		t.Fatal(err)
	}
	testwait.Until(t, "the chat signing in again", func() bool {
		return strings.Contains(run.Err.String(), "signing in again as ann") && strings.Count(run.Err.String(), "* connected to") == 2
	})
	typeLine("after the sign-out")
	run.WaitOutput(t, "[general] #1 ann: after the sign-out\n")
}

// accountsServerWithAnn starts a server that admits accounts only, with the account ann whose
// password is "correct horse battery".
func accountsServerWithAnn(t *testing.T) (*servertest.Server, hubbub.User) {
	t.Helper()
	s := servertest.Start(t, servertest.Options{Server: server.Config{Auth: "accounts",
		Accounts: accounts.Config{Hash: accounts.TestHashParams}}})
	h, err := accounts.NewHasher(accounts.TestHashParams, 1)
	if err != nil {
		t.Fatal(err)
	}
	ann, err := accounts.AddUser(context.Background(), s.Store, h, "ann", hubbub.RoleMember, "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	return s, ann
}

// TestPlainURLToATLSServerSaysUseWSS: hubbub chat and hubbub add given ws:// for a server
// started with --tls-cert were told "server answered 400 Bad Request: Client sent an HTTP
// request to an HTTPS server.: websocket: bad handshake" (chat) or only "400 Bad Request" (add),
// which reads as the server's fault; both now say to use the TLS scheme.
func TestPlainURLToATLSServerSaysUseWSS(t *testing.T) {
	chattest.LeakCheck(t)
	tlsServer := httptest.NewTLSServer(http.NotFoundHandler())
	defer tlsServer.Close()
	addr := tlsServer.Listener.Addr().String()
	_, _, err := chatToEnd(t, "", chattest.Args(chattest.User(t, "ann"), []string{"ws://" + addr + "/ws"})...)
	if err == nil || !strings.Contains(err.Error(), "(the server speaks TLS: use wss:// or https://)") {
		t.Errorf("chat with ws:// to a TLS server: %v, want a hint to use wss://", err)
	}
	err = runAdd(context.Background(), []string{"--count", "1", "ws://" + addr + "/add"}, stdio{out: io.Discard, err: io.Discard})
	if err == nil || !strings.Contains(err.Error(), "400 Bad Request (the server speaks TLS: use wss:// or https://)") {
		t.Errorf("add with ws:// to a TLS server: %v, want a hint to use wss://", err)
	}
}

// hubbub chat pointed at the add service was told "client: dial ws://…/add: server does not
// speak hubbub.v1 (it chose "")"; it says at once now which endpoint that is and where chat
// is, as hubbub add pointed at the chat endpoint does. With several URLs the others' failures
// stay, and the word on /add follows them.
func TestChatToTheAddServiceSaysWhichIsWhich(t *testing.T) {
	chattest.LeakCheck(t)
	addr := serveForTest(t, "--data", filepath.Join(t.TempDir(), "h.db"))
	want := fmt.Sprintf("chat: ws://%s/add is the add service (hubbub add ws://%s/add); chat is at ws://%s/ws", addr, addr, addr)
	for _, u := range []string{"ws://" + addr + "/add", "http://" + addr + "/add"} {
		_, _, err := chatToEnd(t, "never sent\n", chattest.Args(chattest.User(t, "ann"), []string{u})...)
		if err == nil || err.Error() != want || exitCode(err) != 1 {
			t.Errorf("chat %s: %v, want %q (exit 1)", u, err, want)
		}
	}
	_, _, err := chatToEnd(t, "", chattest.Args(chattest.User(t, "ann"), []string{"ws://" + addr + "/chat", "ws://" + addr + "/add"})...)
	if err == nil || !strings.Contains(err.Error(), "404") ||
		!strings.HasSuffix(err.Error(), fmt.Sprintf("(ws://%s/add is the add service (hubbub add ws://%s/add); chat is at ws://%s/ws)", addr, addr, addr)) {
		t.Errorf("chat /chat and /add: %v, want the 404 and the word on /add", err)
	}
}

// A server started with uploads off (--upload-max 0) says so in its welcome; /upload read the
// file and sent it all the same, to be told by the server's 403 "disabled" (which reads as
// the refusal of that file). It says at once now that the server takes no files, tries no
// upload, and a piped run fails over it (exit 1) as over any failed command.
func TestChatUploadToAServerWithUploadsOff(t *testing.T) {
	chattest.LeakCheck(t)
	addr := serveForTest(t, "--data", filepath.Join(t.TempDir(), "h.db"), "--upload-max", "0")
	notes := filepath.Join(t.TempDir(), "notes.txt")
	if err := os.WriteFile(notes, []byte("the notes\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, stderr, err := chatToEnd(t, "/upload "+notes+" here are the notes\n", chattest.Args(chattest.User(t, "ann"), []string{"ws://" + addr + "/ws"})...)
	const said = "/upload: file uploads are off on this server: notes.txt was not sent (disabled)"
	if !strings.Contains(stderr, "* "+said+"\n") {
		t.Errorf("stderr has no %q:\n%s", said, stderr)
	}
	if err == nil || err.Error() != "chat: 1 command failed: "+said || exitCode(err) != 1 {
		t.Errorf("the run ended with %v, want %q (exit 1)", err, "chat: 1 command failed: "+said)
	}
	_, metrics := getStatus(t, "http://"+addr+"/metrics")
	if strings.Contains(metrics, `hubbub_uploads_refused_total{reason="disabled"} 1`) {
		t.Errorf("the chat tried the upload:\n%s", grepLines(metrics, "hubbub_upload"))
	}
}

// An operator runs hubbub serve with --search-index=false: messages are stored as ever, and
// every search — `hubbub chat`'s /search (the WebSocket search frame) and GET /api/search — is
// answered that search is disabled on this server. Started again with the index (the
// default), the server indexes what was appended meanwhile and finds it.
func TestServeSearchIndexOff(t *testing.T) {
	chattest.LeakCheck(t)
	data := filepath.Join(t.TempDir(), "h.db")
	const key = "search-off-key"
	api := func(addr, method, path string, body any) (int, map[string]any) {
		t.Helper()
		var in io.Reader
		if body != nil {
			b, _ := json.Marshal(body)
			in = bytes.NewReader(b)
		}
		req, err := http.NewRequest(method, "http://"+addr+path, in)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}

	addr, stop := startServe(t, "--data", data, "--api-key", key, "--search-index=false")
	if status, out := api(addr, "POST", "/api/rooms/general/messages", map[string]any{"from": "bob", "text": "the needle is found"}); status != http.StatusCreated {
		t.Fatalf("publish: %d %v", status, out)
	}
	if status, out := api(addr, "GET", "/api/search?q=needle&room=general", nil); status != http.StatusNotImplemented || out["code"] != "disabled" ||
		!strings.Contains(fmt.Sprint(out["message"]), "search is disabled on this server") {
		t.Errorf("GET /api/search without the index: %d %v, want 501 disabled", status, out)
	}
	// A script's refused /search fails the run (its exit status 1), after saying why.
	_, stderr, err := chatToEnd(t, "/search needle\n", chattest.Args(chattest.User(t, "ann"), []string{"--room", "general", "ws://" + addr + "/ws"})...)
	if !strings.Contains(stderr, "* /search: search is disabled on this server") || !strings.Contains(stderr, " (disabled)\n") {
		t.Errorf("chat's /search without the index did not say it is disabled:\n%s", stderr)
	}
	if err == nil || !strings.Contains(err.Error(), "1 command failed") {
		t.Errorf("chat's run with a refused /search: %v, want it failed (1 command failed)", err)
	}
	if err := stop(); err != nil {
		t.Fatalf("serve: %v", err)
	}

	addr, stop = startServe(t, "--data", data, "--api-key", key)
	defer func() {
		if err := stop(); err != nil {
			t.Errorf("serve: %v", err)
		}
	}()
	status, out := api(addr, "GET", "/api/search?q=needle&room=general", nil)
	hits, _ := out["hits"].([]any)
	if status != http.StatusOK || len(hits) != 1 || !strings.Contains(fmt.Sprint(hits[0]), "the needle is found") {
		t.Errorf("GET /api/search with the index again: %d %v, want the message sent without it", status, out)
	}
}
