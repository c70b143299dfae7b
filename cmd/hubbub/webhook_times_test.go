package main

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"hubbub"
	"hubbub/internal/servertest"
	"hubbub/internal/sqlite"
	"hubbub/internal/testwait"
)

// wantWireTimes fails t unless every time in the JSON text b has three fraction digits, and
// unless b holds each of want.
func wantWireTimes(t *testing.T, what string, b []byte, want ...string) {
	t.Helper()
	_, bad := servertest.WireTimes(b)
	for _, tm := range bad {
		t.Errorf("%s: the time %s is not in the API's format (three fraction digits): %s", what, tm, b)
	}
	for _, w := range want {
		if !strings.Contains(string(b), `"`+w+`"`) {
			t.Errorf("%s: no time %s in %s", what, w, b)
		}
	}
}

// TestWebhookTimesHaveMilliseconds: a webhook's requests and the API's dead-delivery listing
// write every time with three fraction digits, as the frames and every other answer do: a
// notification's items came as "…00.74Z" and "…10Z" in the body a receiver got, and the
// stored event of a dead delivery (its time, its entry's, its items') likewise.
func TestWebhookTimesHaveMilliseconds(t *testing.T) {
	var (
		mu     sync.Mutex
		bodies = map[string][]byte{} // by kind
	)
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies[r.Header.Get("X-Hubbub-Event")] = body
		mu.Unlock()
		w.WriteHeader(http.StatusServiceUnavailable) // dead at once: --webhook-dead-after 1ns
	}))
	t.Cleanup(recv.Close)

	// Times whose milliseconds end in zeros, which a bare time.Time writes shorter: the
	// message's (stamped by the store's clock) and the notification's.
	sent := time.Date(2026, 12, 3, 12, 0, 0, 740_000_000, time.UTC)
	noted := time.Date(2026, 12, 3, 12, 0, 10, 0, time.UTC)
	data := filepath.Join(t.TempDir(), "h.db")
	st, err := sqlite.Open(data, sqlite.Options{Now: func() time.Time { return sent }, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	hook, err := st.CreateWebhook(ctx, hubbub.Webhook{URL: recv.URL, Rooms: []string{"a"},
		Events: []hubbub.HookEvent{hubbub.HookMessage, hubbub.HookNotification}})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := st.Append(ctx, &hubbub.Entry{Room: "a", From: "ann", Text: "@cy the deploy is done"}); err != nil {
		t.Fatal(err)
	}
	if err := st.EnqueueEvent(ctx, hubbub.OutboxEvent{ID: "nt_times", Kind: hubbub.HookNotification, Time: noted,
		Notification: &hubbub.Notification{User: "u_cy", Name: "cy", Items: []hubbub.NotificationItem{
			{Room: "a", Seq: 1, Reason: hubbub.NotifyMention, From: "ann", Text: "@cy the deploy is done", Time: sent},
			{Room: "a", Seq: 2, Reason: hubbub.NotifyMention, From: "ann", Text: "@cy and the notes", Time: noted}}}}); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	c := startHookChild(t, "--data", data, "--webhook-dead-after", "1ns", "--webhook-timeout", "5s")
	var page struct {
		Deliveries []json.RawMessage `json:"deliveries"`
	}
	testwait.Until(t, "both deliveries dead (the receiver fails, dead after 1ns)", func() bool {
		c.api(t, "GET", "/api/webhooks/"+hook.ID+"/deliveries?state=dead", nil, &page)
		return len(page.Deliveries) == 2
	})
	mu.Lock()
	defer mu.Unlock()
	const sentAt, notedAt = "2026-12-03T12:00:00.740Z", "2026-12-03T12:00:10.000Z"
	wantWireTimes(t, "the message's request", bodies["message"], sentAt)
	wantWireTimes(t, "the notification's request", bodies["notification"], sentAt, notedAt)
	for _, d := range page.Deliveries {
		if strings.Contains(string(d), `"nt_times"`) {
			wantWireTimes(t, "the dead notification", d, sentAt, notedAt)
		} else {
			wantWireTimes(t, "the dead message", d, sentAt)
		}
	}
}
