package session

import (
	"context"
	"fmt"
	"strings"

	"hubbub"
	"hubbub/internal/auth"
	"hubbub/internal/hub"
	"hubbub/internal/session/codec"
)

// textSession speaks the original chat protocol: the first line is the name, every later line
// is a message to room lobby, shown to others as "name: text".
type textSession struct {
	svc     *Service
	p       Peer
	member  *hub.Member // set once the member has joined lobby
	limiter *sendLimiter
	claims  *auth.Claims // the verified token, when the server requires tokens
	expiry  expiry
}

// newTextSession starts a session; token is the one the upgrade request carried, if any. When
// the server requires tokens and this one is missing or invalid, the client is told why and the
// connection closes with 1008.
func newTextSession(s *Service, p Peer, token string) *textSession {
	t := &textSession{svc: s, p: p, limiter: newSendLimiter(&s.cfg)}
	if s.tokensOn() {
		claims, err := s.authenticate(token)
		if err != nil {
			t.refuse(hubbub.ErrorMessage(err), closePolicyViolation)
			return t
		}
		t.claims = &claims
		t.expiry.arm(p, claims.ExpiresAt)
	}
	return t
}

// Codec implements Session: text lines.
func (t *textSession) Codec() hub.Codec { return codec.TextCodec{} }

// Coalesce implements Session: queued lines go out joined by '\n', as the original chat did.
func (t *textSession) Coalesce() bool { return true }

// Handle implements Session.
func (t *textSession) Handle(data []byte) {
	if t.member == nil {
		// A name is trimmed but never cleaned: one with a control character inside is refused
		// (setName), as protocol.md says, rather than turned into a name the client did not send.
		t.setName(strings.TrimSpace(string(data)))
		return
	}
	text := hubbub.CleanText(string(data))
	if text == "" {
		return // the original dropped nothing, but broadcast "name: "; an empty line says nothing
	}
	ok, abusive := t.limiter.allow()
	if abusive {
		t.refuse("sending too fast", closePolicyViolation)
		return
	}
	if !ok {
		t.say("error: rate limited; slow down")
		return
	}
	if len(text) > t.svc.cfg.MaxText {
		t.say(fmt.Sprintf("error: message longer than %d bytes", t.svc.cfg.MaxText))
		return
	}
	msg := hubbub.Entry{Room: hubbub.DefaultRoom, From: t.member.Name, Text: text}
	if _, _, err := t.svc.hub.Send(context.Background(), msg); err != nil {
		t.say("error: " + hubbub.ErrorMessage(err))
	}
}

// setName takes the first line as the client's name and joins lobby under it.
// With a token the line is still read, for compatibility, but the token's name is used.
func (t *textSession) setName(name string) {
	m := &hub.Member{Name: name, Out: t.p.Outbox(), MessagesOnly: true}
	if t.claims != nil {
		if !t.claims.CanJoin(hubbub.DefaultRoom) {
			t.refuse(hubbub.ErrorMessage(forbidden(hubbub.DefaultRoom)), closePolicyViolation)
			return
		}
		m = tokenMember(t.claims, t.p.Outbox())
		name = m.Name
	} else if err := hubbub.ValidateName(name); err != nil {
		t.refuse(hubbub.ErrorMessage(err), closePolicyViolation)
		return
	}
	m.Removed = textRemoved(t.p)
	_, err := t.svc.hub.Join(context.Background(), hub.JoinRequest{Room: hubbub.DefaultRoom, Member: m, NoReplay: true})
	if err != nil {
		t.refuse(hubbub.ErrorMessage(err), closePolicyViolation)
		return
	}
	t.member = m
	t.p.Info("named", "name", name, "room", hubbub.DefaultRoom)
}

// say queues one line for this client only.
func (t *textSession) say(line string) { t.p.Outbox().Push(hub.NewRaw([]byte(line))) }

// refuse tells the client why and closes the connection.
func (t *textSession) refuse(reason string, code int) {
	t.say("error: " + reason)
	t.p.Close(code, reason)
}

// End implements Session.
func (t *textSession) End() {
	t.expiry.stop()
	if t.member != nil {
		t.svc.hub.Leave(hubbub.DefaultRoom, t.member)
	}
}
