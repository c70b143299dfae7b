package session_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"hubbub"
	"hubbub/internal/server"
	"hubbub/internal/servertest"
)

// sanctionReads is a store that counts the sanctions its reads of them return.
type sanctionReads struct {
	hubbub.Store
	rows atomic.Int64
}

func (s *sanctionReads) Sanctions(ctx context.Context, room string) ([]hubbub.Sanction, error) {
	list, err := s.Store.Sanctions(ctx, room)
	s.rows.Add(int64(len(list)))
	return list, err
}

func (s *sanctionReads) SanctionsPage(ctx context.Context, room, after string, limit int) ([]hubbub.Sanction, error) {
	list, err := s.Store.SanctionsPage(ctx, room, after, limit)
	s.rows.Add(int64(len(list)))
	return list, err
}

// banMany stores n bans in room, of users u_000… who are nobody's, as the API's would be.
func banMany(t *testing.T, s *servertest.Server, room string, n int) {
	t.Helper()
	until := time.Now().Add(time.Hour)
	for i := range n {
		sn := hubbub.Sanction{Room: room, User: fmt.Sprintf("u_%03d", i), Name: fmt.Sprintf("spammer%03d", i), Kind: hubbub.SanctionBan, Until: until}
		if _, _, _, err := s.Store.Append(t.Context(), new(hubbub.SanctionEntry(sn, hubbub.APIActor, hubbub.APIActor, time.Now()))); err != nil {
			t.Fatal(err)
		}
	}
}

// A moderator's members page of a room of 30 bans reads from the store the sanctions it lists
// and the few past them that say more are left out, not the room's whole list (which a room
// of 10,000 bans read on every members page a moderator opened); its members' sanctions
// come from the room the node holds.
func TestMembersPageReadsTheSanctionsItLists(t *testing.T) {
	reads := &sanctionReads{}
	const limit = 3
	s := servertest.Start(t, servertest.Options{Server: server.Config{RoleFor: servertest.Roles("mod"), SanctionsLimit: limit},
		WrapStore: func(st hubbub.Store) hubbub.Store { reads.Store = st; return reads }})
	banMany(t, s, "general", 30)
	mod := servertest.DialJSON(t, s, "mod")
	mod.Join("general", nil) // the room loads its sanctions, all of them, for its ban checks
	eve := servertest.DialJSON(t, s, "eve")
	eve.Join("general", nil)
	if got := moderate(mod, servertest.Frame{"type": "mute", "room": "general", "name": "eve", "duration": "1h"}); got.Type() != "moderated" {
		t.Fatalf("mute answered %v", got)
	}
	reads.rows.Store(0)
	f := membersPage(mod, "general")
	if got := reads.rows.Load(); got > limit+2 {
		t.Errorf("the members page read %d sanctions from the store, want at most %d", got, limit+2)
	}
	got := sanctionNames(f)
	if len(got) != limit || got[0] != "eve:mute" || got[1] != "spammer000:ban" || f["sanctions_more"] != true {
		t.Errorf("sanctions %q, sanctions_more %v; want eve's mute first, then the first bans by user id, and more", got, f["sanctions_more"])
	}
}
