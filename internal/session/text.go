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
	limiter sendLimiter
	creds   Credentials  // what the upgrade request carried
	claims  *auth.Claims // the verified token, when the user came with one
	expiry  expiry
	online  *hub.Online // this connection's part in its user's presence, once named
	// bot is the bot the connection signed in as, if any, and unfollowBot ends following
	// its changes (bots.go).
	bot         *liveBot
	unfollowBot func()
}

// newTextSession starts a session; creds are what the upgrade request carried. When the server
// requires tokens and the upgrade's is missing or invalid, the client is told why and the
// connection closes with 1008.
func newTextSession(s *Service, p Peer, creds Credentials) *textSession {
	t := &textSession{svc: s, p: p, creds: creds}
	if s.tokensOn() && (creds.Token != "" || s.cfg.Auth == AuthToken) {
		// Checked at once, as before users: a text client learns of a bad token before it
		// sends a name.
		if _, err := s.authenticate(creds.Token); err != nil {
			t.refuse(hubbub.ErrorMessage(err), closePolicyViolation)
		}
	}
	return t
}

// Codec implements Session: text lines.
func (t *textSession) Codec() hub.Codec { return codec.TextCodec{FilesURL: t.svc.cfg.FilesURL} }

// Coalesce implements Session: queued lines go out joined by '\n', as the original chat did.
func (t *textSession) Coalesce() bool { return true }

// User implements Session.
func (t *textSession) User() (name, id string) {
	if t.member == nil {
		return "", ""
	}
	return t.member.CurrentName(), t.member.UserID
}

// Handle implements Session.
func (t *textSession) Handle(data []byte) {
	if t.member == nil {
		// A name is trimmed but never cleaned: one with a control character inside is refused
		// (setName), as protocol.md says, rather than turned into a name the client did not send.
		t.setName(strings.TrimSpace(string(data)))
		return
	}
	t.online.Active()
	text := hubbub.CleanText(string(data))
	if text == "" {
		return // the original dropped nothing, but broadcast "name: "; an empty line says nothing
	}
	if t.bot != nil && !t.botStill() {
		return
	}
	ok, abusive := t.limiter.allow(&t.svc.cfg)
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
	msg := hubbub.Entry{Room: hubbub.DefaultRoom, From: t.member.CurrentName(), User: t.member.UserID, Text: text, Bot: t.member.Bot}
	if _, _, err := t.svc.hub.Send(context.Background(), &msg); err != nil {
		t.say("error: " + hubbub.ErrorMessage(err))
	}
}

// setName takes the first line as the client's name and joins lobby under it. The text
// protocol has no key: in guest mode the client is the anonymous user of a name no stored user
// holds. With a session cookie or a token the line is still read, for compatibility, but the
// user's name is used.
func (t *textSession) setName(name string) {
	mark := t.svc.recheckMark() // an account check that begins from here on may miss this connection
	id, err := t.svc.identify(context.Background(), helloName{name: name}, t.creds)
	if err != nil {
		t.refuse(hubbub.ErrorMessage(err), closePolicyViolation)
		return
	}
	if !id.mayJoin(hubbub.DefaultRoom) {
		t.refuse(hubbub.ErrorMessage(forbidden(hubbub.DefaultRoom)), closePolicyViolation)
		return
	}
	m := t.svc.connMember(&id, t.p)
	m.MessagesOnly = true
	m.Removed = textRemoved(t.p)
	if _, err := t.svc.hub.Join(context.Background(), hub.JoinRequest{Room: hubbub.DefaultRoom, Member: m, NoReplay: true}); err != nil {
		t.refuse(hubbub.ErrorMessage(err), closePolicyViolation)
		return
	}
	t.member, t.claims = m, id.claims
	if storedUserID(m.UserID) && id.bot == nil {
		// On its user's channel, so that a change of the account reaches it (accountchange.go);
		// as MessagesOnly it is given none of the channel's notices.
		if err := t.svc.attachUser(context.Background(), mark, m, t.p, id.claimed); err != nil {
			// Attached all the same (an account change closes it); only the other nodes'
			// notices wait for the broker.
			t.p.Info("a signed-in text connection's user channel waits for the broker", "err", err)
		}
	}
	if id.bot != nil {
		t.followBot(id.bot)
	}
	t.online = t.svc.hub.Connect(m.UserID)
	t.expiry.arm(t.p, &id)
	// At debug, as hubbub.v1's hello: the disconnected line (info) names the user.
	t.p.Debug("named", "name", m.CurrentName(), "user", m.UserID, "room", hubbub.DefaultRoom)
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
	if t.unfollowBot != nil {
		t.unfollowBot()
	}
	if t.member != nil {
		t.svc.hub.Detach(t.member) // does nothing if it was not attached
		t.svc.hub.Leave(hubbub.DefaultRoom, t.member)
		t.online.End()
	}
}
