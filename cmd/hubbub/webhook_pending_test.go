package main

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"hubbub"
	"hubbub/internal/sqlite"
)

// TestWebhookPending: an operator whose receiver was down could list a webhook's dead
// deliveries but not what still waits to be posted. hubbub webhook pending shows, per webhook,
// how many deliveries are pending, how long the oldest has waited, when the next attempt is
// due (that of the heads of its queues, not of the deliveries behind them) and the error of
// the one that failed the most attempts, on one line; with an ID, that webhook's alone.
func TestWebhookPending(t *testing.T) {
	data := filepath.Join(t.TempDir(), "h.db")
	created := regexp.MustCompile(`(?m)^created (wh_\S+)$`)
	create := func(room string) string {
		t.Helper()
		out, err := webhookCmdRun("create", "https://example.com/"+room, "--rooms", room, "--events", "message", "--data", data)
		m := created.FindStringSubmatch(out)
		if err != nil || m == nil {
			t.Fatalf("create: %v %q", err, out)
		}
		return m[1]
	}
	down, up := create("builds"), create("alerts")
	// row returns the columns of id's row in the output of pending.
	row := func(out, id string) []string {
		t.Helper()
		for _, line := range strings.Split(out, "\n") {
			if strings.HasPrefix(line, id+" ") {
				return regexp.MustCompile(`\s{2,}`).Split(strings.TrimSpace(line), -1)
			}
		}
		t.Fatalf("no row of %s:\n%s", id, out)
		return nil
	}
	pending := func(args ...string) string {
		t.Helper()
		out, err := webhookCmdRun(append(append([]string{"pending"}, args...), "--data", data)...)
		if err != nil {
			t.Fatalf("pending %q: %v", args, err)
		}
		return out
	}
	out := pending()
	if !strings.HasPrefix(out, "ID  ") || !strings.Contains(out, "NEXT ATTEMPT") {
		t.Errorf("pending's header:\n%s", out)
	}
	for _, id := range []string{down, up} {
		if r := row(out, id); strings.Join(r[2:], "|") != "active|0|-|-|-|-" {
			t.Errorf("nothing pending for %s: %q", id, r)
		}
	}

	// The receiver of builds is down: its first message failed twice and waits for its
	// retry, the two after it wait behind it; alerts' one message is due.
	ctx := t.Context()
	st, err := sqlite.Open(data, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var first *hubbub.Entry
	for i, room := range []string{"builds", "builds", "builds", "alerts"} {
		e, _, _, err := st.Append(ctx, &hubbub.Entry{Room: room, From: "ci", Text: "build done"})
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = e
		}
	}
	if _, err := st.FanOut(ctx, 10); err != nil {
		t.Fatal(err)
	}
	retry := time.Now().Add(2 * time.Hour)
	for _, msg := range []string{"connection refused", "HTTP 503: <html>\n\t<h1>Service Unavailable</h1>\n</html>"} {
		if err := st.RetryDelivery(ctx, down, first.ID, retry, msg, false); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	out = pending()
	r := row(out, down)
	if len(r) != 8 || r[1] != "https://example.com/builds" || r[2] != "active" || r[3] != "3" || !regexp.MustCompile(`^(\d+h)?(\d+m)?\d+s ago$`).MatchString(r[4]) ||
		!strings.HasPrefix(r[5], retry.UTC().Format(time.DateTime)+" (in 1h") || r[6] != "2" || r[7] != "HTTP 503: <html> <h1>Service Unavailable</h1> </html>" {
		t.Errorf("builds' pending row %q, want 3 waiting, the next attempt at its retry, 2 attempts and the last error on one line:\n%s", r, out)
	}
	if r := row(out, up); len(r) != 8 || r[3] != "1" || r[5] != "due now" || r[6] != "-" || r[7] != "-" {
		t.Errorf("alerts' pending row %q, want 1 due now, no error:\n%s", r, out)
	}

	// One webhook's alone; a paused one's wait for its resume.
	if _, err := webhookCmdRun("pause", down, "--data", data); err != nil {
		t.Fatal(err)
	}
	out = pending(down)
	if r := row(out, down); r[2] != "paused" || r[3] != "3" || r[5] != "none while paused" || strings.Contains(out, up) {
		t.Errorf("pending %s (paused): %q\n%s", down, r, out)
	}
	if _, err := webhookCmdRun("pending", "wh_nothing", "--data", data); exitCode(err) != 2 || !strings.Contains(err.Error(), `webhook pending: no webhook "wh_nothing"`) {
		t.Errorf("pending of an unknown webhook: %v (exit %d), want a usage error naming it", err, exitCode(err))
	}
}

// TestWebhookListCountsEveryDelivery: webhook list's PENDING and DEAD are the store's counts,
// exact however many wait: read as a page of deliveries each, they stopped at the page's 500
// and said "500+" of a receiver down for a busy afternoon.
func TestWebhookListCountsEveryDelivery(t *testing.T) {
	data := filepath.Join(t.TempDir(), "h.db")
	out, err := webhookCmdRun("create", "https://example.com/builds", "--rooms", "builds", "--events", "message", "--data", data)
	m := regexp.MustCompile(`(?m)^created (wh_\S+)$`).FindStringSubmatch(out)
	if err != nil || m == nil {
		t.Fatalf("create: %v %q", err, out)
	}
	id := m[1]

	ctx := t.Context()
	st, err := sqlite.Open(data, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	const sent = 503 // past the 500 of a page
	var first *hubbub.Entry
	for i := range sent {
		e, _, _, err := st.Append(ctx, &hubbub.Entry{Room: "builds", From: "ci", Text: "build done"})
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = e
		}
	}
	for {
		n, err := st.FanOut(ctx, sent)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
	}
	if err := st.RetryDelivery(ctx, id, first.ID, time.Now(), "HTTP 410", true); err != nil { // one dead
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	out, err = webhookCmdRun("list", "--data", data)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, id+" ") {
			// ID URL ROOMS EVENTS STATUS PENDING DEAD CREATED
			if r := regexp.MustCompile(`\s{2,}`).Split(strings.TrimSpace(line), -1); len(r) != 8 || r[5] != fmt.Sprint(sent-1) || r[6] != "1" {
				t.Errorf("list's row %q, want %d pending and 1 dead:\n%s", r, sent-1, out)
			}
			return
		}
	}
	t.Fatalf("no row of %s:\n%s", id, out)
}
