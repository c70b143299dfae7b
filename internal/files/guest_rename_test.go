package files_test

import (
	"context"
	"net/http"
	"sync/atomic"
	"testing"

	"hubbub"
	"hubbub/internal/servertest"
)

// renamingStore renames a guest, as `hubbub user rename` beside the server would, right after
// the next read of a user returns, once armed: the rename lands inside a request's check of
// the guest's name and key.
type renamingStore struct {
	hubbub.Store
	armed atomic.Pointer[renaming]
}

// renaming is the rename to make: the user and the new name.
type renaming struct{ id, to string }

func (s *renamingStore) renameNow() {
	if r := s.armed.Swap(nil); r != nil {
		if _, err := s.Store.UpdateUser(context.Background(), r.id, hubbub.UserChange{Name: &r.to}); err != nil {
			panic("the planted rename failed: " + err.Error())
		}
	}
}

func (s *renamingStore) UserByName(ctx context.Context, name string) (hubbub.User, bool, error) {
	defer s.renameNow()
	return s.Store.UserByName(ctx, name)
}

func (s *renamingStore) GuestByKey(ctx context.Context, keyHash string) (hubbub.User, bool, error) {
	defer s.renameNow()
	return s.Store.GuestByKey(ctx, keyHash)
}

// A guest's page asks for its files cookie (POST /files/session, as it does after every
// welcome) while an operator renames the guest: the request checks the key and renames
// nothing, so the operator's rename stands. Before, the request read the guest by its old
// name and then claimed the key under it, which renamed the guest back (seen in CI as the
// page's old name refused to someone else).
func TestGuestRequestLeavesAnOperatorsRenameAlone(t *testing.T) {
	var rs *renamingStore
	s := servertest.Start(t, servertest.Options{WrapStore: func(st hubbub.Store) hubbub.Store {
		rs = &renamingStore{Store: st}
		return rs
	}})
	servertest.DialJSON(t, s, "ann")
	u, found, err := rs.Store.UserByName(t.Context(), "ann")
	if err != nil || !found {
		t.Fatalf("ann's user: %v %v", found, err)
	}
	rs.armed.Store(&renaming{id: u.ID, to: "ann2"})
	r, _ := http.NewRequest("POST", s.URL+"/files/session", nil)
	guest("ann").apply(r)
	resp, body, _ := do(t, r)
	if resp.StatusCode != http.StatusOK {
		t.Errorf("POST /files/session checked before the rename: %d %s", resp.StatusCode, body)
	}
	if rs.armed.Load() != nil {
		t.Fatal("the request read no user")
	}
	if got, _, err := rs.Store.UserByID(t.Context(), u.ID); err != nil || got.Name != "ann2" {
		t.Fatalf("after the request the guest is %+v (%v), want the operator's name ann2", got, err)
	}

	// The page, still saying the old name, acts with its key as the guest it is, and still
	// renames nothing (a hello lets it in under the stored name the same way).
	r, _ = http.NewRequest("POST", s.URL+"/files/session", nil)
	guest("ann").apply(r)
	if resp, body, _ := do(t, r); resp.StatusCode != http.StatusOK {
		t.Errorf("POST /files/session under the old name with the key: %d %s, want 200", resp.StatusCode, body)
	}
	if got, _, err := rs.Store.UserByID(t.Context(), u.ID); err != nil || got.Name != "ann2" {
		t.Errorf("after the old name's request the guest is %+v (%v), want ann2", got, err)
	}
	// Under the new name the key works.
	r, _ = http.NewRequest("POST", s.URL+"/files/session", nil)
	who{name: "ann2", key: "key-ann"}.apply(r)
	if resp, body, _ := do(t, r); resp.StatusCode != http.StatusOK {
		t.Errorf("POST /files/session as ann2 with ann's key: %d %s", resp.StatusCode, body)
	}
}
