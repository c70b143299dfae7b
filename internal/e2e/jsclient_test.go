package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"hubbub"
	"hubbub/internal/server"
	"hubbub/internal/servertest"
)

// nodeMinMajor is the oldest Node the JavaScript package supports (web/package.json, engines):
// it needs the global EventTarget, CustomEvent and crypto of Node 20.
const nodeMinMajor = 20

// jsTestTimeout bounds the whole `node --test` run: its tests wait at most 15 s each.
const jsTestTimeout = 3 * time.Minute

// nodePath returns the Node to run, or skips the test (fails it under HUBBUB_E2E=1).
func nodePath(t *testing.T) string {
	t.Helper()
	name := "node"
	if p := os.Getenv("HUBBUB_NODE"); p != "" {
		name = p
	}
	p, err := exec.LookPath(name)
	msg := ""
	if err != nil {
		msg = fmt.Sprintf("no Node.js found (%v; install Node %d or later, or set HUBBUB_NODE)", err, nodeMinMajor)
	} else if major, verr := nodeMajor(p); verr != nil {
		msg = fmt.Sprintf("%s: cannot tell its version: %v", p, verr)
	} else if major < nodeMinMajor {
		msg = fmt.Sprintf("%s is Node %d; the JavaScript package needs %d or later", p, major, nodeMinMajor)
	}
	if msg == "" {
		return p
	}
	if os.Getenv("HUBBUB_E2E") == "1" {
		t.Fatal(msg + "; HUBBUB_E2E=1 requires the JavaScript package's tests to run")
	}
	t.Skip(msg + "; set HUBBUB_E2E=1 to make this a failure")
	return ""
}

// nodeMajor returns the major version of the Node at path.
func nodeMajor(path string) (int, error) {
	out, err := exec.Command(path, "--version").Output()
	if err != nil {
		return 0, err
	}
	v := strings.TrimPrefix(strings.TrimSpace(string(out)), "v")
	major, _, _ := strings.Cut(v, ".")
	return strconv.Atoi(major)
}

// The JavaScript client package (web/package.json: the page's own chat-protocol.js as an ES
// module) passes its tests — connect, join, send and ack, receive, reconnect with catch-up, a
// resend stored once, a rename on another device followed, search, a message with an uploaded
// file, a bot's token and its messages' bot flag, a kick and a ban as others and the one
// taken out see them — run by Node's test runner against a real server.
func TestJSClientPackage(t *testing.T) {
	node := nodePath(t)
	// js-mod moderates, for the package's moderation test, and so does the server API.
	const apiKey = "js-api-key-0123456789"
	srv := servertest.Start(t, servertest.Options{Server: server.Config{RoleFor: servertest.Roles("js-mod"), APIKey: apiKey}})
	// A bot for the package's bot test: its token signs it in, in the room js-bots.
	botToken := hubbub.NewBotToken()
	if _, err := srv.Store.CreateBot(t.Context(), "js-bot", []string{"js-bots"}, hubbub.SecretHash(botToken)); err != nil {
		t.Fatal(err)
	}
	web, err := filepath.Abs(filepath.Join("..", "..", "web"))
	if err != nil {
		t.Fatal(err)
	}
	args := []string{"--test", "--test-reporter=spec"}
	// Node 20 has a WebSocket only behind a flag; Node 22 and later have it anyway.
	if out, err := exec.Command(node, "-e", "process.stdout.write(typeof WebSocket)").Output(); err == nil && string(out) != "function" {
		args = append([]string{"--experimental-websocket"}, args...)
	}
	args = append(args, filepath.Join("test", "client.test.js"))
	ctx, cancel := context.WithTimeout(context.Background(), jsTestTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, args...)
	cmd.Dir = web
	cmd.Env = append(os.Environ(), "HUBBUB_URL="+srv.WS, "HUBBUB_BOT_TOKEN="+botToken, "HUBBUB_API_URL="+srv.URL,
		"HUBBUB_API_KEY="+apiKey, "NO_COLOR=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s (in web/) failed: %v\n%s", node, strings.Join(args, " "), err, out)
	}
	if !strings.Contains(string(out), "# fail 0") && !strings.Contains(string(out), "ℹ fail 0") {
		t.Fatalf("node --test passed without reporting its tests:\n%s", out)
	}
	t.Logf("node --test:\n%s", out)
}
