package session

import (
	"slices"
	"sync"
)

// joinedRooms is a hubbub.v1 session's record of the rooms it is in. The session changes it
// as it joins and leaves; the hub removes a room from it directly when a moderator removes
// the member (Member.Removed, called from the room, with the room's lock held, on a broker's
// goroutine). The lock guards the slice alone and is never held while calling the hub, so a
// room calling in cannot deadlock with a session calling out.
//
// The rooms are a sorted slice, not a map: most connections are in one room or a few, where
// a map costs some 250 bytes per connection and a slice 16 per room (docs/benchmarks.md,
// "Idle memory per connection"); the count is bounded by MaxRoomsPerConn and a lookup is a
// binary search.
type joinedRooms struct {
	mu    sync.Mutex
	rooms []string
}

func (r *joinedRooms) has(room string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	_, found := slices.BinarySearch(r.rooms, room)
	return found
}

func (r *joinedRooms) add(room string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	i, found := slices.BinarySearch(r.rooms, room)
	if !found {
		r.rooms = slices.Insert(r.rooms, i, room)
	}
}

func (r *joinedRooms) remove(room string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if i, found := slices.BinarySearch(r.rooms, room); found {
		r.rooms = slices.Delete(r.rooms, i, i+1)
		if len(r.rooms) == 0 {
			r.rooms = nil
		}
	}
}

func (r *joinedRooms) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.rooms)
}

// list returns the rooms, for leaving them all.
func (r *joinedRooms) list() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.rooms)
}
