package webhooks

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"hubbub"
	"hubbub/internal/egress"
)

func TestAdminChecks(t *testing.T) {
	_, ob := openStore(t)
	strict := egress.New(egress.Config{})
	defer strict.Close()
	a := NewAdmin(ob, strict, nil)
	ctx := context.Background()
	msg := []hubbub.HookEvent{hubbub.HookMessage}
	bad := []struct {
		name string
		spec Spec
		code string
	}{
		{"no URL", Spec{Rooms: []string{"a"}, Events: msg}, hubbub.ECodeBadField},
		{"ftp", Spec{URL: "ftp://example.com/", Rooms: []string{"a"}, Events: msg}, hubbub.ECodeBadField},
		{"loopback", Spec{URL: "http://127.0.0.1:9/", Rooms: []string{"a"}, Events: msg}, hubbub.ECodeBadField},
		{"private", Spec{URL: "http://10.1.2.3/", Rooms: []string{"a"}, Events: msg}, hubbub.ECodeBadField},
		{"metadata", Spec{URL: "http://169.254.169.254/", Rooms: []string{"a"}, Events: msg}, hubbub.ECodeBadField},
		{"IPv6 loopback", Spec{URL: "http://[::1]/", Rooms: []string{"a"}, Events: msg}, hubbub.ECodeBadField},
		{"long URL", Spec{URL: "https://example.com/" + strings.Repeat("a", hubbub.MaxWebhookURLLen), Rooms: []string{"a"}, Events: msg}, hubbub.ECodeBadField},
		{"no events", Spec{URL: "https://example.com/", Rooms: []string{"a"}}, hubbub.ECodeMissing},
		{"unknown event", Spec{URL: "https://example.com/", Rooms: []string{"a"}, Events: []hubbub.HookEvent{"typing"}}, hubbub.ECodeBadField},
		{"room events, no rooms", Spec{URL: "https://example.com/", Events: msg}, hubbub.ECodeMissing},
		{"star inside", Spec{URL: "https://example.com/", Rooms: []string{"a*b"}, Events: msg}, hubbub.ECodeBadRoom},
		{"bad room", Spec{URL: "https://example.com/", Rooms: []string{"no spaces"}, Events: msg}, hubbub.ECodeBadRoom},
		{"too many rooms", Spec{URL: "https://example.com/", Rooms: make([]string, hubbub.MaxWebhookRooms+1), Events: msg}, hubbub.ECodeBadField},
	}
	for _, c := range bad {
		_, err := a.Create(ctx, c.spec, "")
		if hubbub.ErrorCode(err) != c.code {
			t.Errorf("%s: err = %v (code %q), want code %q", c.name, err, hubbub.ErrorCode(err), c.code)
		}
	}
	if list, _ := a.List(ctx); len(list) != 0 {
		t.Fatalf("refused specs left %d webhooks", len(list))
	}

	w, err := a.Create(ctx, Spec{URL: "https://example.com/hook", Rooms: []string{"team-*", "dm.*", "*", "team-*"},
		Events: []hubbub.HookEvent{hubbub.HookEdit, hubbub.HookMessage, hubbub.HookEdit}}, "u_admin")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(w.Secret, "whsec_") || w.ID == "" || w.CreatedBy != "u_admin" {
		t.Errorf("created %+v", w)
	}
	if strings.Join(w.Rooms, ",") != "team-*,dm.*,*" || len(w.Events) != 2 || w.Events[0] != hubbub.HookMessage {
		t.Errorf("rooms %v events %v: want duplicates dropped, events in HookEvents order", w.Rooms, w.Events)
	}
	got, err := a.Get(ctx, w.ID)
	if err != nil || got.Secret != "" {
		t.Errorf("Get shows the secret %q (%v)", got.Secret, err)
	}
	list, err := a.List(ctx)
	if err != nil || len(list) != 1 || list[0].Secret != "" {
		t.Errorf("List = %+v, %v", list, err)
	}
	if _, err := a.Update(ctx, w.ID, Change{Rooms: &[]string{}}); hubbub.ErrorCode(err) != hubbub.ECodeMissing {
		t.Errorf("emptying the rooms of a message webhook: %v", err)
	}
	notify := []hubbub.HookEvent{hubbub.HookNotification}
	if u, err := a.Update(ctx, w.ID, Change{Rooms: &[]string{}, Events: &notify}); err != nil || len(u.Rooms) != 0 || u.Secret != "" {
		t.Errorf("making it notify-only: %+v, %v", u, err)
	}
	for _, f := range []func() error{
		func() error { _, err := a.Get(ctx, "wh_none"); return err },
		func() error { _, err := a.Update(ctx, "wh_none", Change{}); return err },
		func() error { _, err := a.Rotate(ctx, "wh_none"); return err },
		func() error { return a.Delete(ctx, "wh_none") },
		func() error { _, err := a.Replay(ctx, "wh_none", nil); return err },
		func() error { _, err := a.Deliveries(ctx, "wh_none", "", "", 0); return err },
	} {
		if err := f(); hubbub.ErrorCode(err) != hubbub.ECodeNotFound {
			t.Errorf("unknown webhook: err = %v, want not_found", err)
		}
	}
	if _, err := a.Deliveries(ctx, w.ID, "gone", "", 0); hubbub.ErrorCode(err) != hubbub.ECodeBadField {
		t.Errorf("state gone: %v", err)
	}
	if err := a.Delete(ctx, w.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Get(ctx, w.ID); hubbub.ErrorCode(err) != hubbub.ECodeNotFound {
		t.Errorf("deleted webhook: %v", err)
	}
}

func TestAdminLimit(t *testing.T) {
	_, ob := openStore(t)
	c := egress.New(egress.Config{})
	defer c.Close()
	a := NewAdmin(ob, c, nil)
	for i := range hubbub.MaxWebhooks {
		if _, err := a.Create(context.Background(), Spec{URL: "https://example.com/", Events: []hubbub.HookEvent{hubbub.HookNotification}}, ""); err != nil {
			t.Fatalf("webhook %d: %v", i+1, err)
		}
	}
	_, err := a.Create(context.Background(), Spec{URL: "https://example.com/", Events: []hubbub.HookEvent{hubbub.HookNotification}}, "")
	if hubbub.ErrorCode(err) != hubbub.ECodeLimit {
		t.Errorf("webhook %d: err = %v, want limit", hubbub.MaxWebhooks+1, err)
	}
}

// readCounter is a real store that counts the reads Replay may make before it writes: a
// replay past MaxReplayIDs must read nothing, and one that names ids must read the webhook
// once, not once per id.
type readCounter struct {
	hubbub.OutboxStore
	webhook, deliveries int
}

func (r *readCounter) Webhook(ctx context.Context, id string) (hubbub.Webhook, bool, error) {
	r.webhook++
	return r.OutboxStore.Webhook(ctx, id)
}

func (r *readCounter) Deliveries(ctx context.Context, webhook string, state hubbub.DeliveryState, after string, limit int) ([]hubbub.Delivery, error) {
	r.deliveries++
	return r.OutboxStore.Deliveries(ctx, webhook, state, after, limit)
}

// TestAdminReplayUnknownEvents: Replay refuses ids the webhook has no delivery of with an
// *UnknownEventsError (not_found) naming them and some of its dead events, and replays none
// of the ids named; the bound on ids comes before any read; the webhook is read once; a
// pending id is no error, and replaying it again counts 0.
func TestAdminReplayUnknownEvents(t *testing.T) {
	s, ob := openStore(t)
	reads := &readCounter{OutboxStore: ob}
	c := egress.New(egress.Config{})
	defer c.Close()
	a := NewAdmin(reads, c, nil)
	ctx := t.Context()
	w, err := a.Create(ctx, Spec{URL: "https://example.com/", Rooms: []string{"a"}, Events: []hubbub.HookEvent{hubbub.HookMessage}}, "")
	if err != nil {
		t.Fatal(err)
	}

	reads.webhook, reads.deliveries = 0, 0
	if _, err := a.Replay(ctx, w.ID, make([]string, MaxReplayIDs+1)); hubbub.ErrorCode(err) != hubbub.ECodeBadField {
		t.Errorf("%d ids: %v, want bad_field", MaxReplayIDs+1, err)
	}
	if reads.webhook+reads.deliveries != 0 {
		t.Errorf("%d ids: %d webhook and %d deliveries reads, want none past the bound", MaxReplayIDs+1, reads.webhook, reads.deliveries)
	}

	var ue *UnknownEventsError
	_, err = a.Replay(ctx, w.ID, []string{"ev_nope"})
	if !errors.As(err, &ue) || hubbub.ErrorCode(err) != hubbub.ECodeNotFound ||
		err.Error() != "unknown event ev_nope; "+w.ID+" has no dead deliveries to replay" {
		t.Errorf("an unknown id with nothing dead: %v (code %s)", err, hubbub.ErrorCode(err))
	}

	// Seven dead deliveries: the refusal lists the five oldest and says there are more.
	entries := appendMessages(t, s, []string{"a"}, 7)
	if _, err := ob.FanOut(ctx, 100); err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if err := ob.RetryDelivery(ctx, w.ID, e.ID, time.Now(), "HTTP 503", true); err != nil {
			t.Fatal(err)
		}
	}
	named := []string{entries[0].ID, "ev_nope", "message", "ev_nope", entries[1].ID}
	reads.webhook = 0
	_, err = a.Replay(ctx, w.ID, named)
	if reads.webhook != 1 {
		t.Errorf("a replay of %d ids read the webhook %d times, want once", len(named), reads.webhook)
	}
	var ids []string
	for _, e := range entries[:5] {
		ids = append(ids, e.ID)
	}
	want := "unknown events ev_nope, message (replay takes event ids; message is a kind of event); its dead events are: " + strings.Join(ids, ", ") + ", …"
	if !errors.As(err, &ue) || hubbub.ErrorCode(err) != hubbub.ECodeNotFound || hubbub.ErrorMessage(err) != want {
		t.Errorf("known and unknown ids: %v\nwant %s", err, want)
	} else if ue.Webhook != w.ID || strings.Join(ue.IDs, ",") != "ev_nope,message" || !ue.More || len(ue.Dead) != 5 {
		t.Errorf("the error's fields: %+v", ue)
	}
	if n := len(deliveries(t, ob, w.ID, hubbub.DeliveryDead)); n != 7 {
		t.Errorf("after the refusal %d deliveries are dead, want all 7: a refused replay replays none", n)
	}

	if n, err := a.Replay(ctx, w.ID, []string{entries[0].ID, entries[1].ID}); n != 2 || err != nil {
		t.Errorf("replay of two dead ids: %d, %v", n, err)
	}
	if n, err := a.Replay(ctx, w.ID, []string{entries[0].ID}); n != 0 || err != nil {
		t.Errorf("replay of a pending id: %d, %v, want 0 and no error", n, err)
	}
}
