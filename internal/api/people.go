package api

import (
	"context"
	"maps"
	"net/http"
	"slices"
	"strings"

	"hubbub"
	"hubbub/internal/hub"
	"hubbub/internal/wire"
)

// People through the API (docs/api.md, People): users, rooms with metadata, private rooms'
// invitations, direct messages, the directory, a user's rooms and read positions. A backend
// holds the API key, so it acts as a server moderator would: it may invite to any private
// room. What it changes goes where a hubbub.v1 client's change goes — a room's membership as
// an entry of the room's log appended through the hub, a user's list of rooms and read
// position to each of their connections on every node through their user channel — so
// members see it live and in order. Reading for a user (their read position) follows the
// same private-room rule as their join (session.Service.MayRead).

// maxUserIDLen bounds a user id given as a page's after: ids are "u_" and 32 hex digits, an
// anonymous user's "anon:" and a name's key.
const maxUserIDLen = 256

// apiUser is a user as the API shows it.
type apiUser struct {
	ID       string    `json:"id"`
	Name     string    `json:"name"`
	Kind     string    `json:"kind"`
	Role     string    `json:"role"`
	Disabled bool      `json:"disabled,omitempty"`
	Created  wire.Time `json:"created,omitzero"`
	LastSeen wire.Time `json:"last_seen,omitzero"`
}

func newAPIUser(u *hubbub.User) apiUser {
	role := u.Role
	if role == "" {
		role = hubbub.RoleMember
	}
	return apiUser{ID: u.ID, Name: u.Name, Kind: string(u.Kind), Role: role, Disabled: u.Disabled,
		Created: wire.Time{Time: u.Created}, LastSeen: wire.Time{Time: u.LastSeen}}
}

// storeFailed turns a Store's error into the API's: its own refusal as it is, any other
// failure as 503 (logged).
func (s *API) storeFailed(op string, err error) error {
	if hubbub.ErrorCode(err) != "" && hubbub.ErrorCode(err) != hubbub.ECodeInternal {
		return err
	}
	s.cfg.Logger.Error("api: store "+op+" failed", "err", err)
	return apiErrorf(http.StatusServiceUnavailable, hubbub.ECodeUnavailable, "%s failed; try again", op)
}

// userNamed returns the stored user who holds name (compared by NameKey, so a look-alike finds
// them), or 404.
func (s *API) userNamed(ctx context.Context, us hubbub.UserStore, name string) (hubbub.User, error) {
	if err := hubbub.ValidateName(name); err != nil {
		return hubbub.User{}, err
	}
	u, found, err := us.UserByName(ctx, name)
	if err != nil {
		return hubbub.User{}, s.storeFailed("finding "+name, err)
	}
	if !found {
		return hubbub.User{}, hubbub.Errorf(hubbub.ECodeNotFound, "no user is named %q", name)
	}
	return u, nil
}

// actor returns who a request's from acts as: the stored user holding the name (their id and
// their name as stored), else the anonymous user of the name — the user a connection without a
// key would be under that name — so that a bot that never connected keeps posting as before,
// and a stored user's name is theirs alone. A disabled user may not act (403).
func (s *API) actor(ctx context.Context, name string) (id, shown string, err error) {
	u, err := s.actorUser(ctx, name)
	return u.ID, u.Name, err
}

// actorUser is actor's user: the stored one (its Kind says whether it is a bot), or an
// anonymous one (ID and Name only).
func (s *API) actorUser(ctx context.Context, name string) (hubbub.User, error) {
	if err := hubbub.ValidateName(name); err != nil {
		return hubbub.User{}, err
	}
	u, found, err := s.hub.Store().UserByName(ctx, name)
	if err != nil {
		return hubbub.User{}, s.storeFailed("finding "+name, err)
	}
	if found {
		if u.Disabled {
			return hubbub.User{}, hubbub.Errorf(hubbub.ECodeForbidden, "user %q is disabled", u.Name)
		}
		return u, nil
	}
	key, err := hubbub.NameKey(name)
	if err != nil {
		return hubbub.User{}, err
	}
	return hubbub.User{ID: hubbub.AnonymousUserID(key), Name: name}, nil
}

// pageLimit reads a page's limit (a positive integer; default min(DefaultRoomsPage, most)):
// every page of the API — rooms, users, members, the directory — holds as many unless asked.
// A limit past most is answered with most, the rule of every page of the API and of hubbub.v1
// (history caps, and the Go client's recovery asks for a whole gap relying on it): the page's
// next says more remain, so asking for too many costs a client nothing but the page size.
func pageLimit(r *http.Request, most int) (int, error) {
	n, err := queryLimit(r.URL.Query().Get("limit"))
	switch {
	case err != nil:
		return 0, err
	case n == 0:
		return min(DefaultRoomsPage, most), nil
	}
	return min(n, most), nil
}

// userPage reads the limit and after of a page in user id order (users, a room's stored
// members): after is the last id of the page before, so it is at most maxUserIDLen bytes.
func (s *API) userPage(r *http.Request) (limit int, after string, err error) {
	if limit, err = pageLimit(r, s.cfg.RoomsPageMax); err != nil {
		return 0, "", err
	}
	after = r.URL.Query().Get("after")
	if len(after) > maxUserIDLen {
		return 0, "", apiErrorf(http.StatusBadRequest, "bad_request", "after must be a user id (the next of the page before)")
	}
	return limit, after, nil
}

// pageOf returns the page a store's list holds, read with limit+1 to learn whether another
// page follows: its first limit items and, if there are more, next, the key of the last one
// (the after of the next page).
func pageOf[T any](list []T, limit int, key func(*T) string) (page []T, next string) {
	if len(list) > limit {
		return list[:limit], key(&list[limit-1])
	}
	return list, ""
}

// roomAfter reads the after of a page in room name order (rooms, the directory): the last
// name of the page before, so a room name or none.
func roomAfter(r *http.Request) (string, error) {
	after := r.URL.Query().Get("after")
	if after != "" {
		if err := hubbub.ValidateRoom(after); err != nil {
			return "", apiErrorf(http.StatusBadRequest, "bad_request", "after must be a room name (the next of the page before): %s", hubbub.ErrorMessage(err))
		}
	}
	return after, nil
}

// pathUser returns the stored user the {name} of the request's path names, or 404: by name, or
// with ?by=id by their id.
func (s *API) pathUser(ctx context.Context, r *http.Request) (hubbub.User, error) {
	byID, err := pathByID(r)
	if err != nil {
		return hubbub.User{}, err
	}
	if !byID {
		return s.userNamed(ctx, s.hub.Store(), r.PathValue("name"))
	}
	// By id: who a message's sender (its user) is now, whatever name they had then.
	id := r.PathValue("name")
	u, found, err := s.hub.Store().UserByID(ctx, id)
	if err != nil {
		return hubbub.User{}, s.storeFailed("finding user "+id, err)
	}
	if !found {
		return hubbub.User{}, hubbub.Errorf(hubbub.ECodeNotFound, "no user has the id %q", id)
	}
	return u, nil
}

// apiUsers: GET /api/users?after=&limit= — a page of users in ascending id order.
func (s *API) apiUsers(w http.ResponseWriter, r *http.Request) error {
	limit, after, err := s.userPage(r)
	if err != nil {
		return err
	}
	ctx, cancel := apiContext(r)
	defer cancel()
	list, err := s.hub.Store().Users(ctx, after, limit+1)
	if err != nil {
		return s.storeFailed("listing users", err)
	}
	var page struct {
		Users []apiUser `json:"users"`
		Next  string    `json:"next,omitempty"`
	}
	list, page.Next = pageOf(list, limit, func(u *hubbub.User) string { return u.ID })
	page.Users = make([]apiUser, 0, len(list))
	for i := range list {
		page.Users = append(page.Users, newAPIUser(&list[i]))
	}
	writeJSON(w, http.StatusOK, page)
	return nil
}

// apiUser: GET /api/users/{name} — the user who holds name.
func (s *API) apiUser(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := apiContext(r)
	defer cancel()
	u, err := s.pathUser(ctx, r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newAPIUser(&u))
	return nil
}

// apiUserRooms: GET /api/users/{name}/rooms — the user's list of rooms (joined rooms, DMs,
// invitations) with read positions and unread and mention counts, as the rooms frame has it.
func (s *API) apiUserRooms(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := apiContext(r)
	defer cancel()
	u, err := s.pathUser(ctx, r)
	if err != nil {
		return err
	}
	list, err := s.hub.Store().MyRooms(ctx, u.ID)
	if err != nil {
		return s.storeFailed("reading the user's rooms", err)
	}
	writeJSON(w, http.StatusOK, struct {
		User  apiUser       `json:"user"`
		Rooms []wire.MyRoom `json:"rooms"`
	}{newAPIUser(&u), wire.NewRooms(list).Rooms})
	return nil
}

// createRoomRequest is the body of POST /api/rooms.
type createRoomRequest struct {
	Room    string `json:"room"`
	Topic   string `json:"topic,omitempty"`
	Private bool   `json:"private,omitempty"`
	// Owner, if set, names the user who owns the room (its first member).
	Owner string `json:"owner,omitempty"`
}

// cleanTopic cleans a topic as a one-line text and checks its length, as the topic frame does.
func cleanTopic(raw string) (string, error) {
	topic := hubbub.CleanText(raw)
	if len(topic) > hubbub.MaxTopicLen {
		return "", hubbub.Errorf(hubbub.ECodeTooLong, "the topic is longer than %d bytes", hubbub.MaxTopicLen)
	}
	return topic, nil
}

// apiCreateRoom: POST /api/rooms {room, topic?, private?, owner?} — a room with metadata; 409
// exists if the room has metadata or any entry already.
func (s *API) apiCreateRoom(w http.ResponseWriter, r *http.Request) error {
	st := s.hub.Store()
	var req createRoomRequest
	if err := readBody(w, r, &req); err != nil {
		return err
	}
	if err := hubbub.ValidateRoom(req.Room); err != nil {
		return err
	}
	switch {
	case hubbub.IsDMRoom(req.Room):
		return hubbub.Errorf(hubbub.ECodeBadRoom, "room names starting with \"dm.\" are direct messages': POST /api/dms")
	case req.Private && req.Room == hubbub.DefaultRoom:
		return hubbub.Errorf(hubbub.ECodeBadRoom, "room %q is the text protocol's and stays public", hubbub.DefaultRoom)
	}
	topic, err := cleanTopic(req.Topic)
	if err != nil {
		return err
	}
	// Room names are one room whatever their case: a room spelled another way exists.
	if stored, err := s.resolveRoom(r, req.Room); err != nil {
		return err
	} else if stored != req.Room {
		return existsAs(req.Room, stored)
	}
	ctx, cancel := apiContext(r)
	defer cancel()
	meta := hubbub.RoomMeta{Name: req.Room, Topic: topic, Private: req.Private}
	var members []hubbub.Membership
	var owner hubbub.User
	if req.Owner != "" {
		if owner, err = s.userNamed(ctx, st, req.Owner); err != nil {
			return err
		}
		meta.CreatedBy = owner.ID
		members = []hubbub.Membership{{Room: req.Room, User: owner.ID, Name: owner.Name, Role: hubbub.RoomOwner}}
	}
	stored, entries, err := st.CreateRoom(ctx, meta, members)
	if hubbub.ErrorCode(err) == hubbub.ECodeRoomCase {
		// Another spelling was made since the check (at the same instant, on another node
		// say), and the store refused a second room of the name: the check's answer.
		return existsAs(req.Room, hubbub.ErrorStoredRoom(err))
	}
	if err != nil {
		return s.storeFailed("creating the room", err)
	}
	if err := s.hub.Announce(ctx, entries); err != nil {
		return err
	}
	if owner.ID != "" {
		s.notify(ctx, hubbub.UserNotified{User: owner.ID, Room: req.Room, Listed: &hubbub.MyRoom{RoomMeta: stored, Role: hubbub.RoomOwner}})
	}
	s.cfg.Logger.Info("api: room created", "room", req.Room, "private", req.Private, "owner", owner.ID)
	writeJSON(w, http.StatusCreated, wire.NewRoomMeta(&stored))
	return nil
}

// existsAs is the refusal of POST /api/rooms of room, which exists spelled as stored.
func existsAs(room, stored string) error {
	return hubbub.Errorf(hubbub.ECodeExists, "room %q exists already, as %q (room names are one room whatever their case)", room, stored)
}

// apiRoom: GET /api/rooms/{room} — a room's metadata and counts; 404 for a room with neither
// metadata nor entries.
func (s *API) apiRoom(w http.ResponseWriter, r *http.Request) error {
	room := r.PathValue("room")
	st := s.hub.Store()
	ctx, cancel := apiContext(r)
	defer cancel()
	meta, found, err := st.RoomMeta(ctx, room)
	if err != nil {
		return s.storeFailed("reading the room", err)
	}
	if !found {
		return noRoom(room)
	}
	writeJSON(w, http.StatusOK, wire.NewRoomMeta(&meta))
	return nil
}

// storedRoom answers not_found for a room with neither metadata nor entries: a backend with
// a misspelt room name should hear that the room is not there, not read an empty one.
func (s *API) storedRoom(ctx context.Context, room string) error {
	_, found, err := s.hub.Store().RoomMeta(ctx, room)
	if err != nil {
		return s.storeFailed("reading the room", err)
	}
	if !found {
		return noRoom(room)
	}
	return nil
}

// roomInUse is storedRoom that also takes a room with a member on some node (keyless clients
// open a room without storing it): the rooms a moderation or a list of members may name.
func (s *API) roomInUse(ctx context.Context, room string) error {
	if len(s.hub.Members(room)) > 0 {
		return nil
	}
	return s.storedRoom(ctx, room)
}

// apiStoredMembers: GET /api/rooms/{room}/members?stored=1&after=&limit= — a page of the
// room's stored members and invitees (user, name, room role, invited, and their state in the
// room over every node: online, away or offline), in ascending user id order.
func (s *API) apiStoredMembers(w http.ResponseWriter, r *http.Request, room string) error {
	limit, after, err := s.userPage(r)
	if err != nil {
		return err
	}
	ctx, cancel := apiContext(r)
	defer cancel()
	list, err := s.hub.Store().Members(ctx, room, after, limit+1)
	if err != nil {
		return s.storeFailed("reading the members", err)
	}
	if len(list) == 0 && after == "" {
		if err := s.storedRoom(ctx, room); err != nil {
			return err
		}
	}
	inRoom := s.hub.MemberStates(room)
	page := wire.Members{Type: wire.TypeMembers, Room: room}
	list, page.Next = pageOf(list, limit, func(m *hubbub.Membership) string { return m.User })
	page.Members = make([]wire.RoomMember, 0, len(list))
	for _, m := range list {
		state := hub.StateOffline
		if st := inRoom[m.Name]; st != "" && !m.Invited {
			state = st
		}
		page.Members = append(page.Members, wire.RoomMember{User: m.User, Name: m.Name, Role: string(m.Role), Invited: m.Invited, State: state})
	}
	writeJSON(w, http.StatusOK, page)
	return nil
}

// inviteRequest is the body of POST /api/rooms/{room}/invite.
type inviteRequest struct {
	Name string `json:"name"`
	ID   string `json:"id,omitempty"`
}

// memberReply answers an invitation: the entry the room's members got, and whether the id had
// been used before.
type memberReply struct {
	MemberChanged wire.MemberChanged `json:"member_changed"`
	Duplicate     bool               `json:"duplicate"`
}

// apiInvite: POST /api/rooms/{room}/invite {name, id?} — invites the user to a private room,
// as its moderator would (actor "api"); the invitee's connections get the room at once.
func (s *API) apiInvite(w http.ResponseWriter, r *http.Request) error {
	var req inviteRequest
	if err := readBody(w, r, &req); err != nil {
		return err
	}
	room := r.PathValue("room")
	st := s.hub.Store()
	if err := hubbub.ValidateClientID(req.ID); err != nil {
		return err
	}
	ctx, cancel := apiContext(r)
	defer cancel()
	target, err := s.userNamed(ctx, st, req.Name)
	if err != nil {
		return err
	}
	meta, found, err := st.RoomMeta(ctx, room)
	switch {
	case err != nil:
		return s.storeFailed("reading the room", err)
	case !found:
		return noRoom(room)
	case meta.DM:
		return hubbub.Errorf(hubbub.ECodeBadField, "a direct message keeps the people it was started with")
	case !meta.Private:
		return hubbub.Errorf(hubbub.ECodeBadField, "room %q is public: anyone may join it, no invitation needed", room)
	}
	e := hubbub.Entry{Room: room, Kind: hubbub.KindMember, From: apiActor, User: apiActor, ClientID: req.ID,
		Subject: target.ID, SubjectName: target.Name, Action: hubbub.MemberInvite, Role: hubbub.RoomMember}
	stored, dup, err := s.hub.Send(ctx, &e) // an id spent on another request: conflict (409)
	if err != nil {
		return err
	}
	if !dup {
		listed := &hubbub.MyRoom{RoomMeta: meta, Role: hubbub.RoomMember, Invited: true}
		listed.LastSeq, listed.LastActivity = stored.Seq, stored.Time
		s.notify(ctx, hubbub.UserNotified{User: target.ID, Room: room, Listed: listed})
	}
	s.cfg.Logger.Info("api: invited", "room", room, "user", target.ID, "seq", stored.Seq, "duplicate", dup)
	status := http.StatusCreated
	if dup {
		status = http.StatusOK
	}
	writeJSON(w, status, memberReply{MemberChanged: wire.NewMemberChanged(stored), Duplicate: dup})
	return nil
}

// dmRequest is the body of POST /api/dms.
type dmRequest struct {
	Names []string `json:"names"`
}

// dmReply answers POST /api/dms: the DM's room and its people, and whether this call created it.
type dmReply struct {
	Room    wire.RoomMeta `json:"room"`
	People  []string      `json:"people"`
	Created bool          `json:"created"`
}

// apiDM: POST /api/dms {names} — the direct message between exactly these users (two or more,
// at most MaxDMMembers), created on first use and found again after (200); every member's
// connections get the room when it is created (201).
func (s *API) apiDM(w http.ResponseWriter, r *http.Request) error {
	st := s.hub.Store()
	var req dmRequest
	if err := readBody(w, r, &req); err != nil {
		return err
	}
	most := s.cfg.MaxDMMembers
	if most <= 0 {
		most = hubbub.MaxDMMembers
	}
	if len(req.Names) > 4*most { // before any lookup: a long list costs a read per name
		return hubbub.Errorf(hubbub.ECodeLimit, "a direct message has at most %d people", most)
	}
	ctx, cancel := apiContext(r)
	defer cancel()
	people := map[string]hubbub.User{}
	for _, name := range req.Names {
		u, err := s.userNamed(ctx, st, name)
		if err != nil {
			return err
		}
		if u.Disabled {
			return hubbub.Errorf(hubbub.ECodeNotFound, "no user is named %q", name)
		}
		people[u.ID] = u
	}
	switch {
	case len(people) < 2:
		return hubbub.Errorf(hubbub.ECodeBadField, "names must name two users or more")
	case len(people) > most:
		return hubbub.Errorf(hubbub.ECodeLimit, "a direct message has at most %d people", most)
	}
	ids := make([]string, 0, len(people))
	names := make([]string, 0, len(people))
	for id, u := range people {
		ids = append(ids, id)
		names = append(names, u.Name)
	}
	slices.Sort(ids)
	slices.Sort(names)
	room := hubbub.DMRoomName(ids)
	if err := hubbub.CheckDMBots(ctx, st, room, slices.Collect(maps.Values(people))); err != nil {
		return s.storeFailed("reading the bots", err)
	}
	members := make([]hubbub.Membership, len(ids))
	for i, id := range ids {
		members[i] = hubbub.Membership{Room: room, User: id, Name: people[id].Name, Role: hubbub.RoomMember}
	}
	meta, entries, err := st.CreateRoom(ctx, hubbub.RoomMeta{Name: room, Private: true, DM: true}, members)
	if hubbub.ErrorCode(err) == hubbub.ECodeExists {
		var found bool
		meta, found, err = st.RoomMeta(ctx, room)
		if err == nil && !found {
			err = hubbub.Errorf(hubbub.ECodeUnavailable, "direct message %q was not found after it existed; try again", room)
		}
		if err != nil {
			return s.storeFailed("reading the direct message", err)
		}
		writeJSON(w, http.StatusOK, dmReply{Room: wire.NewRoomMeta(&meta), People: names})
		return nil
	}
	if err != nil {
		return s.storeFailed("creating the direct message", err)
	}
	if err := s.hub.Announce(ctx, entries); err != nil {
		return err
	}
	for _, id := range ids {
		others := slices.DeleteFunc(slices.Clone(names), func(n string) bool { return n == people[id].Name })
		s.notify(ctx, hubbub.UserNotified{User: id, Room: room, Listed: &hubbub.MyRoom{RoomMeta: meta, Role: hubbub.RoomMember, People: others}})
	}
	s.cfg.Logger.Info("api: direct message created", "room", room, "people", len(ids))
	writeJSON(w, http.StatusCreated, dmReply{Room: wire.NewRoomMeta(&meta), People: names, Created: true})
	return nil
}

// apiDirectory: GET /api/directory?q=&after=&limit= — a page of the public rooms whose name or
// topic contains q, in name order, as the directory frame has it.
func (s *API) apiDirectory(w http.ResponseWriter, r *http.Request) error {
	st := s.hub.Store()
	limit, err := pageLimit(r, s.cfg.RoomsPageMax)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	query := strings.TrimSpace(q.Get("q"))
	if len(query) > hubbub.MaxRoomLen+hubbub.MaxTopicLen {
		return apiErrorf(http.StatusBadRequest, "bad_request", "q is longer than %d bytes", hubbub.MaxRoomLen+hubbub.MaxTopicLen)
	}
	after, err := roomAfter(r)
	if err != nil {
		return err
	}
	ctx, cancel := apiContext(r)
	defer cancel()
	list, err := st.Directory(ctx, query, after, limit+1)
	if err != nil {
		return s.storeFailed("reading the directory", err)
	}
	page := wire.Directory{Type: wire.TypeDirectory}
	list, page.Next = pageOf(list, limit, func(m *hubbub.RoomMeta) string { return m.Name })
	page.Rooms = make([]wire.RoomMeta, 0, len(list))
	for i := range list {
		page.Rooms = append(page.Rooms, wire.NewRoomMeta(&list[i]))
	}
	writeJSON(w, http.StatusOK, page)
	return nil
}

// readRequest is the body of PUT /api/rooms/{room}/read.
type readRequest struct {
	// User is the name of the user whose position moves.
	User string `json:"user"`
	Seq  uint64 `json:"seq"`
}

// apiRead: PUT /api/rooms/{room}/read {user, seq} — moves the user's read position forward
// (a backend that showed the user the room), as their read frame would: stored monotonic, and
// sent to each of their connections. A private room's position is its members' only (403).
func (s *API) apiRead(w http.ResponseWriter, r *http.Request) error {
	var req readRequest
	if err := readBody(w, r, &req); err != nil {
		return err
	}
	room := r.PathValue("room")
	st := s.hub.Store()
	if req.User == "" {
		return hubbub.Errorf(hubbub.ECodeMissing, "read needs a \"user\" (a name)")
	}
	if req.Seq == 0 {
		// Seqs start at 1: without one the call would move nothing and answer 200, as if it
		// had said where the user read to (the read frame requires it too).
		return hubbub.Errorf(hubbub.ECodeMissing, "read needs a \"seq\": the last message the user has seen, 1 or more")
	}
	ctx, cancel := apiContext(r)
	defer cancel()
	u, err := s.userNamed(ctx, st, req.User)
	if err != nil {
		return err
	}
	if err := s.sessions.MayRead(ctx, room, u.ID); err != nil {
		return err
	}
	// A public room no one joined or wrote to would take the position as 0 and answer 200.
	if err := s.storedRoom(ctx, room); err != nil {
		return err
	}
	seq, err := st.SetRead(ctx, u.ID, room, req.Seq)
	if err != nil {
		return s.storeFailed("storing the read position", err)
	}
	if seq > 0 {
		s.notify(ctx, hubbub.UserNotified{User: u.ID, Room: room, Read: seq})
	}
	writeJSON(w, http.StatusOK, struct {
		Room string `json:"room"`
		User string `json:"user"`
		Name string `json:"name"`
		Seq  uint64 `json:"seq"`
	}{room, u.ID, u.Name, seq})
	return nil
}

// notify publishes a notice on a user's channel. The change it reports is stored already, so
// a broker that fails loses only the live notice (the user's next rooms frame has it): it is
// logged, not answered as an error.
func (s *API) notify(ctx context.Context, n hubbub.UserNotified) {
	if err := s.hub.Notify(ctx, n); err != nil {
		s.cfg.Logger.Warn("api: user notice not sent", "user", n.User, "room", n.Room, "err", err)
	}
}
