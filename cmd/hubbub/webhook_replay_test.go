package main

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"hubbub"
	"hubbub/internal/sqlite"
)

// TestWebhookReplayRefusesUnknownEvents: hubbub webhook replay ID EVENT_ID… with an event id
// the webhook has no delivery of is a usage error (exit 2) that names it and lists the dead
// events that may be named, and replays nothing — a tester's `replay wh_… bogus_event` printed
// "replayed 0 dead deliveries" and exited 0. An event kind given where an id goes says so. A
// known id replays, and naming it again once it is pending is no error.
func TestWebhookReplayRefusesUnknownEvents(t *testing.T) {
	data := filepath.Join(t.TempDir(), "h.db")
	out, err := webhookCmdRun("create", "https://example.com/hook", "--rooms", "a", "--events", "message", "--data", data)
	m := regexp.MustCompile(`(?m)^created (wh_\S+)$`).FindStringSubmatch(out)
	if err != nil || m == nil {
		t.Fatalf("create: %v %q", err, out)
	}
	id := m[1]
	replay := func(args ...string) (string, error) {
		return webhookCmdRun(append(append([]string{"replay", id}, args...), "--data", data)...)
	}

	// No dead delivery yet.
	if _, err := replay("bogus_event"); exitCode(err) != 2 || !strings.Contains(err.Error(), "unknown event bogus_event; "+id+" has no dead deliveries to replay") {
		t.Errorf("replay bogus_event with nothing dead: %v (exit %d), want a usage error", err, exitCode(err))
	}

	// A delivery the dispatcher gave up on, as its store records it.
	ctx := t.Context()
	st, err := sqlite.Open(data, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	stored, _, _, err := st.Append(ctx, &hubbub.Entry{Room: "a", From: "ann", Text: "deploy done"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.FanOut(ctx, 10); err != nil {
		t.Fatal(err)
	}
	if err := st.RetryDelivery(ctx, id, stored.ID, time.Now(), "HTTP 503", true); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	_, err = replay("bogus_event")
	if exitCode(err) != 2 || !strings.Contains(err.Error(), "webhook replay: unknown event bogus_event; its dead events are: "+stored.ID+" (hubbub webhook dead "+id+" lists them)") {
		t.Errorf("replay bogus_event: %v (exit %d), want a usage error listing %s", err, exitCode(err), stored.ID)
	}
	if _, err := replay(stored.ID, "message"); exitCode(err) != 2 || !strings.Contains(err.Error(), "unknown event message (replay takes event ids; message is a kind of event); its dead events are: "+stored.ID) {
		t.Errorf("replay of a known id and an event kind: %v (exit %d), want a usage error about the kind", err, exitCode(err))
	}
	// The refusals replayed nothing: the delivery is still dead.
	if out, err := webhookCmdRun("dead", id, "--data", data); err != nil || !strings.Contains(out, stored.ID) {
		t.Errorf("dead after the refusals: %v %q, want %s still dead", err, out, stored.ID)
	}
	if out, err := replay(stored.ID); err != nil || !strings.Contains(out, "replayed 1 dead deliveries of "+id) {
		t.Errorf("replay %s: %v %q", stored.ID, err, out)
	}
	if out, err := replay(stored.ID); err != nil || !strings.Contains(out, "replayed 0") || !strings.Contains(out, "1 of the events named were not dead") {
		t.Errorf("replay of the now pending %s: %v %q, want 0 replayed and why", stored.ID, err, out)
	}
}
