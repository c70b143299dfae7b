package session

import (
	"testing"
	"time"

	"hubbub"
	"hubbub/internal/auth"
)

// A member carries its user's id and role, and the key "user:" + id, so that two connections
// of one user share the name and nobody else can take it; a token's role is the token's, which
// RoleFor (a test hook) does not override.
func TestMemberCarriesIdentity(t *testing.T) {
	s := &Service{cfg: Config{RoleFor: func(name, _ string) string {
		if name == "mod" {
			return hubbub.RoleModerator
		}
		return ""
	}}}
	c := auth.Claims{UserID: "42", Name: "mod", Role: auth.RoleMember, ExpiresAt: time.Now().Add(time.Hour)}
	m := s.member(&identity{user: hubbub.User{ID: "u_1", Name: "mod", Kind: hubbub.UserApp, Role: auth.RoleMember}, claims: &c}, nil)
	if m.Name != "mod" || m.UserID != "u_1" || m.Role != auth.RoleMember || m.Key != "user:u_1" {
		t.Fatalf("token member %+v", m)
	}
	g := s.member(&identity{user: hubbub.User{ID: "u_2", Name: "mod", Kind: hubbub.UserGuest}}, nil)
	if g.Role != hubbub.RoleModerator || g.Key == m.Key {
		t.Fatalf("guest member %+v (token member's key %q)", g, m.Key)
	}
	if a := s.member(&identity{user: hubbub.User{ID: "u_3", Name: "ann"}}, nil); a.Role != hubbub.RoleMember {
		t.Fatalf("a user with no stored role is %q, want member", a.Role)
	}
}

// A stopped expiry never fires, and stopping twice (or an unarmed one) is harmless.
func TestExpiryStop(t *testing.T) {
	var e expiry
	e.stop()
	c := auth.Claims{ExpiresAt: time.Now().Add(time.Hour)}
	e.arm(nil, &identity{claims: &c}) // never fires: stopped below, and conn is not touched until then
	if e.t == nil {
		t.Fatal("a token's expiry armed no timer")
	}
	e.stop()
	e.stop()
	if e.t != nil {
		t.Fatal("timer kept after stop")
	}
}
