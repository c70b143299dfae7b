package session

import (
	"cmp"
	"context"
	"maps"
	"slices"
	"strings"
	"time"

	"hubbub"
	"hubbub/internal/hub"
	"hubbub/internal/wire"
)

// The conversation frames of hubbub.v1 (docs/protocol.md, Conversations): rooms with
// metadata, private rooms and their members, direct messages, the user's list of rooms, the
// directory and read positions. Changes a room's members must see in order are entries of its
// log (a topic, a membership), appended through the hub like a message; what concerns one user
// (a room added to or taken out of their list, a read position) goes to each of their
// connections on every node through their user channel (hub.Notify).

// defaultDirectoryPage is the page a directory request gets when it names no limit.
const defaultDirectoryPage = 50

// isConversation reports whether a frame type is one of the conversation requests.
func isConversation(typ string) bool {
	switch typ {
	case wire.TypeCreate, wire.TypeDM, wire.TypeInvite, wire.TypeRemove, wire.TypePart, wire.TypeTopic,
		wire.TypeRole, wire.TypeRooms, wire.TypeDirectory, wire.TypeMembers, wire.TypeRead:
		return true
	}
	return false
}

// converse answers a conversation frame.
func (j *jsonSession) converse(ctx context.Context, f *wire.ClientFrame) {
	var err error
	switch f.Type {
	case wire.TypeRooms:
		err = j.sendRooms(ctx)
	case wire.TypeDirectory:
		err = j.directory(ctx, f)
	case wire.TypeMembers:
		err = j.members(ctx, f)
	default:
		if f.Room != "" {
			if err = hubbub.ValidateRoom(f.Room); err != nil {
				break
			}
		}
		if !storedUser(j.member) {
			err = hubbub.Errorf(hubbub.ECodeForbidden, "%s needs a user the server keeps: sign in, or say hello with a key", f.Type)
			break
		}
		if j.id.bot != nil {
			// A bot changes only the rooms its patterns cover; a DM's room is named by its
			// people, so only a "dm.*" pattern lets it start or change one.
			room := f.Room
			if f.Type == wire.TypeDM {
				room = "dm."
			}
			if room != "" && !j.id.bot.MayUse(room) {
				err = hubbub.Errorf(hubbub.ECodeForbidden, "bot %q may not use room %q", j.member.CurrentName(), f.Room)
				if f.Type == wire.TypeDM {
					err = hubbub.Errorf(hubbub.ECodeForbidden, "bot %q may not start direct messages: its rooms need the pattern dm.*", j.member.CurrentName())
				}
				break
			}
		}
		if f.Type != wire.TypeCreate && f.Type != wire.TypeDM && f.Type != wire.TypeRead { // read asks MayRead
			if err = j.hideDM(ctx, f.Room); err != nil {
				break
			}
		}
		switch f.Type {
		case wire.TypeCreate:
			err = j.create(ctx, f)
		case wire.TypeDM:
			err = j.dm(ctx, f)
		case wire.TypeInvite, wire.TypeRemove, wire.TypeRole:
			err = j.changeMember(ctx, f)
		case wire.TypePart:
			err = j.part(ctx, f)
		case wire.TypeTopic:
			err = j.topic(ctx, f)
		case wire.TypeRead:
			err = j.read(ctx, f)
		}
	}
	if err != nil {
		j.fail(err, f)
	}
}

// welcomeRooms runs after welcome: a stored user's connection joins its user's channel and is
// sent the user's rooms, unasked (one read of the Store). mark is recheckMark's before hello
// read the account: an account check that began since did not see the connection.
func (j *jsonSession) welcomeRooms(ctx context.Context, mark uint64) {
	if !storedUser(j.member) {
		return
	}
	if err := j.svc.attachUser(ctx, mark, j.member, j.p, j.id.claimed); err != nil {
		j.fail(err, nil)
	}
	if err := j.sendRooms(ctx); err != nil {
		j.fail(err, &wire.ClientFrame{Type: wire.TypeRooms})
	}
}

// sendRooms answers rooms: the user's list, empty for an anonymous user.
func (j *jsonSession) sendRooms(ctx context.Context) error {
	if !storedUser(j.member) {
		j.reply(wire.NewRooms(nil))
		return nil
	}
	rs := j.svc.hub.Store()
	list, err := rs.MyRooms(ctx, j.member.UserID)
	if err != nil {
		return j.svc.storeRefused("reading your rooms", err)
	}
	j.reply(wire.NewRooms(list))
	return nil
}

// create stores a room with its metadata, the sender its owner, and answers room.
func (j *jsonSession) create(ctx context.Context, f *wire.ClientFrame) error {
	rs := j.svc.hub.Store()
	topic := ""
	if f.Topic != nil {
		var err error
		if topic, err = cleanTopic(*f.Topic); err != nil {
			return err
		}
	}
	switch {
	case hubbub.IsDMRoom(f.Room):
		return hubbub.Errorf(hubbub.ECodeBadRoom, "room names starting with \"dm.\" are direct messages': start one with dm")
	case f.Private && f.Room == hubbub.DefaultRoom:
		return hubbub.Errorf(hubbub.ECodeBadRoom, "room %q is the text protocol's and stays public", hubbub.DefaultRoom)
	case f.Room == hubbub.DefaultRoom && !hubbub.CanModerate(j.svc.roleOf(j.member)):
		// Its creator would own it, and a room's owner moderates it: the first guest to
		// create it on a new server would kick and ban everyone from the room every text
		// client is put in. The server's moderators keep it.
		return hubbub.Errorf(hubbub.ECodeForbidden, "room %q is the server's: only its moderators and admins may create it", hubbub.DefaultRoom)
	}
	if !j.allowWrite(f) { // a room and its entries are stored: limited like a send
		return nil
	}
	me := j.member
	meta, entries, err := rs.CreateRoom(ctx, hubbub.RoomMeta{Name: f.Room, Topic: topic, Private: f.Private, CreatedBy: me.UserID},
		[]hubbub.Membership{{Room: f.Room, User: me.UserID, Name: me.CurrentName(), Role: hubbub.RoomOwner}})
	if err != nil {
		return j.svc.storeRefused("creating the room", err)
	}
	if err := j.svc.hub.Announce(ctx, entries); err != nil {
		return err
	}
	mine := hubbub.MyRoom{RoomMeta: meta, Role: hubbub.RoomOwner}
	j.reply(wire.Room{Type: wire.TypeRoom, MyRoom: wire.NewMyRoom(&mine)})
	j.notify(ctx, hubbub.UserNotified{User: me.UserID, Room: f.Room, Listed: &mine, Skip: me.ConnID})
	return nil
}

// cleanTopic cleans a topic as a one-line text and checks its length.
func cleanTopic(raw string) (string, error) {
	topic := hubbub.CleanText(raw)
	if len(topic) > hubbub.MaxTopicLen {
		return "", hubbub.Errorf(hubbub.ECodeTooLong, "the topic is longer than %d bytes", hubbub.MaxTopicLen)
	}
	return topic, nil
}

// dm opens the direct message between the sender and the users f.Names: found again if it
// exists, created otherwise (every member's connections are then told).
func (j *jsonSession) dm(ctx context.Context, f *wire.ClientFrame) error {
	rs := j.svc.hub.Store()
	us := j.svc.hub.Store()
	if !j.allowWrite(f) { // a lookup per name, and a room with its entries: limited like a send
		return nil
	}
	me := j.member
	most := j.svc.cfg.MaxDMMembers
	if most <= 0 {
		most = hubbub.MaxDMMembers
	}
	names := slices.Compact(slices.Sorted(slices.Values(f.Names)))
	if len(names) > most { // more people than allowed even if one of them is me: no lookups
		return hubbub.Errorf(hubbub.ECodeLimit, "a direct message has at most %d people, you included", most)
	}
	people := map[string]hubbub.User{me.UserID: {ID: me.UserID, Name: me.CurrentName()}}
	for _, name := range names {
		if err := hubbub.ValidateName(name); err != nil {
			return err
		}
		u, found, err := us.UserByName(ctx, name)
		if err != nil {
			return j.svc.storeRefused("finding "+name, err)
		}
		if !found || u.Disabled {
			return hubbub.Errorf(hubbub.ECodeNotFound, "no user is named %q", name)
		}
		people[u.ID] = u
	}
	switch {
	case len(people) < 2:
		return hubbub.Errorf(hubbub.ECodeBadField, "name someone other than yourself in names")
	case len(people) > most:
		return hubbub.Errorf(hubbub.ECodeLimit, "a direct message has at most %d people, you included", most)
	}
	ids := slices.Sorted(func(yield func(string) bool) {
		for id := range people {
			if !yield(id) {
				return
			}
		}
	})
	room := hubbub.DMRoomName(ids)
	if err := hubbub.CheckDMBots(ctx, us, room, slices.Collect(maps.Values(people))); err != nil {
		return j.svc.storeRefused("reading the bots", err)
	}
	members := make([]hubbub.Membership, len(ids))
	for i, id := range ids {
		members[i] = hubbub.Membership{Room: room, User: id, Name: people[id].Name, Role: hubbub.RoomMember}
	}
	meta, entries, err := rs.CreateRoom(ctx, hubbub.RoomMeta{Name: room, Private: true, DM: true, CreatedBy: me.UserID}, members)
	switch {
	case hubbub.ErrorCode(err) == hubbub.ECodeExists:
		return j.openDM(ctx, rs, room, otherNames(people, me.UserID)) // it exists (or another member created it just now)
	case err != nil:
		return j.svc.storeRefused("creating the direct message", err)
	}
	if err := j.svc.hub.Announce(ctx, entries); err != nil {
		return err
	}
	for _, id := range ids {
		listed := &hubbub.MyRoom{RoomMeta: meta, Role: hubbub.RoomMember, People: otherNames(people, id)}
		if id == me.UserID {
			j.reply(wire.Room{Type: wire.TypeRoom, MyRoom: wire.NewMyRoom(listed)})
			j.notify(ctx, hubbub.UserNotified{User: id, Room: room, Listed: listed, Skip: me.ConnID})
			continue
		}
		j.notify(ctx, hubbub.UserNotified{User: id, Room: room, Listed: listed})
	}
	return nil
}

// openDM answers dm for a direct message that exists: the room as the sender's list has it,
// with their read position and counts. others are its other people's names, which a refusal
// names it by.
func (j *jsonSession) openDM(ctx context.Context, rs hubbub.RoomStore, room string, others []string) error {
	mine, found, err := rs.MyRoom(ctx, j.member.UserID, room)
	if err != nil {
		return j.svc.storeRefused("reading your rooms", err)
	}
	if found {
		j.reply(wire.Room{Type: wire.TypeRoom, MyRoom: wire.NewMyRoom(&mine)})
		return nil
	}
	// The sender left it: a DM's members are fixed, so one who parted may not come back. Said
	// by its people, as the sender named them: "this direct message" left them to guess which.
	return hubbub.Errorf(hubbub.ECodeForbidden, "you left your direct messages with %s, and a direct message keeps the people it was started with", strings.Join(others, ", "))
}

// otherNames are the names of people but user's, sorted: a DM's title for user.
func otherNames(people map[string]hubbub.User, user string) []string {
	var names []string
	for id, u := range people {
		if id != user {
			names = append(names, u.Name)
		}
	}
	slices.Sort(names)
	return names
}

// roomFor reads the room a request changes, and the sender's place in it and whether they
// may change who is in it (its owner or moderators, or a server moderator or admin).
func (j *jsonSession) roomFor(ctx context.Context, rs hubbub.RoomStore, room string) (hubbub.RoomMeta, hubbub.Membership, bool, error) {
	meta, err := j.svc.storedRoom(ctx, room)
	if err != nil {
		return meta, hubbub.Membership{}, false, err
	}
	m, in, err := rs.Membership(ctx, room, j.member.UserID)
	if err != nil {
		return meta, m, false, j.svc.storeRefused("reading your membership", err)
	}
	if !in || m.Invited {
		m = hubbub.Membership{}
	}
	return meta, m, hubbub.CanModerateRoom(j.svc.roleOf(j.member), m.Role), nil
}

// changeMember answers invite, remove and role: a membership entry of the room's log.
func (j *jsonSession) changeMember(ctx context.Context, f *wire.ClientFrame) error {
	rs := j.svc.hub.Store()
	us := j.svc.hub.Store()
	if !j.allowWrite(f) {
		return nil
	}
	meta, mine, moderator, err := j.roomFor(ctx, rs, f.Room)
	if err != nil {
		return err
	}
	if err := hubbub.ValidateName(f.Name); err != nil {
		return err
	}
	target, found, err := us.UserByName(ctx, f.Name)
	if err != nil {
		return j.svc.storeRefused("finding "+f.Name, err)
	}
	if !found {
		return hubbub.Errorf(hubbub.ECodeNotFound, "no user is named %q", f.Name)
	}
	e := hubbub.Entry{Room: f.Room, Kind: hubbub.KindMember, From: j.member.CurrentName(), User: j.member.UserID, ClientID: f.ID,
		Subject: target.ID, SubjectName: target.Name}
	var listed *hubbub.MyRoom
	switch f.Type {
	case wire.TypeInvite, wire.TypeRemove:
		switch {
		case meta.DM:
			return hubbub.Errorf(hubbub.ECodeBadField, "a direct message keeps the people it was started with")
		case !meta.Private && f.Type == wire.TypeInvite:
			return hubbub.Errorf(hubbub.ECodeBadField, "room %q is public: anyone may join it, no invitation needed", f.Room)
		case !meta.Private:
			return hubbub.Errorf(hubbub.ECodeBadField, "room %q is public: a moderator kicks or bans instead", f.Room)
		case !moderator:
			return hubbub.Errorf(hubbub.ECodeForbidden, "only the owner and moderators of room %q may %s", f.Room, f.Type)
		}
		e.Action = hubbub.MemberInvite
		if f.Type == wire.TypeInvite {
			e.Role = hubbub.RoomMember
			listed = &hubbub.MyRoom{RoomMeta: meta, Role: hubbub.RoomMember, Invited: true}
			break
		}
		e.Action = hubbub.MemberRemove
		theirs, in, err := rs.Membership(ctx, f.Room, target.ID)
		if err != nil {
			return j.svc.storeRefused("reading "+f.Name+"'s membership", err)
		}
		if !in {
			return hubbub.Errorf(hubbub.ECodeNotFound, "%s is not a member of room %q", target.Name, f.Room)
		}
		if theirs.Role == hubbub.RoomOwner && mine.Role != hubbub.RoomOwner && !hubbub.CanModerate(j.svc.roleOf(j.member)) {
			return hubbub.Errorf(hubbub.ECodeForbidden, "only an owner or an admin may remove the owner of room %q", f.Room)
		}
	case wire.TypeRole:
		if meta.DM { // an admin may set roles in any room, but a DM has none to set
			return hubbub.Errorf(hubbub.ECodeBadField, "a direct message has no owners or moderators: its people are equals")
		}
		role := hubbub.RoomRole(f.Role)
		if role != hubbub.RoomOwner && role != hubbub.RoomModerator && role != hubbub.RoomMember {
			return hubbub.Errorf(hubbub.ECodeBadField, "role must be %q, %q or %q", hubbub.RoomOwner, hubbub.RoomModerator, hubbub.RoomMember)
		}
		if mine.Role != hubbub.RoomOwner && j.svc.roleOf(j.member) != hubbub.RoleAdmin {
			return hubbub.Errorf(hubbub.ECodeForbidden, "only the owner of room %q (or an admin) may change roles", f.Room)
		}
		e.Action, e.Role = hubbub.MemberRole, role
	}
	stored, ok := j.append(ctx, f, &e)
	if !ok {
		return nil
	}
	switch {
	case listed != nil:
		listed.LastSeq, listed.LastActivity = stored.Seq, stored.Time
		j.notify(ctx, hubbub.UserNotified{User: target.ID, Room: f.Room, Listed: listed})
	case e.Action == hubbub.MemberRemove:
		j.notify(ctx, hubbub.UserNotified{User: target.ID, Room: f.Room, Unlisted: true})
	}
	return nil
}

// part leaves a room for good: out of the sender's list (and, for a private room, its
// members), on every connection.
func (j *jsonSession) part(ctx context.Context, f *wire.ClientFrame) error {
	rs := j.svc.hub.Store()
	meta, err := j.svc.storedRoom(ctx, f.Room)
	if err != nil {
		return err
	}
	me := j.member
	if meta.Private || meta.DM {
		if !j.allowWrite(f) {
			return nil
		}
		e := hubbub.Entry{Room: f.Room, Kind: hubbub.KindMember, From: me.CurrentName(), User: me.UserID, ClientID: f.ID,
			Subject: me.UserID, SubjectName: me.CurrentName(), Action: hubbub.MemberLeave}
		if _, ok := j.append(ctx, f, &e); !ok {
			return nil
		}
	} else {
		handover, err := rs.LeaveRoom(ctx, f.Room, me.UserID)
		if err != nil {
			return j.svc.storeRefused("leaving the room", err)
		}
		// If the room's only owner left, the store made another member owner, an entry of the
		// room its members see now. Should the broker fail, the part still stands (Announce
		// logs it) and they get the entry with the room's next one.
		_ = j.svc.hub.Handover(ctx, handover)
	}
	if j.rooms.has(f.Room) {
		j.svc.hub.Leave(f.Room, me)
		j.rooms.remove(f.Room)
		j.typing.forget(f.Room)
		j.reply(wire.NewLeft(f.Room))
	}
	j.notify(ctx, hubbub.UserNotified{User: me.UserID, Room: f.Room, Unlisted: true})
	return nil
}

// topic sets a room's topic: any member of a public room, the owner and moderators of a
// private one.
func (j *jsonSession) topic(ctx context.Context, f *wire.ClientFrame) error {
	rs := j.svc.hub.Store()
	text, err := cleanTopic(*f.Topic)
	if err != nil {
		return err
	}
	if !j.allowWrite(f) {
		return nil
	}
	meta, _, moderator, err := j.roomFor(ctx, rs, f.Room)
	if hubbub.ErrorCode(err) == hubbub.ECodeNotFound && j.rooms.has(f.Room) {
		err = nil // a room made by joining it, with no entry yet: public
	}
	if err != nil {
		return err
	}
	switch {
	case meta.DM && !moderator:
		return hubbub.Errorf(hubbub.ECodeForbidden, "a direct message has no topic") // nor an owner to set one
	case meta.Private && !moderator:
		return hubbub.Errorf(hubbub.ECodeForbidden, "only the owner and moderators of room %q may set its topic", f.Room)
	case !meta.Private && !meta.DM && !moderator && !j.rooms.has(f.Room):
		return hubbub.Errorf(hubbub.ECodeNotJoined, "join room %q to set its topic", f.Room)
	}
	j.append(ctx, f, &hubbub.Entry{Room: f.Room, Kind: hubbub.KindTopic, From: j.member.CurrentName(), User: j.member.UserID,
		ClientID: f.ID, Text: text})
	return nil
}

// read stores the sender's read position and tells their other connections.
func (j *jsonSession) read(ctx context.Context, f *wire.ClientFrame) error {
	rs := j.svc.hub.Store()
	me := j.member
	if !j.rooms.has(f.Room) { // a joined room was checked at the join
		if err := j.svc.MayRead(ctx, f.Room, me.UserID); err != nil {
			return err
		}
		// A read position of a room that does not exist would be a row for every made-up
		// name a client sends, which no room cap counts.
		if _, err := j.svc.storedRoom(ctx, f.Room); err != nil {
			return err
		}
	}
	seq, err := rs.SetRead(ctx, me.UserID, f.Room, f.Seq)
	if err != nil {
		return j.svc.storeRefused("storing your read position", err)
	}
	if seq > 0 {
		j.notify(ctx, hubbub.UserNotified{User: me.UserID, Room: f.Room, Read: seq, Skip: me.ConnID})
	}
	return nil
}

// directory answers a page of the public rooms.
func (j *jsonSession) directory(ctx context.Context, f *wire.ClientFrame) error {
	rs := j.svc.hub.Store()
	if len(f.Query) > hubbub.MaxRoomLen+hubbub.MaxTopicLen {
		return hubbub.Errorf(hubbub.ECodeBadField, "query is longer than %d bytes", hubbub.MaxRoomLen+hubbub.MaxTopicLen)
	}
	limit := f.Limit
	if limit <= 0 {
		limit = defaultDirectoryPage
	}
	limit = min(limit, j.svc.cfg.HistoryPageMax)
	list, err := rs.Directory(ctx, strings.TrimSpace(f.Query), f.After.Key, limit+1)
	if err != nil {
		return j.svc.storeRefused("reading the directory", err)
	}
	page := wire.Directory{Type: wire.TypeDirectory, Rooms: make([]wire.RoomMeta, 0, min(len(list), limit))}
	for i := range list[:min(len(list), limit)] {
		page.Rooms = append(page.Rooms, wire.NewRoomMeta(&list[i]))
	}
	if len(list) > limit {
		page.Next = list[limit-1].Name
	}
	j.reply(page)
	return nil
}

// members answers a page of a room's stored members and invitees; a private room's to its
// members (and server moderators) only; a room that does not exist is ECodeNotFound.
func (j *jsonSession) members(ctx context.Context, f *wire.ClientFrame) error {
	rs := j.svc.hub.Store()
	if err := hubbub.ValidateRoom(f.Room); err != nil {
		return err
	}
	if !j.rooms.has(f.Room) && !hubbub.CanModerate(j.svc.roleOf(j.member)) {
		if err := j.svc.MayRead(ctx, f.Room, j.member.UserID); err != nil {
			return err
		}
		if !storedUser(j.member) { // an anonymous user's MayRead checks nothing: check the room
			meta, _, err := rs.RoomMeta(ctx, f.Room)
			if err != nil {
				return j.svc.storeRefused("reading the room", err)
			}
			if meta.Private || meta.DM {
				return privateError(f.Room)
			}
		}
	}
	limit := j.svc.cfg.HistoryPageMax
	list, err := rs.Members(ctx, f.Room, f.After.Key, limit+1)
	if err != nil {
		return j.svc.storeRefused("reading the members", err)
	}
	if len(list) == 0 && f.After.Key == "" && !j.rooms.has(f.Room) {
		// A misspelt room is heard as one that is not there, as the API's members and a read
		// or notify of it are, not read as a room nobody is in; a room someone is in on this
		// node is there without being stored (an anonymous user's), like the API's roomInUse.
		if err := j.svc.roomKnown(ctx, f.Room); err != nil {
			return err
		}
	}
	hasMore := len(list) > limit
	list = list[:min(len(list), limit)]
	page := wire.Members{Type: wire.TypeMembers, Room: f.Room, Members: make([]wire.RoomMember, len(list))}
	for i, m := range list {
		page.Members[i] = wire.RoomMember{User: m.User, Name: m.Name, Role: string(m.Role), Invited: m.Invited}
	}
	j.presence(ctx, page.Members, f.Room)
	if hasMore {
		page.Next = list[len(list)-1].User
	}
	if f.After.Key == "" {
		// One told the room's sanctions is told of their changes too (sanction_changed),
		// from before they are read: a change made meanwhile comes live if the read misses it.
		moderates := j.mayModerate(ctx, f.Room)
		j.svc.hub.WatchSanctions(f.Room, j.member, moderates)
		if moderates {
			page.Sanctions, page.SanctionsMore = j.sanctions(ctx, f.Room, page.Members)
		}
	}
	j.reply(page)
	return nil
}

// DefaultSanctionsLimit is Config.SanctionsLimit's default: the most bans and mutes a
// moderator's first members page lists.
const DefaultSanctionsLimit = 100

// sanctionsPeek is how many sanctions past Config.SanctionsLimit the first members page reads
// from the store: a user holds at most one of each kind, so it sees whether any are left out.
const sanctionsPeek = 2

// sanctions lists the bans and mutes in force in room for a moderator's members page, each
// under the name its user goes by now; nil (the field absent, as from an older server: the
// client offers every action) when the store cannot say. It lists at most
// Config.SanctionsLimit, those of the members on the page first (onPage): their menus are the
// ones the page offers at once, and a sanction it was not told of shows there as a wrong
// choice, where a banned non-member left out is only missing from the Offline list. The rest
// follow by user id. A user listed has every sanction of theirs listed.
// more says that some were left out.
//
// The members' sanctions are the room's in the hub (in memory where this node holds the
// room, as its ban checks read them); the rest are the store's first page by user id
// (Store.SanctionsPage), so a room of 10,000 bans costs a page's read, not the whole list's.
func (j *jsonSession) sanctions(ctx context.Context, room string, onPage []wire.RoomMember) (out []wire.RoomSanction, more bool) {
	limit := j.svc.sanctionsLimit()
	listed := make(map[string]bool, len(onPage))
	ids := make([]string, len(onPage))
	for i, m := range onPage {
		listed[m.User], ids[i] = true, m.User
	}
	mine, err := j.svc.hub.SanctionsOf(ctx, room, ids)
	if err != nil {
		j.p.Info("sanctions unknown: the store failed", "room", room, "err", err)
		return nil, false
	}
	first, err := j.svc.hub.SanctionsPage(ctx, room, "", limit+sanctionsPeek)
	if err != nil {
		j.p.Info("sanctions unknown: the store failed", "room", room, "err", err)
		return nil, false
	}
	full := len(first) >= limit+sanctionsPeek
	now := time.Now()
	var others []wire.RoomSanction
	out = make([]wire.RoomSanction, 0, min(len(mine)+len(first), limit+sanctionsPeek))
	add := func(sn *hubbub.Sanction, mine bool) {
		if !sn.Active(now) {
			return
		}
		user := cmp.Or(sn.User, sn.Name) // one stored before users existed is keyed by its name
		s := wire.RoomSanction{User: user, Name: sn.Name, Kind: string(sn.Kind), Until: wire.Time{Time: sn.Until}}
		switch {
		case mine:
			out = append(out, s)
		case !listed[user]: // a member's come from the hub, whatever the page holds of them
			others = append(others, s)
		}
	}
	for i := range mine {
		add(&mine[i], true)
	}
	for i := range first {
		add(&first[i], false)
	}
	// By user, so that a user's ban and mute are next to each other, whatever order the store
	// gives.
	byUser := func(a, b wire.RoomSanction) int { return cmp.Compare(a.User, b.User) }
	slices.SortStableFunc(out, byUser)
	slices.SortStableFunc(others, byUser)
	out = append(out, others...)
	if len(out) > limit {
		// A cut between a user's ban and mute would leave one out, while the page, finding
		// the user listed, takes what it was told for all they have.
		cut := out[limit].User
		for limit > 0 && out[limit-1].User == cut {
			limit--
		}
		out, more = out[:limit], true
	}
	// A full page from the store means the room holds more than the limit: some are left out.
	more = more || full
	if len(out) == 0 {
		return out, more
	}
	ids = make([]string, len(out))
	for i := range out {
		ids[i] = out[i].User
	}
	// A sanction keeps the name its user had; the page lists them by the one they have now.
	users, err := j.svc.hub.Store().UsersByID(ctx, ids)
	if err != nil {
		j.p.Info("sanctioned users' names unknown: the store failed", "room", room, "err", err)
		return out, more
	}
	names := make(map[string]string, len(users))
	for _, u := range users {
		names[u.ID] = u.Name
	}
	for i := range out {
		if n := names[out[i].User]; n != "" {
			out[i].Name = n
		}
	}
	return out, more
}

// sanctionsLimit is Config.SanctionsLimit, or its default.
func (s *Service) sanctionsLimit() int {
	if s.cfg.SanctionsLimit > 0 {
		return s.cfg.SanctionsLimit
	}
	return DefaultSanctionsLimit
}

// presence fills each member's state: online if they are online on this node (their
// connections here) or in the room on any node; else away if they are away here or in the room
// (away on every node that holds them there); else offline with when they were last seen (this
// node's record, or the store's); and their server role if it lets them moderate.
func (j *jsonSession) presence(ctx context.Context, members []wire.RoomMember, room string) {
	ids := make([]string, len(members))
	for i, m := range members {
		ids[i] = m.User
	}
	states := j.svc.hub.UserStates(ids)
	inRoom := j.svc.hub.MemberStates(room) // after the notices the room holds, as who is
	for i := range members {
		m := &members[i]
		st := states[m.User]
		m.State, m.LastSeen = st.State, wire.Time{Time: st.LastSeen}
		switch there := inRoom[m.Name]; {
		case st.State == hub.StateOnline:
		case there == hub.StateOnline, there == hub.StateAway && st.State == hub.StateOffline:
			m.State, m.LastSeen = there, wire.Time{}
		}
	}
	// One read of the page's users gives their server roles and, for those offline whom this
	// node has not seen, when the store last saw them.
	users, err := j.svc.hub.Store().UsersByID(ctx, ids)
	if err != nil {
		j.p.Info("server roles and last seen unknown: the store failed", "room", room, "err", err)
		return
	}
	byID := make(map[string]*hubbub.User, len(users))
	for i := range users {
		byID[users[i].ID] = &users[i]
	}
	for i := range members {
		m := &members[i]
		u := byID[m.User]
		if u == nil {
			continue
		}
		if role := j.svc.storedRole(u); hubbub.CanModerate(role) {
			m.ServerRole = role
		}
		if m.State == hub.StateOffline && m.LastSeen.IsZero() {
			m.LastSeen = wire.Time{Time: u.LastSeen}
		}
	}
}

// notify publishes a notice on a user's channel. The change it reports is stored already, so
// a broker that fails loses only the live notice (the user's next rooms has it): it is logged,
// not answered as an error.
func (j *jsonSession) notify(ctx context.Context, n hubbub.UserNotified) {
	if err := j.svc.hub.Notify(ctx, n); err != nil {
		j.p.Info("user notice not sent", "user", n.User, "room", n.Room, "err", err)
	}
}
