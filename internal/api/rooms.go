package api

import (
	"net/http"

	"hubbub"
	"hubbub/internal/wire"
)

// Pages of GET /api/rooms.
const (
	// DefaultRoomsPage is how many rooms a page holds when the request gives no limit (or
	// RoomsPageMax, if that is smaller).
	DefaultRoomsPage = 100
	// DefaultRoomsPageMax is the largest limit a request may give, unless Config.RoomsPageMax
	// (--rooms-page-max) says otherwise.
	DefaultRoomsPageMax = 1000
)

// roomEntry is one room of GET /api/rooms.
type roomEntry struct {
	Name string `json:"name"`
	// LastSeq is the room's highest seq (0: nobody has written in it yet).
	LastSeq uint64 `json:"last_seq"`
	// LastActivity is the time of the room's last message; null if it has none, or
	// retention removed it.
	LastActivity *string `json:"last_activity"`
	// Members and Connections are the room's presence as this node knows it, and OpenHere
	// whether it knows it: a node holds a room (and hears the other nodes' members of it)
	// only while one of its own connections is in the room. Without OpenHere both are 0.
	Members     int  `json:"members"`
	Connections int  `json:"connections"`
	OpenHere    bool `json:"open_here"`
}

// roomsPage is the answer of GET /api/rooms.
type roomsPage struct {
	Node  string      `json:"node"`
	Rooms []roomEntry `json:"rooms"`
	// Next is the after of the next page; absent on the last page.
	Next string `json:"next,omitempty"`
}

// apiRooms: GET /api/rooms?limit=&after= — a page of rooms in byte order of names: every room
// of the store (so every node's), and the rooms open here that nobody has written in yet.
func (s *API) apiRooms(w http.ResponseWriter, r *http.Request) error {
	limit, err := pageLimit(r, s.cfg.RoomsPageMax)
	if err != nil {
		return err
	}
	after, err := roomAfter(r)
	if err != nil {
		return err
	}
	ctx, cancel := apiContext(r)
	defer cancel()
	// One more than the page from each source tells whether another page follows: the first
	// limit+1 names of their union are among these.
	stored, err := s.hub.StoredRooms(ctx, after, limit+1)
	if err != nil {
		return err
	}
	open := s.hub.OpenRooms(after, limit+1)
	page := roomsPage{Node: s.cfg.Node, Rooms: make([]roomEntry, 0, min(limit, len(stored)+len(open)))}
	for i, j := 0, 0; len(page.Rooms) <= limit && (i < len(stored) || j < len(open)); {
		var e roomEntry
		switch {
		case j == len(open) || i < len(stored) && stored[i].Name < open[j]:
			e = storedEntry(stored[i])
			i++
		case i == len(stored) || open[j] < stored[i].Name:
			e = roomEntry{Name: open[j]}
			j++
		default: // in both
			e = storedEntry(stored[i])
			i, j = i+1, j+1
		}
		if len(page.Rooms) == limit {
			page.Next = page.Rooms[limit-1].Name
			break
		}
		if p, ok := s.hub.Presence(e.Name); ok {
			e.Members, e.Connections, e.OpenHere = p.Members, p.Connections, true
		}
		page.Rooms = append(page.Rooms, e)
	}
	writeJSON(w, http.StatusOK, page)
	return nil
}

func storedEntry(ri hubbub.RoomInfo) roomEntry {
	e := roomEntry{Name: ri.Name, LastSeq: ri.LastSeq}
	if !ri.LastActivity.IsZero() {
		at := wire.FormatTime(ri.LastActivity)
		e.LastActivity = &at
	}
	return e
}
