package termchat

import (
	"sync"
	"time"

	"hubbub"
	"hubbub/internal/wire"
)

// partedRooms are the rooms this chat's /part takes out of the user's list, until the
// server's unroom of each: the /part says so in one line, and the server's left (when the
// connection was in the room) and unroom, which come before or after its answer, are not
// printed too: "* you parted", "* you left" and "* … left your rooms" said one thing three
// times. By hubbub.RoomKey: "/part ops" parts Ops, whose frames name it so.
type partedRooms struct {
	mu    sync.Mutex
	rooms map[string]bool
}

func (p *partedRooms) add(room string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.rooms == nil {
		p.rooms = make(map[string]bool)
	}
	p.rooms[hubbub.RoomKey(room)] = true
}

// has reports whether room is being parted.
func (p *partedRooms) has(room string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.rooms[hubbub.RoomKey(room)]
}

// take reports whether room was being parted, and forgets it.
func (p *partedRooms) take(room string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	was := p.rooms[hubbub.RoomKey(room)]
	delete(p.rooms, hubbub.RoomKey(room))
	return was
}

// departures pairs the two frames one departure from a room sends a connection that is in
// it — left (out of the room) and unroom (out of the user's list), in either order, from a
// /part on another device of the user or a removal from a private room — so that the chat
// says it once: the second of them prints nothing. "* lobby left your rooms" then "* you left
// lobby" said one part on the other device twice. Only the printer uses it.
type departures struct {
	said map[string]departure // by hubbub.RoomKey: which of the two said the departure
}

type departure uint8

const (
	saidByLeft   departure = iota + 1 // a left was printed; its unroom says nothing
	saidByUnroom                      // an unroom was printed; its left says nothing
	kickedOut                         // a kick's error said it: its left says nothing (and no unroom comes)
	removedSaid                       // "* ann removed you from plans" said it: its left and unroom say nothing
)

func (d *departures) mark(room string, how departure) {
	if d.said == nil {
		d.said = make(map[string]departure)
	}
	d.said[hubbub.RoomKey(room)] = how
}

// take returns how room's departure was said, and forgets it.
func (d *departures) take(room string) departure {
	how := d.said[hubbub.RoomKey(room)]
	delete(d.said, hubbub.RoomKey(room))
	return how
}

// left reports whether the left of room is to be printed; wasIn is whether the connection
// was in the room when it came (not after this chat's /leave, which has no unroom).
func (d *departures) left(room string, wasIn bool) bool {
	switch how := d.take(room); {
	case how == saidByUnroom, how == kickedOut:
		return false // said already: "* lobby left your rooms", or the kick's "* you were removed …"
	case how == removedSaid:
		if wasIn {
			d.mark(room, saidByLeft) // its unroom says nothing either
		}
		return false
	case wasIn:
		d.mark(room, saidByLeft) // an unroom may follow: a part on another device, a removal
	}
	return true
}

// unroom reports whether the unroom of room is to be printed; wasIn is whether the
// connection was in the room (or joining it), so that a left follows.
func (d *departures) unroom(room string, wasIn bool) bool {
	switch d.take(room) {
	case saidByLeft:
		return false
	case removedSaid:
		if wasIn {
			d.mark(room, saidByUnroom) // its left says nothing either
		}
		return false
	}
	if wasIn {
		d.mark(room, saidByUnroom)
	}
	return true
}

// kicked records that a moderator took the connection out of room: the left that follows
// is not one of a pair.
func (d *departures) kicked(room string) {
	if room != "" {
		d.mark(room, kickedOut)
	}
}

// removed records that the notice of my removal from room was printed: the left and the
// unroom that follow it say nothing. One of them printed already keeps its mark.
func (d *departures) removed(room string) {
	if _, said := d.said[hubbub.RoomKey(room)]; !said {
		d.mark(room, removedSaid)
	}
}

// joined forgets room's departure: the connection is in it again.
func (d *departures) joined(room string) { d.take(room) }

// entryPresenceGrace is how long after a member entry is printed the presence it brings is
// still taken for the entry's own: the server sends presence up to --presence-window-max (500
// ms by default) late, and the entry comes first (it is written before the member enters the
// room or is taken out of it). One that never comes (a room past --presence-limit sends none)
// is forgotten then, so that the member's next coming or going prints.
const entryPresenceGrace = 5 * time.Second

// entryPresence pairs a member entry of a room's log with the presence frame that follows it,
// so that one change of a member's is said in one line: an invitee's acceptance (a
// member_changed join) is their arrival too, and "* bob is a member of plans now" then "* bob
// joined plans" said one acceptance twice; a removal or a part for good (remove, leave) is
// their departure, and "* ann removed bob from plans" then "* bob left plans" read as a
// removal and a leave of his own. Only the printer uses it.
type entryPresence struct {
	until map[string]time.Time // by removalKey and the presence event: until when it is said
	// bans are the ban entries said, by room and log_seq: the key in until of the leave each
	// says, which a leave that names the entry (sanction_seq) takes, whatever its name.
	bans map[banEntry]string
}

// banEntry is a ban's entry: its room's key and its log_seq.
type banEntry struct {
	room string
	seq  uint64
}

// saidBan records that the line printed for room's ban entry seq, of name, says the leave
// that follows: a leave that names the entry (sanction_seq) is taken by it (takeBan), one
// from a server before the field by name (take).
func (e *entryPresence) saidBan(room, name string, seq uint64) {
	e.said(room, name, "leave")
	if e.bans == nil {
		e.bans = make(map[banEntry]string)
	}
	for b, k := range e.bans { // forgotten by said: forget it here too
		if _, ok := e.until[k]; !ok {
			delete(e.bans, b)
		}
	}
	e.bans[banEntry{hubbub.RoomKey(room), seq}] = removalKey(room, name) + "\x00leave"
}

// takeBan reports whether the leave of the ban whose entry is seq in room was said by that
// entry's line, and forgets it: a leave that names its entry is matched by it alone, so a
// name changed since the ban does not print it twice, and a mark of the name does not hide
// the name's next leave.
func (e *entryPresence) takeBan(room string, seq uint64) bool {
	b := banEntry{hubbub.RoomKey(room), seq}
	k, ok := e.bans[b]
	if !ok {
		return false
	}
	delete(e.bans, b)
	until, ok := e.until[k]
	delete(e.until, k)
	return ok && time.Now().Before(until)
}

// said records that a line printed for room's entry says name's presence event ("join" or
// "leave") that follows.
func (e *entryPresence) said(room, name, event string) {
	now := time.Now()
	if e.until == nil {
		e.until = make(map[string]time.Time)
	}
	for k, until := range e.until { // a presence that never came: forget it (rare, and few)
		if now.After(until) {
			delete(e.until, k)
		}
	}
	e.until[removalKey(room, name)+"\x00"+event] = now.Add(entryPresenceGrace)
}

// take reports whether name's presence event in room was said by an entry's line, and
// forgets it.
func (e *entryPresence) take(room, name, event string) bool {
	k := removalKey(room, name) + "\x00" + event
	until, ok := e.until[k]
	delete(e.until, k)
	return ok && time.Now().Before(until)
}

// accepted reports whether the member_changed join f is an invitee accepting (their own join
// of a private room), not a member the room was made with: its creator, the owner, is one of
// those too, and a DM has no invitations.
func accepted(f *wire.MemberChanged) bool {
	if hubbub.IsDMRoom(f.Room) || f.Role == string(hubbub.RoomOwner) {
		return false
	}
	if f.Subject != "" && f.User != "" {
		return f.Subject == f.User
	}
	return hubbub.SameName(f.From, f.SubjectName) // a server that sends no user ids
}
