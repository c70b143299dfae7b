package api_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"hubbub"
	"hubbub/internal/servertest"
	"hubbub/internal/signing"
	"hubbub/internal/testwait"
)

// TestWebhookFollowsBansAndMutes: a webhook that follows sanction is posted each ban, mute and
// lift of its rooms, as the sanction_changed frame, signed, marked as the API's when the API
// made it; the room's messages, which it does not follow, are not posted.
func TestWebhookFollowsBansAndMutes(t *testing.T) {
	s := startAPI(t)
	type got struct {
		kind, header string
		data         map[string]any
	}
	var (
		mu     sync.Mutex
		bodies []got
		seen   = map[string]bool{}
		secret string
	)
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		if err := signing.Verify(r.Header, secret, body, time.Now(), 0); err != nil {
			t.Errorf("signature: %v", err)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		var b struct {
			ID   string         `json:"id"`
			Kind string         `json:"kind"`
			Data map[string]any `json:"data"`
		}
		if err := json.Unmarshal(body, &b); err != nil {
			t.Errorf("body %s: %v", body, err)
			return
		}
		if !seen[b.ID] {
			seen[b.ID] = true
			bodies = append(bodies, got{b.Kind, r.Header.Get(signing.HeaderEvent), b.Data})
		}
	}))
	t.Cleanup(recv.Close)
	hook, err := s.Store.CreateWebhook(t.Context(), hubbub.Webhook{URL: recv.URL, Rooms: []string{"general"},
		Events: []hubbub.HookEvent{hubbub.HookSanction}, Secret: "the-receivers-secret"})
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	secret = hook.Secret
	mu.Unlock()
	servertest.RunDispatcher(t, s)

	ann := servertest.DialJSON(t, s, "ann")
	ann.Join("general", nil)
	eve := servertest.DialJSON(t, s, "eve")
	eve.Join("general", nil)
	ann.Say("general", "a1", "not followed")
	for _, step := range []struct{ method, path string }{
		{"POST", "/api/rooms/general/mute"},
		{"DELETE", "/api/rooms/general/mutes/eve"},
		{"POST", "/api/rooms/general/ban"},
	} {
		if status, body := s.API(step.method, step.path, apiKey, map[string]any{"name": "eve", "duration": "1h", "reason": "spam"}); status != 200 {
			t.Fatalf("%s %s: %d %v", step.method, step.path, status, body)
		}
	}
	var list []got
	testwait.Until(t, "three sanctions posted", func() bool {
		mu.Lock()
		defer mu.Unlock()
		list = append(list[:0], bodies...)
		return len(list) >= 3
	})
	for i, action := range []string{"mute", "unmute", "ban"} {
		g := list[i]
		if g.kind != "sanction" || g.header != "sanction" || g.data["type"] != "sanction_changed" || g.data["action"] != action ||
			g.data["name"] != "eve" || g.data["user"] != eve.User || g.data["api"] != true {
			t.Errorf("event %d: %s (%s) %v, want the %s of eve by the API", i, g.kind, g.header, g.data, action)
		}
	}
	if len(list) != 3 {
		t.Errorf("posted %d events, want the three sanctions alone: %v", len(list), list)
	}
}
