package session

import (
	"context"
	"errors"
	"math"
	"slices"
	"time"

	"hubbub"
	"hubbub/internal/hub"
	"hubbub/internal/session/codec"
	"hubbub/internal/wire"
)

// jsonSession speaks hubbub.v1 (docs/protocol.md): hello, then any number of rooms.
type jsonSession struct {
	svc     *Service
	p       Peer
	member  *hub.Member // nil until hello
	rooms   joinedRooms
	limiter sendLimiter
	// joins limits the first joins of rooms not in the user's list, each a write (record).
	joins sendLimiter
	// searches limits this connection's searches (search.go).
	searches searchLimiter
	typing   *typingGate // made at the first typing notice: most connections never send one
	creds    Credentials // what the upgrade request carried: a token used if hello has none, a session cookie
	id       identity    // who the connection acts for, from hello (its claims: the verified token, if any)
	expiry   expiry
	online   *hub.Online // this connection's part in its user's presence, from hello
	// unfollowBot ends following a bot's changes (bots.go), for a bot's connection.
	unfollowBot func()
	// newRoomCtx is the context of the frames after hello when the rooms they make are
	// charged to the user and address (newrooms.go); nil: none are.
	newRoomCtx context.Context
}

// newJSONSession starts a session; creds are what the upgrade request carried.
func newJSONSession(s *Service, p Peer, creds Credentials) *jsonSession {
	return &jsonSession{svc: s, p: p, creds: creds}
}

// Codec implements Session: hubbub.v1's JSON frames.
func (j *jsonSession) Codec() hub.Codec { return codec.JSONCodec{FilesURL: j.svc.cfg.FilesURL} }

// Coalesce implements Session: every frame goes out on its own.
func (j *jsonSession) Coalesce() bool { return false }

// User implements Session.
func (j *jsonSession) User() (name, id string) {
	if j.member == nil {
		return "", ""
	}
	return j.member.CurrentName(), j.member.UserID
}

// reply queues a frame for this client only.
func (j *jsonSession) reply(v any) { j.p.Outbox().Push(hub.NewRaw(wire.Encode(v))) }

func (j *jsonSession) fail(err error, f *wire.ClientFrame) {
	j.reply(wire.NewError(err, f))
	var abuse abuseError
	if errors.As(err, &abuse) {
		j.p.Close(closePolicyViolation, "sustained rate-limit abuse") // after the error, which says so
	}
}

// abuseError is a rate_limited refusal after which the connection closes (spend): fail sends
// it, then closes.
type abuseError struct{ err *hubbub.Error }

func (e abuseError) Error() string { return e.err.Error() }
func (e abuseError) Unwrap() error { return e.err }

// Handle implements Session.
func (j *jsonSession) Handle(data []byte) {
	var f wire.ClientFrame
	err := wire.DecodeInto(data, &f)
	var nameErr error
	if err != nil && f.Type == wire.TypeHello && f.Name == "" &&
		(hubbub.ErrorCode(err) == hubbub.ECodeMissing || hubbub.ErrorCode(err) == hubbub.ECodeBadName) {
		// A signed-in or token user's name comes from the server; only a guest must give one
		// (identify answers with this error if the hello turns out to be a guest's).
		err, nameErr = nil, err
	}
	if err != nil {
		j.fail(err, &f)
		return
	}
	if j.member == nil && f.Type != wire.TypeHello && f.Type != wire.TypePing {
		j.fail(hubbub.Errorf(hubbub.ECodeNoHello, "say hello first"), &f)
		return
	}
	ctx := j.writeContext()
	if f.Room != "" && (f.Type == wire.TypeJoin || j.mayActOutside(f.Type)) && !j.rooms.has(f.Room) && hubbub.ValidateRoom(f.Room) == nil {
		// Room names are one room whatever their case: a request naming a room in another
		// case than its stored name is refused with that name, and asked again by it, since a
		// client matches answers to the room it sent (docs/protocol.md, Room names). A room
		// this connection is in is named as stored already, and needs no look-up; the frames
		// that need a joined room get not_joined below without one, as before.
		if stored, err := j.svc.hub.ResolveRoom(ctx, f.Room); err != nil {
			j.fail(err, &f)
			return
		} else if stored != f.Room && hubbub.IsDMRoom(f.Room) {
			// A DM is named as its room frame says, in small letters; room_case naming
			// another spelling's DM told anyone that those people talk (hubbub.NoDMError).
			j.fail(hubbub.NoDMError(f.Room), &f)
			return
		} else if stored != f.Room {
			j.fail(hubbub.RoomCase(f.Room, stored), &f)
			return
		}
	}
	if f.Room != "" && f.Type != wire.TypeJoin && !j.rooms.has(f.Room) && !j.mayActOutside(f.Type) {
		j.fail(hubbub.Errorf(hubbub.ECodeNotJoined, "you have not joined room %q", f.Room), &f)
		return
	}
	if j.online != nil {
		j.online.Active()
	}
	switch f.Type {
	case wire.TypeHello:
		j.hello(ctx, &f, nameErr)
	case wire.TypeJoin:
		j.join(ctx, &f)
	case wire.TypeLeave:
		j.svc.hub.Leave(f.Room, j.member)
		j.rooms.remove(f.Room)
		j.typing.forget(f.Room)
		j.reply(wire.NewLeft(f.Room))
	case wire.TypeSend:
		j.send(ctx, &f)
	case wire.TypeHistory:
		j.history(ctx, &f)
	case wire.TypeEdit:
		j.edit(ctx, &f)
	case wire.TypeReact:
		j.react(ctx, &f)
	case wire.TypeDelete:
		j.delete(ctx, &f)
	case wire.TypeRevisions:
		j.revisions(ctx, &f)
	case wire.TypeSearch:
		j.search(ctx, &f)
	case wire.TypeNotify:
		j.notifyLevel(ctx, &f)
	case wire.TypeCommand:
		j.command(ctx, &f)
	case wire.TypeCommands:
		if err := j.sendCommands(ctx); err != nil {
			j.fail(err, &f)
		}
	case wire.TypeTyping:
		if j.typing == nil {
			j.typing = &typingGate{interval: j.svc.cfg.TypingInterval, maxRooms: j.svc.cfg.MaxRoomsPerConn}
		}
		// A muted (or banned) user's typing is not relayed: the room would read "eve is
		// typing…" for a message that can never come. Asked only when the gate lets a notice
		// through; a room this node holds (the member's) answers from memory.
		if j.typing.allow(f.Room, time.Now()) && j.svc.hub.MayPost(ctx, f.Room, j.member.UserID, j.member.CurrentName()) == nil {
			_ = j.svc.hub.Typing(ctx, f.Room, j.member.CurrentName())
		}
	case wire.TypeWho:
		j.reply(wire.NewWho(f.Room, j.svc.hub.Who(f.Room)))
	case wire.TypePing:
		j.reply(wire.NewPong(f.ID))
	default:
		switch {
		case isModeration(f.Type):
			j.moderate(ctx, &f)
		case isConversation(f.Type):
			j.converse(ctx, &f)
		}
	}
}

func (j *jsonSession) hello(ctx context.Context, f *wire.ClientFrame, nameErr error) {
	if j.member != nil && !j.allowWrite(f) {
		// Another hello may store a guest (a new key) or rename one: limited like a send, so
		// one connection cannot claim names as fast as it writes frames. The first is free.
		return
	}
	inRooms := j.member != nil && j.rooms.count() > 0
	if inRooms && f.Name != "" && f.Name != j.member.CurrentName() {
		// Checked before the name is claimed: a guest's new name would rename the user.
		j.fail(hubbub.Errorf(hubbub.ECodeBadName, "leave every room before changing your name"), f)
		return
	}
	mark := j.svc.recheckMark() // an account check that begins from here on may miss this connection
	id, err := j.svc.identify(ctx, helloName{name: f.Name, key: f.Key, token: f.Token, nameErr: nameErr}, j.creds)
	if err != nil {
		j.p.Info("hello refused", "err", err)
		j.fail(err, f)
		return
	}
	m := j.svc.connMember(&id, j.p)
	m.Renamed = j.renamed
	if inRooms {
		if m.CurrentName() != j.member.CurrentName() || m.UserID != j.member.UserID {
			j.fail(hubbub.Errorf(hubbub.ECodeBadName, "leave every room before changing your name"), f)
			return
		}
		m = j.member // the rooms hold this member; a renewed token keeps it
	}
	if j.member != nil && j.member != m {
		j.svc.hub.Detach(j.member) // the connection acts for another user now
	}
	if j.member == nil || j.member.UserID != m.UserID {
		j.goOffline()
		j.online = j.svc.hub.Connect(m.UserID)
	}
	j.member, j.id = m, id
	j.chargeNewRooms(m)
	j.followBot()
	j.expiry.arm(j.p, &id)
	// At debug: the disconnected line (info) names the user; a line of its own for every
	// hello doubled what an operator reads of each connection at info.
	if id.claims != nil {
		j.p.Debug("hello", "name", m.CurrentName(), "user", m.UserID, "role", m.Role, "expires", id.claims.ExpiresAt)
	} else {
		j.p.Debug("hello", "name", m.CurrentName(), "user", m.UserID, "kind", id.user.Kind)
	}
	cfg := &j.svc.cfg
	hc := j.svc.hub.Config()
	// Spelled by hand (wire.EncodeWelcome), not through Encode's reflection: every
	// connection gets one.
	j.p.Outbox().Push(hub.NewRaw(wire.EncodeWelcome(&wire.Welcome{Type: wire.TypeWelcome, Name: m.CurrentName(), Server: cfg.Node,
		Version: hubbub.Version, Role: m.Role, User: userInfo(&id, m),
		Limits: wire.Limits{MaxText: cfg.MaxText, MaxRooms: cfg.MaxRoomsPerConn, HistoryMax: hc.History, HistoryPageMax: cfg.HistoryPageMax,
			SendRate: cfg.SendRate, SendBurst: cfg.SendBurst, MaxAttachments: j.svc.maxAttachments(),
			Frame: int(cfg.ReadLimit)},
		Commands: j.welcomeCommands(ctx), SearchOff: cfg.SearchOff, UploadsOff: cfg.UploadsOff})))
	j.welcomeRooms(context.Background(), mark)
}

// renamed tells the client that its user goes by name now (was before): the hub renamed this
// connection (Member.Renamed), as it does every connection of a renamed user. The client is
// to say name in its next hello, or it would rename the user back.
func (j *jsonSession) renamed(was, name string) {
	j.p.Info("renamed", "was", was, "name", name)
	j.p.Outbox().Push(hub.NewRaw(wire.Encode(wire.Renamed{Type: wire.TypeRenamed, Name: name, Was: was})))
}

// goOffline ends this connection's part in its user's presence, if it has one; the user's
// last connection on the node makes the hub record when they were last seen.
func (j *jsonSession) goOffline() {
	if j.online != nil {
		j.online.End()
		j.online = nil
	}
}

func (j *jsonSession) join(ctx context.Context, f *wire.ClientFrame) {
	if err := hubbub.ValidateRoom(f.Room); err != nil {
		j.fail(err, f)
		return
	}
	if !j.id.mayJoin(f.Room) {
		j.fail(forbidden(f.Room), f)
		return
	}
	if j.rooms.has(f.Room) {
		// A second join asks for a fresh replay (a client resyncing): leave, then join anew.
		j.svc.hub.Leave(f.Room, j.member)
		j.rooms.remove(f.Room)
	}
	if n := j.rooms.count(); n >= j.svc.cfg.MaxRoomsPerConn {
		j.fail(hubbub.Errorf(hubbub.ECodeTooMany, "you are in %d rooms, the most allowed", n), f)
		return
	}
	j.watchRemovals()
	member, record, unrecord, err := j.enter(ctx, f.Room)
	if err != nil {
		j.fail(err, f)
		return
	}
	req := hub.JoinRequest{Room: f.Room, Member: j.member, Since: f.Since.SeqPtr(), History: f.History, Notices: f.Notices,
		Record: record, Unrecord: unrecord,
		Greet: func(info hub.JoinInfo) *hub.Envelope {
			joined := &wire.Joined{Type: wire.TypeJoined, Room: info.Room, Members: info.Members, MemberCount: info.MemberCount,
				LastSeq: info.LastSeq, Replay: info.Replay, Truncated: info.Truncated, NoticesTruncated: info.NoticesTruncated, Away: info.Away}
			if info.Memo == nil {
				return hub.NewRaw(wire.EncodeJoined(joined)) // one buffer, the list written into it
			}
			// A crowded room's list is encoded once for every join given it (hub.Memo), and
			// the frame is sent in parts around it, so that it is copied only to the socket.
			head, tail := wire.EncodeJoinedParts(joined)
			return hub.NewRawParts(head, info.Memo.Encoded(info.Members, wire.EncodeMembers), tail)
		}}
	if lb := j.id.bot; lb != nil {
		// A bot's rooms narrowed while the join read its replay: refused before anything of
		// the room is queued (botLostRoom below handles a change after this point).
		req.Allowed = func() bool { return lb.MayUse(f.Room) }
	}
	// Recorded before the join, so that a moderator's removal arriving while the join is
	// still returning (watchRemovals) is not undone by recording it after.
	j.rooms.add(f.Room)
	if _, err := j.svc.hub.Join(ctx, req); err != nil {
		j.rooms.remove(f.Room)
		j.fail(err, f)
		return
	}
	if j.botLostRoom(f.Room) {
		if unrecord != nil { // the bot's first join of the room: out of its list again
			if err := unrecord(context.WithoutCancel(ctx)); err != nil {
				j.p.Info("undoing a refused join's record failed: the room stays in the bot's list", "room", f.Room, "err", err)
			}
		}
		j.fail(forbidden(f.Room), f)
		return
	}
	if member {
		if err := j.stillMember(ctx, f.Room); err != nil {
			// Removed while joining: out again, as an eviction would have taken it out.
			j.svc.hub.Leave(f.Room, j.member)
			j.rooms.remove(f.Room)
			j.p.Outbox().Push(hub.NewRaw(wire.Encode(wire.NewLeft(f.Room))))
			j.fail(err, f)
			return
		}
	}
	j.p.Debug("joined", "room", f.Room)
}

// mayActOutside reports whether a frame of type typ may name a room the connection has not
// joined: moderation, which moderators and admins do in any room (a member's moderation frame
// is refused as forbidden), a moderator's delete, the conversation frames, which concern a
// user's rooms whether this connection follows them or not, and search. A member deletes their own
// messages only in rooms they are in.
func (j *jsonSession) mayActOutside(typ string) bool {
	if typ == wire.TypeDelete {
		return hubbub.CanModerate(j.svc.roleOf(j.member))
	}
	// A search of one room, and a notification level, are refused only as its history would
	// be (MayRead), as the REST API's are: a connection need not follow a room to search it
	// or to choose what notifies it (the page's room menu sets it for any room of the list).
	return isModeration(typ) || isConversation(typ) || typ == wire.TypeSearch || typ == wire.TypeNotify
}

// allowWrite applies the send rate limit to a frame that writes to a room's log (send, edit,
// react, delete), and a bot's current token and rooms (botStill): false, with the client told
// why, if the frame must be dropped.
func (j *jsonSession) allowWrite(f *wire.ClientFrame) bool {
	if j.id.bot != nil && !j.botStill(f) {
		return false
	}
	cfg := &j.svc.cfg
	if err := j.spend(&j.limiter, cfg.SendRate, cfg.SendBurst, "sending"); err != nil {
		j.fail(err, f)
		return false
	}
	return true
}

// spend takes a token of l (a bucket of perSecond and burst) for what the client is doing
// ("sending"): nil if there was one, else the rate_limited refusal — an abuseError, which
// closes the connection once sent, when the client kept on past the limit for --abuse-limit
// frames in a row.
func (j *jsonSession) spend(l *sendLimiter, perSecond float64, burst int, doing string) error {
	ok, abusive := l.allowAt(&j.svc.cfg, perSecond, burst)
	switch {
	case abusive:
		return abuseError{err: hubbub.Errorf(hubbub.ECodeRateLimited, "%s too fast; closing", doing)}
	case !ok:
		return hubbub.RateLimited(untilToken(l.bucket, time.Now()), "%s too fast; slow down", doing)
	}
	return nil
}

func (j *jsonSession) send(ctx context.Context, f *wire.ClientFrame) {
	if !j.allowWrite(f) {
		return
	}
	var raw string
	if f.Text != nil {
		raw = *f.Text
	}
	text, files, err := j.svc.MessageContent(raw, f.Attachments)
	if err != nil {
		j.fail(err, f)
		return
	}
	e := &hubbub.Entry{Room: f.Room, From: j.member.CurrentName(), User: j.member.UserID, ClientID: f.ID, Text: text, ReplyTo: f.ReplyTo,
		Attachments: files, Bot: j.member.Bot}
	e.Mentions, e.MentionRoom = j.mentions(ctx, f.Room, text)
	e.Mentions = j.svc.MentionReplied(ctx, f.Room, f.ReplyTo, e.User, e.Mentions)
	j.append(ctx, f, e)
}

// append stores e through the hub and answers f with its ack, or the error naming f. The
// stored entry it returns is the room members' too (hub.Send): read it, do not change it.
func (j *jsonSession) append(ctx context.Context, f *wire.ClientFrame, e *hubbub.Entry) (*hubbub.Entry, bool) {
	stored, dup, err := j.svc.hub.Send(ctx, e)
	if err != nil {
		j.fail(err, f)
		return nil, false
	}
	ack := wire.NewAck(stored, dup)
	// The ack names the request it answers: a second delete of a message answers with the
	// entry of the first, whose id may be another's.
	ack.ID = f.ID
	j.p.Outbox().Push(hub.NewRaw(wire.EncodeAck(&ack))) // reply's bytes, without json.Marshal
	return stored, true
}

func (j *jsonSession) history(ctx context.Context, f *wire.ClientFrame) {
	var page wire.History
	var err error
	if f.Thread > 0 {
		page, err = j.svc.ThreadPage(ctx, f.Room, f.Thread, f.After.Seq, f.Limit, j.member.UserID)
	} else {
		page, err = j.svc.HistoryPage(ctx, f.Room, f.Before, f.Limit, j.member.UserID)
		if err == nil && f.Notices {
			err = j.svc.addNotices(ctx, &page, f.Before)
		}
	}
	if err != nil {
		j.fail(err, f)
		return
	}
	j.reply(page)
}

// MessageText cleans the text of a message sent by a client or published through the API and
// checks it is neither empty nor longer than maxText bytes.
func MessageText(raw string, maxText int) (string, error) {
	text := hubbub.CleanMultiline(raw)
	switch {
	case text == "":
		return "", hubbub.Errorf(hubbub.ECodeEmpty, "the message is empty")
	case len(text) > maxText:
		return "", hubbub.Errorf(hubbub.ECodeTooLong, "the message is longer than %d bytes", maxText)
	}
	return text, nil
}

// MessageContent cleans and checks what a client sends as a message: its text (as
// MessageText) and the ids of the files it carries (at most MaxAttachments, each once). A
// message must have text or files; with files its text may be empty.
func (s *Service) MessageContent(raw string, fileIDs []string) (string, []hubbub.Attachment, error) {
	if most := s.maxAttachments(); len(fileIDs) > most {
		return "", nil, hubbub.Errorf(hubbub.ECodeLimit, "a message carries at most %d files", most)
	}
	var files []hubbub.Attachment
	for i, id := range fileIDs {
		if id == "" || len(id) > hubbub.MaxFileIDLen {
			return "", nil, hubbub.Errorf(hubbub.ECodeBadField, "attachment %d must be a file id of 1 to %d bytes", i+1, hubbub.MaxFileIDLen)
		}
		if slices.Contains(fileIDs[:i], id) {
			return "", nil, hubbub.Errorf(hubbub.ECodeBadField, "file %s is attached twice", id)
		}
		files = append(files, hubbub.Attachment{ID: id})
	}
	text, err := MessageText(raw, s.cfg.MaxText)
	if err != nil && !(len(files) > 0 && hubbub.ErrorCode(err) == hubbub.ECodeEmpty) {
		return "", nil, err
	}
	return text, files, nil
}

// maxAttachments is the most files one message may carry here.
func (s *Service) maxAttachments() int {
	if most := s.cfg.MaxAttachments; most > 0 && most < hubbub.MaxAttachments {
		return most
	}
	return hubbub.MaxAttachments
}

// FilesURL is the base of the URLs of attachments in this server's frames ("" for its own
// origin).
func (s *Service) FilesURL() string { return s.cfg.FilesURL }

// historyPageDefault is the page a history request gets when it names no limit.
const historyPageDefault = 50

// HistoryPage reads a page of up to limit messages of room older than before (capped at
// HistoryPageMax; historyPageDefault when limit is 0 or less), in their current state as user
// id viewer sees them (its own reactions marked; "" for none), as a history frame: the answer to a
// history request and to the API's GET …/messages alike.
func (s *Service) HistoryPage(ctx context.Context, room string, before uint64, limit int, viewer string) (wire.History, error) {
	msgs, more, err := s.hub.History(ctx, room, before, s.pageLimit(limit), viewer)
	if err != nil {
		return wire.History{}, err
	}
	return page(room, msgs, more, s.cfg.FilesURL), nil
}

// addNotices adds to history page p, read with before, the room's notices of its span:
// from its oldest message (from the room's first entry when no older message remains) to
// before (0: the newest entry), as the frames a live client gets.
func (s *Service) addNotices(ctx context.Context, p *wire.History, before uint64) error {
	var oldest uint64
	if len(p.Messages) > 0 {
		oldest = p.Messages[0].Seq
	}
	after := hub.NoticesAfter(oldest, p.More)
	upto := uint64(math.MaxUint64)
	if before > 0 {
		upto = before - 1
	}
	ns, truncated, err := s.hub.Notices(ctx, p.Room, after, upto)
	if err != nil {
		return err
	}
	for i := range ns {
		p.Notices = append(p.Notices, wire.NewEntryFrame(&ns[i], s.cfg.FilesURL))
	}
	p.NoticesTruncated = truncated
	return nil
}

// ThreadPage reads a page of up to limit replies to message parent of room with a seq above
// after, oldest first, as user id viewer sees them, as a history frame with thread set; more says later
// replies remain. A parent that is no message of the room is ECodeNotFound.
func (s *Service) ThreadPage(ctx context.Context, room string, parent, after uint64, limit int, viewer string) (wire.History, error) {
	msgs, more, err := s.hub.Thread(ctx, room, parent, after, s.pageLimit(limit), viewer)
	if err != nil {
		return wire.History{}, err
	}
	if len(msgs) == 0 {
		// An empty page would read as a message nobody answered, so the parent is looked up
		// (only then: a reply is sent only to a message of its room, so a page that holds one
		// names a parent that exists).
		if _, found, err := s.hub.Message(ctx, room, parent); err != nil {
			return wire.History{}, err
		} else if !found {
			return wire.History{}, hubbub.Errorf(hubbub.ECodeNotFound, "room %q has no message %d", room, parent)
		}
	}
	p := page(room, msgs, more, s.cfg.FilesURL)
	p.Thread = parent
	return p, nil
}

// pageLimit is the size of a page asked for with limit.
func (s *Service) pageLimit(limit int) int {
	if limit <= 0 {
		limit = historyPageDefault
	}
	return min(limit, s.cfg.HistoryPageMax)
}

// page turns messages into a history frame, their attachments' URLs under filesURL.
func page(room string, msgs []hubbub.Entry, more bool, filesURL string) wire.History {
	p := wire.History{Type: wire.TypeHistory, Room: room, Messages: make([]wire.Message, len(msgs)), More: more}
	for i := range msgs {
		p.Messages[i] = wire.NewMessageAt(&msgs[i], filesURL)
	}
	return p
}

// End implements Session.
func (j *jsonSession) End() {
	j.expiry.stop()
	if j.unfollowBot != nil {
		j.unfollowBot()
	}
	if j.member != nil {
		j.svc.hub.Detach(j.member)
	}
	for _, room := range j.rooms.list() {
		j.svc.hub.Leave(room, j.member)
	}
	j.goOffline()
}
