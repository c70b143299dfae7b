package hub_test

import (
	"context"
	"path/filepath"
	"sync/atomic"
	"testing"

	"hubbub"
	"hubbub/internal/hub"
	"hubbub/internal/inmem"
	"hubbub/internal/sqlite"
	"hubbub/internal/sqlitetest"
)

// logReads is the hub's store, counting the hub's reads of a room's log (Since).
type logReads struct {
	hubbub.Store
	n atomic.Int64
}

func (s *logReads) Since(ctx context.Context, room string, after uint64, limit int) ([]hubbub.Entry, error) {
	s.n.Add(1)
	return s.Store.Since(ctx, room, after, limit)
}

// A member change that hands the room over is published with its handover, which the store
// returned from Append: the members see the new owner at once, and the hub reads nothing of
// the log for it — not for a leave that hands nothing over, nor for one that does, nor for
// its resend.
func TestSendPublishesTheHandoverAppendReturned(t *testing.T) {
	path := filepath.Join(t.TempDir(), "h.db")
	sqlitetest.Fresh(t, path)
	st, err := sqlite.Open(path, sqlite.Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	store := &logReads{Store: st}
	broker := inmem.NewBroker()
	h := hub.New(hub.Config{Logger: quiet}, store, broker)
	t.Cleanup(func() { h.Close(); broker.Close(); st.Close() })
	ctx := t.Context()
	members := []hubbub.Membership{{User: "ann", Role: hubbub.RoomOwner}, {User: "bob"}, {User: "carol"}}
	if _, _, err := st.CreateRoom(ctx, hubbub.RoomMeta{Name: "r", Private: true, CreatedBy: "ann"}, members); err != nil {
		t.Fatal(err)
	}
	since := uint64(3)
	out := join(t, h, "r", "carol", &since)
	store.n.Store(0)

	leave := func(user, id string) {
		t.Helper()
		e := &hubbub.Entry{Room: "r", Kind: hubbub.KindMember, From: user, User: user, ClientID: id,
			Subject: user, SubjectName: user, Action: hubbub.MemberLeave}
		if _, _, err := h.Send(ctx, e); err != nil {
			t.Fatalf("%s's leave: %v", user, err)
		}
	}
	leave("bob", "") // seq 4: bob owned nothing
	leave("ann", "leave-1")
	got := delivered(t, out, 3)
	if got[0].Seq != 4 || got[1].Seq != 5 || got[1].Subject != "ann" {
		t.Fatalf("carol got seqs %d, %d, want bob's leave at 4 and ann's at 5", got[0].Seq, got[1].Seq)
	}
	if h := got[2]; h.Seq != 6 || !h.Auto || h.Action != hubbub.MemberRole || h.Subject != "carol" || h.User != "ann" {
		t.Errorf("carol got %+v after ann's leave, want the handover to her at seq 6", *h)
	}
	leave("ann", "leave-1") // a resend: its first outcome, published again with its handover
	if n := store.n.Load(); n != 0 {
		t.Errorf("the hub read the room's log %d times for three leaves, want none: Append returns the handover", n)
	}
}
