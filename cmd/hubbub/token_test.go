package main

import (
	"bytes"
	"context"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"hubbub/internal/auth"
	"hubbub/internal/chattest"
)

const testTokenSecret = "0123456789abcdef0123456789abcdef-cmd"

// mintCmd runs `hubbub token args...` and returns what it printed.
func mintCmd(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	err := run(context.Background(), append([]string{"token"}, args...), stdio{out: &out, err: io.Discard})
	return strings.TrimSpace(out.String()), err
}

func TestTokenCommandMints(t *testing.T) {
	tok, err := mintCmd(t, "--secret", testTokenSecret, "--user", "42", "--name", "Ann Lee", "--ttl", "10m",
		"--role", "moderator", "--room", "support", "--room", "sales,ops")
	if err != nil {
		t.Fatal(err)
	}
	v, err := auth.NewHMAC([]byte(testTokenSecret), nil)
	if err != nil {
		t.Fatal(err)
	}
	c, err := v.Verify(tok)
	if err != nil {
		t.Fatalf("verify %q: %v", tok, err)
	}
	if c.UserID != "42" || c.Name != "Ann Lee" || c.Role != auth.RoleModerator ||
		!slices.Equal(c.Rooms, []string{"support", "sales", "ops"}) {
		t.Fatalf("claims %+v", c)
	}
	if d := time.Until(c.ExpiresAt); d <= 9*time.Minute || d > 10*time.Minute {
		t.Fatalf("expires in %v", d)
	}

	// The secret may come from the environment the server reads too; --ttl defaults to 1h.
	t.Setenv(tokenSecretEnv, testTokenSecret)
	tok, err = mintCmd(t, "--user", "7", "--name", "bob")
	if err != nil {
		t.Fatal(err)
	}
	if c, err = v.Verify(tok); err != nil || c.Role != auth.RoleMember || len(c.Rooms) != 0 ||
		time.Until(c.ExpiresAt) < 59*time.Minute {
		t.Fatalf("claims %+v, %v", c, err)
	}
}

func TestTokenCommandErrors(t *testing.T) {
	t.Setenv(tokenSecretEnv, "")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--user", "1", "--name", "ann"}, "no secret"},
		{[]string{"--secret", "short", "--user", "1", "--name", "ann"}, "at least 32"},
		{[]string{"--secret", testTokenSecret, "--name", "ann"}, "--user"},
		{[]string{"--secret", testTokenSecret, "--user", "1"}, "--name"},
		{[]string{"--secret", testTokenSecret, "--user", "1", "--name", " ann"}, "name"},
		{[]string{"--secret", testTokenSecret, "--user", "1", "--name", "ann", "--role", "owner"}, "role"},
		{[]string{"--secret", testTokenSecret, "--user", "1", "--name", "ann", "--ttl", "0s"}, "ttl"},
		{[]string{"--secret", testTokenSecret, "--user", "1", "--name", "ann", "--room", "no/slash"}, "room"},
		{[]string{"--secret", testTokenSecret, "--user", "1", "--name", "ann", "extra"}, "no arguments"},
	} {
		out, err := mintCmd(t, tc.args...)
		if err == nil || exitCode(err) != 2 || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("token %q: %v (exit %d), want one line about %q", tc.args, err, exitCode(err), tc.want)
		}
		if out != "" {
			t.Errorf("token %q printed %q", tc.args, out)
		}
	}
}

// The whole path: a server started with the secret in its environment requires tokens,
// `hubbub token` mints one, and `hubbub chat --token` chats under the token's name.
func TestServeAndChatWithToken(t *testing.T) {
	err := run(context.Background(), []string{"serve", "--token-secret", "too short", "--port", "0",
		"--data", filepath.Join(t.TempDir(), "x.db")}, stdio{out: io.Discard, err: io.Discard})
	if err == nil || exitCode(err) != 2 || !strings.Contains(err.Error(), "--token-secret") {
		t.Fatalf("short --token-secret: %v", err)
	}

	t.Setenv(tokenSecretEnv, testTokenSecret)
	addr := serveForTest(t, "--data", filepath.Join(t.TempDir(), "h.db"))
	ws := "ws://" + addr + "/ws"
	tok, err := mintCmd(t, "--user", "42", "--name", "Ann")
	if err != nil {
		t.Fatal(err)
	}
	out, stderr, err := chatToEnd(t, "hello\n", "--token", tok, "--name", "", "--key-file", filepath.Join(t.TempDir(), "key"), ws)
	if err != nil {
		t.Fatalf("chat with a token: %v\n%s", err, stderr)
	}
	if !strings.Contains(stderr, "as Ann") || !strings.Contains(out, "* you joined lobby; members: Ann") {
		t.Fatalf("chat with a token:\nstdout %s\nstderr %s", out, stderr)
	}
	_, _, err = chatToEnd(t, "hello\n", chattest.Args(chattest.User(t, "mallory"), []string{ws})...)
	if err == nil || !strings.Contains(err.Error(), "requires a token") {
		t.Fatalf("chat without a token: %v", err)
	}
}

// TestChatWithABadTokenSaysWhy: `hubbub chat --token` with a token the server will not take
// printed "chat: client: ws://…/ws: client: hello: server: unauthorized: invalid token: … (with
// an account, pass --signin to sign in as --name; with a token, --token)": the client's
// wrappings, and advice to pass the --token just passed. It says the server's reason and code,
// as the chat's other refusals print, and no advice about flags already given.
func TestChatWithABadTokenSaysWhy(t *testing.T) {
	t.Setenv(tokenSecretEnv, testTokenSecret)
	addr, stop := startServe(t, "--data", filepath.Join(t.TempDir(), "h.db"))
	defer func() {
		if err := stop(); err != nil {
			t.Error(err)
		}
	}()
	ws := "ws://" + addr + "/ws"
	_, _, err := chatToEnd(t, "hello\n", "--token", "not.a.token", "--key-file", filepath.Join(t.TempDir(), "key"), ws)
	want := "chat: the server refused hello: invalid token: the token is malformed (unauthorized)"
	if err == nil || err.Error() != want {
		t.Errorf("chat with a malformed token: %v\nwant %s", err, want)
	}
	// Without a token the advice stays: the server wants one, or an account.
	_, _, err = chatToEnd(t, "hello\n", chattest.Args(chattest.User(t, "mallory"), []string{ws})...)
	if err == nil || !strings.HasPrefix(err.Error(), "chat: the server refused hello: this server requires a token") ||
		!strings.Contains(err.Error(), "(unauthorized) (with an account, pass --signin") || strings.Contains(err.Error(), "client:") {
		t.Errorf("chat without a token: %v", err)
	}
}
