package hubbub

import "context"

// Broker carries events between the nodes serving a room. The in-process broker is the default;
// the NATS broker lets several nodes share rooms.
//
// Contract, which internal/brokertest checks on every implementation:
//   - Every handler subscribed to a room, on any node, receives every event published to that
//     room after the subscription returned, unless the broker reports an error.
//   - Events published from one goroutine to one room arrive in the order they were published.
//     Messages may still arrive out of Seq order when several nodes publish; receivers reorder
//     by Seq and fill gaps from the Store.
//   - Handlers are called from the broker's goroutines, one at a time per subscription; they
//     must not block.
//   - A PresenceReported arrives whole, however many names it lists: a broker whose messages
//     are bounded (NATS's max_payload) carries a larger one in parts and hands the handler
//     the statement put back together, never a part of it. Every other kind is bounded by
//     the limits on what it carries; one larger than the broker's messages fails to publish.
type Broker interface {
	// Publish sends ev to every subscriber of ev.Room.
	Publish(ctx context.Context, ev Event) error
	// Subscribe calls handler for every event published to room until cancel is called.
	Subscribe(room string, handler func(Event)) (cancel func(), err error)
	// Close stops delivering events and releases the broker's resources.
	Close() error
}

// InterestProber is implemented by a Broker that can tell, in one round trip, that nobody
// subscribes to a room: the NATS broker, whose server answers at once a request that reaches
// no subscriber. A node that does not know the other nodes yet (it just started, or came
// back to the broker) asks it about a room that opens, before subscribing: where nobody
// holds the room, no node has members there to wait for (Hub's presence wait).
type InterestProber interface {
	// Subscribed reports whether anyone, on any node (this one included), subscribes to room.
	// It reports false only when the broker knows that nobody does; an error means that it
	// could not tell.
	Subscribed(ctx context.Context, room string) (bool, error)
}
