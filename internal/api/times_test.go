package api_test

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"hubbub"
	"hubbub/internal/servertest"
)

// wantWireTimes fails unless every time in the answer has three fraction digits, in UTC
// (wire.TimeFormat), and returns how many there were.
func wantWireTimes(t *testing.T, what string, answer servertest.Frame) int {
	t.Helper()
	b, _ := json.Marshal(answer)
	times, bad := servertest.WireTimes(b)
	for _, tm := range bad {
		t.Errorf("%s: the time %s is not in wire.TimeFormat (three fraction digits): %s", what, tm, b)
	}
	return len(times)
}

// TestAPITimesHaveMilliseconds: every time the API answers has three fraction digits, as the
// frames of hubbub.v1 and docs/api.md's examples do — a sanction's until among them, which
// came as "…28.74Z" beside the ban's own answer "…28.740Z".
func TestAPITimesHaveMilliseconds(t *testing.T) {
	s := startAPI(t)
	ann := servertest.DialJSON(t, s, "ann")
	ann.Join("general", nil)
	// A time whose milliseconds end in zeros, which time.Time writes shorter.
	until := time.Date(2099, 12, 7, 6, 59, 28, 740_000_000, time.UTC)
	mute := hubbub.SanctionEntry(hubbub.Sanction{Room: "general", User: ann.User, Name: "ann", Kind: hubbub.SanctionMute, Until: until},
		"test", "", time.Now())
	if _, _, _, err := s.Store.Append(t.Context(), &mute); err != nil {
		t.Fatal(err)
	}
	status, ban := s.API("POST", "/api/rooms/general/ban", apiKey, map[string]any{"name": "eve", "duration": "10m"})
	if status != http.StatusOK {
		t.Fatalf("ban: %d %v", status, ban)
	}
	wantWireTimes(t, "the ban", ban)
	status, body := s.API("GET", "/api/rooms/general/sanctions", apiKey, nil)
	if status != http.StatusOK {
		t.Fatalf("sanctions: %d %v", status, body)
	}
	if n := wantWireTimes(t, "the sanctions", body); n != 2 {
		t.Errorf("the sanctions hold %d times, want 2: %v", n, body)
	}
	list, _ := body["sanctions"].([]any)
	found := false
	for _, sn := range list {
		if m, _ := sn.(map[string]any); m["name"] == "ann" {
			found = m["until"] == "2099-12-07T06:59:28.740Z"
			if !found {
				t.Errorf("ann's mute: until %v, want 2099-12-07T06:59:28.740Z", m["until"])
			}
		}
	}
	if !found && !t.Failed() {
		t.Errorf("no mute of ann in %v", body)
	}

	// The other records the API answers with their times: bots (their user), hooks.
	status, bot := s.API("POST", "/api/bots", apiKey, map[string]any{"name": "ci", "rooms": []string{"general"}})
	if status != http.StatusCreated || wantWireTimes(t, "a new bot", bot) == 0 {
		t.Errorf("a new bot: %d %v, want 201 with its user's created", status, bot)
	}
	_, bots := s.API("GET", "/api/bots", apiKey, nil)
	wantWireTimes(t, "the bots", bots)
	status, hook := s.API("POST", "/api/hooks", apiKey, map[string]any{"room": "general", "bot": "ci"})
	if status != http.StatusCreated || wantWireTimes(t, "a new hook", hook) == 0 {
		t.Errorf("a new hook: %d %v, want 201 with its created", status, hook)
	}
	_, hooks := s.API("GET", "/api/hooks", apiKey, nil)
	wantWireTimes(t, "the hooks", hooks)
}
