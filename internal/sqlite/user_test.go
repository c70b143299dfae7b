package sqlite

import (
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"hubbub"
)

// code returns err's hubbub code, or "" for nil.
func code(err error) string {
	if err == nil {
		return ""
	}
	return hubbub.ErrorCode(err)
}

// TestUsers: names are unique by NameKey (a look-alike included), ids are the store's, and
// each way of finding a user finds the one stored.
func TestUsers(t *testing.T) {
	ctx := t.Context()
	s, _ := openTest(t, Options{})
	ann, err := s.CreateUser(ctx, hubbub.User{Name: "Ann", Kind: hubbub.UserAccount, Role: hubbub.RoleAdmin}, "hash")
	if err != nil || len(ann.ID) != 34 || ann.ID[:2] != "u_" || ann.Created.IsZero() {
		t.Fatalf("CreateUser = %+v, %v", ann, err)
	}
	for _, name := range []string{"ann", "ＡＮＮ", "\u0430nn"} { // case, width, a Cyrillic а
		if _, err := s.CreateUser(ctx, hubbub.User{Name: name, Kind: hubbub.UserAccount}, ""); code(err) != hubbub.ECodeNameTaken {
			t.Errorf("CreateUser(%q) = %v, want name_taken", name, err)
		}
		if u, found, err := s.UserByName(ctx, name); err != nil || !found || u != ann {
			t.Errorf("UserByName(%q) = %+v, %v, %v; want %+v", name, u, found, err, ann)
		}
	}
	if _, err := s.CreateUser(ctx, hubbub.User{Name: " bad", Kind: hubbub.UserAccount}, ""); code(err) != hubbub.ECodeBadName {
		t.Errorf("CreateUser of a bad name = %v", err)
	}
	if _, err := s.CreateUser(ctx, hubbub.User{Name: "x", Kind: hubbub.UserAccount, Role: "king"}, ""); code(err) != hubbub.ECodeBadField {
		t.Errorf("CreateUser of a bad role = %v", err)
	}
	if _, found, err := s.UserByName(ctx, "nobody"); found || err != nil {
		t.Errorf("UserByName(nobody) = %v, %v", found, err)
	}
	if u, found, err := s.UserByID(ctx, ann.ID); err != nil || !found || u != ann {
		t.Errorf("UserByID = %+v, %v, %v", u, found, err)
	}
	if h, err := s.PasswordHash(ctx, ann.ID); err != nil || h != "hash" {
		t.Errorf("PasswordHash = %q, %v", h, err)
	}
	if _, err := s.PasswordHash(ctx, "u_none"); code(err) != hubbub.ECodeNotFound {
		t.Errorf("PasswordHash of nobody = %v", err)
	}
	bob, _ := s.CreateUser(ctx, hubbub.User{Name: "bob", Kind: hubbub.UserAccount}, "")
	carol, _ := s.CreateUser(ctx, hubbub.User{Name: "carol", Kind: hubbub.UserAccount}, "")
	got, err := s.UsersByID(ctx, []string{carol.ID, "u_none", ann.ID})
	if err != nil || len(got) != 2 {
		t.Errorf("UsersByID = %+v, %v", got, err)
	}
	all, err := s.Users(ctx, "", 10)
	if err != nil || len(all) != 3 || !(all[0].ID < all[1].ID && all[1].ID < all[2].ID) {
		t.Fatalf("Users = %+v, %v", all, err)
	}
	if page, err := s.Users(ctx, all[0].ID, 1); err != nil || len(page) != 1 || page[0] != all[1] {
		t.Errorf("Users after the first = %+v, %v", page, err)
	}
	_ = bob
}

// TestUpdateUser: a rename keeps the id (and refuses a held name), a role, disabling (which
// ends the sessions), a password (which makes a guest an account and retires its key).
func TestUpdateUser(t *testing.T) {
	ctx := t.Context()
	s, _ := openTest(t, Options{})
	ann, _ := s.ClaimGuest(ctx, "ann", hubbub.SecretHash("ann's key"))
	bob, _ := s.CreateUser(ctx, hubbub.User{Name: "bob", Kind: hubbub.UserAccount}, "")
	name, role := "Bob", hubbub.RoleModerator
	if _, err := s.UpdateUser(ctx, ann.ID, hubbub.UserChange{Name: &name}); code(err) != hubbub.ECodeNameTaken {
		t.Errorf("rename to a held name = %v", err)
	}
	name = "anna"
	u, err := s.UpdateUser(ctx, ann.ID, hubbub.UserChange{Name: &name, Role: &role})
	if err != nil || u.ID != ann.ID || u.Name != "anna" || u.Role != role {
		t.Errorf("UpdateUser = %+v, %v", u, err)
	}
	if _, found, _ := s.UserByName(ctx, "ann"); found {
		t.Error("the old name still finds the user")
	}
	if _, err := s.UpdateUser(ctx, "u_none", hubbub.UserChange{Role: &role}); code(err) != hubbub.ECodeNotFound {
		t.Errorf("UpdateUser of nobody = %v", err)
	}
	hash := "$argon2id$…"
	u, err = s.UpdateUser(ctx, ann.ID, hubbub.UserChange{PasswordHash: &hash})
	if err != nil || u.Kind != hubbub.UserAccount {
		t.Errorf("a guest's password = %+v, %v", u, err)
	}
	if h, _ := s.PasswordHash(ctx, ann.ID); h != hash {
		t.Errorf("PasswordHash = %q", h)
	}
	// the key no longer signs ann in; the name stays hers
	if _, err := s.ClaimGuest(ctx, "anna", hubbub.SecretHash("ann's key")); code(err) != hubbub.ECodeNameTaken {
		t.Errorf("the old key under the account's name = %v", err)
	}
	if g, err := s.ClaimGuest(ctx, "newcomer", hubbub.SecretHash("ann's key")); err != nil || g.ID == ann.ID {
		t.Errorf("the old key under a new name = %+v, %v; want a new guest", g, err)
	}

	exp := time.Now().Add(time.Hour)
	for _, id := range []string{"s1", "s2"} {
		if err := s.CreateSession(ctx, hubbub.LoginSession{ID: id, User: bob.ID, Expires: exp}); err != nil {
			t.Fatal(err)
		}
	}
	off := true
	if u, err := s.UpdateUser(ctx, bob.ID, hubbub.UserChange{Disabled: &off}); err != nil || !u.Disabled {
		t.Errorf("disable = %+v, %v", u, err)
	}
	if n, err := s.DeleteSessions(ctx, bob.ID); err != nil || n != 0 {
		t.Errorf("sessions left after disabling = %d, %v", n, err)
	}
}

// TestClaimGuest: a key finds its guest, renames it, and never takes another's name; a second
// key cannot take a held name or its look-alike; a disabled guest is refused.
func TestClaimGuest(t *testing.T) {
	ctx := t.Context()
	s, _ := openTest(t, Options{})
	k1, k2 := hubbub.SecretHash("one"), hubbub.SecretHash("two")
	ann, err := s.ClaimGuest(ctx, "ann", k1)
	if err != nil || ann.Kind != hubbub.UserGuest || ann.Name != "ann" {
		t.Fatalf("first claim = %+v, %v", ann, err)
	}
	if again, err := s.ClaimGuest(ctx, "ann", k1); err != nil || again != ann {
		t.Errorf("claim again = %+v, %v", again, err)
	}
	for _, name := range []string{"ann", "ANN", "\u0430nn"} {
		if _, err := s.ClaimGuest(ctx, name, k2); code(err) != hubbub.ECodeNameTaken {
			t.Errorf("another key claiming %q = %v", name, err)
		}
	}
	bob, err := s.ClaimGuest(ctx, "bob", k2)
	if err != nil || bob.ID == ann.ID {
		t.Fatalf("bob = %+v, %v", bob, err)
	}
	if _, err := s.ClaimGuest(ctx, "bob", k1); code(err) != hubbub.ECodeNameTaken {
		t.Errorf("ann's key renaming to bob = %v", err)
	}
	renamed, err := s.ClaimGuest(ctx, "Annie", k1)
	if err != nil || renamed.ID != ann.ID || renamed.Name != "Annie" {
		t.Errorf("rename by claim = %+v, %v", renamed, err)
	}
	if _, err := s.ClaimGuest(ctx, "x", ""); code(err) != hubbub.ECodeMissing {
		t.Errorf("claim without a key = %v", err)
	}
	off := true
	if _, err := s.UpdateUser(ctx, bob.ID, hubbub.UserChange{Disabled: &off}); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"bob", "bobby"} {
		if _, err := s.ClaimGuest(ctx, name, k2); code(err) != hubbub.ECodeForbidden {
			t.Errorf("a disabled guest claiming %q = %v", name, err)
		}
	}
}

// TestNameRace: two processes (two Stores on one file) creating the same name at once get one
// winner; the other is told the name is taken.
func TestNameRace(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "hubbub.db")
	stores := []*Store{openAt(t, path, Options{}), openAt(t, path, Options{})}
	for round := range 20 {
		name := fmt.Sprintf("racer%02d", round) // digits: names of letters may collide (i and l are one letter in a key)
		var wg sync.WaitGroup
		errs := make([]error, 4)
		for i := range errs {
			wg.Go(func() {
				s := stores[i%2]
				if i < 2 {
					_, errs[i] = s.ClaimGuest(ctx, name, hubbub.SecretHash(name+string(rune('0'+i))))
				} else {
					_, errs[i] = s.CreateUser(ctx, hubbub.User{Name: name, Kind: hubbub.UserAccount}, "")
				}
			})
		}
		wg.Wait()
		won := 0
		for _, err := range errs {
			switch {
			case err == nil:
				won++
			case code(err) != hubbub.ECodeNameTaken:
				t.Errorf("round %d: %v", round, err)
			}
		}
		if won != 1 {
			t.Errorf("round %d: %d winners (%v)", round, won, errs)
		}
	}
}

// TestExternalUser: a token's user is created once per issuer and subject, follows the
// token's name when it is free and keeps its own when not, and takes the token's role.
func TestExternalUser(t *testing.T) {
	ctx := t.Context()
	s, _ := openTest(t, Options{})
	u, err := s.ExternalUser(ctx, "https://idp", "sub-1", "ann", "")
	if err != nil || u.Kind != hubbub.UserApp || u.Name != "ann" {
		t.Fatalf("first sight = %+v, %v", u, err)
	}
	if again, err := s.ExternalUser(ctx, "https://idp", "sub-1", "ann", ""); err != nil || again != u {
		t.Errorf("again = %+v, %v", again, err)
	}
	other, err := s.ExternalUser(ctx, "", "sub-1", "bob", "")
	if err != nil || other.ID == u.ID {
		t.Errorf("another issuer's subject = %+v, %v", other, err)
	}
	if _, err := s.ExternalUser(ctx, "https://idp", "sub-2", "Bob", ""); code(err) != hubbub.ECodeNameTaken {
		t.Errorf("a new user under a held name = %v", err)
	}
	kept, err := s.ExternalUser(ctx, "https://idp", "sub-1", "BOB", hubbub.RoleModerator)
	if err != nil || kept.ID != u.ID || kept.Name != "ann" || kept.Role != hubbub.RoleModerator {
		t.Errorf("a held name in the token = %+v, %v; want ann, moderator", kept, err)
	}
	renamed, err := s.ExternalUser(ctx, "https://idp", "sub-1", "Ann B", hubbub.RoleModerator)
	if err != nil || renamed.ID != u.ID || renamed.Name != "Ann B" {
		t.Errorf("a free name in the token = %+v, %v", renamed, err)
	}
}

// TestSessions: a session is found with its user until it expires, its user is disabled, or
// it is signed out; signing out everywhere counts the live ones.
func TestSessions(t *testing.T) {
	ctx := t.Context()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	s, _ := openTest(t, Options{Now: func() time.Time { return now }})
	ann, _ := s.CreateUser(ctx, hubbub.User{Name: "ann", Kind: hubbub.UserAccount}, "h")
	for _, ls := range []hubbub.LoginSession{
		{ID: "a", User: ann.ID, Created: now, Expires: now.Add(time.Hour)},
		{ID: "b", User: ann.ID, Created: now, Expires: now.Add(time.Minute)},
		{ID: "old", User: ann.ID, Created: now.Add(-time.Hour), Expires: now.Add(-time.Second)},
	} {
		if err := s.CreateSession(ctx, ls); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.CreateSession(ctx, hubbub.LoginSession{ID: "a", User: ann.ID, Expires: now.Add(time.Hour)}); code(err) != hubbub.ECodeExists {
		t.Errorf("a second session a = %v", err)
	}
	if err := s.CreateSession(ctx, hubbub.LoginSession{ID: "z", User: "u_none", Expires: now.Add(time.Hour)}); code(err) != hubbub.ECodeNotFound {
		t.Errorf("a session of nobody = %v", err)
	}
	ls, u, found, err := s.Session(ctx, "a")
	if err != nil || !found || u != ann || ls.User != ann.ID || !ls.Expires.Equal(now.Add(time.Hour)) || !ls.Created.Equal(now) {
		t.Errorf("Session(a) = %+v, %+v, %v, %v", ls, u, found, err)
	}
	if _, _, found, err := s.Session(ctx, "old"); found || err != nil {
		t.Errorf("an expired session = %v, %v", found, err)
	}
	if err := s.DeleteSession(ctx, "b"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteSession(ctx, "b"); err != nil {
		t.Errorf("deleting again = %v", err)
	}
	if _, _, found, _ := s.Session(ctx, "b"); found {
		t.Error("a signed-out session is found")
	}
	if n, err := s.DeleteSessions(ctx, ann.ID); err != nil || n != 1 {
		t.Errorf("DeleteSessions = %d, %v; want 1 (a; b signed out, old expired)", n, err)
	}
	if _, _, found, _ := s.Session(ctx, "a"); found {
		t.Error("a session survives sign-out everywhere")
	}
	// a disabled user's session is not found
	if err := s.CreateSession(ctx, hubbub.LoginSession{ID: "c", User: ann.ID, Expires: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	off := true
	if _, err := s.UpdateUser(ctx, ann.ID, hubbub.UserChange{Disabled: &off}); err != nil {
		t.Fatal(err)
	}
	if _, _, found, _ := s.Session(ctx, "c"); found {
		t.Error("a disabled user's session is found")
	}
	// last seen only moves forward
	if err := s.SeenAt(ctx, ann.ID, now); err != nil {
		t.Fatal(err)
	}
	if err := s.SeenAt(ctx, ann.ID, now.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := s.SeenAt(ctx, "anon:x", now); err != nil {
		t.Errorf("SeenAt of an unstored user = %v", err)
	}
	if u, _, _ := s.UserByID(ctx, ann.ID); !u.LastSeen.Equal(now) {
		t.Errorf("LastSeen = %v, want %v", u.LastSeen, now)
	}
}

// TestInvites: an invite creates one account, once, also when redeemed twice at once; an
// expired one none; a held name leaves the invite usable.
func TestInvites(t *testing.T) {
	ctx := t.Context()
	s, _ := openTest(t, Options{})
	admin, _ := s.CreateUser(ctx, hubbub.User{Name: "admin", Kind: hubbub.UserAccount, Role: hubbub.RoleAdmin}, "h")
	exp := time.Now().Add(time.Hour)
	for _, inv := range []hubbub.Invite{
		{ID: "i1", By: admin.ID, Role: hubbub.RoleModerator, Expires: exp},
		{ID: "gone", By: admin.ID, Expires: time.Now().Add(-time.Minute)},
	} {
		if err := s.CreateInvite(ctx, inv); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.RedeemInvite(ctx, "i1", hubbub.User{Name: "Admin"}, "h"); code(err) != hubbub.ECodeNameTaken {
		t.Errorf("redeem under a held name = %v", err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var won []hubbub.User
	var errs []error
	for i := range 2 {
		wg.Go(func() {
			u, err := s.RedeemInvite(ctx, "i1", hubbub.User{Name: "mod" + string(rune('0'+i))}, "h")
			mu.Lock()
			defer mu.Unlock()
			if err == nil {
				won = append(won, u)
			} else {
				errs = append(errs, err)
			}
		})
	}
	wg.Wait()
	if len(won) != 1 || len(errs) != 1 || code(errs[0]) != hubbub.ECodeNotFound {
		t.Fatalf("two redeems: %+v, %v", won, errs)
	}
	if u := won[0]; u.Kind != hubbub.UserAccount || u.Role != hubbub.RoleModerator {
		t.Errorf("the invited account = %+v", u)
	}
	if h, _ := s.PasswordHash(ctx, won[0].ID); h != "h" {
		t.Errorf("its password hash = %q", h)
	}
	if _, err := s.RedeemInvite(ctx, "gone", hubbub.User{Name: "late"}, "h"); code(err) != hubbub.ECodeNotFound {
		t.Errorf("an expired invite = %v", err)
	}
	if err := s.CreateInvite(ctx, hubbub.Invite{ID: "i2", Role: "king", Expires: exp}); code(err) != hubbub.ECodeBadField {
		t.Errorf("an invite with a bad role = %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ClaimGuest(ctx, "x", "k"); !errors.Is(err, ErrClosed) {
		t.Errorf("after Close = %v", err)
	}
}
