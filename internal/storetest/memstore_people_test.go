package storetest_test

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"maps"
	"regexp"
	"slices"
	"strings"
	"time"

	"hubbub"
	"hubbub/internal/sqlstore"
)

// The people of memStore: users, sessions, invites, room metadata, memberships and read
// positions, as the UserStore and RoomStore contracts say, with bugs of their own.

// memUser is a stored user and what the store keeps beside it.
type memUser struct {
	hubbub.User
	nameKey         string // hubbub.NameKey(Name)
	keyHash         string // a guest's key (SecretHash)
	password        string
	issuer, subject string // an app user's token
}

// memInvite is a stored invite and whether it was used.
type memInvite struct {
	hubbub.Invite
	used bool
}

// ms is t as the store keeps times: UTC, to the millisecond.
func ms(t time.Time) time.Time { return t.UTC().Truncate(time.Millisecond) }

// pause lets another goroutine in between a check and the act it allows, as a store without
// a unique index or a transaction would: the bugs that race use it. It waits until the next
// caller has passed the same check (up to pauseFor), not a fixed time: on a loaded machine
// the other racers may not run within any short sleep, and the planted bug would go unseen.
// Each caller waits for the one after it (not only the first two for each other): racers
// that a busy machine spreads out in time still overlap pairwise, so a quota filled by the
// fifth of twelve is still passed by the sixth.
func (s *memStore) pause() {
	s.pausers++
	me := s.pausers
	s.mu.Unlock()
	deadline := time.Now().Add(pauseFor)
	for {
		time.Sleep(time.Millisecond)
		s.mu.Lock()
		if s.pausers > me || time.Now().After(deadline) {
			return
		}
		s.mu.Unlock()
	}
}

// pauseFor bounds pause's wait for a second racer.
const pauseFor = 300 * time.Millisecond

// holder returns the user holding a name with key, or nil. Bug "namecase": compares names
// byte for byte instead of by key.
func (s *memStore) holder(name, key string) *memUser {
	for _, u := range s.users {
		if u.nameKey == key && s.bug != "namecase" || s.bug == "namecase" && u.Name == name {
			return u
		}
	}
	return nil
}

func nameTaken(name string) *hubbub.Error {
	return hubbub.Errorf(hubbub.ECodeNameTaken, "the name %q is taken", name)
}

// newUser stores a user named name (which must be free) with key nameKey.
func (s *memStore) newUser(u hubbub.User, nameKey string) *memUser {
	var b [16]byte
	_, _ = rand.Read(b[:])
	u.ID = "u_" + hex.EncodeToString(b[:])
	u.Created = ms(s.now())
	u.Disabled, u.LastSeen = false, time.Time{}
	mu := &memUser{User: u, nameKey: nameKey}
	s.users[u.ID] = mu
	s.usersChanged()
	return mu
}

// claim checks that name may be taken by user self (nil: a new user) and returns its key.
func (s *memStore) claim(name string, self *memUser) (string, error) {
	key, err := hubbub.NameKey(name)
	if err != nil {
		return "", err
	}
	if h := s.holder(name, key); h != nil && h != self {
		return "", nameTaken(name)
	}
	if s.bug == "namerace" {
		s.pause()
	}
	return key, nil
}

func validRole(role string) bool {
	return role == "" || role == hubbub.RoleAdmin || role == hubbub.RoleModerator || role == hubbub.RoleMember
}

func (s *memStore) CreateUser(ctx context.Context, u hubbub.User, passwordHash string) (hubbub.User, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(ctx); err != nil {
		return hubbub.User{}, err
	}
	if !validRole(u.Role) {
		return hubbub.User{}, hubbub.Errorf(hubbub.ECodeBadField, "unknown role %q", u.Role)
	}
	key, err := s.claim(u.Name, nil)
	if err != nil {
		return hubbub.User{}, err
	}
	if u.Kind == "" {
		u.Kind = hubbub.UserAccount
	}
	mu := s.newUser(u, key)
	mu.password = passwordHash
	return mu.User, nil
}

func (s *memStore) ClaimGuest(ctx context.Context, name, keyHash string) (hubbub.User, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(ctx); err != nil {
		return hubbub.User{}, err
	}
	if keyHash == "" {
		return hubbub.User{}, hubbub.Errorf(hubbub.ECodeMissing, "a guest needs a key")
	}
	var guest *memUser
	for _, u := range s.users {
		if u.Kind == hubbub.UserGuest && u.keyHash == keyHash && (s.bug != "guestnew" || u.Name == name) {
			guest = u
		}
	}
	if guest != nil && guest.Disabled && s.bug != "guestdisabled" {
		return hubbub.User{}, hubbub.Errorf(hubbub.ECodeForbidden, "user %q is disabled", guest.Name)
	}
	key, err := s.claim(name, guest)
	if err != nil {
		if guest != nil && hubbub.ErrorCode(err) == hubbub.ECodeNameTaken {
			return guest.User, err
		}
		return hubbub.User{}, err
	}
	if guest != nil && sqlstore.SameGuestName(guest.Name, name, key) && s.bug != "guestrespell" {
		return guest.User, nil
	}
	if guest == nil {
		guest = s.newUser(hubbub.User{Name: name, Kind: hubbub.UserGuest}, key)
		guest.keyHash = keyHash
	}
	if guest.Name != name {
		s.usersChanged()
	}
	guest.Name, guest.nameKey = name, key
	return guest.User, nil
}

func (s *memStore) GuestByKey(ctx context.Context, keyHash string) (hubbub.User, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(ctx); err != nil {
		return hubbub.User{}, false, err
	}
	for _, u := range s.users {
		if u.keyHash == keyHash && keyHash != "" && (u.Kind == hubbub.UserGuest || s.bug == "guestbykeyaccount") {
			return u.User, true, nil
		}
	}
	return hubbub.User{}, false, nil
}

func (s *memStore) ExternalUser(ctx context.Context, issuer, subject, name, role string) (hubbub.User, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(ctx); err != nil {
		return hubbub.User{}, err
	}
	if subject == "" {
		return hubbub.User{}, hubbub.Errorf(hubbub.ECodeMissing, "a token's user needs a subject")
	}
	if !validRole(role) {
		return hubbub.User{}, hubbub.Errorf(hubbub.ECodeBadField, "unknown role %q", role)
	}
	var app *memUser
	for _, u := range s.users {
		if u.Kind == hubbub.UserApp && u.issuer == issuer && u.subject == subject {
			app = u
		}
	}
	if app == nil {
		key, err := s.claim(name, nil)
		if err != nil {
			return hubbub.User{}, err
		}
		app = s.newUser(hubbub.User{Name: name, Kind: hubbub.UserApp, Role: role}, key)
		app.issuer, app.subject = issuer, subject
		return app.User, nil
	}
	if s.bug == "externaldisabled" {
		app.Disabled = false
	}
	if name != app.Name {
		key, err := s.claim(name, app)
		switch {
		case err == nil:
			app.Name, app.nameKey = name, key
			s.usersChanged()
		case s.bug == "externalrename" || hubbub.ErrorCode(err) != hubbub.ECodeNameTaken:
			return hubbub.User{}, err
		}
	}
	if app.Role != role {
		s.usersChanged()
	}
	app.Role = role
	return app.User, nil
}

func (s *memStore) UserByID(ctx context.Context, id string) (hubbub.User, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(ctx); err != nil {
		return hubbub.User{}, false, err
	}
	if u := s.users[id]; u != nil {
		return u.User, true, nil
	}
	return hubbub.User{}, false, nil
}

func (s *memStore) UserByName(ctx context.Context, name string) (hubbub.User, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(ctx); err != nil {
		return hubbub.User{}, false, err
	}
	key, err := hubbub.NameKey(name)
	if err != nil {
		return hubbub.User{}, false, nil // no user can hold a name that is not valid
	}
	if u := s.holder(name, key); u != nil {
		return u.User, true, nil
	}
	return hubbub.User{}, false, nil
}

func (s *memStore) UsersByID(ctx context.Context, ids []string) ([]hubbub.User, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(ctx); err != nil {
		return nil, err
	}
	var out []hubbub.User
	for _, id := range ids {
		if u := s.users[id]; u != nil && !slices.ContainsFunc(out, func(o hubbub.User) bool { return o.ID == id }) {
			out = append(out, u.User)
		}
	}
	return out, nil
}

func (s *memStore) Users(ctx context.Context, after string, limit int) ([]hubbub.User, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(ctx); err != nil {
		return nil, err
	}
	var out []hubbub.User
	for _, id := range slices.Sorted(maps.Keys(s.users)) {
		if (id > after || s.bug == "usersafter" && id == after) && len(out) < limit {
			out = append(out, s.users[id].User)
		}
	}
	return out, nil
}

func (s *memStore) UpdateUser(ctx context.Context, id string, c hubbub.UserChange) (hubbub.User, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(ctx); err != nil {
		return hubbub.User{}, err
	}
	u := s.users[id]
	if u == nil {
		return hubbub.User{}, hubbub.Errorf(hubbub.ECodeNotFound, "no user %s", id)
	}
	if c.Role != nil {
		if !validRole(*c.Role) {
			return hubbub.User{}, hubbub.Errorf(hubbub.ECodeBadField, "unknown role %q", *c.Role)
		}
		if s.bug == "updatepartial" {
			u.Role = *c.Role
		}
	}
	before := u.User
	defer func() {
		if u.Name != before.Name || u.Kind != before.Kind || u.Role != before.Role || u.Disabled != before.Disabled {
			s.usersChanged()
		}
	}()
	key := u.nameKey
	if c.Name != nil {
		var err error
		if key, err = s.claim(*c.Name, u); err != nil {
			return hubbub.User{}, err
		}
		u.Name = *c.Name
	}
	u.nameKey = key
	if c.Role != nil {
		u.Role = *c.Role
	}
	if c.Disabled != nil {
		u.Disabled = *c.Disabled
		if u.Disabled && s.bug != "disablesessions" {
			s.deleteSessions(id)
			s.signedOut(id)
		}
	}
	if c.PasswordHash != nil {
		u.password = *c.PasswordHash
		if u.Kind == hubbub.UserGuest {
			u.Kind = hubbub.UserAccount
		}
	}
	return u.User, nil
}

func (s *memStore) PasswordHash(ctx context.Context, id string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(ctx); err != nil {
		return "", err
	}
	u := s.users[id]
	if u == nil {
		return "", hubbub.Errorf(hubbub.ECodeNotFound, "no user %s", id)
	}
	return u.password, nil
}

func (s *memStore) SeenAt(ctx context.Context, id string, t time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(ctx); err != nil {
		return err
	}
	if u := s.users[id]; u != nil && (ms(t).After(u.LastSeen) || s.bug == "seenback") {
		u.LastSeen = ms(t)
	}
	return nil
}

func (s *memStore) CreateSession(ctx context.Context, ls hubbub.LoginSession) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(ctx); err != nil {
		return err
	}
	if s.users[ls.User] == nil {
		return hubbub.Errorf(hubbub.ECodeNotFound, "no user %s", ls.User)
	}
	ls.Created, ls.Expires = ms(ls.Created), ms(ls.Expires)
	s.sessions[ls.ID] = ls
	return nil
}

func (s *memStore) Session(ctx context.Context, id string) (hubbub.LoginSession, hubbub.User, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(ctx); err != nil {
		return hubbub.LoginSession{}, hubbub.User{}, false, err
	}
	ls, ok := s.sessions[id]
	if !ok || !ls.Expires.After(time.Now()) && s.bug != "sessionexpired" {
		return hubbub.LoginSession{}, hubbub.User{}, false, nil
	}
	u := s.users[ls.User]
	if u == nil || u.Disabled {
		return hubbub.LoginSession{}, hubbub.User{}, false, nil
	}
	return ls, u.User, true, nil
}

func (s *memStore) DeleteSession(ctx context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(ctx); err != nil {
		return err
	}
	if ls, ok := s.sessions[id]; ok {
		s.signedOut(ls.User)
	}
	delete(s.sessions, id)
	return nil
}

func (s *memStore) DeleteSessions(ctx context.Context, user string) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(ctx); err != nil {
		return 0, err
	}
	s.signedOut(user)
	return s.deleteSessions(user), nil
}

// signedOut counts a sign-out on user (hubbub.User.SignOuts), which moves the users'
// generation. Bug "signoutsilent": a sign-out counts nothing.
func (s *memStore) signedOut(user string) {
	if u := s.users[user]; u != nil && s.bug != "signoutsilent" {
		u.SignOuts++
		s.usersChanged()
	}
}

func (s *memStore) deleteSessions(user string) int {
	n := 0
	for id, ls := range s.sessions {
		if ls.User == user {
			delete(s.sessions, id)
			n++
		}
	}
	return n
}

func (s *memStore) CreateInvite(ctx context.Context, inv hubbub.Invite) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(ctx); err != nil {
		return err
	}
	if !validRole(inv.Role) {
		return hubbub.Errorf(hubbub.ECodeBadField, "unknown role %q", inv.Role)
	}
	inv.Expires = ms(inv.Expires)
	s.invites[inv.ID] = &memInvite{Invite: inv}
	return nil
}

func (s *memStore) RedeemInvite(ctx context.Context, id string, u hubbub.User, passwordHash string) (hubbub.User, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(ctx); err != nil {
		return hubbub.User{}, err
	}
	inv := s.invites[id]
	if inv == nil || inv.used && s.bug != "inviteagain" || !inv.Expires.After(time.Now()) {
		return hubbub.User{}, hubbub.Errorf(hubbub.ECodeNotFound, "no such invite, or it was used or has expired")
	}
	if s.bug == "inviterace" {
		s.pause()
	}
	key, err := s.claim(u.Name, nil)
	if err != nil {
		return hubbub.User{}, err
	}
	mu := s.newUser(hubbub.User{Name: u.Name, Kind: hubbub.UserAccount, Role: inv.Role}, key)
	mu.password = passwordHash
	inv.used = true
	return mu.User, nil
}

// Rooms.

// metaOf returns room's metadata and counts as RoomMeta reads them, found false for a room
// with neither metadata nor entries.
func (s *memStore) metaOf(room string) (hubbub.RoomMeta, bool) {
	r, stored := s.rooms[room], s.metas[room]
	if stored == nil && (r == nil || r.last == 0) {
		return hubbub.RoomMeta{}, false
	}
	meta := hubbub.RoomMeta{Name: room}
	if stored != nil {
		meta = *stored
	}
	for _, m := range s.members[room] {
		if !m.Invited {
			meta.Members++
		}
	}
	if r != nil {
		meta.LastSeq = r.last
		if n := len(r.entries); n > 0 && r.entries[n-1].Seq == r.last {
			meta.LastActivity = r.entries[n-1].Time
		}
	}
	return meta, true
}

// ensureMeta gives room metadata (public, created at t) if it has none, and returns it.
func (s *memStore) ensureMeta(room string, t time.Time) *hubbub.RoomMeta {
	m := s.metas[room]
	if m == nil {
		m = &hubbub.RoomMeta{Name: room, Created: t}
		s.metas[room] = m
	}
	return m
}

// nameOf returns user id's current name, or fallback if the store has no such user.
func (s *memStore) nameOf(id, fallback string) string {
	if u := s.users[id]; u != nil {
		return u.Name
	}
	return fallback
}

func (s *memStore) checkTopic(e hubbub.Entry) *hubbub.Error {
	if len(e.Text) > hubbub.MaxTopicLen && s.bug != "topiclong" {
		return hubbub.Errorf(hubbub.ECodeTooLong, "a topic is at most %d bytes", hubbub.MaxTopicLen)
	}
	return nil
}

func validRoomRole(r hubbub.RoomRole) bool {
	return r == hubbub.RoomOwner || r == hubbub.RoomModerator || r == hubbub.RoomMember
}

// checkMember checks KindMember entry e against the room's members and returns the subject's
// room role after it.
func (s *memStore) checkMember(e hubbub.Entry) (hubbub.RoomRole, *hubbub.Error) {
	if e.Subject == "" {
		return "", hubbub.Errorf(hubbub.ECodeBadField, "a member change needs a subject")
	}
	if e.Role != "" && !validRoomRole(e.Role) {
		return "", hubbub.Errorf(hubbub.ECodeBadField, "unknown room role %q", e.Role)
	}
	role := cmp.Or(e.Role, hubbub.RoomMember)
	cur := s.members[e.Room][e.Subject]
	switch e.Action {
	case hubbub.MemberInvite:
		if cur != nil && s.bug != "memberexists" {
			return "", hubbub.Errorf(hubbub.ECodeExists, "%s is already a member of %s, or invited", e.SubjectName, e.Room)
		}
		return role, nil
	case hubbub.MemberJoin:
		switch {
		case cur == nil:
			return role, nil
		case !cur.Invited && s.bug != "memberexists":
			return "", hubbub.Errorf(hubbub.ECodeExists, "%s is already a member of %s", e.SubjectName, e.Room)
		case s.bug == "joinrole":
			return role, nil
		}
		return cur.Role, nil
	case hubbub.MemberLeave, hubbub.MemberRemove:
		if cur == nil && s.bug != "leavemissing" {
			return "", hubbub.Errorf(hubbub.ECodeNotFound, "%s is not a member of %s", e.SubjectName, e.Room)
		}
		return "", nil
	case hubbub.MemberRole:
		if e.Role == "" {
			return "", hubbub.Errorf(hubbub.ECodeBadField, "a role change needs a role")
		}
		if cur == nil || cur.Invited {
			return "", hubbub.Errorf(hubbub.ECodeNotFound, "%s is not a member of %s", e.SubjectName, e.Room)
		}
		return e.Role, nil
	}
	return "", hubbub.Errorf(hubbub.ECodeBadField, "unknown member action %q", e.Action)
}

// applyRoomChange applies a stored KindTopic or KindMember entry to the room's metadata and
// members.
func (s *memStore) applyRoomChange(e hubbub.Entry) {
	meta := s.ensureMeta(e.Room, e.Time)
	if e.Kind == hubbub.KindTopic {
		meta.Topic = e.Text
		return
	}
	members := s.members[e.Room]
	if members == nil {
		members = map[string]*hubbub.Membership{}
		s.members[e.Room] = members
	}
	switch e.Action {
	case hubbub.MemberInvite:
		members[e.Subject] = &hubbub.Membership{Room: e.Room, User: e.Subject, Name: e.SubjectName, Role: e.Role, Invited: true, Since: e.Time}
	case hubbub.MemberJoin:
		name := e.SubjectName
		if cur := members[e.Subject]; cur != nil && s.bug != "joinname" { // an invitation's name, if the join gives none
			name = cmp.Or(name, cur.Name)
		}
		members[e.Subject] = &hubbub.Membership{Room: e.Room, User: e.Subject, Name: name, Role: e.Role, Since: e.Time}
	case hubbub.MemberLeave, hubbub.MemberRemove:
		delete(members, e.Subject)
	case hubbub.MemberRole:
		members[e.Subject].Role = e.Role
	}
}

func (s *memStore) CreateRoom(ctx context.Context, meta hubbub.RoomMeta, members []hubbub.Membership) (hubbub.RoomMeta, []hubbub.Entry, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(ctx); err != nil {
		return hubbub.RoomMeta{}, nil, err
	}
	r := s.room(meta.Name)
	if s.metas[meta.Name] != nil || r.last > 0 && s.bug != "createseq" {
		return hubbub.RoomMeta{}, nil, hubbub.Errorf(hubbub.ECodeExists, "room %s exists", meta.Name)
	}
	if err := s.keyHeld(meta.Name); err != nil {
		return hubbub.RoomMeta{}, nil, err
	}
	if len(meta.Topic) > hubbub.MaxTopicLen && s.bug != "topiclong" {
		return hubbub.RoomMeta{}, nil, hubbub.Errorf(hubbub.ECodeTooLong, "a topic is at most %d bytes", hubbub.MaxTopicLen)
	}
	for _, m := range members {
		if m.User == "" || m.Role != "" && !validRoomRole(m.Role) {
			return hubbub.RoomMeta{}, nil, hubbub.Errorf(hubbub.ECodeBadField, "member %+v has no user or an unknown role", m)
		}
	}
	if s.bug == "createrace" {
		s.pause()
	}
	s.metas[meta.Name] = &hubbub.RoomMeta{
		Name: meta.Name, Topic: meta.Topic, Private: meta.Private, DM: meta.DM,
		CreatedBy: meta.CreatedBy, Created: ms(s.now()),
	}
	if (meta.Private || meta.DM) && s.bug != "genrooms" {
		s.gens.Rooms++
	}
	from := s.nameOf(meta.CreatedBy, meta.CreatedBy)
	var entries []hubbub.Entry
	now := s.metas[meta.Name].Created
	s.out.creating = true
	defer func() { s.out.creating = false }()
	for _, m := range members {
		entries = append(entries, s.store(r, hubbub.Entry{
			Room: meta.Name, From: from, User: meta.CreatedBy, Kind: hubbub.KindMember, Time: now,
			Subject: m.User, SubjectName: s.nameOf(m.User, m.Name), Action: hubbub.MemberJoin,
			Role: cmp.Or(m.Role, hubbub.RoomMember),
		}))
	}
	out, _ := s.metaOf(meta.Name)
	return out, entries, nil
}

func (s *memStore) RoomMeta(ctx context.Context, room string) (hubbub.RoomMeta, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(ctx); err != nil {
		return hubbub.RoomMeta{}, false, err
	}
	meta, found := s.metaOf(room)
	return meta, found, nil
}

func (s *memStore) ResolveRoom(ctx context.Context, name string) (string, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(ctx); err != nil {
		return "", false, err
	}
	names := s.roomNames()
	if s.bug == "resolveempty" { // a room of metadata alone, or a join's, is not looked at
		names = map[string]bool{}
		for name, r := range s.rooms {
			if r.last > 0 {
				names[name] = true
			}
		}
	}
	// The exact name first: without twins (rooms an upgrade found sharing a key, which
	// memStore never has) it is the room of the key, and the SQL stores' upgrade tests check
	// that a twin is found by its own name.
	if names[name] {
		return name, true, nil
	}
	if s.bug == "resolvefold" { // names compared byte for byte, as before
		return "", false, nil
	}
	// memStore has no twins: they are rooms an upgrade found sharing a key.
	key, first := hubbub.RoomKey(name), ""
	for room := range names {
		if hubbub.RoomKey(room) == key && (first == "" || room < first) {
			first = room
		}
	}
	return first, first != "", nil
}

// keyHeld returns the refusal of room, if it is no room yet (mu held), when another room holds
// its key (hubbub.RoomStore: a key holds one room); nil otherwise. Bugs: "keyfree" refuses
// nothing, as the stores did before names folded; "keyrace" checks, then lets the next caller
// in before the act it allows (pause), as a store that checks without a unique index does.
func (s *memStore) keyHeld(room string) *hubbub.Error {
	if s.bug == "keyfree" || s.metas[room] != nil || s.rooms[room] != nil && s.rooms[room].last > 0 {
		return nil
	}
	key := hubbub.RoomKey(room)
	for name := range s.roomNames() {
		if hubbub.RoomKey(name) == key {
			return hubbub.RoomCase(room, name)
		}
	}
	if s.bug == "keyrace" {
		s.pause()
	}
	return nil
}

func (s *memStore) JoinRoom(ctx context.Context, room, user string) (*hubbub.Entry, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(ctx); err != nil {
		return nil, err
	}
	if m := s.metas[room]; m != nil && (m.Private || m.DM) && s.bug != "joinprivate" {
		return nil, hubbub.Errorf(hubbub.ECodeForbidden, "room %s is private", room)
	}
	if err := s.keyHeld(room); err != nil {
		return nil, err
	}
	now := ms(s.now())
	s.ensureMeta(room, now)
	members := s.members[room]
	if members == nil {
		members = map[string]*hubbub.Membership{}
		s.members[room] = members
	}
	if members[user] != nil && s.bug != "joinagain" {
		return nil, nil
	}
	members[user] = &hubbub.Membership{Room: room, User: user, Name: s.nameOf(user, ""), Role: hubbub.RoomMember, Since: now}
	if !s.lostOwner(room) {
		return nil, nil
	}
	s.joinRace()
	h := s.handOver(s.room(room), hubbub.Entry{Room: room, Subject: user, SubjectName: s.nameOf(user, user)}, members[user])
	return &h, nil
}

// joinRace is, for the bug "joinrace", a join's decision that the room lost its owner acted
// on without the lock (mu held): another join meanwhile decides alike.
func (s *memStore) joinRace() {
	if s.bug == "joinrace" {
		s.mu.Unlock()
		time.Sleep(50 * time.Microsecond)
		s.mu.Lock()
	}
}

// lostOwner reports whether room keeps an owner but has none (mu held): it was created with
// one (CreatedBy), is no DM, and none of its members owns it. Its next joiner owns it. Bug
// "joinownerless": never.
func (s *memStore) lostOwner(room string) bool {
	meta := s.metas[room]
	if s.bug == "joinownerless" || meta == nil || meta.CreatedBy == "" || meta.DM {
		return false
	}
	for _, m := range s.members[room] {
		if !m.Invited && m.Role == hubbub.RoomOwner {
			return false
		}
	}
	return true
}

func (s *memStore) LeaveRoom(ctx context.Context, room, user string) (*hubbub.Entry, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(ctx); err != nil {
		return nil, err
	}
	if m := s.metas[room]; m != nil && (m.Private || m.DM) {
		return nil, hubbub.Errorf(hubbub.ECodeForbidden, "room %s is private: leaving it is an entry", room)
	}
	if s.members[room][user] == nil {
		return nil, nil
	}
	heir, _ := s.checkOwner(hubbub.Entry{Room: room, Subject: user, Action: hubbub.MemberLeave})
	delete(s.members[room], user)
	if heir == nil {
		return nil, nil
	}
	h := s.handOver(s.room(room), hubbub.Entry{Room: room, Subject: user, SubjectName: s.nameOf(user, user)}, heir)
	return &h, nil
}

// checkOwner keeps room e.Room an owner: for KindMember entry e (checked by checkMember, its
// Role the subject's after it) that takes the only owner's ownership away, it refuses a role
// change (bug demotealone: only when others remain), and returns the heir of a leave or
// remove (nil if nobody remains, or another owner does).
func (s *memStore) checkOwner(e hubbub.Entry) (*hubbub.Membership, *hubbub.Error) {
	cur := s.members[e.Room][e.Subject]
	if s.bug == "ownerless" || cur == nil || cur.Invited || cur.Role != hubbub.RoomOwner {
		return nil, nil
	}
	if e.Action == hubbub.MemberRole && e.Role == hubbub.RoomOwner || e.Action != hubbub.MemberRole &&
		e.Action != hubbub.MemberLeave && e.Action != hubbub.MemberRemove {
		return nil, nil
	}
	var heir *hubbub.Membership
	for _, m := range s.members[e.Room] {
		switch {
		case m.User == e.Subject || m.Invited:
		case m.Role == hubbub.RoomOwner:
			return nil, nil
		case heir == nil || s.heirBefore(m, heir):
			heir = m
		}
	}
	if e.Action == hubbub.MemberRole && s.bug != "demotealone" || heir != nil && e.Action == hubbub.MemberRole {
		return nil, hubbub.Errorf(hubbub.ECodeForbidden, "%s is the only owner of %s", e.SubjectName, e.Room)
	}
	return heir, nil
}

// heirBefore reports whether a inherits a room before b: a moderator before a member, then the
// one who has been a member longer, then the lower user id.
func (s *memStore) heirBefore(a, b *hubbub.Membership) bool {
	if am, bm := a.Role == hubbub.RoomModerator, b.Role == hubbub.RoomModerator; am != bm && s.bug != "heirmember" {
		return am
	}
	if !a.Since.Equal(b.Since) && s.bug != "heirid" {
		return a.Since.Before(b.Since)
	}
	return a.User < b.User
}

// handOver stores, after leaving (the only owner's leave or remove, stored), the entry that
// makes heir the owner.
func (s *memStore) handOver(r *memRoom, leaving hubbub.Entry, heir *hubbub.Membership) hubbub.Entry {
	return s.store(r, hubbub.Entry{Room: leaving.Room, Kind: hubbub.KindMember, Action: hubbub.MemberRole, Role: hubbub.RoomOwner,
		Auto: s.bug != "noauto", User: leaving.Subject, From: cmp.Or(leaving.SubjectName, leaving.Subject),
		Subject: heir.User, SubjectName: s.nameOf(heir.User, heir.Name)})
}

// membership returns a copy of m with the member's current name.
func (s *memStore) membership(m *hubbub.Membership) hubbub.Membership {
	out := *m
	if s.bug != "membername" {
		out.Name = s.nameOf(m.User, m.Name)
	}
	return out
}

func (s *memStore) Membership(ctx context.Context, room, user string) (hubbub.Membership, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(ctx); err != nil {
		return hubbub.Membership{}, false, err
	}
	if m := s.members[room][user]; m != nil {
		return s.membership(m), true, nil
	}
	return hubbub.Membership{}, false, nil
}

func (s *memStore) Members(ctx context.Context, room, after string, limit int) ([]hubbub.Membership, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(ctx); err != nil {
		return nil, err
	}
	var out []hubbub.Membership
	for _, id := range slices.Sorted(maps.Keys(s.members[room])) {
		if (id > after || s.bug == "membersafter" && id == after) && len(out) < limit {
			out = append(out, s.membership(s.members[room][id]))
		}
	}
	return out, nil
}

func (s *memStore) MembersNamed(ctx context.Context, room string, names []string) ([]hubbub.Membership, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(ctx); err != nil {
		return nil, err
	}
	keys, err := sqlstore.MemberNameKeys(names)
	if err != nil {
		return nil, err
	}
	var out []hubbub.Membership
	for _, u := range s.users {
		named := slices.Contains(keys, u.nameKey)
		if s.bug == "namedexact" {
			named = slices.Contains(names, u.Name)
		}
		if m := s.members[room][u.ID]; m != nil && named {
			out = append(out, s.membership(m))
		}
	}
	return out, nil
}

func (s *memStore) SetRead(ctx context.Context, user, room string, seq uint64) (uint64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(ctx); err != nil {
		return 0, err
	}
	var last uint64
	if r := s.rooms[room]; r != nil {
		last = r.last
	}
	if s.bug != "readclamp" {
		seq = min(seq, last)
	}
	k := [2]string{user, room}
	if seq > s.reads[k] || s.bug == "readback" {
		s.reads[k] = seq
	}
	return s.reads[k], nil
}

func (s *memStore) MyRooms(ctx context.Context, user string) ([]hubbub.MyRoom, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(ctx); err != nil {
		return nil, err
	}
	var out []hubbub.MyRoom
	for _, room := range slices.Sorted(maps.Keys(s.members)) {
		if mr, ok := s.myRoom(user, room); ok {
			out = append(out, mr)
		}
	}
	return out, nil
}

func (s *memStore) MyRoom(ctx context.Context, user, room string) (hubbub.MyRoom, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(ctx); err != nil {
		return hubbub.MyRoom{}, false, err
	}
	mr, ok := s.myRoom(user, room)
	if ok && s.bug == "myroomread" {
		mr.ReadSeq = 0
	}
	return mr, ok, nil
}

// myRoom is the row of user's room list for room (ok false if they are neither a member
// nor invited). Called with mu held.
func (s *memStore) myRoom(user, room string) (hubbub.MyRoom, bool) {
	m := s.members[room][user]
	if m == nil {
		return hubbub.MyRoom{}, false
	}
	meta, _ := s.metaOf(room)
	mr := hubbub.MyRoom{RoomMeta: meta, Role: m.Role, Invited: m.Invited, ReadSeq: s.reads[[2]string{user, room}]}
	if r := s.rooms[room]; r != nil {
		for _, e := range r.entries {
			if !e.IsMessage() || e.Seq <= mr.ReadSeq || e.Deleted && s.bug != "unreaddeleted" || e.User == user && s.bug != "unreadown" {
				continue
			}
			mr.Unread++
			if e.MentionRoom && s.bug != "mentionroom" || slices.ContainsFunc(e.Mentions, func(mn hubbub.Mention) bool { return mn.User == user }) {
				mr.Mentions++
			}
		}
	}
	if s.bug != "unreadcap" {
		mr.Unread, mr.Mentions = min(mr.Unread, hubbub.MaxUnreadCount), min(mr.Mentions, hubbub.MaxUnreadCount)
	}
	for k, sn := range s.sanctions {
		if k.room == room && (k.user == user && k.kind == hubbub.SanctionBan || s.bug == "bannedany") &&
			(sn.Active(time.Now()) || s.bug == "bannedended") {
			mr.Banned = true
		}
	}
	if mr.Banned && s.bug != "bannedcounts" {
		mr.Unread, mr.Mentions = 0, 0
	}
	if meta.DM {
		for id, other := range s.members[room] {
			if id != user {
				mr.People = append(mr.People, s.nameOf(id, other.Name))
			}
		}
		slices.Sort(mr.People)
	}
	return mr, true
}

// roomNames is the set of rooms RoomMeta finds: with metadata or an entry. Called with mu held.
func (s *memStore) roomNames() map[string]bool {
	names := map[string]bool{}
	for name := range s.metas {
		names[name] = true
	}
	for name, r := range s.rooms {
		if r.last > 0 {
			names[name] = true
		}
	}
	return names
}

func (s *memStore) CountRooms(ctx context.Context, limit int) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(ctx); err != nil {
		return 0, err
	}
	names := s.roomNames()
	if s.bug == "countpast" {
		return len(names), nil
	}
	return min(len(names), max(limit, 0)), nil
}

func (s *memStore) Directory(ctx context.Context, query, after string, limit int) ([]hubbub.RoomMeta, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(ctx); err != nil {
		return nil, err
	}
	names := s.roomNames()
	match := func(text string) bool {
		switch s.bug {
		case "dircase":
			return strings.Contains(text, query)
		case "dirlike": // a LIKE pattern whose wildcards were not escaped
			pattern := strings.NewReplacer("_", ".", "%", ".*").Replace(regexp.QuoteMeta(strings.ToLower(query)))
			return regexp.MustCompile(pattern).MatchString(strings.ToLower(text))
		}
		return strings.Contains(strings.ToLower(text), strings.ToLower(query))
	}
	var out []hubbub.RoomMeta
	for _, name := range slices.Sorted(maps.Keys(names)) {
		meta, _ := s.metaOf(name)
		if name <= after || (meta.Private || meta.DM || hubbub.IsDMRoom(name)) && s.bug != "dirprivate" || len(out) >= limit {
			continue
		}
		if match(meta.Name) || match(meta.Topic) {
			out = append(out, meta)
		}
	}
	return out, nil
}
