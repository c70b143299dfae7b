package session_test

import (
	"fmt"
	"testing"
	"time"

	"hubbub"
	"hubbub/internal/server"
	"hubbub/internal/servertest"
)

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
	reads := &servertest.SanctionReads{}
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
	reads.Rows.Store(0)
	f := membersPage(mod, "general")
	if got := reads.Rows.Load(); got > limit+2 {
		t.Errorf("the members page read %d sanctions from the store, want at most %d", got, limit+2)
	}
	got := sanctionNames(f)
	if len(got) != limit || got[0] != "eve:mute" || got[1] != "spammer000:ban" || f["sanctions_more"] != true {
		t.Errorf("sanctions %q, sanctions_more %v; want eve's mute first, then the first bans by user id, and more", got, f["sanctions_more"])
	}
}
