package hub

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"hubbub"
)

// DefaultMaxStoredRooms is Config.MaxStoredRooms' default: far above what a team's server
// holds (DMs included), low enough that a script joining made-up names stops at a size any
// disk holds.
const DefaultMaxStoredRooms = 100_000

// recountAfter is how long roomCap trusts its last count of the stored rooms, plus the rooms
// this node made since, before it counts again: about how late it learns of the rooms other
// nodes made. A count reads up to the cap's rows (BenchmarkCountRooms: ~25 ms at 100,000 on
// this project's machine), so a flood of made-up names costs one count a second, not one each.
const recountAfter = time.Second

// recountNear is the least time between two counts while this node's own new rooms reach the
// cap by its last count: rooms other nodes made are then learnt of sooner than recountAfter,
// at ten counts a second at most.
const recountNear = 100 * time.Millisecond

// maxKnownRooms bounds roomCap's set of rooms known to be stored; past it one is forgotten
// for each one learnt (a forgotten room costs one read of its metadata when next checked).
const maxKnownRooms = 10_000

// roomCap is the Store the hub hands out (Hub.Store): the hub's store, except that CreateRoom
// and JoinRoom refuse a room that does not exist yet once the store holds
// Config.MaxStoredRooms rooms. A room also comes into being by its first entry (an anonymous
// sender's message, the API's publish, an incoming webhook's post); the hub asks checkNew when
// it opens a room with no entries (room.load) and when an entry is sent to a room not open on
// this node (Hub.mayPost, on Send's way), so every way in meets the same cap.
//
// The check is not atomic with the creation after it, and a node learns of the rooms other
// nodes made when it counts again (recountAfter, recountNear): creations running at once, or
// on other nodes within that time, may all pass just below the cap, so the store can end some
// rooms over it. The cap bounds how far rooms grow, not an exact count. Rooms are never
// deleted, so a count is a lower bound for good, and once the cap is reached it stays reached
// until the operator raises it.
type roomCap struct {
	hubbub.Store
	max int
	log *slog.Logger
	now func() time.Time

	// known are rooms found stored (for good: rooms are never deleted), so that a busy
	// room's thousands of first joins (every new guest's) cost a lookup each and no read.
	known     sync.Map // room name → struct{}
	knownSize atomic.Int64

	mu      sync.Mutex // held while counting, so one count runs at a time
	counted int        // rooms at the last count
	at      time.Time  // when
	made    int        // rooms this node made since
	full    bool       // the cap was reached (logged once)
}

// newRoomCap returns store with a cap of max rooms.
func newRoomCap(store hubbub.Store, max int, log *slog.Logger) *roomCap {
	return &roomCap{Store: store, max: max, log: log, now: time.Now}
}

// CreateRoom creates the room unless it would be a room past the cap (ECodeLimit). A room
// that exists goes to the store, which answers ECodeExists.
func (s *roomCap) CreateRoom(ctx context.Context, meta hubbub.RoomMeta, members []hubbub.Membership) (hubbub.RoomMeta, []hubbub.Entry, error) {
	isNew, err := s.chargeNew(ctx, meta.Name)
	if err != nil {
		return hubbub.RoomMeta{}, nil, err
	}
	out, entries, err := s.Store.CreateRoom(ctx, meta, members)
	if err == nil {
		s.stored(meta.Name, isNew)
	}
	return out, entries, err
}

// JoinRoom joins the room unless it would be a room past the cap (ECodeLimit).
func (s *roomCap) JoinRoom(ctx context.Context, room, user string) (*hubbub.Entry, error) {
	isNew, err := s.chargeNew(ctx, room)
	if err != nil {
		return nil, err
	}
	handover, err := s.Store.JoinRoom(ctx, room, user)
	if err == nil {
		s.stored(room, isNew)
	}
	return handover, err
}

// isKnown reports whether room was found stored.
func (s *roomCap) isKnown(room string) bool {
	_, ok := s.known.Load(room)
	return ok
}

// remember records that room is stored.
func (s *roomCap) remember(room string) {
	if _, had := s.known.LoadOrStore(room, struct{}{}); had {
		return
	}
	if s.knownSize.Add(1) <= maxKnownRooms {
		return
	}
	s.known.Range(func(k, _ any) bool { // any one: forget it to stay within the bound
		if k == room {
			return true
		}
		if _, gone := s.known.LoadAndDelete(k); gone { // not counted twice by two at once
			s.knownSize.Add(-1)
		}
		return false
	})
}

// stored records that room is stored after a write that succeeded, and counts it as one this
// node made if checkNew found it new.
func (s *roomCap) stored(room string, isNew bool) {
	s.remember(room)
	if isNew {
		s.mu.Lock()
		s.made++
		s.mu.Unlock()
	}
}

// checkNew returns isNew false if room is stored, true if it is not and the store has room
// for one more, and ECodeLimit if room would be one past the cap. It counts again when its
// last count is older than recountAfter, or when the rooms this node made since reach the cap
// and the count is older than recountNear.
func (s *roomCap) checkNew(ctx context.Context, room string) (isNew bool, err error) {
	if s.isKnown(room) {
		return false, nil
	}
	if _, found, err := s.Store.RoomMeta(ctx, room); err != nil || found {
		if found {
			s.remember(room)
		}
		return false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.recountLocked(ctx, true); err != nil {
		return false, err
	}
	if s.counted+s.made >= s.max {
		if !s.full && s.counted >= s.max {
			s.full = true
			s.log.Warn("the store holds the most rooms allowed: new rooms are refused (raise --max-stored-rooms)",
				"rooms", s.counted, "max", s.max)
		}
		what := fmt.Sprintf("%q would be a new one", room)
		if hubbub.IsDMRoom(room) {
			what = "a new direct message would be one more" // its name is a hash nobody typed
		}
		return false, hubbub.Errorf(hubbub.ECodeLimit, "the server keeps at most %d rooms: %s", s.max, what)
	}
	return true, nil
}

// chargeNew is checkNew for a write about to store room: a new room is charged to ctx's
// maker (WithNewRoomCharge), whose refusal refuses the write.
func (s *roomCap) chargeNew(ctx context.Context, room string) (isNew bool, err error) {
	if isNew, err = s.checkNew(ctx, room); isNew {
		if charge := newRoomCharge(ctx); charge != nil {
			if err = charge(); err != nil {
				return false, err
			}
		}
	}
	return isNew, err
}

// newRoomChargeKey is the context key of WithNewRoomCharge's function.
type newRoomChargeKey struct{}

// WithNewRoomCharge returns ctx carrying charge, which the hub calls when a write made within
// ctx is about to bring a room into being — a join that stores the room in the user's list,
// its creation, a new direct message, a join that opens a room nobody wrote in (a keyless
// guest's, which stores nothing but holds the room in memory) — after the room cap let it;
// charge's error (a *hubbub.Error) refuses it. The session layer
// charges its limit on new rooms per user and per client address so: the cap alone let one
// script fill the store's rooms, for good, in minutes.
func WithNewRoomCharge(ctx context.Context, charge func() error) context.Context {
	return context.WithValue(ctx, newRoomChargeKey{}, charge)
}

// newRoomCharge is ctx's charge for new rooms (WithNewRoomCharge), or nil.
func newRoomCharge(ctx context.Context) func() error {
	charge, _ := ctx.Value(newRoomChargeKey{}).(func() error)
	return charge
}

// mayOpen is checkNew for opening a room with no entries, which stores nothing: while the
// count leaves space, it needs no read of the room's metadata (a keyless guest's every
// reconnect opens again a room nobody has written in).
func (s *roomCap) mayOpen(ctx context.Context, room string) error {
	if s.isKnown(room) {
		return nil
	}
	s.mu.Lock()
	err := s.recountLocked(ctx, false)
	space := s.counted+s.made < s.max
	s.mu.Unlock()
	if err != nil || space {
		return err
	}
	_, err = s.checkNew(ctx, room)
	return err
}

// recountLocked counts the stored rooms again if the last count is older than recountAfter
// or, near (the rooms this node made reach the cap by it), than recountNear. Called with mu
// held.
func (s *roomCap) recountLocked(ctx context.Context, near bool) error {
	age := s.now().Sub(s.at)
	if s.counted >= s.max || age < recountAfter && !(near && s.counted+s.made >= s.max && age >= recountNear) {
		return nil
	}
	n, err := s.Store.CountRooms(ctx, s.max)
	if err != nil {
		return err
	}
	s.counted, s.at, s.made = n, s.now(), 0
	return nil
}

// chargeEmptyOpen charges a room opened with no entries to ctx's maker (WithNewRoomCharge)
// unless it is known to be stored (a stored user's join stored it, and paid, just before): an
// open room holds memory, and a keyless guest's join of a made-up name stores nothing that
// could be charged later. It reads nothing — a keyless guest's reconnects open such a room
// again and again (storecache's TestReconnectsReadTheStoreOnce) — so a room that is stored
// without entries or membership known here is charged too.
func (h *Hub) chargeEmptyOpen(ctx context.Context, room string) error {
	charge := newRoomCharge(ctx)
	if charge == nil || h.capped.isKnown(room) {
		return nil
	}
	return charge()
}

// checkNewRoom is the cap for the hub's own ways a room comes into being — opening a room with
// no entries (open: it stores nothing yet, and needs no read while the cap has space), an entry
// sent to a room not stored yet — with a store failure answered as the room being unavailable.
// It charges nothing (chargeEmptyOpen, chargeNew do).
func (h *Hub) checkNewRoom(ctx context.Context, room string, open bool) error {
	var err error
	if open {
		err = h.capped.mayOpen(ctx, room)
	} else {
		_, err = h.capped.checkNew(ctx, room)
	}
	if err != nil && hubbub.ErrorCode(err) != hubbub.ECodeLimit {
		return h.unavailable("room count", room, err)
	}
	return err
}
