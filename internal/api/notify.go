package api

import (
	"fmt"
	"net/http"

	"hubbub"
)

// notifyRequest is the body of PUT /api/rooms/{room}/notify.
type notifyRequest struct {
	// User is the name of the user whose level changes; Level the level.
	User  string `json:"user"`
	Level string `json:"level"`
}

// notifyAnswer is a user's notification level for a room.
type notifyAnswer struct {
	Room  string `json:"room"`
	User  string `json:"user"`
	Name  string `json:"name"`
	Level string `json:"level"`
	// Note, when set, says why the level does not do what it says: "all" notifies only the
	// room's members, and the user is not one (has not joined the public room, or parted it).
	Note string `json:"note,omitempty"`
}

// apiNotify: GET /api/rooms/{room}/notify?user=NAME reads a user's notification level for the
// room, PUT with {user, level} sets it (docs/protocol.md, Notifications), under the user's
// read rights, as their notify frame does (session.Service.NotifyLevel).
func (s *API) apiNotify(w http.ResponseWriter, r *http.Request) error {
	room := r.PathValue("room")
	req := notifyRequest{User: r.URL.Query().Get("user")}
	if r.Method == http.MethodPut {
		if err := readBody(w, r, &req); err != nil {
			return err
		}
		if req.Level == "" {
			return hubbub.Errorf(hubbub.ECodeMissing, "notify needs a \"level\": %q, %q or %q", hubbub.NotifyAll, hubbub.NotifyMention, hubbub.NotifyNothing)
		}
	}
	if req.User == "" {
		return hubbub.Errorf(hubbub.ECodeMissing, "notify needs a \"user\" (a name)")
	}
	ctx, cancel := apiContext(r)
	defer cancel()
	u, err := s.userNamed(ctx, s.hub.Store(), req.User)
	if err != nil {
		return err
	}
	level, err := s.sessions.NotifyLevel(ctx, u.ID, room, req.Level, nil)
	if err != nil {
		return err
	}
	answer := notifyAnswer{Room: room, User: u.ID, Name: u.Name, Level: level}
	if level == hubbub.NotifyAll {
		// The notifier makes "all" candidates of the room's members only (a user who parted a
		// public room hears no more of it), while the level may be set for any room the user
		// may read: a backend that set it for a room the user never joined heard nothing, and
		// nothing said why.
		m, found, err := s.hub.Store().Membership(ctx, room, u.ID)
		if err != nil {
			return s.storeFailed("reading the membership", err)
		}
		if !found || m.Invited {
			answer.Note = fmt.Sprintf("%s is not a member of room %s: %q notifies a room's members only: it takes effect once they join it", u.Name, room, hubbub.NotifyAll)
		}
	}
	writeJSON(w, http.StatusOK, answer)
	return nil
}
