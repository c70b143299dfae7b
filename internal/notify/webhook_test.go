package notify_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"hubbub"
	"hubbub/internal/notify"
	"hubbub/internal/servertest"
	"hubbub/internal/signing"
	"hubbub/internal/testwait"
)

// The whole path as hubbub serve runs it: a user away is mentioned, the webhooks dispatcher
// fans the message out (recording the candidates), the notifier writes the notification and
// wakes the dispatcher, which posts it, signed with the webhook's secret, to a real receiver
// that checks the signature as docs/integrations.md shows and deduplicates by event id.
func TestNotificationReachesAWebhookSigned(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	var (
		mu       sync.Mutex
		secret   string
		badSig   int
		got      = map[string]hubbub.Notification{} // event id → its notification
		wrongHdr []string
	)
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if err := signing.Verify(r.Header, secret, body, time.Now(), 0); err != nil {
			badSig++
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		var b struct {
			ID   string              `json:"id"`
			Kind string              `json:"kind"`
			Room string              `json:"room"`
			Data hubbub.Notification `json:"data"`
		}
		if err := json.Unmarshal(body, &b); err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		if r.Header.Get(signing.HeaderEvent) != "notification" || b.Kind != "notification" || b.Room != "" {
			wrongHdr = append(wrongHdr, string(body))
		}
		got[b.ID] = b.Data
	}))
	t.Cleanup(recv.Close)

	ctx := context.Background()
	hook, err := s.Store.CreateWebhook(ctx, hubbub.Webhook{URL: recv.URL + "/notify",
		Events: []hubbub.HookEvent{hubbub.HookNotification}, Secret: "a-secret-of-the-receiver"})
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	secret = hook.Secret
	mu.Unlock()

	d := servertest.RunDispatcher(t, s)
	n, err := notify.New(notify.Config{Node: "local", Batch: 50 * time.Millisecond, OnlineWait: 100 * time.Millisecond,
		LeaseTTL: time.Second, Enqueued: d.Nudge}, s.Store, s.Broker())
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); n.Run(runCtx) }()
	t.Cleanup(func() { stop(); wg.Wait() })

	ann, cy := dial(t, s, "ann"), dial(t, s, "cy")
	ann.Join("town", nil)
	cy.Join("town", nil)
	leave(t, s, cy, "cy", "town")
	say(t, ann, "town", "@cy the deploy is done")
	say(t, ann, "town", "@cy and the notes are out")

	// Each message arrives once in all, in order, in notifications for cy alone (the two may
	// come in one batch or two, depending on when the dispatcher fanned them out).
	var texts []string
	testwait.Until(t, "cy's notifications", func() bool {
		mu.Lock()
		defer mu.Unlock()
		texts = texts[:0]
		ids := make([]string, 0, len(got))
		for id := range got {
			ids = append(ids, id)
		}
		slices.SortFunc(ids, func(a, b string) int { return got[a].Items[0].Time.Compare(got[b].Items[0].Time) })
		for _, id := range ids {
			if got[id].User != cy.User || got[id].Name != "cy" {
				t.Errorf("a notification for %s %s, want cy %s", got[id].Name, got[id].User, cy.User)
			}
			for _, it := range got[id].Items {
				texts = append(texts, it.Text)
			}
		}
		return len(texts) >= 2
	})
	if want := []string{"@cy the deploy is done", "@cy and the notes are out"}; !slices.Equal(texts, want) {
		t.Errorf("cy was told %q, want %q", texts, want)
	}
	mu.Lock()
	defer mu.Unlock()
	if badSig != 0 || len(wrongHdr) != 0 {
		t.Errorf("%d requests with a bad signature, %d with the wrong kind: %q", badSig, len(wrongHdr), wrongHdr)
	}
}
