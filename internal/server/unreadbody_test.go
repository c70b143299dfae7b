package server_test

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"hubbub/internal/accounts"
	"hubbub/internal/files"
	"hubbub/internal/server"
	"hubbub/internal/servertest"
	"hubbub/internal/session"
)

// A request refused before its body is read — by the API's key, a bot's token, its route,
// its room or message, its declared length; by the account pages; by /upload; by the pages'
// own handler — is answered at once and its connection closed, though the client declared a
// body and sent none of it. net/http read the body of such a request before sending the
// answer (so that the connection could carry the next one), and the client got its 401 only
// at --body-timeout; /upload, which said Connection: close, answered at once but held the
// connection until then. The server here waits an hour for a body: without the fix, no
// answer, or no end of the connection, comes within the test's wait.
func TestRefusalBeforeTheBodyIsAnsweredAtOnce(t *testing.T) {
	const key = "s3cret-api-key"
	blobs, err := files.OpenLocalBlobs(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	s := servertest.Start(t, servertest.Options{Server: server.Config{APIKey: key, BodyTimeout: time.Hour, BodyLinger: 20 * time.Millisecond,
		Accounts: accounts.Config{Hash: accounts.TestHashParams},
		Files:    files.Config{Blobs: blobs, CollectEvery: time.Hour, UploadsPerUser: 1, UploadTimeout: time.Hour}}})
	status, body := s.API("POST", "/api/bots", key, map[string]any{"name": "deploybot", "rooms": []string{"deploys"}})
	token := body.Str("token")
	if status != http.StatusCreated || token == "" {
		t.Fatalf("create a bot: %d %v", status, body)
	}
	apiKey, botToken := "Authorization: Bearer "+key, "Authorization: Bearer "+token
	servertest.DialJSON(t, s, "ann") // a guest who may upload
	guest := session.NameHeader + ": ann\r\n" + session.KeyHeader + ": key-ann"

	// ann's one upload at a time, its body not sent: the next is refused 429 at_once.
	held := holdUpload(t, s, guest)
	defer held.Close()

	for _, c := range []struct {
		name, method, path, head string
		length                   int
		status                   int
	}{
		{"api, no key", "POST", "/api/rooms/lobby/messages", "", 100, http.StatusUnauthorized},
		{"api, wrong key", "POST", "/api/rooms/lobby/messages", "Authorization: Bearer nope", 100, http.StatusUnauthorized},
		{"api, wrong method", "PUT", "/api/rooms/lobby/messages", apiKey, 100, http.StatusMethodNotAllowed},
		{"api, no such route", "POST", "/api/nothing", apiKey, 100, http.StatusNotFound},
		{"api, bad room", "POST", "/api/rooms/bad!room/messages", apiKey, 100, http.StatusBadRequest},
		{"api, no such bot", "POST", "/api/bots/nobot/token", apiKey, 100, http.StatusNotFound},
		{"api, a lift takes no body", "DELETE", "/api/rooms/lobby/bans/bob", apiKey, 100, http.StatusNotFound}, // bob is not banned
		{"api, bad seq", "PATCH", "/api/rooms/lobby/messages/first", apiKey, 100, http.StatusBadRequest},
		{"api, declared too large", "POST", "/api/rooms/lobby/messages", apiKey, 100 << 10, http.StatusRequestEntityTooLarge},
		{"bot, unknown token", "POST", "/api/rooms/deploys/messages", "Authorization: Bearer hbb_nope", 100, http.StatusUnauthorized},
		{"bot, not its room", "POST", "/api/rooms/lobby/messages", botToken, 100, http.StatusForbidden},
		{"bot, not its route", "POST", "/api/bots", botToken, 100, http.StatusForbidden},
		{"account, no CSRF", "POST", "/api/me/name", "", 100, http.StatusForbidden},
		{"account, form declared too large", "POST", "/signin", "Content-Type: application/x-www-form-urlencoded", 100 << 10, http.StatusRequestEntityTooLarge},
		{"upload, nobody", "POST", "/upload?name=a.txt", "", 100, http.StatusUnauthorized},
		{"upload, declared too large", "POST", "/upload?name=a.txt", guest, 30 << 20, http.StatusRequestEntityTooLarge},
		{"upload, one at a time", "POST", "/upload?name=b.txt", guest, 100, http.StatusTooManyRequests},
		{"page, wrong method", "POST", "/", "", 100, http.StatusMethodNotAllowed},
	} {
		t.Run(c.name, func(t *testing.T) {
			status, data := s.AskWithoutBody(t, c.method, c.path, c.head, c.length)
			if status != c.status {
				t.Errorf("%s %s: %d %s, want %d", c.method, c.path, status, data, c.status)
			}
		})
	}
}

// holdUpload starts an upload of head's user whose body it never sends, and returns its
// connection once the server counts it: a probe upload of the same user is then refused 429.
// A probe answered 400 (no file part) ran while nothing was counted — and, had it taken the
// user's one slot just as the held request's head was read, the held one was refused 429
// instead (seen in CI, "the held upload is not counted"): its connection then holds that
// answer, and the upload is started again.
func holdUpload(t *testing.T, s *servertest.Server, head string) net.Conn {
	t.Helper()
	held := s.SendHead(t, "POST", "/upload?name=a.txt", head, 100)
	deadline := time.Now().Add(servertest.Wait)
	for {
		req, _ := http.NewRequest("POST", s.URL+"/upload", strings.NewReader("--x--\r\n"))
		for _, line := range strings.Split(head, "\r\n") {
			k, v, _ := strings.Cut(line, ": ")
			req.Header.Set(k, v)
		}
		req.Header.Set("Content-Type", "multipart/form-data; boundary=x")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		switch {
		case resp.StatusCode == http.StatusTooManyRequests:
			_ = held.SetDeadline(time.Now().Add(servertest.Wait))
			return held
		case resp.StatusCode != http.StatusBadRequest:
			t.Fatalf("the probe upload: %d, want 400 (no file part) or 429", resp.StatusCode)
		case time.Now().After(deadline):
			t.Fatalf("the held upload is not counted within %v", servertest.Wait)
		}
		_ = held.SetReadDeadline(time.Now().Add(10 * time.Millisecond))
		if n, _ := held.Read(make([]byte, 1)); n > 0 { // answered: refused beside the probe
			held.Close()
			held = s.SendHead(t, "POST", "/upload?name=a.txt", head, 100)
		}
	}
}

// A client that sends its body behind its head, as most do, and reads the refusal that came
// before it, sees its connection end cleanly: the server, after answering, reads and drops
// the body that follows (for at most --body-linger) before it closes. Closed at once, the
// connection was reset by the body arriving at a closed socket: the client's write failed
// ("broken pipe", seen in TestResponseURLRefused) or its unread answer was lost.
func TestRefusalReadsTheBodyThatFollowsBeforeClosing(t *testing.T) {
	s := servertest.Start(t, servertest.Options{Server: server.Config{APIKey: "k", BodyLinger: servertest.Wait}})
	const body = `{"text":"hello"}`
	for _, path := range []string{"/api/rooms/lobby/messages", "/hooks/ih_nope/secret"} {
		conn := s.SendHead(t, "POST", path, "Content-Type: application/json", len(body))
		br := bufio.NewReader(conn)
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("POST %s: no answer before its body: %v", path, err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized && resp.StatusCode != http.StatusNotFound {
			t.Errorf("POST %s: %d, want a refusal", path, resp.StatusCode)
		}
		// The body is on its way (here: sent a moment later). Closed now, the connection would
		// be reset as it arrives; it must wait for it.
		_ = conn.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
		var ne net.Error
		if _, err := br.ReadByte(); !errors.As(err, &ne) || !ne.Timeout() {
			t.Errorf("POST %s: before its body was sent the connection gave %v, want it open for the body", path, err)
		}
		_ = conn.SetReadDeadline(time.Now().Add(servertest.Wait))
		if _, err := io.WriteString(conn, body); err != nil {
			t.Errorf("POST %s: the body behind the refusal: %v", path, err)
		}
		if _, err := br.ReadByte(); !errors.Is(err, io.EOF) {
			t.Errorf("POST %s: after the refusal and the body the connection gave %v, want it closed cleanly (EOF)", path, err)
		}
		conn.Close()
	}
}
