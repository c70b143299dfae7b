package storetest

import (
	"regexp"
	"slices"
	"sync"
	"testing"
	"time"

	"hubbub"
)

// newUser stores an account named name and fails t unless that works.
func newUser(t testing.TB, us hubbub.UserStore, name string) hubbub.User {
	t.Helper()
	u, err := us.CreateUser(t.Context(), hubbub.User{Name: name, Kind: hubbub.UserAccount, Role: hubbub.RoleMember}, "")
	if err != nil {
		t.Fatalf("CreateUser(%q): %v", name, err)
	}
	return u
}

// rename renames user id to name and fails t unless that works.
func rename(t testing.TB, us hubbub.UserStore, id, name string) hubbub.User {
	t.Helper()
	u, err := us.UpdateUser(t.Context(), id, hubbub.UserChange{Name: &name})
	if err != nil {
		t.Fatalf("renaming %s to %q: %v", id, name, err)
	}
	return u
}

// wantCode fails t unless err carries code.
func wantCode(t testing.TB, what string, err error, code string) {
	t.Helper()
	if err == nil {
		t.Errorf("%s succeeded, want a %s error", what, code)
	} else if got := hubbub.ErrorCode(err); got != code {
		t.Errorf("%s: error %q with code %s, want code %s", what, err, got, code)
	}
}

// userByName and userByID call the store and fail t on error.
func userByName(t testing.TB, us hubbub.UserStore, name string) (hubbub.User, bool) {
	t.Helper()
	u, found, err := us.UserByName(t.Context(), name)
	if err != nil {
		t.Fatalf("UserByName(%q): %v", name, err)
	}
	return u, found
}

func userByID(t testing.TB, us hubbub.UserStore, id string) (hubbub.User, bool) {
	t.Helper()
	u, found, err := us.UserByID(t.Context(), id)
	if err != nil {
		t.Fatalf("UserByID(%q): %v", id, err)
	}
	return u, found
}

// sameUser reports how a differs from b, or "" if they are the same stored user (times equal
// to the instant and in UTC).
func sameUser(a, b hubbub.User) string {
	for _, ts := range [][2]time.Time{{a.Created, b.Created}, {a.LastSeen, b.LastSeen}} {
		if !ts[0].Equal(ts[1]) || ts[0].Location() != time.UTC || ts[1].Location() != time.UTC {
			return "times differ or are not UTC: " + ts[0].String() + " and " + ts[1].String()
		}
	}
	a.Created, a.LastSeen, b.Created, b.LastSeen = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	if a != b {
		return "user " + a.ID + " " + a.Name + " differs from " + b.ID + " " + b.Name
	}
	return ""
}

// lookAlikes are names that hubbub.NameKey takes for "ann": case, width, Cyrillic letters.
var lookAlikes = []string{"ann", "Ann", "ANN", "ＡＮＮ", "\u0430nn", "\u0410NN", "aNn", "Ａnn", "\u0430NN", "AnＮ"}

var userIDPattern = regexp.MustCompile(`^u_[0-9a-f]{32}$`)

// testUsers: CreateUser stores a user with a new "u_" id and the store's time; the user is
// found by id and by any name with the same NameKey; names are unique by that key.
func testUsers(t *testing.T, open opener) {
	us := open(t, hubbub.Retention{})
	ctx := t.Context()
	before := time.Now().Add(-time.Second)
	ann, err := us.CreateUser(ctx, hubbub.User{Name: "Ann", Kind: hubbub.UserAccount, Role: hubbub.RoleAdmin}, "$argon2id$hash")
	if err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	if !userIDPattern.MatchString(ann.ID) || ann.Name != "Ann" || ann.Kind != hubbub.UserAccount || ann.Role != hubbub.RoleAdmin || ann.Disabled {
		t.Errorf("CreateUser returned %+v", ann)
	}
	if ann.Created.Before(before) || ann.Created.Location() != time.UTC || !ann.Created.Equal(ann.Created.Truncate(time.Millisecond)) {
		t.Errorf("Created = %v, want the store's time, UTC, to the millisecond", ann.Created)
	}
	bob := newUser(t, us, "bob")
	if bob.ID == ann.ID || !userIDPattern.MatchString(bob.ID) {
		t.Errorf("ids %q and %q", ann.ID, bob.ID)
	}

	for _, name := range lookAlikes {
		if k, _ := hubbub.NameKey(name); k != mustKey(t, "ann") {
			t.Fatalf("NameKey(%q) differs from NameKey(ann): fix lookAlikes", name)
		}
		got, found := userByName(t, us, name)
		if !found || sameUser(got, ann) != "" {
			t.Errorf("UserByName(%q) = %+v, %v; want ann", name, got, found)
		}
		_, err := us.CreateUser(ctx, hubbub.User{Name: name, Kind: hubbub.UserAccount}, "")
		wantCode(t, "CreateUser("+name+") while Ann holds the name", err, hubbub.ECodeNameTaken)
	}
	for _, name := range []string{"anne", "nobody", "", " ann", "a\u200bnn"} {
		if got, found := userByName(t, us, name); found {
			t.Errorf("UserByName(%q) found %+v", name, got)
		}
	}
	for _, name := range []string{"", " ann", "a\nb", "a\u202enn", "this name is far longer than thirty-two bytes"} {
		_, err := us.CreateUser(ctx, hubbub.User{Name: name, Kind: hubbub.UserAccount}, "")
		wantCode(t, "CreateUser("+name+")", err, hubbub.ECodeBadName)
	}
	if got, found := userByID(t, us, ann.ID); !found || sameUser(got, ann) != "" {
		t.Errorf("UserByID(ann) = %+v, %v; want %+v", got, found, ann)
	}
	if got, found := userByID(t, us, "u_00000000000000000000000000000000"); found {
		t.Errorf("UserByID of an unknown id found %+v", got)
	}
	list, err := us.UsersByID(ctx, []string{bob.ID, "u_nobody", ann.ID, bob.ID})
	if err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(list, func(a, b hubbub.User) int { return compareStrings(a.ID, b.ID) })
	want := []hubbub.User{ann, bob}
	slices.SortFunc(want, func(a, b hubbub.User) int { return compareStrings(a.ID, b.ID) })
	if len(list) != 2 || sameUser(list[0], want[0]) != "" || sameUser(list[1], want[1]) != "" {
		t.Errorf("UsersByID = %+v, want %+v", list, want)
	}
	if list, err := us.UsersByID(ctx, nil); err != nil || len(list) != 0 {
		t.Errorf("UsersByID(nil) = %+v, %v", list, err)
	}

	if h, err := us.PasswordHash(ctx, ann.ID); err != nil || h != "$argon2id$hash" {
		t.Errorf("PasswordHash(ann) = %q, %v", h, err)
	}
	if h, err := us.PasswordHash(ctx, bob.ID); err != nil || h != "" {
		t.Errorf("PasswordHash(bob) = %q, %v; want none", h, err)
	}
	_, err = us.PasswordHash(ctx, "u_nobody")
	wantCode(t, "PasswordHash of an unknown user", err, hubbub.ECodeNotFound)
}

func mustKey(t testing.TB, name string) string {
	t.Helper()
	k, err := hubbub.NameKey(name)
	if err != nil {
		t.Fatalf("NameKey(%q): %v", name, err)
	}
	return k
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// testUserNamesConcurrent: users claiming look-alikes of one name at once, by every way of
// making a user, leave exactly one holder; the others get ECodeNameTaken.
func testUserNamesConcurrent(t *testing.T, open opener) {
	us := open(t, hubbub.Retention{})
	claimNamesConcurrently(t, []hubbub.UserStore{us})
}

// claimNamesConcurrently races len(lookAlikes) claims of look-alikes of "ann", spread over
// stores (nodes on one database), and checks that exactly one won.
func claimNamesConcurrently(t *testing.T, stores []hubbub.UserStore) {
	t.Helper()
	var (
		wg     sync.WaitGroup
		won    = make([]hubbub.User, len(lookAlikes))
		errs   = make([]error, len(lookAlikes))
		start  = make(chan struct{})
		invite = hubbub.Invite{ID: hubbub.SecretHash("invite-race"), Role: hubbub.RoleMember, Expires: time.Now().Add(time.Hour)}
	)
	if err := stores[0].CreateInvite(t.Context(), invite); err != nil {
		t.Fatalf("CreateInvite: %v", err)
	}
	for i, name := range lookAlikes {
		us := stores[i%len(stores)]
		wg.Go(func() {
			<-start
			ctx := t.Context()
			switch i % 4 {
			case 0:
				won[i], errs[i] = us.CreateUser(ctx, hubbub.User{Name: name, Kind: hubbub.UserAccount}, "")
			case 1:
				won[i], errs[i] = us.ClaimGuest(ctx, name, hubbub.SecretHash(name))
			case 2:
				won[i], errs[i] = us.ExternalUser(ctx, "", "sub-"+name, name, "")
			case 3:
				won[i], errs[i] = us.RedeemInvite(ctx, invite.ID, hubbub.User{Name: name}, "")
				if hubbub.ErrorCode(errs[i]) == hubbub.ECodeNotFound {
					errs[i] = hubbub.Errorf(hubbub.ECodeNameTaken, "the invite went to another racer")
				}
			}
		})
	}
	close(start)
	wg.Wait()
	var winners []hubbub.User
	for i, err := range errs {
		switch {
		case err == nil:
			winners = append(winners, won[i])
		case hubbub.ErrorCode(err) != hubbub.ECodeNameTaken:
			t.Errorf("claim of %q: %v (code %s), want success or %s", lookAlikes[i], err, hubbub.ErrorCode(err), hubbub.ECodeNameTaken)
		}
	}
	if len(winners) != 1 {
		t.Fatalf("%d claims of look-alikes of ann succeeded (%+v), want exactly 1", len(winners), winners)
	}
	got, found := userByName(t, stores[0], "ann")
	if !found || got.ID != winners[0].ID {
		t.Errorf("UserByName(ann) = %+v, %v; want the winner %+v", got, found, winners[0])
	}
	all, err := stores[len(stores)-1].Users(t.Context(), "", 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 1 {
		t.Errorf("the store holds %d users after the race, want 1: %+v", len(all), all)
	}
}

// testUsersPaging: Users pages every user in ascending id order after a cursor.
func testUsersPaging(t *testing.T, open opener) {
	us := open(t, hubbub.Retention{})
	var ids []string
	for _, name := range []string{"a", "b", "c", "d", "e", "f", "g"} {
		ids = append(ids, newUser(t, us, name).ID)
	}
	slices.Sort(ids)
	var paged []string
	after := ""
	for range len(ids) + 1 {
		page, err := us.Users(t.Context(), after, 3)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) > 3 {
			t.Fatalf("Users(%q, 3) gave %d users", after, len(page))
		}
		if len(page) == 0 {
			break
		}
		for _, u := range page {
			paged = append(paged, u.ID)
		}
		after = page[len(page)-1].ID
	}
	if !slices.Equal(paged, ids) {
		t.Errorf("paging Users by 3 gave %q, want %q", paged, ids)
	}
	for _, limit := range []int{0, -1} {
		if page, err := us.Users(t.Context(), "", limit); err != nil || len(page) != 0 {
			t.Errorf("Users(\"\", %d) = %+v, %v; want none", limit, page, err)
		}
	}
}

// testUpdateUser: a change applies whole or not at all; a rename frees the old name; a
// password makes a guest an account; SeenAt only moves forward.
func testUpdateUser(t *testing.T, open opener) {
	us := open(t, hubbub.Retention{})
	ctx := t.Context()
	ann, bob := newUser(t, us, "ann"), newUser(t, us, "bob")

	// A rename to a name bob holds changes nothing, not even the role asked with it.
	taken, admin := "BOB", hubbub.RoleAdmin
	_, err := us.UpdateUser(ctx, ann.ID, hubbub.UserChange{Name: &taken, Role: &admin})
	wantCode(t, "renaming ann to BOB", err, hubbub.ECodeNameTaken)
	if got, _ := userByID(t, us, ann.ID); got.Name != "ann" || got.Role != hubbub.RoleMember {
		t.Errorf("after a refused rename ann is %+v, want unchanged", got)
	}
	// A rename to a look-alike of one's own name is a change of spelling.
	if got := rename(t, us, ann.ID, "Ann"); got.Name != "Ann" || got.ID != ann.ID {
		t.Errorf("renaming ann to Ann = %+v", got)
	}
	// A rename frees the old name.
	rename(t, us, ann.ID, "anna")
	if _, found := userByName(t, us, "ann"); found {
		t.Error("the old name ann still finds a user after the rename")
	}
	if got, found := userByName(t, us, "ANNA"); !found || got.ID != ann.ID {
		t.Errorf("UserByName(ANNA) = %+v, %v; want ann's id", got, found)
	}
	other := newUser(t, us, "ann")
	if other.ID == ann.ID {
		t.Error("a new user got the id of the user who gave the name up")
	}
	bad := " "
	_, err = us.UpdateUser(ctx, ann.ID, hubbub.UserChange{Name: &bad})
	wantCode(t, "renaming to a blank name", err, hubbub.ECodeBadName)
	_, err = us.UpdateUser(ctx, "u_nobody", hubbub.UserChange{Role: &admin})
	wantCode(t, "UpdateUser of an unknown user", err, hubbub.ECodeNotFound)

	mod, disabled, hash := hubbub.RoleModerator, true, "$argon2id$new"
	got, err := us.UpdateUser(ctx, bob.ID, hubbub.UserChange{Role: &mod, Disabled: &disabled, PasswordHash: &hash})
	if err != nil || got.Role != mod || !got.Disabled || got.Name != "bob" || got.Kind != hubbub.UserAccount {
		t.Errorf("UpdateUser(bob) = %+v, %v", got, err)
	}
	if h, _ := us.PasswordHash(ctx, bob.ID); h != hash {
		t.Errorf("bob's password hash %q, want %q", h, hash)
	}
	if stored, _ := userByID(t, us, bob.ID); sameUser(stored, got) != "" {
		t.Errorf("UserByID(bob) = %+v, want what UpdateUser returned, %+v", stored, got)
	}

	guest, err := us.ClaimGuest(ctx, "gus", hubbub.SecretHash("gus's key"))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := us.UpdateUser(ctx, guest.ID, hubbub.UserChange{PasswordHash: &hash}); err != nil ||
		got.Kind != hubbub.UserAccount || got.ID != guest.ID || got.Name != "gus" {
		t.Errorf("a guest given a password = %+v, %v; want the same user as an account", got, err)
	}

	// SeenAt keeps the latest time, to the millisecond, UTC.
	t1 := time.Date(2026, 1, 2, 3, 4, 5, 6_789_000, time.Local)
	for _, at := range []time.Time{t1, t1.Add(-time.Hour)} {
		if err := us.SeenAt(ctx, ann.ID, at); err != nil {
			t.Fatal(err)
		}
	}
	if got, _ := userByID(t, us, ann.ID); !got.LastSeen.Equal(t1.Truncate(time.Millisecond)) || got.LastSeen.Location() != time.UTC {
		t.Errorf("LastSeen = %v, want %v in UTC", got.LastSeen, t1.Truncate(time.Millisecond))
	}
	if err := us.SeenAt(ctx, "u_nobody", t1); err != nil {
		t.Errorf("SeenAt of an unknown user: %v, want no error", err)
	}
}

// testClaimGuest: a key is one guest: the same key under another name renames it (same id,
// so what is keyed by the id follows); another key cannot take a held name or a look-alike.
// GuestByKey finds the key's guest as stored and changes nothing.
func testClaimGuest(t *testing.T, open opener) {
	us := open(t, hubbub.Retention{})
	ctx := t.Context()
	key, otherKey := hubbub.SecretHash("ann's key"), hubbub.SecretHash("someone else's key")
	ann, err := us.ClaimGuest(ctx, "ann", key)
	if err != nil {
		t.Fatal(err)
	}
	if !userIDPattern.MatchString(ann.ID) || ann.Name != "ann" || ann.Kind != hubbub.UserGuest {
		t.Errorf("ClaimGuest = %+v", ann)
	}
	again, err := us.ClaimGuest(ctx, "ann", key)
	if err != nil || sameUser(again, ann) != "" {
		t.Errorf("ClaimGuest again with the same key = %+v, %v; want %+v", again, err, ann)
	}
	for _, name := range lookAlikes {
		_, err := us.ClaimGuest(ctx, name, otherKey)
		wantCode(t, "ClaimGuest("+name+") with another key", err, hubbub.ECodeNameTaken)
	}
	// Another spelling of the name (a second device's keyboard) is the same user under the
	// stored spelling: renaming it would leave the user's other connections on the old one.
	for _, name := range []string{"ANN", "Ann"} {
		same, err := us.ClaimGuest(ctx, name, key)
		if err != nil || sameUser(same, ann) != "" {
			t.Errorf("ClaimGuest(%s) with ann's key = %+v, %v; want ann as she is", name, same, err)
		}
	}
	if got, _ := userByID(t, us, ann.ID); got.Name != "ann" {
		t.Errorf("a look-alike of ann's name renamed her: %+v", got)
	}
	renamed, err := us.ClaimGuest(ctx, "annie", key)
	if err != nil || renamed.ID != ann.ID || renamed.Name != "annie" {
		t.Errorf("ClaimGuest(annie) with ann's key = %+v, %v; want ann's id renamed", renamed, err)
	}
	if got, _ := userByID(t, us, ann.ID); got.Name != "annie" {
		t.Errorf("the renamed guest is stored as %+v", got)
	}
	// The old name is free again, for another key.
	other, err := us.ClaimGuest(ctx, "Ann", otherKey)
	if err != nil || other.ID == ann.ID {
		t.Errorf("ClaimGuest(Ann) with another key after the rename = %+v, %v", other, err)
	}
	// GuestByKey finds the key's guest as it is now, and renames nothing.
	if got, found, err := us.GuestByKey(ctx, key); err != nil || !found || sameUser(got, renamed) != "" {
		t.Errorf("GuestByKey(annie's key) = %+v, %v, %v; want annie", got, found, err)
	}
	for _, k := range []string{hubbub.SecretHash("nobody's key"), ""} {
		if got, found, err := us.GuestByKey(ctx, k); err != nil || found {
			t.Errorf("GuestByKey(%q) = %+v, %v, %v; want not found", k, got, found, err)
		}
	}
	// The key cannot take a name another user holds, and stays with its name; the refusal
	// comes with the key's guest as stored, whom the session lets in under that name.
	kept, err := us.ClaimGuest(ctx, "ann", key)
	wantCode(t, "ClaimGuest(ann) with annie's key while another holds ann", err, hubbub.ECodeNameTaken)
	if kept.ID != ann.ID || kept.Name != "annie" || kept.Kind != hubbub.UserGuest {
		t.Errorf("ClaimGuest(ann) with annie's key while another holds ann returned %+v, want annie as stored", kept)
	}
	if got, _ := userByID(t, us, ann.ID); got.Name != "annie" {
		t.Errorf("a refused rename changed the guest to %+v", got)
	}
	_, err = us.ClaimGuest(ctx, "", key)
	wantCode(t, "ClaimGuest with an empty name", err, hubbub.ECodeBadName)
	_, err = us.ClaimGuest(ctx, "zed", "")
	wantCode(t, "ClaimGuest with no key", err, hubbub.ECodeMissing)

	// A disabled guest is refused.
	disabled := true
	if _, err := us.UpdateUser(ctx, ann.ID, hubbub.UserChange{Disabled: &disabled}); err != nil {
		t.Fatal(err)
	}
	_, err = us.ClaimGuest(ctx, "annie", key)
	wantCode(t, "ClaimGuest of a disabled guest", err, hubbub.ECodeForbidden)
	if got, found, err := us.GuestByKey(ctx, key); err != nil || !found || !got.Disabled || got.ID != ann.ID {
		t.Errorf("GuestByKey of a disabled guest = %+v, %v, %v; want annie, disabled", got, found, err)
	}

	// An account's name is not a guest's, and a guest turned account is no longer found by key.
	acct := newUser(t, us, "carol")
	_, err = us.ClaimGuest(ctx, "carol", hubbub.SecretHash("carol?"))
	wantCode(t, "ClaimGuest of an account's name", err, hubbub.ECodeNameTaken)
	dave, err := us.ClaimGuest(ctx, "dave", hubbub.SecretHash("dave's key"))
	if err != nil {
		t.Fatal(err)
	}
	hash := "$argon2id$dave"
	if _, err := us.UpdateUser(ctx, dave.ID, hubbub.UserChange{PasswordHash: &hash}); err != nil {
		t.Fatal(err)
	}
	_, err = us.ClaimGuest(ctx, "dave", hubbub.SecretHash("dave's key"))
	wantCode(t, "ClaimGuest with the key of a guest who became an account", err, hubbub.ECodeNameTaken)
	if got, found, err := us.GuestByKey(ctx, hubbub.SecretHash("dave's key")); err != nil || found {
		t.Errorf("GuestByKey with the key of a guest who became an account = %+v, %v, %v; want not found", got, found, err)
	}
	_ = acct
}

// testExternalUser: a token's (issuer, subject) is one user, created on first sight; it
// follows the token's name when that is free and keeps its own when not; its role is the
// token's.
func testExternalUser(t *testing.T, open opener) {
	us := open(t, hubbub.Retention{})
	ctx := t.Context()
	ann, err := us.ExternalUser(ctx, "", "sub-1", "ann", hubbub.RoleModerator)
	if err != nil {
		t.Fatal(err)
	}
	if !userIDPattern.MatchString(ann.ID) || ann.Name != "ann" || ann.Kind != hubbub.UserApp || ann.Role != hubbub.RoleModerator {
		t.Errorf("ExternalUser = %+v", ann)
	}
	again, err := us.ExternalUser(ctx, "", "sub-1", "ann", hubbub.RoleModerator)
	if err != nil || sameUser(again, ann) != "" {
		t.Errorf("ExternalUser again = %+v, %v; want %+v", again, err, ann)
	}
	// Another issuer's sub-1 is another user, and may not take ann's name.
	_, err = us.ExternalUser(ctx, "https://idp.example", "sub-1", "Ann", "")
	wantCode(t, "a new token user with a held name", err, hubbub.ECodeNameTaken)
	idp, err := us.ExternalUser(ctx, "https://idp.example", "sub-1", "zoe", "")
	if err != nil || idp.ID == ann.ID {
		t.Errorf("the other issuer's sub-1 = %+v, %v; want a user of its own", idp, err)
	}
	// A new name that is free renames; one that is held keeps the stored name, no error.
	renamed, err := us.ExternalUser(ctx, "", "sub-1", "annette", hubbub.RoleMember)
	if err != nil || renamed.ID != ann.ID || renamed.Name != "annette" || renamed.Role != hubbub.RoleMember {
		t.Errorf("ExternalUser with a new name = %+v, %v; want ann renamed annette, a member", renamed, err)
	}
	kept, err := us.ExternalUser(ctx, "", "sub-1", "ZOE", hubbub.RoleAdmin)
	if err != nil || kept.ID != ann.ID || kept.Name != "annette" || kept.Role != hubbub.RoleAdmin {
		t.Errorf("ExternalUser with zoe's name = %+v, %v; want annette, an admin", kept, err)
	}
	if got, _ := userByID(t, us, ann.ID); sameUser(got, kept) != "" {
		t.Errorf("stored %+v, want %+v", got, kept)
	}
	_, err = us.ExternalUser(ctx, "", "sub-2", "", "")
	wantCode(t, "ExternalUser with an empty name", err, hubbub.ECodeBadName)
	_, err = us.ExternalUser(ctx, "", "", "nosub", "")
	wantCode(t, "ExternalUser with no subject", err, hubbub.ECodeMissing)
	// A guest's or an account's name is theirs.
	newUser(t, us, "bob")
	_, err = us.ExternalUser(ctx, "", "sub-3", "bob", "")
	wantCode(t, "ExternalUser with an account's name", err, hubbub.ECodeNameTaken)
	// A disabled user is returned as disabled: the caller refuses the token.
	yes := true
	if _, err := us.UpdateUser(ctx, ann.ID, hubbub.UserChange{Disabled: &yes}); err != nil {
		t.Fatal(err)
	}
	if got, err := us.ExternalUser(ctx, "", "sub-1", "annette", hubbub.RoleAdmin); err != nil || got.ID != ann.ID || !got.Disabled {
		t.Errorf("ExternalUser of a disabled user = %+v, %v; want it, disabled", got, err)
	}
}

// testSessions: a session is found while it lives and its user is enabled; sign-out ends
// one, sign-out everywhere all of a user's; disabling a user ends them for good.
func testSessions(t *testing.T, open opener) {
	us := open(t, hubbub.Retention{})
	ctx := t.Context()
	ann, bob := newUser(t, us, "ann"), newUser(t, us, "bob")
	now := time.Now().UTC().Truncate(time.Millisecond)
	mk := func(secret, user string, expires time.Time) hubbub.LoginSession {
		t.Helper()
		ls := hubbub.LoginSession{ID: hubbub.SecretHash(secret), User: user, Created: now, Expires: expires}
		if err := us.CreateSession(ctx, ls); err != nil {
			t.Fatalf("CreateSession(%s): %v", secret, err)
		}
		return ls
	}
	find := func(ls hubbub.LoginSession) bool {
		t.Helper()
		got, u, found, err := us.Session(ctx, ls.ID)
		if err != nil {
			t.Fatalf("Session: %v", err)
		}
		if found && (got.ID != ls.ID || got.User != ls.User || u.ID != ls.User ||
			!got.Created.Equal(ls.Created) || !got.Expires.Equal(ls.Expires) || got.Expires.Location() != time.UTC) {
			t.Errorf("Session = %+v of %+v, want %+v", got, u, ls)
		}
		return found
	}
	phone := mk("ann's phone", ann.ID, now.Add(time.Hour))
	laptop := mk("ann's laptop", ann.ID, now.Add(24*time.Hour))
	old := mk("ann's old tab", ann.ID, now.Add(-time.Second))
	bobs := mk("bob's", bob.ID, now.Add(time.Hour))
	if !find(phone) || !find(laptop) || !find(bobs) {
		t.Fatal("a live session is not found")
	}
	if find(old) {
		t.Error("an expired session is found")
	}
	if _, _, found, err := us.Session(ctx, hubbub.SecretHash("never made")); found || err != nil {
		t.Errorf("an unknown session: found %v, %v", found, err)
	}
	if err := us.CreateSession(ctx, hubbub.LoginSession{ID: hubbub.SecretHash("x"), User: "u_nobody", Expires: now.Add(time.Hour)}); hubbub.ErrorCode(err) != hubbub.ECodeNotFound {
		t.Errorf("CreateSession for an unknown user: %v, want %s", err, hubbub.ECodeNotFound)
	}

	// Each sign-out counts on its user (SignOuts), where nodes look for it.
	signOuts := func(want uint64, after string) {
		t.Helper()
		if u, _ := userByID(t, us, ann.ID); u.SignOuts != want {
			t.Errorf("ann's SignOuts after %s = %d, want %d", after, u.SignOuts, want)
		}
		if _, u, found, _ := us.Session(ctx, laptop.ID); found && u.SignOuts != want {
			t.Errorf("ann's SignOuts as her laptop's session reads it after %s = %d, want %d", after, u.SignOuts, want)
		}
	}
	signOuts(0, "no sign-out")
	if err := us.DeleteSession(ctx, phone.ID); err != nil {
		t.Fatal(err)
	}
	signOuts(1, "a sign-out")
	if err := us.DeleteSession(ctx, phone.ID); err != nil {
		t.Errorf("deleting a deleted session: %v", err)
	}
	signOuts(1, "deleting a deleted session")
	if u, _ := userByID(t, us, bob.ID); u.SignOuts != 0 {
		t.Errorf("ann's sign-out counted on bob: %d", u.SignOuts)
	}
	if find(phone) || !find(laptop) {
		t.Error("DeleteSession ended the wrong session")
	}
	mk("ann's tablet", ann.ID, now.Add(time.Hour))
	// Sign-out everywhere counts the sessions it ended (the expired one may be among them).
	if n, err := us.DeleteSessions(ctx, ann.ID); err != nil || n < 2 || n > 3 {
		t.Errorf("DeleteSessions(ann) = %d, %v; want 2 (or 3 with the expired one)", n, err)
	}
	signOuts(2, "signing out everywhere")
	if find(laptop) || !find(bobs) {
		t.Error("DeleteSessions(ann) left ann's laptop or ended bob's session")
	}
	if n, err := us.DeleteSessions(ctx, ann.ID); err != nil || n != 0 {
		t.Errorf("DeleteSessions(ann) again = %d, %v; want 0", n, err)
	}

	// Disabling bob hides his session and ends it (a sign-out): enabling him again does not
	// bring it back.
	yes, no := true, false
	if got, err := us.UpdateUser(ctx, bob.ID, hubbub.UserChange{Disabled: &yes}); err != nil {
		t.Fatal(err)
	} else if got.SignOuts != 1 {
		t.Errorf("bob's SignOuts after he was disabled = %d, want 1", got.SignOuts)
	}
	if u, _ := userByID(t, us, bob.ID); u.SignOuts != 1 {
		t.Errorf("bob's stored SignOuts after he was disabled = %d, want 1", u.SignOuts)
	}
	if find(bobs) {
		t.Error("a disabled user's session is found")
	}
	if _, err := us.UpdateUser(ctx, bob.ID, hubbub.UserChange{Disabled: &no}); err != nil {
		t.Fatal(err)
	}
	if find(bobs) {
		t.Error("a session survived its user being disabled")
	}
}

// testInvites: an invite makes one account with its role, once, before it expires; a
// refused name leaves it unused.
func testInvites(t *testing.T, open opener) {
	us := open(t, hubbub.Retention{})
	ctx := t.Context()
	admin := newUser(t, us, "admin")
	newUser(t, us, "taken")
	inv := hubbub.Invite{ID: hubbub.SecretHash("code-1"), By: admin.ID, Role: hubbub.RoleModerator, Expires: time.Now().Add(time.Hour)}
	expired := hubbub.Invite{ID: hubbub.SecretHash("code-2"), By: admin.ID, Expires: time.Now().Add(-time.Second)}
	for _, i := range []hubbub.Invite{inv, expired} {
		if err := us.CreateInvite(ctx, i); err != nil {
			t.Fatal(err)
		}
	}
	_, err := us.RedeemInvite(ctx, inv.ID, hubbub.User{Name: "TAKEN"}, "$h")
	wantCode(t, "redeeming with a held name", err, hubbub.ECodeNameTaken)
	u, err := us.RedeemInvite(ctx, inv.ID, hubbub.User{Name: "newbie", Kind: hubbub.UserGuest, Role: hubbub.RoleAdmin}, "$argon2id$newbie")
	if err != nil {
		t.Fatalf("redeeming after a refused name: %v", err)
	}
	if !userIDPattern.MatchString(u.ID) || u.Name != "newbie" || u.Kind != hubbub.UserAccount || u.Role != hubbub.RoleModerator {
		t.Errorf("RedeemInvite = %+v, want the account newbie, a moderator (the invite's role)", u)
	}
	if h, _ := us.PasswordHash(ctx, u.ID); h != "$argon2id$newbie" {
		t.Errorf("the new account's password hash = %q", h)
	}
	_, err = us.RedeemInvite(ctx, inv.ID, hubbub.User{Name: "second"}, "$h")
	wantCode(t, "a second use of an invite", err, hubbub.ECodeNotFound)
	_, err = us.RedeemInvite(ctx, expired.ID, hubbub.User{Name: "late"}, "$h")
	wantCode(t, "an expired invite", err, hubbub.ECodeNotFound)
	_, err = us.RedeemInvite(ctx, hubbub.SecretHash("never made"), hubbub.User{Name: "nobody"}, "$h")
	wantCode(t, "an unknown invite", err, hubbub.ECodeNotFound)
	for _, name := range []string{"second", "late", "nobody"} {
		if _, found := userByName(t, us, name); found {
			t.Errorf("a refused invite created %s", name)
		}
	}
}

// testInvitesConcurrent: racers redeeming one invite with different names make one account.
func testInvitesConcurrent(t *testing.T, open opener) {
	us := open(t, hubbub.Retention{})
	redeemConcurrently(t, []hubbub.UserStore{us})
}

// redeemConcurrently races 8 redemptions of one invite, spread over stores, and checks that
// exactly one made an account.
func redeemConcurrently(t *testing.T, stores []hubbub.UserStore) {
	t.Helper()
	inv := hubbub.Invite{ID: hubbub.SecretHash("once"), Role: hubbub.RoleMember, Expires: time.Now().Add(time.Hour)}
	if err := stores[0].CreateInvite(t.Context(), inv); err != nil {
		t.Fatal(err)
	}
	const racers = 8
	var (
		wg    sync.WaitGroup
		errs  [racers]error
		start = make(chan struct{})
	)
	for i := range racers {
		wg.Go(func() {
			<-start
			_, errs[i] = stores[i%len(stores)].RedeemInvite(t.Context(), inv.ID, hubbub.User{Name: "racer " + string(rune('a'+i))}, "$h")
		})
	}
	close(start)
	wg.Wait()
	ok := 0
	for i, err := range errs {
		switch {
		case err == nil:
			ok++
		case hubbub.ErrorCode(err) != hubbub.ECodeNotFound:
			t.Errorf("racer %d: %v, want success or %s", i, err, hubbub.ECodeNotFound)
		}
	}
	all, err := stores[0].Users(t.Context(), "", 100)
	if err != nil {
		t.Fatal(err)
	}
	if ok != 1 || len(all) != 1 {
		t.Errorf("%d racers redeemed one invite and %d users exist, want 1 and 1", ok, len(all))
	}
}
