package storetest

import (
	"testing"

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
