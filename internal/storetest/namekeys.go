package storetest

import (
	"bytes"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mtibben/confusables"
	"golang.org/x/text/secure/precis"

	"hubbub"
)

// testNamesIgnoreCase: once "alice" is held, no case of it and no look-alike that differs
// from it only in case (ALICE's I looks like l) can be created, by any way a user is made,
// and each finds alice. The key before schema step 15 let "ALICE" be a second user.
func testNamesIgnoreCase(t *testing.T, open opener) {
	us := open(t, hubbub.Retention{})
	ctx := t.Context()
	alice := newUser(t, us, "alice")
	for _, name := range []string{"ALICE", "Alice", "ALlCE", "aLiCe", "allce"} {
		_, err := us.CreateUser(ctx, hubbub.User{Name: name, Kind: hubbub.UserAccount}, "")
		wantCode(t, "CreateUser("+name+") while alice holds the name", err, hubbub.ECodeNameTaken)
		_, err = us.ClaimGuest(ctx, name, "key-of-"+name)
		wantCode(t, "ClaimGuest("+name+") while alice holds the name", err, hubbub.ECodeNameTaken)
		if got, found := userByName(t, us, name); !found || got.ID != alice.ID {
			t.Errorf("UserByName(%q) = %+v, %v; want alice", name, got, found)
		}
	}
	bob := newUser(t, us, "bob")
	_, err := us.UpdateUser(ctx, bob.ID, hubbub.UserChange{Name: new("ALICE")})
	wantCode(t, "renaming bob to ALICE", err, hubbub.ECodeNameTaken)
	// Her own name in another case is still hers.
	if u := rename(t, us, alice.ID, "Alice"); u.Name != "Alice" {
		t.Errorf("alice renamed herself Alice: %+v", u)
	}
}

// OldNameKey is hubbub.NameKey as it was before schema step 15 (sqlstore.NameKeysVersion):
// skeleton, PRECIS fold, skeleton, under which "ALICE" was "allce" and "alice" "alice". The
// stores' upgrade tests write databases as a build of then did.
func OldNameKey(name string) string {
	parts := strings.Fields(confusables.Skeleton(name))
	for i, p := range parts {
		if k, err := precis.UsernameCaseMapped.String(p); err == nil {
			parts[i] = k
		} else if k, err := precis.Nickname.CompareKey(p); err == nil {
			parts[i] = k
		} else {
			parts[i] = strings.ToLower(p)
		}
	}
	return confusables.Skeleton(strings.Join(parts, " "))
}

// OldUsers are the users an upgrade test writes with OldNameKey, oldest first: under the old
// key "alice" and "ALICE" were two users, and "Ian" held "lan".
var OldUsers = []string{"alice", "ALICE", "Ian"}

// CheckUpgradedNames checks a store opened on a database that held OldUsers (ids, in that
// order) under their old keys, log being what the store logged while it opened: nobody lost
// an account — each is found by its exact name, alice (the older) by every case of hers —, no
// new look-alike of alice can be created, once alice renames herself ALICE holds the name, and
// a warning named ALICE and alice.
//
// The anonymous users' sanctions OldAnonSanctions wrote are under their ids of today: two
// bans of one user now ("alice" and "ALICE") are one, the later.
func CheckUpgradedNames(t *testing.T, us hubbub.Store, ids []string, log string) {
	t.Helper()
	ctx := t.Context()
	for i, name := range OldUsers {
		if got, found := userByName(t, us, name); !found || got.ID != ids[i] || got.Name != name {
			t.Errorf("UserByName(%q) = %+v, %v; want %s", name, got, found, ids[i])
		}
		if h, err := us.PasswordHash(ctx, ids[i]); err != nil || h != "hash-of-"+name {
			t.Errorf("PasswordHash(%s) = %q, %v", name, h, err)
		}
	}
	for _, name := range []string{"Alice", "aLiCe", "ALlCE"} {
		if got, found := userByName(t, us, name); !found || got.ID != ids[0] {
			t.Errorf("UserByName(%q) = %+v, %v; want alice, the older", name, got, found)
		}
		_, err := us.CreateUser(ctx, hubbub.User{Name: name, Kind: hubbub.UserAccount}, "")
		wantCode(t, "CreateUser("+name+") after the upgrade", err, hubbub.ECodeNameTaken)
	}
	if got, found := userByName(t, us, "ian"); !found || got.ID != ids[2] {
		t.Errorf("UserByName(ian) = %+v, %v; want Ian (case no longer matters)", got, found)
	}
	_, err := us.CreateUser(ctx, hubbub.User{Name: "IAN", Kind: hubbub.UserAccount}, "")
	wantCode(t, "CreateUser(IAN) after the upgrade", err, hubbub.ECodeNameTaken)
	// A mention or a DM looks a room's members up by name: ALICE, kept apart, is found by her
	// exact name as UserByName finds her, and every other spelling finds alice.
	for _, id := range ids[:2] {
		if _, err := us.JoinRoom(ctx, "held", id); err != nil {
			t.Fatal(err)
		}
	}
	for names, want := range map[string]string{"ALICE": ids[1], "alice": ids[0], "Alice": ids[0], "aLiCe": ids[0]} {
		got, err := us.MembersNamed(ctx, "held", []string{names})
		if err != nil {
			t.Fatalf("MembersNamed(held, %s): %v", names, err)
		}
		if !slices.ContainsFunc(got, func(m hubbub.Membership) bool { return m.User == want }) {
			t.Errorf("MembersNamed(held, %s) = %+v; want %s among them", names, got, want)
		}
	}
	if got, err := us.MembersNamed(ctx, "held", []string{"Alice"}); err != nil || len(got) != 1 {
		t.Errorf("MembersNamed(held, Alice) = %+v, %v; want alice alone (ALICE only by her exact name)", got, err)
	}
	// Renamed, alice frees her name: ALICE, who was kept apart, takes it, so that no new user
	// can take a look-alike of ALICE's name.
	rename(t, us, ids[0], "alice2")
	for _, name := range []string{"ALICE", "Alice", "aLiCe"} {
		if got, found := userByName(t, us, name); !found || got.ID != ids[1] {
			t.Errorf("UserByName(%q) after alice's rename = %+v, %v; want ALICE", name, got, found)
		}
		_, err := us.CreateUser(ctx, hubbub.User{Name: name, Kind: hubbub.UserAccount}, "")
		wantCode(t, "CreateUser("+name+") after alice's rename", err, hubbub.ECodeNameTaken)
	}
	checkAnonSanctions(t, us)
	if !strings.Contains(log, "level=WARN") || !strings.Contains(log, ids[0]) || !strings.Contains(log, ids[1]) ||
		!strings.Contains(log, `name=alice`) || !strings.Contains(log, `other_name=ALICE`) {
		t.Errorf("no warning naming alice and ALICE and their ids in the log:\n%s", log)
	}
}

// OldAnonSanctions are anonymous users' sanctions as a build before step 15 stored them, under
// "anon:" and the old key of their names, ending after now.
func OldAnonSanctions(now time.Time) []hubbub.Sanction {
	at := func(room, name string, kind hubbub.SanctionKind, h int) hubbub.Sanction {
		return hubbub.Sanction{Room: room, User: hubbub.AnonymousPrefix + OldNameKey(name), Name: name, Kind: kind,
			Until: now.Add(time.Duration(h) * time.Hour).Truncate(time.Millisecond).UTC(), By: "mod", Reason: "old " + name}
	}
	return []hubbub.Sanction{
		at("r", "alice", hubbub.SanctionBan, 1), // anon:alice, today anon:allce
		at("r", "ALICE", hubbub.SanctionBan, 2), // anon:allce already: the two are one ban, the later
		at("r", "Ian", hubbub.SanctionMute, 1),  // anon:lan, unchanged
		at("q", "ian", hubbub.SanctionBan, 3),   // anon:ian, today anon:lan
	}
}

// checkAnonSanctions checks the sanctions of OldAnonSanctions after the upgrade.
func checkAnonSanctions(t *testing.T, s hubbub.Store) {
	t.Helper()
	want := map[string][]string{ // room → "kind user name reason"
		"r": {"ban " + anonID(t, "alice") + " ALICE old ALICE", "mute " + anonID(t, "Ian") + " Ian old Ian"},
		"q": {"ban " + anonID(t, "ian") + " ian old ian"},
	}
	for room, w := range want {
		list, err := s.Sanctions(t.Context(), room)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, x := range list {
			got = append(got, string(x.Kind)+" "+x.User+" "+x.Name+" "+x.Reason)
		}
		slices.Sort(got)
		if !slices.Equal(got, w) {
			t.Errorf("sanctions of %s after the upgrade = %q, want %q", room, got, w)
		}
	}
}

func anonID(t *testing.T, name string) string { return hubbub.AnonymousUserID(mustKey(t, name)) }

// LogBuffer is a log destination a test reads back; safe for concurrent writes.
type LogBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write appends p.
func (b *LogBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns what was written.
func (b *LogBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
