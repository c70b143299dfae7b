package server

import (
	"context"
	"time"

	"github.com/gorilla/websocket"

	"hubbub"
	"hubbub/internal/auth"
	"hubbub/internal/hub"
	"hubbub/internal/session/codec"
	"hubbub/internal/wire"
)

// jsonSession speaks hubbub.v1 (docs/protocol.md): hello, then any number of rooms.
type jsonSession struct {
	srv     *Server
	c       *conn
	member  *hub.Member // nil until hello
	rooms   map[string]bool
	limiter *sendLimiter
	typing  typingGate
	token   string       // the token of the upgrade request (?token= or cookie), used if hello has none
	claims  *auth.Claims // the verified token, when the server requires tokens
	expiry  expiry
	kicked  kickedRooms // rooms a moderator removed the session from (moderation.go)
}

// newJSONSession starts a session; token is the one the upgrade request carried, if any.
func newJSONSession(s *Server, c *conn, token string) *jsonSession {
	return &jsonSession{srv: s, c: c, rooms: make(map[string]bool), limiter: newSendLimiter(&s.cfg),
		typing: typingGate{interval: s.cfg.TypingInterval}, token: token}
}

func (j *jsonSession) codec() hub.Codec { return codec.JSONCodec{} }
func (j *jsonSession) coalesce() bool   { return false }

// reply queues a frame for this client only.
func (j *jsonSession) reply(v any) { j.c.out.Push(hub.NewRaw(wire.Encode(v))) }

func (j *jsonSession) fail(err error, f *wire.ClientFrame) { j.reply(wire.NewError(err, f)) }

func (j *jsonSession) handle(data []byte) {
	j.kicked.drain(j.rooms)
	f, err := wire.Decode(data)
	if err != nil && j.srv.tokensOn() && f.Type == wire.TypeHello && hubbub.ErrorCode(err) == hubbub.ECodeMissing {
		err = nil // with tokens the name comes from the token; hello needs none
	}
	if err != nil {
		j.fail(err, &f)
		return
	}
	if j.member == nil && f.Type != wire.TypeHello && f.Type != wire.TypePing {
		j.fail(hubbub.Errorf(hubbub.ECodeNoHello, "say hello first"), &f)
		return
	}
	if f.Room != "" && f.Type != wire.TypeJoin && !isModeration(f.Type) && !j.rooms[f.Room] {
		j.fail(hubbub.Errorf(hubbub.ECodeNotJoined, "you have not joined room %q", f.Room), &f)
		return
	}
	ctx := context.Background()
	switch f.Type {
	case wire.TypeHello:
		j.hello(&f)
	case wire.TypeJoin:
		j.join(ctx, &f)
	case wire.TypeLeave:
		j.srv.hub.Leave(f.Room, j.member)
		delete(j.rooms, f.Room)
		j.reply(wire.NewLeft(f.Room))
	case wire.TypeSend:
		j.send(ctx, &f)
	case wire.TypeHistory:
		j.history(ctx, &f)
	case wire.TypeTyping:
		if j.typing.allow(f.Room, time.Now()) {
			_ = j.srv.hub.Typing(ctx, f.Room, j.member.Name)
		}
	case wire.TypeWho:
		j.reply(wire.Members{Type: wire.TypeMembers, Room: f.Room, Members: j.srv.hub.Members(f.Room)})
	case wire.TypePing:
		j.reply(wire.NewPong(f.ID))
	default:
		if isModeration(f.Type) {
			j.moderate(ctx, &f)
		}
	}
}

func (j *jsonSession) hello(f *wire.ClientFrame) {
	m := &hub.Member{Name: f.Name, Key: f.Key, Out: j.c.out}
	var claims *auth.Claims
	if j.srv.tokensOn() {
		raw := f.Token
		if raw == "" {
			raw = j.token
		}
		c, err := j.srv.authenticate(raw)
		if err != nil {
			j.c.log.Info("hello refused", "err", err)
			j.fail(err, f)
			return
		}
		claims, m = &c, tokenMember(&c, j.c.out)
	} else if err := hubbub.ValidateName(f.Name); err != nil {
		j.fail(err, f)
		return
	}
	if j.member != nil && len(j.rooms) > 0 {
		if m.Name != j.member.Name || m.Key != j.member.Key {
			j.fail(hubbub.Errorf(hubbub.ECodeBadName, "leave every room before changing your name"), f)
			return
		}
		m = j.member // the rooms hold this member; a renewed token keeps it
	}
	j.member, j.claims = m, claims
	if claims != nil {
		j.expiry.arm(j.c, claims.ExpiresAt)
		j.c.log.Info("hello", "name", m.Name, "user", m.UserID, "role", m.Role, "expires", claims.ExpiresAt)
	} else {
		j.c.log.Info("hello", "name", m.Name)
	}
	cfg := &j.srv.cfg
	hc := j.srv.hub.Config()
	role := j.srv.roleOf(m)
	if role == "" {
		role = hubbub.RoleMember
	}
	j.reply(wire.Welcome{Type: wire.TypeWelcome, Name: m.Name, Server: cfg.Node, Version: hubbub.Version, Role: role,
		Limits: wire.Limits{MaxText: cfg.MaxText, MaxRooms: cfg.MaxRoomsPerConn, HistoryMax: hc.History,
			SendRate: cfg.SendRate, SendBurst: cfg.SendBurst}})
}

func (j *jsonSession) join(ctx context.Context, f *wire.ClientFrame) {
	if err := hubbub.ValidateRoom(f.Room); err != nil {
		j.fail(err, f)
		return
	}
	if j.claims != nil && !j.claims.CanJoin(f.Room) {
		j.fail(forbidden(f.Room), f)
		return
	}
	if j.rooms[f.Room] {
		// A second join asks for a fresh replay (a client resyncing): leave, then join anew.
		j.srv.hub.Leave(f.Room, j.member)
		delete(j.rooms, f.Room)
	}
	if len(j.rooms) >= j.srv.cfg.MaxRoomsPerConn {
		j.fail(hubbub.Errorf(hubbub.ECodeTooMany, "you are in %d rooms, the most allowed", len(j.rooms)), f)
		return
	}
	j.watchRemovals()
	req := hub.JoinRequest{Room: f.Room, Member: j.member, Since: f.Since, History: f.History,
		Greet: func(info hub.JoinInfo) *hub.Envelope {
			return hub.NewRaw(wire.Encode(wire.Joined{Type: wire.TypeJoined, Room: info.Room, Members: info.Members, MemberCount: info.MemberCount,
				LastSeq: info.LastSeq, Replay: info.Replay, Truncated: info.Truncated}))
		}}
	if _, err := j.srv.hub.Join(ctx, req); err != nil {
		j.fail(err, f)
		return
	}
	j.rooms[f.Room] = true
	j.c.log.Debug("joined", "room", f.Room)
}

func (j *jsonSession) send(ctx context.Context, f *wire.ClientFrame) {
	ok, abusive := j.limiter.allow()
	if abusive {
		j.fail(hubbub.Errorf(hubbub.ECodeRateLimited, "sending too fast; closing"), f)
		j.c.closeWith(websocket.ClosePolicyViolation, "sustained rate-limit abuse", false)
		return
	}
	if !ok {
		j.fail(hubbub.Errorf(hubbub.ECodeRateLimited, "sending too fast; slow down"), f)
		return
	}
	text, err := messageText(*f.Text, j.srv.cfg.MaxText)
	if err != nil {
		j.fail(err, f)
		return
	}
	stored, dup, err := j.srv.hub.Send(ctx, hubbub.Message{Room: f.Room, From: j.member.Name, ClientID: f.ID, Text: text})
	if err != nil {
		j.fail(err, f)
		return
	}
	j.reply(wire.NewAck(&stored, dup))
}

func (j *jsonSession) history(ctx context.Context, f *wire.ClientFrame) {
	page, err := j.srv.historyPage(ctx, f.Room, f.Before, f.Limit)
	if err != nil {
		j.fail(err, f)
		return
	}
	j.reply(page)
}

// messageText cleans the text of a message sent by a client or published through the API and
// checks it is neither empty nor longer than maxText bytes.
func messageText(raw string, maxText int) (string, error) {
	text := hubbub.CleanMultiline(raw)
	switch {
	case text == "":
		return "", hubbub.Errorf(hubbub.ECodeEmpty, "the message is empty")
	case len(text) > maxText:
		return "", hubbub.Errorf(hubbub.ECodeTooLong, "the message is longer than %d bytes", maxText)
	}
	return text, nil
}

// historyPageDefault is the page a history request gets when it names no limit.
const historyPageDefault = 50

// historyPage reads a page of up to limit messages of room older than before (capped at
// HistoryPageMax; historyPageDefault when limit is 0 or less), as a history frame: the answer
// to a history request and to the API's GET …/messages alike.
func (s *Server) historyPage(ctx context.Context, room string, before uint64, limit int) (wire.History, error) {
	if limit <= 0 {
		limit = historyPageDefault
	}
	msgs, more, err := s.hub.History(ctx, room, before, min(limit, s.cfg.HistoryPageMax))
	if err != nil {
		return wire.History{}, err
	}
	page := wire.History{Type: wire.TypeHistory, Room: room, Messages: make([]wire.Message, len(msgs)), More: more}
	for i := range msgs {
		page.Messages[i] = wire.NewMessage(&msgs[i])
	}
	return page, nil
}

func (j *jsonSession) end() {
	j.expiry.stop()
	for room := range j.rooms {
		j.srv.hub.Leave(room, j.member)
	}
}
