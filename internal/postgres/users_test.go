package postgres

import (
	"fmt"
	"regexp"
	"sync"
	"testing"
	"time"

	"hubbub"
)

// wantCode fails t unless err carries code.
func wantCode(t *testing.T, what string, err error, code string) {
	t.Helper()
	if got := hubbub.ErrorCode(err); err == nil || got != code {
		t.Errorf("%s: %v (%s), want %s", what, err, got, code)
	}
}

// TestUsers: names are unique by NameKey (a look-alike and another case are the holder's),
// ids look as promised, and a user reads back the same by id, by name, in a page and by ids.
func TestUsers(t *testing.T) {
	s, _ := openTest(t, Options{})
	ctx := t.Context()
	ann, err := s.CreateUser(ctx, hubbub.User{Name: "ann", Kind: hubbub.UserAccount, Role: hubbub.RoleAdmin}, "hash")
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^u_[0-9a-f]{32}$`).MatchString(ann.ID) || ann.Created.IsZero() || ann.Created.Location() != time.UTC {
		t.Errorf("created %+v", ann)
	}
	for _, name := range []string{"ann", "ANN", "аnn", "Ａnn"} { // Cyrillic а, full-width Ａ
		_, err := s.CreateUser(ctx, hubbub.User{Name: name, Kind: hubbub.UserAccount}, "")
		wantCode(t, "CreateUser "+name, err, hubbub.ECodeNameTaken)
		u, found, err := s.UserByName(ctx, name)
		if err != nil || !found || u != ann {
			t.Errorf("UserByName(%q) = %+v, %v, %v; want %+v", name, u, found, err, ann)
		}
	}
	_, err = s.CreateUser(ctx, hubbub.User{Name: "", Kind: hubbub.UserAccount}, "")
	wantCode(t, "CreateUser of an empty name", err, hubbub.ECodeBadName)
	_, err = s.CreateUser(ctx, hubbub.User{Name: "bob", Kind: hubbub.UserAccount, Role: "king"}, "")
	wantCode(t, "CreateUser with an unknown role", err, hubbub.ECodeBadField)
	if _, found, err := s.UserByName(ctx, "nobody"); found || err != nil {
		t.Errorf("UserByName(nobody) = %v, %v", found, err)
	}
	if _, found, err := s.UserByName(ctx, " bad "); found || err != nil {
		t.Errorf("UserByName of a name no one may take = %v, %v", found, err)
	}
	if u, found, err := s.UserByID(ctx, ann.ID); !found || err != nil || u != ann {
		t.Errorf("UserByID = %+v, %v, %v", u, found, err)
	}
	if h, err := s.PasswordHash(ctx, ann.ID); h != "hash" || err != nil {
		t.Errorf("PasswordHash = %q, %v", h, err)
	}
	_, err = s.PasswordHash(ctx, "u_nobody")
	wantCode(t, "PasswordHash of nobody", err, hubbub.ECodeNotFound)

	var ids []string
	for i := range 5 {
		u, err := s.CreateUser(ctx, hubbub.User{Name: fmt.Sprint("user", i), Kind: hubbub.UserAccount}, "")
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, u.ID)
	}
	var paged []string
	for after := ""; ; {
		page, err := s.Users(ctx, after, 2)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		for _, u := range page {
			if u.ID <= after {
				t.Fatalf("page after %q holds %q", after, u.ID)
			}
			paged, after = append(paged, u.ID), u.ID
		}
	}
	if len(paged) != 6 {
		t.Errorf("paged %d users, want 6", len(paged))
	}
	got, err := s.UsersByID(ctx, append(ids[:2:2], "u_nobody", ann.ID))
	if err != nil || len(got) != 3 {
		t.Errorf("UsersByID = %+v, %v; want 3 users", got, err)
	}
}

// TestClaimGuest: a key is one guest, who may change name; a name is one user's; a disabled
// guest is refused; a guest that set a password is no longer found by its key.
func TestClaimGuest(t *testing.T) {
	s, _ := openTest(t, Options{})
	ctx := t.Context()
	key1, key2 := hubbub.SecretHash("key one"), hubbub.SecretHash("key two")
	ann, err := s.ClaimGuest(ctx, "ann", key1)
	if err != nil || ann.Kind != hubbub.UserGuest || ann.Name != "ann" {
		t.Fatalf("ClaimGuest = %+v, %v", ann, err)
	}
	if again, err := s.ClaimGuest(ctx, "ann", key1); err != nil || again != ann {
		t.Errorf("the same key again = %+v, %v; want %+v", again, err, ann)
	}
	_, err = s.ClaimGuest(ctx, "Ann", key2)
	wantCode(t, "another key for ann", err, hubbub.ECodeNameTaken)
	_, err = s.ClaimGuest(ctx, "аnn", key2) // Cyrillic а
	wantCode(t, "another key for a look-alike of ann", err, hubbub.ECodeNameTaken)

	renamed, err := s.ClaimGuest(ctx, "annie", key1)
	if err != nil || renamed.ID != ann.ID || renamed.Name != "annie" {
		t.Fatalf("rename by key = %+v, %v", renamed, err)
	}
	bob, err := s.ClaimGuest(ctx, "ann", key2) // the name is free again
	if err != nil || bob.ID == ann.ID {
		t.Fatalf("claim of a freed name = %+v, %v", bob, err)
	}
	_, err = s.ClaimGuest(ctx, "ann", key1)
	wantCode(t, "renaming back to a name now held", err, hubbub.ECodeNameTaken)

	disabled := true
	if _, err := s.UpdateUser(ctx, bob.ID, hubbub.UserChange{Disabled: &disabled}); err != nil {
		t.Fatal(err)
	}
	_, err = s.ClaimGuest(ctx, "ann", key2)
	wantCode(t, "a disabled guest", err, hubbub.ECodeForbidden)

	hash := "$argon2id$stand-in"
	acct, err := s.UpdateUser(ctx, ann.ID, hubbub.UserChange{PasswordHash: &hash})
	if err != nil || acct.Kind != hubbub.UserAccount || acct.ID != ann.ID || acct.Name != "annie" {
		t.Fatalf("setting a guest's password = %+v, %v", acct, err)
	}
	_, err = s.ClaimGuest(ctx, "annie", key1)
	wantCode(t, "an account's old key", err, hubbub.ECodeNameTaken)
	if h, err := s.PasswordHash(ctx, ann.ID); h != hash || err != nil {
		t.Errorf("PasswordHash = %q, %v", h, err)
	}
}

// TestClaimRaces: nodes claiming one name with different keys at once leave it one user's
// (the others ECodeNameTaken), and claims of one new key at once all get the same user.
func TestClaimRaces(t *testing.T) {
	u := emptySchemas.Schema(t)
	nodes := []*Store{openAt(t, u, Options{}), openAt(t, u, Options{})}
	const racers = 8
	for round := range 5 {
		name := fmt.Sprint("racer", round)
		var (
			wg      sync.WaitGroup
			mu      sync.Mutex
			winners []hubbub.User
			taken   int
			sameKey = map[string]bool{}
		)
		for i := range racers {
			s := nodes[i%2]
			wg.Go(func() {
				u, err := s.ClaimGuest(t.Context(), name, hubbub.SecretHash(fmt.Sprint(round, "/", i)))
				u2, err2 := s.ClaimGuest(t.Context(), "same"+name, hubbub.SecretHash(fmt.Sprint("shared", round)))
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					winners = append(winners, u)
				case hubbub.ErrorCode(err) == hubbub.ECodeNameTaken:
					taken++
				default:
					t.Errorf("claim: %v", err)
				}
				if err2 != nil {
					t.Errorf("claim of a shared key: %v", err2)
				} else {
					sameKey[u2.ID] = true
				}
			})
		}
		wg.Wait()
		if len(winners) != 1 || taken != racers-1 {
			t.Errorf("round %d: %d claims won, %d refused; want 1 and %d", round, len(winners), taken, racers-1)
		}
		if len(sameKey) != 1 {
			t.Errorf("round %d: one key made %d users", round, len(sameKey))
		}
	}
}

// TestExternalUser: an issuer's subject is one user, created on first sight; its name follows
// the token's when free and stays when taken, its role follows the token's; a new user's taken
// name is refused.
func TestExternalUser(t *testing.T) {
	s, _ := openTest(t, Options{})
	ctx := t.Context()
	app, err := s.ExternalUser(ctx, "", "sub-1", "carol", hubbub.RoleMember)
	if err != nil || app.Kind != hubbub.UserApp || app.Name != "carol" {
		t.Fatalf("ExternalUser = %+v, %v", app, err)
	}
	other, err := s.ExternalUser(ctx, "https://idp.example", "sub-1", "carol2", "")
	if err != nil || other.ID == app.ID {
		t.Fatalf("another issuer's subject = %+v, %v", other, err)
	}
	again, err := s.ExternalUser(ctx, "", "sub-1", "caroline", hubbub.RoleModerator)
	if err != nil || again.ID != app.ID || again.Name != "caroline" || again.Role != hubbub.RoleModerator {
		t.Errorf("renamed and promoted = %+v, %v", again, err)
	}
	kept, err := s.ExternalUser(ctx, "", "sub-1", "carol2", hubbub.RoleModerator)
	if err != nil || kept.ID != app.ID || kept.Name != "caroline" {
		t.Errorf("a taken name keeps the stored one: %+v, %v", kept, err)
	}
	_, err = s.ExternalUser(ctx, "", "sub-2", "Carol2", "")
	wantCode(t, "a new user with a taken name", err, hubbub.ECodeNameTaken)

	var wg sync.WaitGroup
	ids := make([]string, 6)
	for i := range ids {
		wg.Go(func() {
			u, err := s.ExternalUser(ctx, "iss", "racer", "racer", "")
			if err != nil {
				t.Errorf("racing ExternalUser: %v", err)
			}
			ids[i] = u.ID
		})
	}
	wg.Wait()
	for _, id := range ids {
		if id != ids[0] {
			t.Fatalf("one subject made users %v", ids)
		}
	}
}

// TestUpdateUser: each field of a change, a rename to a taken name refused atomically, an
// unknown id refused, SeenAt only forward.
func TestUpdateUser(t *testing.T) {
	s, _ := openTest(t, Options{})
	ctx := t.Context()
	ann, _ := s.CreateUser(ctx, hubbub.User{Name: "ann", Kind: hubbub.UserAccount}, "")
	if _, err := s.CreateUser(ctx, hubbub.User{Name: "bob", Kind: hubbub.UserAccount}, ""); err != nil {
		t.Fatal(err)
	}
	name, role := "Bob", hubbub.RoleModerator
	_, err := s.UpdateUser(ctx, ann.ID, hubbub.UserChange{Name: &name, Role: &role})
	wantCode(t, "rename to a taken name", err, hubbub.ECodeNameTaken)
	if u, _, _ := s.UserByID(ctx, ann.ID); u.Role != "" || u.Name != "ann" {
		t.Errorf("a refused change changed %+v", u)
	}
	name = "Ann"
	u, err := s.UpdateUser(ctx, ann.ID, hubbub.UserChange{Name: &name, Role: &role})
	if err != nil || u.Name != "Ann" || u.Role != role {
		t.Errorf("rename and role = %+v, %v", u, err)
	}
	if got, _, _ := s.UserByName(ctx, "ann"); got.ID != ann.ID || got.Name != "Ann" {
		t.Errorf("by the old spelling: %+v", got)
	}
	_, err = s.UpdateUser(ctx, "u_nobody", hubbub.UserChange{Role: &role})
	wantCode(t, "UpdateUser of nobody", err, hubbub.ECodeNotFound)

	at := time.Date(2026, 1, 2, 3, 4, 5, 6_000_000, time.UTC)
	for _, t2 := range []time.Time{at, at.Add(-time.Hour)} {
		if err := s.SeenAt(ctx, ann.ID, t2); err != nil {
			t.Fatal(err)
		}
	}
	if got, _, _ := s.UserByID(ctx, ann.ID); !got.LastSeen.Equal(at) {
		t.Errorf("LastSeen = %v, want %v", got.LastSeen, at)
	}
	if err := s.SeenAt(ctx, "anon:ann", at); err != nil {
		t.Errorf("SeenAt of an unstored user: %v", err)
	}
}

// TestSessions: a session reads back with its user until it expires, its user is disabled or
// it is deleted; DeleteSessions ends them all and counts them.
func TestSessions(t *testing.T) {
	s, _ := openTest(t, Options{})
	ctx := t.Context()
	ann, _ := s.CreateUser(ctx, hubbub.User{Name: "ann", Kind: hubbub.UserAccount}, "")
	now := time.Now().UTC().Truncate(time.Millisecond)
	live := hubbub.LoginSession{ID: hubbub.SecretHash("c1"), User: ann.ID, Created: now, Expires: now.Add(time.Hour)}
	for _, ls := range []hubbub.LoginSession{
		live,
		{ID: hubbub.SecretHash("c2"), User: ann.ID, Created: now, Expires: now.Add(time.Hour)},
		{ID: hubbub.SecretHash("old"), User: ann.ID, Created: now.Add(-2 * time.Hour), Expires: now.Add(-time.Hour)},
	} {
		if err := s.CreateSession(ctx, ls); err != nil {
			t.Fatal(err)
		}
	}
	err := s.CreateSession(ctx, hubbub.LoginSession{ID: "x", User: "u_nobody", Expires: now.Add(time.Hour)})
	wantCode(t, "a session of nobody", err, hubbub.ECodeNotFound)
	got, u, found, err := s.Session(ctx, live.ID)
	if err != nil || !found || got != live || u.ID != ann.ID {
		t.Errorf("Session = %+v, %+v, %v, %v; want %+v", got, u, found, err, live)
	}
	if _, _, found, _ := s.Session(ctx, hubbub.SecretHash("old")); found {
		t.Error("an expired session was found")
	}
	if err := s.DeleteSession(ctx, hubbub.SecretHash("c2")); err != nil {
		t.Fatal(err)
	}
	if _, _, found, _ := s.Session(ctx, hubbub.SecretHash("c2")); found {
		t.Error("a deleted session was found")
	}
	if err := s.DeleteSession(ctx, "unknown"); err != nil {
		t.Errorf("deleting an unknown session: %v", err)
	}
	if n, err := s.DeleteSessions(ctx, ann.ID); n != 2 || err != nil { // live and old
		t.Errorf("DeleteSessions = %d, %v; want 2", n, err)
	}
	if _, _, found, _ := s.Session(ctx, live.ID); found {
		t.Error("a session survived DeleteSessions")
	}

	if err := s.CreateSession(ctx, live); err != nil {
		t.Fatal(err)
	}
	disabled := true
	if _, err := s.UpdateUser(ctx, ann.ID, hubbub.UserChange{Disabled: &disabled}); err != nil {
		t.Fatal(err)
	}
	if _, _, found, _ := s.Session(ctx, live.ID); found {
		t.Error("a disabled user's session was found")
	}
	if n, _ := s.DeleteSessions(ctx, ann.ID); n != 0 {
		t.Errorf("disabling left %d sessions", n)
	}
}

// TestInvites: an invite creates one account with its role, once, also when redeemed at once
// from two nodes; a taken name leaves it unused; an expired one is refused.
func TestInvites(t *testing.T) {
	u := emptySchemas.Schema(t)
	nodes := []*Store{openAt(t, u, Options{}), openAt(t, u, Options{})}
	s, ctx := nodes[0], t.Context()
	admin, _ := s.CreateUser(ctx, hubbub.User{Name: "admin", Kind: hubbub.UserAccount, Role: hubbub.RoleAdmin}, "")
	inv := hubbub.Invite{ID: hubbub.SecretHash("code"), By: admin.ID, Role: hubbub.RoleModerator, Expires: time.Now().Add(time.Hour)}
	if err := s.CreateInvite(ctx, inv); err != nil {
		t.Fatal(err)
	}
	_, err := s.RedeemInvite(ctx, inv.ID, hubbub.User{Name: "Admin"}, "h")
	wantCode(t, "redeem with a taken name", err, hubbub.ECodeNameTaken)

	var wg sync.WaitGroup
	var mu sync.Mutex
	var won []hubbub.User
	for i := range 6 {
		wg.Go(func() {
			acct, err := nodes[i%2].RedeemInvite(ctx, inv.ID, hubbub.User{Name: fmt.Sprint("new", i)}, "h")
			if err != nil {
				if hubbub.ErrorCode(err) != hubbub.ECodeNotFound {
					t.Errorf("redeem %d: %v", i, err)
				}
				return
			}
			mu.Lock()
			won = append(won, acct)
			mu.Unlock()
		})
	}
	wg.Wait()
	if len(won) != 1 || won[0].Role != hubbub.RoleModerator || won[0].Kind != hubbub.UserAccount {
		t.Fatalf("redeemed at once: %+v, want one moderator account", won)
	}
	if h, _ := s.PasswordHash(ctx, won[0].ID); h != "h" {
		t.Errorf("the account's password hash is %q", h)
	}

	old := hubbub.Invite{ID: hubbub.SecretHash("old"), By: admin.ID, Expires: time.Now().Add(-time.Minute)}
	if err := s.CreateInvite(ctx, old); err != nil {
		t.Fatal(err)
	}
	_, err = s.RedeemInvite(ctx, old.ID, hubbub.User{Name: "late"}, "h")
	wantCode(t, "an expired invite", err, hubbub.ECodeNotFound)
	_, err = s.RedeemInvite(ctx, "unknown", hubbub.User{Name: "late"}, "h")
	wantCode(t, "an unknown invite", err, hubbub.ECodeNotFound)
}
