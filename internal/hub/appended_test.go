package hub_test

import (
	"sync/atomic"
	"testing"
	"time"

	"hubbub"
	"hubbub/internal/hub"
)

// TestSanctionNudgesTheDispatcher: a ban or mute stores an entry that a webhook may follow
// (hubbub.HookSanction), so the hub calls Appended for it as for a message, and the
// dispatcher posts it at once. It was left out ("no webhook follows sanctions"), and a
// sanction webhook's post waited for the dispatcher's next poll.
func TestSanctionNudgesTheDispatcher(t *testing.T) {
	var nudges atomic.Int64
	h, _, _ := newHub(t, hub.Config{Node: "n1", Appended: func() { nudges.Add(1) }})
	ctx := t.Context()
	for _, kind := range []hubbub.SanctionKind{hubbub.SanctionBan, hubbub.SanctionMute} {
		before := nudges.Load()
		sn := hubbub.Sanction{Room: "r", User: "u_eve", Name: "eve", Kind: kind, Until: time.Now().Add(time.Hour)}
		if err := h.Sanction(ctx, hub.Actor{Log: "mod"}, sn); err != nil {
			t.Fatal(err)
		}
		if nudges.Load() == before {
			t.Errorf("a %s stored no nudge of the webhooks dispatcher", kind)
		}
	}
}
