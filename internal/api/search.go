package api

import (
	"net/http"

	"hubbub"
	"hubbub/internal/session"
)

// apiSearch: GET /api/search?q=&room=&user=&from=&since=&until=&order=&cursor=&limit= — a page
// of the messages matching q, as hubbub.v1's search answers it (session.Service.Search). With
// user (a name), it searches for that user: room, or all their rooms without it, under their
// read rights (a private room's messages for its members only). Without user, the backend
// acts for no user, as GET …/messages does: it must name a room, and may search any.
func (s *API) apiSearch(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, err := queryLimit(q.Get("limit"))
	if err != nil {
		writeAPIError(w, err)
		return
	}
	req := session.SearchRequest{Room: q.Get("room"), Text: q.Get("q"), From: q.Get("from"), Since: q.Get("since"),
		Until: q.Get("until"), Order: q.Get("order"), Cursor: q.Get("cursor"), Limit: limit}
	ctx, cancel := apiContext(r)
	defer cancel()
	if name := q.Get("user"); name != "" {
		u, err := s.userNamed(ctx, s.hub.Store(), name)
		if err != nil {
			writeAPIError(w, err)
			return
		}
		if u.Disabled {
			writeAPIError(w, hubbub.Errorf(hubbub.ECodeForbidden, "user %q is disabled", u.Name))
			return
		}
		req.User = u.ID
	} else if req.Room == "" && req.Text != "" {
		writeAPIError(w, hubbub.Errorf(hubbub.ECodeMissing, "search needs a room, or a user whose rooms to search"))
		return
	}
	if req.Room != "" {
		// A room in any case is the room stored under another spelling, as in a path
		// (inRoom); Search refuses an invalid one in its words.
		if req.Room, err = s.storedName(r, req.Room); err != nil {
			writeAPIError(w, err)
			return
		}
	}
	res, err := s.sessions.Search(ctx, req)
	if err != nil {
		writeAPIError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}
