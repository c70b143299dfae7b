package api_test

import (
	"net/http"
	"testing"

	"hubbub/internal/servertest"
)

// The API lifts only what is there: DELETE of a ban or mute nobody holds is 404 not_found,
// and the room's members are not told "a server admin lifted nobody's ban" (before, it was
// 200 and an entry of the room's log, sent to every member and every webhook). It bans in
// the chat's syntax too: days ("7d", which it refused while the chat took them) and
// "forever", until lifted.
func TestAPISanctionLiftsAndLengths(t *testing.T) {
	s := startAPI(t)
	ann := servertest.DialJSON(t, s, "ann")
	ann.Join("general", nil)
	eve := servertest.DialJSON(t, s, "eve")
	eve.Join("general", nil)

	for _, path := range []string{"/api/rooms/general/bans/nobody", "/api/rooms/general/mutes/eve"} {
		if status, body := s.API("DELETE", path, apiKey, nil); status != http.StatusNotFound || body.Str("code") != "not_found" {
			t.Errorf("DELETE %s: %d %v, want 404 not_found", path, status, body)
		}
	}
	status, body := s.API("POST", "/api/rooms/general/mute", apiKey, map[string]any{"name": "eve", "duration": "7d"})
	if status != http.StatusOK || body.Str("until") == "" {
		t.Fatalf("mute for 7d: %d %v", status, body)
	}
	// The first change ann hears of is that mute, not a lift of nothing.
	if f := ann.AwaitFunc("sanction_changed", func(f servertest.Frame) bool { return f.Type() == "sanction_changed" }); f.Str("action") != "mute" {
		t.Errorf("ann was told %v first, want eve's mute", f)
	}
	status, body = s.API("POST", "/api/rooms/general/ban", apiKey, map[string]any{"name": "eve", "duration": "forever"})
	if status != http.StatusOK || body.Str("until") != "9999-12-31T00:00:00.000Z" {
		t.Fatalf("ban forever: %d %v", status, body)
	}
	if k := awaitError(eve, "kicked"); k.Str("until") != "9999-12-31T00:00:00.000Z" {
		t.Errorf("eve's kick: %v", k)
	}
	if j := eve.Join("general", nil); j.Str("code") != "banned" {
		t.Errorf("join while banned until lifted: %v", j)
	}
	for _, d := range []string{"", "400d", "always"} {
		if status, body := s.API("POST", "/api/rooms/general/ban", apiKey, map[string]any{"name": "eve", "duration": d}); status != http.StatusBadRequest {
			t.Errorf("ban for %q: %d %v, want 400", d, status, body)
		}
	}
}
