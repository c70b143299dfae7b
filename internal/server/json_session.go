package server

import (
	"context"
	"time"

	"github.com/gorilla/websocket"

	"hubbub"
	"hubbub/internal/hub"
	"hubbub/internal/protocol"
)

// jsonSession speaks hubbub.v1 (docs/protocol.md): hello, then any number of rooms.
type jsonSession struct {
	srv     *Server
	c       *conn
	member  *hub.Member // nil until hello
	rooms   map[string]bool
	limiter *sendLimiter
	typing  typingGate
}

func newJSONSession(s *Server, c *conn) *jsonSession {
	return &jsonSession{srv: s, c: c, rooms: make(map[string]bool), limiter: newSendLimiter(&s.cfg),
		typing: typingGate{interval: s.cfg.TypingInterval}}
}

func (j *jsonSession) codec() hub.Codec { return protocol.JSONCodec{} }
func (j *jsonSession) coalesce() bool   { return false }

// reply queues a frame for this client only.
func (j *jsonSession) reply(v any) { j.c.out.Push(hub.NewRaw(protocol.Encode(v))) }

func (j *jsonSession) fail(err error, f *protocol.ClientFrame) { j.reply(protocol.NewError(err, f)) }

func (j *jsonSession) handle(data []byte) {
	f, err := protocol.Decode(data)
	if err != nil {
		j.fail(err, &f)
		return
	}
	if j.member == nil && f.Type != protocol.TypeHello && f.Type != protocol.TypePing {
		j.fail(hubbub.Errorf(hubbub.ECodeNoHello, "say hello first"), &f)
		return
	}
	if f.Room != "" && f.Type != protocol.TypeJoin && !j.rooms[f.Room] {
		j.fail(hubbub.Errorf(hubbub.ECodeNotJoined, "you have not joined room %q", f.Room), &f)
		return
	}
	ctx := context.Background()
	switch f.Type {
	case protocol.TypeHello:
		j.hello(&f)
	case protocol.TypeJoin:
		j.join(ctx, &f)
	case protocol.TypeLeave:
		j.srv.hub.Leave(f.Room, j.member)
		delete(j.rooms, f.Room)
		j.reply(protocol.Left(f.Room))
	case protocol.TypeSend:
		j.send(ctx, &f)
	case protocol.TypeHistory:
		j.history(ctx, &f)
	case protocol.TypeTyping:
		if j.typing.allow(f.Room, time.Now()) {
			_ = j.srv.hub.Typing(ctx, f.Room, j.member.Name)
		}
	case protocol.TypeWho:
		j.reply(protocol.RoomNames{Type: "members", Room: f.Room, Members: j.srv.hub.Members(f.Room)})
	case protocol.TypePing:
		j.reply(protocol.Pong(f.ID))
	}
}

func (j *jsonSession) hello(f *protocol.ClientFrame) {
	if err := hubbub.ValidateName(f.Name); err != nil {
		j.fail(err, f)
		return
	}
	if j.member != nil && len(j.rooms) > 0 && (f.Name != j.member.Name || f.Key != j.member.Key) {
		j.fail(hubbub.Errorf(hubbub.ECodeBadName, "leave every room before changing your name"), f)
		return
	}
	j.member = &hub.Member{Name: f.Name, Key: f.Key, Out: j.c.out}
	j.c.log.Info("hello", "name", f.Name)
	cfg := &j.srv.cfg
	hc := j.srv.hub.Config()
	j.reply(protocol.Welcome{Type: "welcome", Name: f.Name, Server: cfg.Node, Version: hubbub.Version,
		Limits: protocol.Limits{MaxText: cfg.MaxText, MaxRooms: cfg.MaxRoomsPerConn, HistoryMax: hc.History,
			SendRate: cfg.SendRate, SendBurst: cfg.SendBurst}})
}

func (j *jsonSession) join(ctx context.Context, f *protocol.ClientFrame) {
	if err := hubbub.ValidateRoom(f.Room); err != nil {
		j.fail(err, f)
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
	req := hub.JoinRequest{Room: f.Room, Member: j.member, Since: f.Since, History: f.History,
		Greet: func(info hub.JoinInfo) *hub.Envelope {
			return hub.NewRaw(protocol.Encode(protocol.Joined{Type: "joined", Room: info.Room, Members: info.Members,
				LastSeq: info.LastSeq, Replay: info.Replay, Truncated: info.Truncated}))
		}}
	if _, err := j.srv.hub.Join(ctx, req); err != nil {
		j.fail(err, f)
		return
	}
	j.rooms[f.Room] = true
	j.c.log.Debug("joined", "room", f.Room)
}

func (j *jsonSession) send(ctx context.Context, f *protocol.ClientFrame) {
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
	text := hubbub.CleanMultiline(*f.Text)
	switch {
	case text == "":
		j.fail(hubbub.Errorf(hubbub.ECodeEmpty, "the message is empty"), f)
		return
	case len(text) > j.srv.cfg.MaxText:
		j.fail(hubbub.Errorf(hubbub.ECodeTooLong, "the message is longer than %d bytes", j.srv.cfg.MaxText), f)
		return
	}
	stored, dup, err := j.srv.hub.Send(ctx, hubbub.Message{Room: f.Room, From: j.member.Name, ClientID: f.ID, Text: text})
	if err != nil {
		j.fail(err, f)
		return
	}
	j.reply(protocol.NewAck(&stored, dup))
}

func (j *jsonSession) history(ctx context.Context, f *protocol.ClientFrame) {
	limit := f.Limit
	if limit <= 0 {
		limit = 50
	}
	limit = min(limit, j.srv.cfg.HistoryPageMax)
	msgs, more, err := j.srv.hub.History(ctx, f.Room, f.Before, limit)
	if err != nil {
		j.fail(err, f)
		return
	}
	page := protocol.HistoryPage{Type: "history", Room: f.Room, Messages: make([]protocol.MessageFrame, len(msgs)), More: more}
	for i := range msgs {
		page.Messages[i] = protocol.NewMessageFrame(&msgs[i])
	}
	j.reply(page)
}

func (j *jsonSession) end() {
	for room := range j.rooms {
		j.srv.hub.Leave(room, j.member)
	}
}
