package server

import (
	"context"
	"fmt"

	"github.com/gorilla/websocket"

	"hubbub"
	"hubbub/internal/auth"
	"hubbub/internal/hub"
	"hubbub/internal/session/codec"
)

// textSession speaks the original chat protocol: the first line is the name, every later line
// is a message to room lobby, shown to others as "name: text".
type textSession struct {
	srv     *Server
	c       *conn
	member  *hub.Member // set once the member has joined lobby
	limiter *sendLimiter
	claims  *auth.Claims // the verified token, when the server requires tokens
	expiry  expiry
}

// newTextSession starts a session; token is the one the upgrade request carried, if any. When
// the server requires tokens and this one is missing or invalid, the client is told why and the
// connection closes with 1008.
func newTextSession(s *Server, c *conn, token string) *textSession {
	t := &textSession{srv: s, c: c, limiter: newSendLimiter(&s.cfg)}
	if s.tokensOn() {
		claims, err := s.authenticate(token)
		if err != nil {
			t.refuse(hubbub.ErrorMessage(err), websocket.ClosePolicyViolation)
			return t
		}
		t.claims = &claims
		t.expiry.arm(c, claims.ExpiresAt)
	}
	return t
}

func (t *textSession) codec() hub.Codec { return codec.TextCodec{} }
func (t *textSession) coalesce() bool   { return true }

func (t *textSession) handle(data []byte) {
	text := hubbub.CleanText(string(data))
	if t.member == nil {
		t.setName(text)
		return
	}
	if text == "" {
		return // the original dropped nothing, but broadcast "name: "; an empty line says nothing
	}
	ok, abusive := t.limiter.allow()
	if abusive {
		t.refuse("sending too fast", websocket.ClosePolicyViolation)
		return
	}
	if !ok {
		t.say("error: rate limited; slow down")
		return
	}
	if len(text) > t.srv.cfg.MaxText {
		t.say(fmt.Sprintf("error: message longer than %d bytes", t.srv.cfg.MaxText))
		return
	}
	msg := hubbub.Message{Room: hubbub.DefaultRoom, From: t.member.Name, Text: text}
	if _, _, err := t.srv.hub.Send(context.Background(), msg); err != nil {
		t.say("error: " + hubbub.ErrorMessage(err))
	}
}

// setName takes the first line as the client's name and joins lobby under it.
// With a token the line is still read, for compatibility, but the token's name is used.
func (t *textSession) setName(name string) {
	m := &hub.Member{Name: name, Out: t.c.out, MessagesOnly: true}
	if t.claims != nil {
		if !t.claims.CanJoin(hubbub.DefaultRoom) {
			t.refuse(hubbub.ErrorMessage(forbidden(hubbub.DefaultRoom)), websocket.ClosePolicyViolation)
			return
		}
		m = tokenMember(t.claims, t.c.out)
		name = m.Name
	} else if err := hubbub.ValidateName(name); err != nil {
		t.refuse(hubbub.ErrorMessage(err), websocket.ClosePolicyViolation)
		return
	}
	m.Removed = textRemoved(t.c)
	_, err := t.srv.hub.Join(context.Background(), hub.JoinRequest{Room: hubbub.DefaultRoom, Member: m, NoReplay: true})
	if err != nil {
		t.refuse(hubbub.ErrorMessage(err), websocket.ClosePolicyViolation)
		return
	}
	t.member = m
	t.c.log.Info("named", "name", name, "room", hubbub.DefaultRoom)
}

// say queues one line for this client only.
func (t *textSession) say(line string) { t.c.out.Push(hub.NewRaw([]byte(line))) }

// refuse tells the client why and closes the connection.
func (t *textSession) refuse(reason string, code int) {
	t.say("error: " + reason)
	t.c.closeWith(code, reason, false)
}

func (t *textSession) end() {
	t.expiry.stop()
	if t.member != nil {
		t.srv.hub.Leave(hubbub.DefaultRoom, t.member)
	}
}
