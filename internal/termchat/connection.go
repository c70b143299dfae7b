package termchat

import (
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"syscall"
	"time"

	"github.com/gorilla/websocket"

	"hubbub"
	"hubbub/client"
	"hubbub/internal/dialhint"
	"hubbub/internal/wire"
)

// The connection in `hubbub chat`: what it says when the connection is lost and while it
// reconnects. The client's errors carry every layer that wrapped them ("client: read:
// websocket: close 1001 (going away): server shutting down"), which a person reads as noise;
// the chat says what happened, that it is reconnecting, and when it tries next. --verbose
// logs the client's own account of it, the errors in full.

// lostLine is what a lost connection prints: the first try to reconnect is made at once.
func lostLine(f *client.Disconnected) string {
	return fmt.Sprintf("* connection to %s lost (%s); reconnecting now", f.URL, connReason(f.Err))
}

// reconnectingLine is what a round of reconnect attempts that failed prints, or "" for one
// not said: the rounds 1, 2, 4, 8, … are, so that a long outage says it is still being
// tried ever less often (the pause between rounds grows to 10 s) instead of filling the
// terminal.
func reconnectingLine(f *client.Reconnecting) string {
	if f.Round < 1 || f.Round&(f.Round-1) != 0 {
		return ""
	}
	return fmt.Sprintf("* still not connected (%s); next try in %s", connReason(f.Err), waitText(f.Wait))
}

// connReason says in a few words why a connection ended or could not be made.
func connReason(err error) string {
	var (
		closed  *websocket.CloseError
		refused *client.DialError
		other   *client.ProtocolError
		hello   *wire.Error
		op      *net.OpError
		dns     *net.DNSError
		netErr  net.Error
		unknown x509.UnknownAuthorityError
	)
	switch {
	case err == nil:
		return "no reason given"
	case errors.As(err, &hello):
		return "the server refused hello: " + refusal(err)
	case errors.As(err, &closed):
		return closeReason(closed)
	case errors.As(err, &refused):
		return fmt.Sprintf("the server answered %d %s", refused.Status, http.StatusText(refused.Status))
	case errors.As(err, &other):
		if said := addServiceSaid(other); said != "" {
			return said
		}
		return "the server there does not speak " + hubbub.ProtocolJSON
	case errors.Is(err, syscall.ECONNREFUSED) && errors.As(err, &op) && op.Addr != nil:
		return fmt.Sprintf("nothing listens at %s", op.Addr)
	case errors.As(err, &dns):
		return fmt.Sprintf("no address found for %s", dns.Name)
	case errors.As(err, &unknown):
		return "its certificate is not one this chat trusts (see --ca-file)"
	case errors.As(err, &netErr) && netErr.Timeout():
		return "the server stopped answering"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, syscall.ECONNABORTED), errors.Is(err, syscall.EPIPE), errors.Is(err, net.ErrClosed):
		return "the connection dropped"
	}
	for { // what is left: the innermost error, without the layers' names
		inner := errors.Unwrap(err)
		if inner == nil {
			return hubbub.CleanText(err.Error())
		}
		err = inner
	}
}

// closeReason says why the server closed the connection: its reason and close code, or for
// a connection cut without a close frame (1006), that it dropped.
func closeReason(e *websocket.CloseError) string {
	switch {
	case e.Code == websocket.CloseAbnormalClosure:
		return "the connection dropped"
	case e.Text != "":
		return fmt.Sprintf("the server closed it: %s (%d)", hubbub.CleanText(e.Text), e.Code)
	}
	return fmt.Sprintf("the server closed it (%d)", e.Code)
}

// waitText says how long until the next try: "under a second", "4s", "1m30s".
func waitText(d time.Duration) string {
	if d < time.Second {
		return "under a second"
	}
	return d.Round(time.Second).String()
}

// signInHint is what to add to a refused hello that an account's sign-in would have passed: a
// server that admits accounts only, or a name that belongs to a user (perhaps the caller's own
// account). A hello that carried credentials (signed in, or --token) gets none: the server's
// reason is about them, and the advice would be to pass what was passed.
func signInHint(err error, credentials bool) string {
	if credentials {
		return ""
	}
	switch hubbub.ErrorCode(err) {
	case hubbub.ECodeUnauthorized:
		return " (with an account, pass --signin to sign in as --name; with a token, --token)"
	case hubbub.ECodeNameTaken:
		return " (if it is your account's name, pass --signin)"
	}
	return ""
}

// notFoundHint is what to add to a dial that the server answered 404: the URL's path is not
// the WebSocket endpoint (ws://HOST/chat, or the page's path), which is /ws.
func notFoundHint(err error) string {
	var de *client.DialError
	if errors.As(err, &de) && de.Status == http.StatusNotFound {
		if u, perr := url.Parse(de.URL); perr == nil && u.Host != "" {
			return fmt.Sprintf(" (hubbub's WebSocket endpoint is /ws: %s://%s/ws)", u.Scheme, u.Host)
		}
	}
	return ""
}

// addServiceHint is what to add to a dial of several URLs that reached the add service with
// one of them (dialhint.WrongEndpoint); a dial of that URL alone says it instead (connectError).
func addServiceHint(err error) string {
	var pe *client.ProtocolError
	if _, alone := err.(*client.ProtocolError); alone || !errors.As(err, &pe) {
		return ""
	}
	if said := addServiceSaid(pe); said != "" {
		return " (" + said + ")"
	}
	return ""
}

// addServiceSaid is dialhint.WrongEndpoint's word on the endpoint pe reached: "" unless it is the add
// service.
func addServiceSaid(pe *client.ProtocolError) string {
	u, err := url.Parse(pe.URL)
	if err != nil {
		return ""
	}
	return dialhint.WrongEndpoint(u, pe.Chose, "ws")
}

// connectError is a failed connection as the chat prints it, hint appended: a hello the server
// refused as the reason and code it gave (the only refusal a connection ends on: a refused
// join leaves the room out), without the client's wrappings ("client: ws://…/ws: client:
// hello: server: unauthorized: …"); the add service dialled for the chat as what it is and
// where chat is, as hubbub add says of the chat endpoint ("client: dial ws://…/add: server
// does not speak hubbub.v1 (it chose \"\")"); a failure to reach the server as it is.
func connectError(err error, hint string) error {
	var se *wire.Error
	if errors.As(err, &se) {
		return &printedError{msg: "chat: the server refused hello: " + refusal(err) + hint, err: err}
	}
	if pe, alone := err.(*client.ProtocolError); alone {
		if said := addServiceSaid(pe); said != "" {
			return &printedError{msg: "chat: " + said, err: err}
		}
	}
	return fmt.Errorf("chat: %w%s", err, hint)
}

// printedError is err with the message the chat prints instead of err's own.
type printedError struct {
	msg string
	err error
}

func (e *printedError) Error() string { return e.msg }
func (e *printedError) Unwrap() error { return e.err }
