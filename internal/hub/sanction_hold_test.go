package hub_test

import (
	"context"
	"testing"
	"time"

	"hubbub"
	"hubbub/internal/hub"
)

// A ban is held by the moderator's own node from the moment it is stored, not from its
// delivery: when the publish fails, the ban is stored and the answer says so, and this node
// already refuses the banned user, though no room delivered the entry.
func TestBanHeldHereThoughItsPublishFailed(t *testing.T) {
	h, broker := newKindFailingHub(t, hubbub.KindSanction)
	ctx := context.Background()
	join(t, h, "r", "ann", nil) // this node holds the room
	broker.fail.Store(true)
	ban := hubbub.Sanction{Room: "r", User: "bob", Name: "bob", Kind: hubbub.SanctionBan, Until: time.Now().Add(time.Hour)}
	if err := h.Sanction(ctx, hub.Actor{Log: "mod"}, ban); hubbub.ErrorCode(err) != hubbub.ECodeUnavailable {
		t.Fatalf("a ban with the broker cut off: %v, want unavailable", err)
	}
	if err := h.MayPost(ctx, "r", "bob", "bob"); hubbub.ErrorCode(err) != hubbub.ECodeBanned {
		t.Errorf("bob posting after the ban was stored: %v, want banned", err)
	}
}
