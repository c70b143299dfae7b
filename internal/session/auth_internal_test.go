package session

import (
	"testing"
	"time"

	"hubbub/internal/auth"
)

// A token's member carries the verified user id and role, and a key derived from the user id,
// so that two connections of one user share the name and nobody else can take it.
func TestTokenMemberCarriesIdentity(t *testing.T) {
	c := auth.Claims{UserID: "42", Name: "ann", Role: auth.RoleModerator, ExpiresAt: time.Now().Add(time.Hour)}
	m := tokenMember(&c, nil)
	if m.Name != "ann" || m.UserID != "42" || m.Role != auth.RoleModerator || m.Key != "user:42" {
		t.Fatalf("member %+v", m)
	}
	if other := tokenMember(&auth.Claims{UserID: "43", Name: "ann"}, nil); other.Key == m.Key {
		t.Fatal("two users share a key")
	}
}

// A stopped expiry never fires, and stopping twice (or an unarmed one) is harmless.
func TestExpiryStop(t *testing.T) {
	var e expiry
	e.stop()
	e.arm(nil, time.Now().Add(time.Hour)) // never fires: stopped below, and conn is not touched until then
	e.stop()
	e.stop()
	if e.t != nil {
		t.Fatal("timer kept after stop")
	}
}
