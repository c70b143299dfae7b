package hub_test

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"

	"hubbub/internal/hub"
)

// The names a room lists (to a join, and to Members) are its members' names in order after
// any mix of joins, second connections, leaves and renames, in a room that grows past
// PresenceLimit and shrinks back under it: the room keeps its names sorted as they change
// rather than sorting them at every join, and stops keeping them while it is crowded.
func TestRoomListsItsNamesInOrderAsTheyChange(t *testing.T) {
	const limit = 5
	h, _, _ := newHub(t, hub.Config{PresenceLimit: limit, PresenceWindow: -1})
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(34, 1))
	const users = 9
	name := make([]string, users) // each user's current name
	for u := range name {
		name[u] = fmt.Sprintf("n%02d", (u*7)%users)
	}
	var conns []*hub.Member // connected, each of user userOf[m]
	userOf := map[*hub.Member]int{}
	want := func() []string {
		set := map[string]bool{}
		for _, m := range conns {
			set[name[userOf[m]]] = true
		}
		return slices.Sorted(maps.Keys(set))
	}
	peak, under := 0, 0 // the most names, and the steps ending under the limit after a peak past it
	for step := range 600 {
		switch op := rng.IntN(10); {
		case op < 5 && len(conns) < limit+3: // a join (a second connection of a user, at times)
			u := rng.IntN(users)
			m := &hub.Member{Name: name[u], Key: fmt.Sprint("user:u", u), UserID: fmt.Sprint("u", u),
				Out: hub.NewOutbox(1<<16, nil)}
			if err := h.Attach(m); err != nil {
				t.Fatal(err)
			}
			info, err := h.Join(ctx, hub.JoinRequest{Room: "r", Member: m, NoReplay: true})
			if err != nil {
				t.Fatal(err)
			}
			conns = append(conns, m)
			userOf[m] = u
			if w := want(); len(w) <= limit && !slices.Equal(info.Members, w) {
				t.Fatalf("step %d: join of %s given %v, want %v", step, name[u], info.Members, w)
			}
		case op < 8 && len(conns) > 0: // a leave
			i := rng.IntN(len(conns))
			m := conns[i]
			h.Leave("r", m)
			h.Detach(m)
			conns = slices.Delete(conns, i, i+1)
		default: // a rename, to a name of no other user
			u := rng.IntN(users)
			name[u] = fmt.Sprintf("%s%d", name[u][:3], step)
			h.RenameUser(fmt.Sprint("u", u), name[u])
		}
		peak = max(peak, len(want()))
		if peak > limit && len(want()) <= limit {
			under++
		}
		if got, w := h.Members("r"), want(); !slices.Equal(got, w) && (len(got) > 0 || len(w) > 0) {
			t.Fatalf("step %d: the room lists %v, want %v", step, got, w)
		}
	}
	if peak <= limit || under < 100 {
		t.Fatalf("the room held at most %d names, and %d steps ended under the limit (%d) after: the sequence tests too little", peak, under, limit)
	}
}
