package api_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"hubbub"
	"hubbub/internal/server"
	"hubbub/internal/servertest"
)

// A post to no incoming webhook — unknown, revoked, or with a wrong secret — and to no
// response URL is answered without waiting for its body, and its connection closed: net/http
// read the body of a refused request before answering, so a client that declared a
// Content-Length and sent nothing got its 404 only at --body-timeout (30 s), and held the
// connection until then. The server here waits an hour for a body: without the fix no answer
// comes within the test's wait.
func TestRefusedHookPostIsAnsweredBeforeItsBody(t *testing.T) {
	s := servertest.Start(t, servertest.Options{Server: server.Config{APIKey: apiKey, BodyTimeout: time.Hour, BodyLinger: 20 * time.Millisecond}})
	status, body := s.API("POST", "/api/hooks", apiKey, map[string]any{"room": "alerts"})
	path := body.Str("path")
	hook, _ := body["hook"].(map[string]any)
	id, _ := hook["id"].(string)
	if status != http.StatusCreated || id == "" {
		t.Fatalf("create: %d %v", status, body)
	}
	wrong := path[:len(path)-4] + "0000"
	status, body = s.API("POST", "/api/hooks", apiKey, map[string]any{"room": "alerts"})
	revoked, _ := body["hook"].(map[string]any)
	if status != http.StatusCreated {
		t.Fatalf("create: %d %v", status, body)
	}
	if status, _ := s.API("DELETE", "/api/hooks/"+revoked["id"].(string), apiKey, nil); status != http.StatusNoContent {
		t.Fatalf("delete: %d", status)
	}
	for _, c := range []struct {
		path   string
		status int
	}{
		{"/hooks/ih_nope/secret", http.StatusNotFound},
		{body.Str("path"), http.StatusNotFound}, // revoked
		{wrong, http.StatusUnauthorized},
		{"/hooks/ih_nope", http.StatusNotFound},
		{"/commands/respond/nope", http.StatusNotFound},
	} {
		if got := postWithoutBody(t, s, c.path); got != c.status {
			t.Errorf("POST %s declaring a body it does not send: %d, want %d", c.path, got, c.status)
		}
	}
	// The hook itself still reads its body and posts.
	if status, body := postHook(t, s, path, `{"text":"disk 91%"}`); status != http.StatusCreated {
		t.Errorf("a post to the hook: %d %v", status, body)
	}
}

// postWithoutBody sends a POST to path declaring a 100-byte JSON body and sends none of it,
// then returns the status of the answer, checking that the server closes the connection after
// it (the body that may still come cannot be told from a next request).
func postWithoutBody(t *testing.T, s *servertest.Server, path string) int {
	t.Helper()
	status, data := s.AskWithoutBody(t, "POST", path, "Content-Type: application/json", 100)
	var code string
	if i := strings.Index(string(data), `"code":"`); i >= 0 {
		code = string(data[i+8:])
		code = code[:strings.IndexByte(code, '"')]
	}
	if status == http.StatusNotFound && code != hubbub.ECodeNotFound {
		t.Errorf("POST %s: 404 %s, want code not_found", path, data)
	}
	return status
}
