package hub

import (
	"context"
	"sync"
	"time"

	"hubbub"
)

// DefaultMaxStoredRooms is Config.MaxStoredRooms' default: far above what a team's server
// holds (DMs included), low enough that a script joining made-up names fills no disk.
const DefaultMaxStoredRooms = 100_000

// recountAfter is how long roomCap trusts its last count of the stored rooms, plus the rooms
// this node let through since, before it counts again: about how late it learns of the rooms
// other nodes made. A count reads up to the cap's rows (BenchmarkCountRooms: ~25 ms at
// 100,000 on this project's machine), so a flood of joins of made-up names costs at most one
// count a second, not one each.
const recountAfter = time.Second

// roomCap is the Store the hub hands out (Hub.Store): the hub's store, except that CreateRoom
// and JoinRoom refuse a room that does not exist yet once the store holds
// Config.MaxStoredRooms rooms. A room also comes into being by its first entry (an anonymous
// sender's message, the API's publish, an incoming webhook's post); the hub asks checkNew when
// it opens a room with no entries (room.load) and when an entry is sent to a room not open on
// this node (Hub.Send), so every way in meets the same cap.
//
// The check is not atomic with the creation after it, and a node learns of the rooms other
// nodes made when it counts again (recountAfter): creations running at once, or on other nodes
// within that second, may all pass just below the cap, so the store can end some rooms over
// it. The cap bounds how far rooms grow, not an exact count. Rooms are never deleted, so a
// count is a lower bound for good, and once the cap is reached it stays reached until the
// operator raises it.
type roomCap struct {
	hubbub.Store
	max int
	*roomCount
}

// maxKnownRooms bounds roomCount.known; past it the set starts again empty.
const maxKnownRooms = 10_000

// roomCount is what roomCap knows of the stored rooms.
type roomCount struct {
	now func() time.Time

	mu      sync.Mutex // held while counting: one count at a time
	counted int        // rooms at the last count
	at      time.Time  // when
	added   int        // rooms this node let through since (some may not have been made)
	// known are rooms found stored (rooms are never deleted, so for good): a join of one
	// needs no read of its metadata. A busy room's thousands of first joins (every new
	// guest's) then cost the cap a map lookup each.
	known map[string]struct{}
}

// isKnown reports whether room was found stored.
func (c *roomCount) isKnown(room string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.known[room]
	return ok
}

// remember records that room is stored.
func (c *roomCount) remember(room string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.known) >= maxKnownRooms {
		clear(c.known)
	}
	c.known[room] = struct{}{}
}

// newRoomCap returns store with a cap of max rooms.
func newRoomCap(store hubbub.Store, max int) roomCap {
	return roomCap{Store: store, max: max, roomCount: &roomCount{now: time.Now, known: make(map[string]struct{})}}
}

// CreateRoom creates the room unless it would be a room past the cap (ECodeLimit). A room
// that exists goes to the store, which answers ECodeExists.
func (s roomCap) CreateRoom(ctx context.Context, meta hubbub.RoomMeta, members []hubbub.Membership) (hubbub.RoomMeta, []hubbub.Entry, error) {
	if err := s.checkNew(ctx, meta.Name); err != nil {
		return hubbub.RoomMeta{}, nil, err
	}
	out, entries, err := s.Store.CreateRoom(ctx, meta, members)
	if err == nil {
		s.remember(meta.Name)
	}
	return out, entries, err
}

// JoinRoom joins the room unless it would be a room past the cap (ECodeLimit).
func (s roomCap) JoinRoom(ctx context.Context, room, user string) error {
	if err := s.checkNew(ctx, room); err != nil {
		return err
	}
	err := s.Store.JoinRoom(ctx, room, user)
	if err == nil {
		s.remember(room)
	}
	return err
}

// checkNew returns nil if room exists or the store has room for one more, and ECodeLimit if
// room would be one past the cap. It counts again only when its last count is older than
// recountAfter or, with the rooms let through since, reaches the cap.
func (s roomCap) checkNew(ctx context.Context, room string) error {
	if s.isKnown(room) {
		return nil
	}
	if _, found, err := s.Store.RoomMeta(ctx, room); err != nil || found {
		if found {
			s.remember(room)
		}
		return err
	}
	c := s.roomCount
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.counted < s.max && (c.counted+c.added >= s.max || c.now().Sub(c.at) >= recountAfter) {
		n, err := s.Store.CountRooms(ctx, s.max)
		if err != nil {
			return err
		}
		c.counted, c.at, c.added = n, c.now(), 0
	}
	if c.counted+c.added >= s.max {
		return hubbub.Errorf(hubbub.ECodeLimit, "the server keeps at most %d rooms and has them all: %q would be a new one", s.max, room)
	}
	c.added++
	return nil
}

// checkNewRoom is roomCap.checkNew for the hub's own ways a room comes into being — opening a
// room with no entries, an entry sent to a room not open here — with a store failure
// answered as the room being unavailable.
func (h *Hub) checkNewRoom(ctx context.Context, room string) error {
	err := h.capped.checkNew(ctx, room)
	if err != nil && hubbub.ErrorCode(err) != hubbub.ECodeLimit {
		return h.unavailable("room count", room, err)
	}
	return err
}
