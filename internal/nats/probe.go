package nats

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	natsgo "github.com/nats-io/nats.go"
)

// A room that opens on a node waits for the other nodes to say who of it they hold, and a node
// that has just started does not know yet which nodes there are: it waited for the first
// one's announcement, which a node alone never hears, so its rooms waited the whole wait. The
// NATS server can say that nobody subscribes to a room: a message published with a reply
// subject that reaches no subscriber is answered at once, on the reply subject, with a status
// 503, "no responders" (NATS 2.2 and later, to clients that support headers). A node holding a
// room subscribes to its subject, whatever its version, so where nobody does there are no
// members on other nodes to wait for.
//
// The answer comes before the server's answer to a round trip begun after the message
// (confirm), on the same connection: once that is back, no answer means that the message
// reached a subscriber, without waiting for any time to pass.

// errNoHeaders is Subscribed's error with a server that predates headers, and so never says
// that nobody subscribes.
var errNoHeaders = errors.New("the NATS server does not support headers, nor answer a request that reaches nobody")

// statusHeader and noResponders are the header, and its value, of the server's answer to a
// request that reached no subscriber (nats.go's own names for them are not exported).
const (
	statusHeader = "Status"
	noResponders = "503"
)

// probeSubjects returns the prefix of this broker's reply subjects for Subscribed, under the
// deployment's subject prefix (so that permissions on "<prefix>.>" cover it) and apart from the
// rooms' ("<prefix>.room.…"), with a random token of its own.
func probeSubjects(prefix string) (string, error) {
	var token [8]byte
	if _, err := rand.Read(token[:]); err != nil {
		return "", fmt.Errorf("nats broker: reply subject: %w", err)
	}
	return prefix + ".probe." + hex.EncodeToString(token[:]) + ".", nil
}

// Subscribed reports whether anyone subscribes to room: any client of the NATS servers, this
// broker's own subscriptions included, and whatever its version. It takes one round trip: it
// publishes a probe (tagProbe, which subscribers drop) to the room's subject with a reply
// subject, and reports false if the server answered that the probe reached nobody. It reports
// true, with an error, when it cannot tell: the connection is down, or the server predates
// headers. It also reports true where the connection may not subscribe to its reply subject
// ("<SubjectPrefix>.probe.…"): the server then has nowhere to answer. In a NATS cluster, a
// subscription made on another server a moment ago may not be known to this one yet.
func (b *Broker) Subscribed(ctx context.Context, room string) (bool, error) {
	subject, err := b.roomNow("probe", room)
	if err != nil {
		return true, err
	}
	if !b.nc.HeadersSupported() {
		return true, fmt.Errorf("nats broker: probe room %q: %w", room, errNoHeaders)
	}
	data, err := json.Marshal(&wireEvent{Kind: tagProbe, Room: room, Node: b.node})
	if err != nil {
		return true, fmt.Errorf("nats broker: probe room %q: encode: %w", room, err)
	}
	reply := b.probes + strconv.FormatUint(b.probeSeq.Add(1), 10)
	answers := make(chan *natsgo.Msg, 1)
	sub, err := b.nc.ChanSubscribe(reply, answers)
	if err != nil {
		return true, fmt.Errorf("nats broker: probe room %q: %w", room, b.connErr(err))
	}
	defer func() {
		if err := sub.Unsubscribe(); err != nil && !errors.Is(err, natsgo.ErrConnectionClosed) && !errors.Is(err, natsgo.ErrBadSubscription) {
			b.log.Warn("nats unsubscribe failed", "subject", reply, "err", err)
		}
	}()
	if err := b.nc.PublishMsg(&natsgo.Msg{Subject: subject, Reply: reply, Data: data}); err != nil {
		return true, fmt.Errorf("nats broker: probe room %q: %w", room, b.connErr(err))
	}
	if err := b.confirm(ctx); err != nil {
		return true, fmt.Errorf("nats broker: probe room %q: not confirmed by the server: %w", room, err)
	}
	select {
	case m := <-answers:
		return m.Header.Get(statusHeader) != noResponders, nil
	default:
		return true, nil
	}
}
