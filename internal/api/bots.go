package api

import (
	"context"
	"net/http"

	"hubbub"
	"hubbub/internal/bots"
	"hubbub/internal/session"
)

// Bots and incoming webhooks (docs/api.md, Bots): the admin's endpoints, behind the API key,
// and what a bot's own token may do (botAuth): post and read the messages of the rooms its
// patterns cover.

// botRoutes are the endpoints a bot's token may call, each under /api/rooms/{room}/.
var botRoutes = map[string]bool{
	"POST /api/rooms/{room}/messages":      true,
	"GET /api/rooms/{room}/messages":       true,
	"GET /api/rooms/{room}/messages/{seq}": true,
}

// botKey is the context key of the bot a request's token signed in.
type botKey struct{}

// requestBot returns the bot r acts for, nil for a request with the API key.
func requestBot(r *http.Request) *hubbub.Bot {
	b, _ := r.Context().Value(botKey{}).(*hubbub.Bot)
	return b
}

// botAuth serves a request whose bearer is a bot's token: the live bot holding it may call
// botRoutes in rooms its patterns cover and may read (MayRead: a private room's members only).
// The routes' room is checked once resolved to its stored name (inRoom), with which the
// patterns are compared.
func (s *API) botAuth(w http.ResponseWriter, r *http.Request, m *http.ServeMux, token string) error {
	ctx, cancel := apiContext(r)
	defer cancel()
	b, found, err := s.sessions.Bot(ctx, token)
	switch {
	case err != nil:
		return err
	case !found:
		s.cfg.Logger.Info("api: unknown bot token", "remote", r.RemoteAddr, "path", r.URL.Path)
		w.Header().Set("WWW-Authenticate", `Bearer realm="hubbub"`)
		return apiErrorf(http.StatusUnauthorized, "unauthorized", "unknown bot token (deleted, rotated, or its bot disabled)")
	}
	// A method no route takes on the path, or a path no route has, is answered as it is to
	// the API key (405 with Allow, 404): a bot that PUTs its messages is told the method is
	// wrong, not that it is forbidden — which would send its author looking at its rooms.
	if unrouted(w, r, m) {
		return nil
	}
	_, pattern := m.Handler(r)
	if !botRoutes[pattern] {
		return apiErrorf(http.StatusForbidden, hubbub.ECodeForbidden,
			"a bot's token may only post and read the messages of its rooms (POST and GET /api/rooms/{room}/messages)")
	}
	m.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), botKey{}, &b)))
	return nil
}

// botReply answers the creation or rotation of a bot: the token is shown this once.
type botReply struct {
	Bot   apiBot `json:"bot"`
	Token string `json:"token,omitempty"`
}

// botRequest is the body of POST /api/bots and PATCH /api/bots/{id}.
type botRequest struct {
	Name  string    `json:"name"`
	Rooms *[]string `json:"rooms"`
}

// apiCreateBot: POST /api/bots {name, rooms} — a bot and its token.
func (s *API) apiCreateBot(w http.ResponseWriter, r *http.Request) error {
	var req botRequest
	if err := readBody(w, r, &req); err != nil {
		return err
	}
	var rooms []string
	if req.Rooms != nil {
		rooms = *req.Rooms
	}
	if len(rooms) == 0 {
		// A bot with no patterns may join and post nowhere, and its token is shown only now,
		// as hubbub bot create without --rooms says.
		return apiErrorf(http.StatusBadRequest, hubbub.ECodeMissing,
			`a bot needs "rooms": the rooms it may enter, as names, prefixes ending in *, or * for every room but DMs`)
	}
	ctx, cancel := apiContext(r)
	defer cancel()
	b, token, err := bots.Create(ctx, s.hub.Store(), req.Name, rooms)
	if err != nil {
		return s.storeFailed("creating the bot", err)
	}
	s.cfg.Logger.Info("api: bot created", "bot", b.User.ID, "name", b.User.Name, "rooms", b.Rooms)
	writeJSON(w, http.StatusCreated, botReply{Bot: newAPIBot(&b), Token: token})
	return nil
}

// apiBots: GET /api/bots — every live bot.
func (s *API) apiBots(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := apiContext(r)
	defer cancel()
	list, err := s.hub.Store().Bots(ctx)
	if err != nil {
		return s.storeFailed("listing bots", err)
	}
	writeJSON(w, http.StatusOK, map[string]any{"bots": mapped(list, newAPIBot)})
	return nil
}

// pathBot returns the live bot the {bot} of the path names (a user id or a name).
func (s *API) pathBot(ctx context.Context, r *http.Request) (hubbub.Bot, error) {
	b, err := bots.Find(ctx, s.hub.Store(), r.PathValue("bot"))
	if err != nil {
		return hubbub.Bot{}, s.storeFailed("finding the bot", err)
	}
	return b, nil
}

// apiBot: GET /api/bots/{bot}.
func (s *API) apiBot(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := apiContext(r)
	defer cancel()
	b, err := s.pathBot(ctx, r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, botReply{Bot: newAPIBot(&b)})
	return nil
}

// apiUpdateBot: PATCH /api/bots/{bot} {rooms} — replaces its room patterns.
func (s *API) apiUpdateBot(w http.ResponseWriter, r *http.Request) error {
	var req botRequest
	if err := readBody(w, r, &req); err != nil {
		return err
	}
	if req.Name != "" || req.Rooms == nil {
		return apiErrorf(http.StatusBadRequest, hubbub.ECodeBadField, "PATCH takes {\"rooms\": [...]} only")
	}
	ctx, cancel := apiContext(r)
	defer cancel()
	b, err := s.pathBot(ctx, r)
	if err != nil {
		return err
	}
	if b, err = s.hub.Store().UpdateBot(ctx, b.User.ID, hubbub.BotChange{Rooms: req.Rooms}); err != nil {
		return s.storeFailed("changing the bot", err)
	}
	s.cfg.Logger.Info("api: bot rooms changed", "bot", b.User.ID, "rooms", b.Rooms)
	s.botChanged(ctx, b.User.ID)
	writeJSON(w, http.StatusOK, botReply{Bot: newAPIBot(&b)})
	return nil
}

// apiRotateBot: POST /api/bots/{bot}/token — a fresh token; the old one stops working.
func (s *API) apiRotateBot(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := apiContext(r)
	defer cancel()
	b, err := s.pathBot(ctx, r)
	if err != nil {
		return err
	}
	b, token, err := bots.Rotate(ctx, s.hub.Store(), b.User.ID)
	if err != nil {
		return s.storeFailed("rotating the token", err)
	}
	s.cfg.Logger.Info("api: bot token rotated", "bot", b.User.ID)
	s.botChanged(ctx, b.User.ID)
	writeJSON(w, http.StatusOK, botReply{Bot: newAPIBot(&b), Token: token})
	return nil
}

// apiDeleteBot: DELETE /api/bots/{bot} — its token and hooks go, its user is disabled.
func (s *API) apiDeleteBot(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := apiContext(r)
	defer cancel()
	b, err := s.pathBot(ctx, r)
	if err != nil {
		return err
	}
	if err := s.hub.Store().DeleteBot(ctx, b.User.ID); err != nil {
		return s.storeFailed("deleting the bot", err)
	}
	s.cfg.Logger.Info("api: bot deleted", "bot", b.User.ID, "name", b.User.Name)
	s.botChanged(ctx, b.User.ID)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// botChanged tells every node of a change the store took (Service.BotChanged): the bot's live
// connections lose at once what it may no longer read. A broker that cannot carry it does not
// undo the change: it is logged, and the other nodes learn of it from the store's users'
// generation, which the change moved, at their next poll (--store-cache-poll).
func (s *API) botChanged(ctx context.Context, id string) {
	if err := s.sessions.BotChanged(ctx, id); err != nil {
		s.cfg.Logger.Warn("api: the other nodes could not be told of a bot's change", "bot", id, "err", err)
	}
}

// hookRequest is the body of POST /api/hooks.
type hookRequest struct {
	Room string `json:"room"`
	// Bot names the bot the hook posts as (a name or user id); a name no user holds makes a
	// new bot; "" is "hook-" and the room.
	Bot string `json:"bot,omitempty"`
}

// hookReply answers the creation of a hook: its path with the secret, shown this once.
type hookReply struct {
	Hook   apiHook `json:"hook"`
	Secret string  `json:"secret"`
	Path   string  `json:"path"`
}

// apiCreateHook: POST /api/hooks {room, bot?}.
func (s *API) apiCreateHook(w http.ResponseWriter, r *http.Request) error {
	var req hookRequest
	if err := readBody(w, r, &req); err != nil {
		return err
	}
	// The hook posts to the room as stored, however the request spelled it, as a path's room
	// (inRoom); a name that is no room's yet, or no valid name, is kept as given, and
	// CreateHook checks it.
	room, err := s.storedName(r, req.Room)
	if err != nil {
		return err
	}
	ctx, cancel := apiContext(r)
	defer cancel()
	h, secret, err := bots.CreateHook(ctx, s.hub.Store(), room, req.Bot)
	if err != nil {
		return s.storeFailed("creating the hook", err)
	}
	s.cfg.Logger.Info("api: incoming hook created", "hook", h.ID, "room", h.Room, "bot", h.BotName)
	writeJSON(w, http.StatusCreated, hookReply{Hook: newAPIHook(&h), Secret: secret, Path: bots.HookPath(h.ID, secret)})
	return nil
}

// apiHooks: GET /api/hooks — every incoming hook (without secrets).
func (s *API) apiHooks(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := apiContext(r)
	defer cancel()
	list, err := s.hub.Store().IncomingHooks(ctx)
	if err != nil {
		return s.storeFailed("listing hooks", err)
	}
	writeJSON(w, http.StatusOK, map[string]any{"hooks": mapped(list, newAPIHook)})
	return nil
}

// apiDeleteHook: DELETE /api/hooks/{id}.
func (s *API) apiDeleteHook(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := apiContext(r)
	defer cancel()
	if err := s.hub.Store().DeleteIncomingHook(ctx, r.PathValue("id")); err != nil {
		return s.storeFailed("deleting the hook", err)
	}
	s.cfg.Logger.Info("api: incoming hook deleted", "hook", r.PathValue("id"))
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// botMayUseRoom is the rule a bot's request about room meets, with its token (botAuth) or
// through one of its incoming hooks (Hooks.botMayPost): its room patterns cover the room (an
// emptied list is a pause: none), and a private room or DM has it as a member.
func botMayUseRoom(ctx context.Context, sessions *session.Service, b *hubbub.Bot, room string) error {
	if !b.MayUse(room) {
		return b.RoomRefused(room)
	}
	return sessions.MayRead(ctx, room, b.User.ID)
}
