package nats

import "testing"

// TestSubject pins the subject scheme the package doc promises: other tools (nats sub, a
// future bridge) depend on it.
func TestSubject(t *testing.T) {
	b := &Broker{prefix: DefaultSubjectPrefix + ".room."}
	for room, want := range map[string]string{
		"lobby":    "hubbub.room.lobby",
		"Team_1-a": "hubbub.room.Team_1-a",
		"team.dev": "hubbub.room.team~2Edev",
		"a..b":     "hubbub.room.a~2E~2Eb",
		"~2E":      "hubbub.room.~7E2E",
		"*":        "hubbub.room.~2A",
		">":        "hubbub.room.~3E",
		"é":        "hubbub.room.~C3~A9",
	} {
		got, err := b.subject(room)
		if err != nil || got != want {
			t.Errorf("subject(%q) = %q, %v; want %q", room, got, err, want)
		}
	}
	if _, err := b.subject(""); err == nil {
		t.Error("subject of the empty room succeeded")
	}
}
