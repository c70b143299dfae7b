package session

import "sync"

// joinedRooms is a hubbub.v1 session's record of the rooms it is in. The session changes it
// as it joins and leaves; the hub removes a room from it directly when a moderator removes
// the member (Member.Removed, called from the room, with the room's lock held, on a broker's
// goroutine). The lock guards the map alone and is never held while calling the hub, so a
// room calling in cannot deadlock with a session calling out.
type joinedRooms struct {
	mu    sync.Mutex
	rooms map[string]bool
}

func (r *joinedRooms) has(room string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.rooms[room]
}

func (r *joinedRooms) add(room string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.rooms == nil {
		r.rooms = make(map[string]bool)
	}
	r.rooms[room] = true
}

func (r *joinedRooms) remove(room string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.rooms, room)
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
	out := make([]string, 0, len(r.rooms))
	for room := range r.rooms {
		out = append(out, room)
	}
	return out
}
