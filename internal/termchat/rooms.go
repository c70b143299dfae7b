package termchat

import (
	"sync"

	"hubbub"
)

// joinNotes holds, by room, the line that says where typed lines go, for the printer to print
// right after the room's "* you joined" line: said when the join is sent, it was read before
// the server's answer, and was false when the server refused the join.
type joinNotes struct {
	mu    sync.Mutex
	notes map[string]string
}

// add has the printer say note after room's joined.
func (n *joinNotes) add(room, note string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.notes == nil {
		n.notes = make(map[string]string)
	}
	n.notes[room] = note
}

// take returns room's note and forgets it ("" if there is none): the join was answered.
func (n *joinNotes) take(room string) string {
	n.mu.Lock()
	defer n.mu.Unlock()
	note := n.notes[room]
	delete(n.notes, room)
	return note
}

// roomsIn is the set of rooms the connection is in: the event loop adds a room at its joined
// and takes it out at its left, and commands read it. A room whose join is on its way counts
// as in (claim): a second join sent before the first's joined arrived would leave and join the
// room again, which the other members see. After a disconnect every joined room is being
// rejoined by the session, which counts as in too until its joined — or its refusal, which
// takes it out, so that a /join of it joins instead of only making it current.
type roomsIn struct {
	mu sync.Mutex
	in map[string]roomIn
}

// roomIn is where the connection stands with one room.
type roomIn uint8

const (
	roomJoining   roomIn = iota // a join is on its way (claim)
	roomJoined                  // its joined came
	roomRejoining               // joined before a disconnect; the session rejoins it
	roomLeft                    // the server took the connection out (left, kicked, removed)
)

func (r *roomsIn) set(room string, in bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if in {
		r.mark(room, roomJoined)
	} else {
		delete(r.in, room)
	}
}

// mark records where the connection stands with room. Called with mu held.
func (r *roomsIn) mark(room string, st roomIn) {
	if r.in == nil {
		r.in = make(map[string]roomIn)
	}
	r.in[room] = st
}

// spelled returns the name of the room of the set that room names in another case (room
// names are one room whatever their case, hubbub.RoomKey), or room itself: /join General in
// general is then in general, with no join the server would refuse room_case.
func (r *roomsIn) spelled(room string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, known := r.in[room]; known {
		return room
	}
	key := hubbub.RoomKey(room)
	for name, st := range r.in {
		if st != roomLeft && hubbub.RoomKey(name) == key {
			return name
		}
	}
	return room
}

// claim reports whether room is neither in the set nor being joined, and if so marks it as
// being joined: the caller sends the join, then set(room, true) or release(room).
func (r *roomsIn) claim(room string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if st, known := r.in[room]; known && st != roomLeft {
		return false
	}
	r.mark(room, roomJoining)
	return true
}

// left records that the server took the connection out of room, for takeLeft: a room joined
// (or being rejoined) only. A room absent was left by a command (/leave, /part, which forget
// it themselves), and one being joined was joined again after it: the left answers the old
// membership, and takeLeft must not drop a line the new one takes.
func (r *roomsIn) left(room string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if st, known := r.in[room]; known && (st == roomJoined || st == roomRejoining) {
		r.mark(room, roomLeft)
	}
}

// unroom takes room out as set(room, false) does, keeping a left's mark for takeLeft (a
// removal from a private room sends left, then the room's leaving the list).
func (r *roomsIn) unroom(room string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if st, known := r.in[room]; known && st != roomLeft {
		delete(r.in, room)
	}
}

// takeLeft reports whether the server took the connection out of room since it last joined
// it, and forgets that it did.
func (r *roomsIn) takeLeft(room string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if st, known := r.in[room]; known && st == roomLeft {
		delete(r.in, room)
		return true
	}
	return false
}

// release ends claim's mark of a join that was not sent or failed (a joined that came
// meanwhile stays).
func (r *roomsIn) release(room string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if st, known := r.in[room]; known && st == roomJoining {
		delete(r.in, room)
	}
}

// disconnected marks every joined room as being rejoined: the connection that was in them is
// gone, and the session joins them again on the next one.
func (r *roomsIn) disconnected() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for room, st := range r.in {
		if st == roomJoined {
			r.in[room] = roomRejoining
		}
	}
}

// reconnecting turns claim's mark of a join that could not be sent (the session was
// reconnecting) into that of a room the session joins on the next connection, as it rejoins
// the others: its refusal then comes to rejoinRefused, which says it (a joined that came
// meanwhile stays).
func (r *roomsIn) reconnecting(room string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if st, known := r.in[room]; known && st == roomJoining {
		r.mark(room, roomRejoining)
	}
}

// joining reports whether a join of room is on its way (claimed, not answered).
func (r *roomsIn) joining(room string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	st, known := r.in[room]
	return known && st == roomJoining
}

// rejoinRefused takes room out if it was being rejoined, and reports whether it was: the
// server refused the session's rejoin, and the session forgot the room.
func (r *roomsIn) rejoinRefused(room string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if st, known := r.in[room]; known && st == roomRejoining {
		delete(r.in, room)
		return true
	}
	return false
}

// openDM returns a direct message the connection is in (its joined came, no left since), the
// first by room id, or "" for none.
func (r *roomsIn) openDM() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	dm := ""
	for room, st := range r.in {
		if st == roomJoined && hubbub.IsDMRoom(room) && (dm == "" || room < dm) {
			dm = room
		}
	}
	return dm
}

// joined reports whether the connection is in room (its joined came, no left since), or is
// being rejoined to it after a disconnect.
func (r *roomsIn) joined(room string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	st, known := r.in[room]
	return known && st != roomJoining && st != roomLeft
}
