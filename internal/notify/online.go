package notify

import (
	"context"
	"errors"
	"sync"
	"time"

	"hubbub"
)

// Who is connected, cluster-wide. A node holds a user's connections and, while it holds at
// least one, a subscription to the user's channel (hubbub.UserChannel; internal/hub, users.go).
// To learn whether a user is connected anywhere, Connected subscribes to the user's channel
// itself, publishes a PresenceRequested there and waits, a bounded time, for PresenceReported
// answers: every node holding a connection of the user answers, and no other node hears the
// question. A user no node answers for within the wait counts as away. The question costs one
// subscription and one publish per user, and nothing on the nodes where the user is not.
//
// What this counts: every hubbub.v1 connection of a stored user that said hello (the page,
// hubbub chat, the client package, bots). A node that cannot reach the broker cannot answer,
// so its users count as away: they may get a notification they did not need, never lose one.

// DefaultOnlineWait is how long Connected waits for the nodes' answers when Presence.Wait is 0.
const DefaultOnlineWait = time.Second

// Presence asks the nodes of a cluster which users have a live connection.
type Presence struct {
	// Broker carries the question and the answers (the node's own broker).
	Broker hubbub.Broker
	// Node is this node's id, set on the questions it publishes.
	Node string
	// Wait bounds the wait for answers (0: DefaultOnlineWait). A user with no answer by then
	// counts as away.
	Wait time.Duration
}

// ErrNoBroker is returned by Connected when the Presence has no broker.
var ErrNoBroker = errors.New("notify: presence needs a broker")

// Connected returns the users among users that have a live connection on some node. It
// returns as soon as every user is found connected, else after Wait (or when ctx ends). Users
// it could not ask (the broker refused the subscription or the question) are left out and
// reported in err, along with those found: the caller decides what unknown means.
func (p *Presence) Connected(ctx context.Context, users []string) (map[string]bool, error) {
	if p.Broker == nil {
		return nil, ErrNoBroker
	}
	wait := p.Wait
	if wait <= 0 {
		wait = DefaultOnlineWait
	}
	var (
		mu       sync.Mutex
		found    = make(map[string]bool, len(users))
		expected = -1 // set once every subscription is made
		allIn    = make(chan struct{})
		done     bool
	)
	complete := func() { // with mu held
		if !done && len(found) == expected {
			done = true
			close(allIn)
		}
	}
	var errs []error
	var cancels []func()
	defer func() {
		for _, c := range cancels {
			c()
		}
	}()
	var channels []string
	asked := make(map[string]bool, len(users))
	for _, u := range users {
		channel := hubbub.UserChannel(u)
		if asked[channel] {
			continue
		}
		asked[channel] = true
		cancel, err := p.Broker.Subscribe(channel, func(ev hubbub.Event) {
			if _, ok := ev.Body.(hubbub.PresenceReported); !ok {
				return // our own question, or a notice to the user's connections
			}
			mu.Lock()
			defer mu.Unlock()
			found[u] = true
			complete()
		})
		if err != nil {
			errs = append(errs, err)
			continue
		}
		cancels = append(cancels, cancel)
		channels = append(channels, channel)
	}
	mu.Lock()
	expected = len(channels)
	complete()
	mu.Unlock()
	for _, channel := range channels {
		if err := p.Broker.Publish(ctx, hubbub.Event{Room: channel, Node: p.Node, Body: hubbub.PresenceRequested{}}); err != nil {
			errs = append(errs, err)
		}
	}
	t := time.NewTimer(wait)
	select {
	case <-allIn:
	case <-t.C:
	case <-ctx.Done():
		errs = append(errs, ctx.Err())
	}
	t.Stop()
	mu.Lock()
	out := make(map[string]bool, len(found))
	for u := range found {
		out[u] = true
	}
	mu.Unlock()
	return out, errors.Join(errs...)
}
