package webhooks

import (
	"context"
	"strings"
	"testing"

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
