package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"hubbub/internal/commands"
	"hubbub/internal/egress"
	"hubbub/internal/server"
	"hubbub/internal/servertest"
	"hubbub/internal/testwait"
)

// inHistory waits until g's history of general holds text (another client sees it stored).
func inHistory(t *testing.T, g *goUser, text string) {
	t.Helper()
	testwait.Until(t, g.name+" finds "+text, func() bool { return slices.Contains(g.history("general"), text) })
}

// Typing "/echo hi" in the page's composer uses the server's /echo: the command's URL gets
// it, and its answer shows in the room from the echo bot, for ann and for bob; the line itself
// is never a message. "/echo quietly" gets an answer only ann sees, as a notice in the room;
// a line starting with a slash that is no command is sent as a message.
func TestSlashCommandInThePage(t *testing.T) {
	b := startBrowser(t)
	got := make(chan string, 4)
	rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var u struct{ Args string }
		body, _ := io.ReadAll(r.Body)
		_ = json.Unmarshal(body, &u)
		got <- u.Args
		_ = json.NewEncoder(w).Encode(map[string]any{"text": "you said: " + u.Args, "ephemeral": strings.HasPrefix(u.Args, "quietly")})
	}))
	t.Cleanup(rc.Close)
	srv := servertest.Start(t, servertest.Options{Server: server.Config{
		Commands: commands.Config{Client: egress.New(egress.Config{AllowPrivate: true})}}})
	if _, err := commands.Add(t.Context(), srv.Store, nil, commands.AddRequest{Name: "echo", URL: rc.URL, Description: "says it back"}); err != nil {
		t.Fatal(err)
	}
	bob := dialUser(t, srv, "bob", "general")

	ann := b.newUser("ann")
	ann.open(srv.URL + "/#general")
	ann.room("general")
	ann.say("/echo hi")
	if args := <-got; args != "hi" {
		t.Errorf("the command's URL got %q, want %q", args, "hi")
	}
	ann.see("echo", "you said: hi")
	inHistory(t, bob, "you said: hi")

	ann.say("/echo quietly please")
	<-got
	ann.waitFor("the answer for ann alone", `Array.from(document.querySelectorAll("#message-list .command-notice")).some(e =>
		e.dataset.kind === "answer" && e.textContent.includes("echo (only you can see this): you said: quietly please"))`)

	ann.say("/nothing here")
	ann.see("ann", "/nothing here")
	inHistory(t, bob, "/nothing here")
	ann.seeOnce("you said: hi", "/nothing here")
	if eval[bool](ann, `Array.from(document.querySelectorAll("#message-list .msg .text")).some(e => e.textContent.startsWith("/echo"))`) {
		t.Errorf("a command's line shows as a message")
	}
	log, err := srv.Store.Since(t.Context(), "general", 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range log {
		if strings.HasPrefix(e.Text, "/echo") || strings.Contains(e.Text, "quietly") {
			t.Errorf("the store holds %q: a command's use or an ephemeral answer was stored", e.Text)
		}
	}
}
