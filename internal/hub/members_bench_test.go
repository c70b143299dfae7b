package hub_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"hubbub/internal/hub"
	"hubbub/internal/inmem"
	"hubbub/internal/sqlite"
)

// BenchmarkMemberUsers measures a message's mention lookup (the user ids of the three members
// it names) in a room of 10,000 members: a message's fan-out waits for the room's lock it
// holds.
func BenchmarkMemberUsers(b *testing.B) {
	const members = 10000
	store, err := sqlite.Open(filepath.Join(b.TempDir(), "h.db"), sqlite.Options{Logger: quiet})
	if err != nil {
		b.Fatal(err)
	}
	broker := inmem.NewBroker()
	h := hub.New(hub.Config{Logger: quiet, MaxMembers: members, PresenceWindow: -1}, store, broker)
	defer func() { h.Close(); broker.Close(); store.Close() }()
	ctx := context.Background()
	for i := range members {
		m := &hub.Member{Name: fmt.Sprint("m", i), Key: fmt.Sprint("user:u", i), UserID: fmt.Sprint("u", i),
			Out: hub.NewOutbox(1<<20, nil)}
		if _, err := h.Join(ctx, hub.JoinRequest{Room: "r", Member: m, NoReplay: true}); err != nil {
			b.Fatal(err)
		}
	}
	names := []string{"m1", "m5000", "nobody"}
	b.ResetTimer()
	for b.Loop() {
		if got := h.MemberUsers("r", names); got["m5000"] != "u5000" || len(got) != 2 {
			b.Fatalf("MemberUsers = %v", got)
		}
	}
}
