package hubbub

import "context"

// EventKind says what an Event carries.
type EventKind uint8

// The kinds of events a Broker carries.
const (
	// EventMessage carries a stored Message.
	EventMessage EventKind = iota + 1
	// EventJoin says Name joined Room.
	EventJoin
	// EventLeave says Name left Room.
	EventLeave
	// EventTyping says Name is typing in Room (never stored).
	EventTyping
	// EventPresence is a node's periodic statement of every member it holds in Room (Names);
	// other nodes expire what a node stops restating, so a dead node's members disappear.
	EventPresence
	// EventPresenceQuery asks every node to send its EventPresence for Room now (a node that
	// just opened the room wants the members of the others at once).
	EventPresenceQuery
	// EventKick removes every connection of Name from Room on every node (Reason says why).
	EventKick
	// EventSanction imposes or lifts Sanction (a ban also kicks its name).
	EventSanction
	// EventDelete says the message Seq of Room was deleted (a tombstone).
	EventDelete
)

// Event is what flows from a sender's node to every node that serves a room.
type Event struct {
	Kind EventKind `json:"kind"`
	Room string    `json:"room"`
	// Message is set for EventMessage.
	Message *Message `json:"message,omitempty"`
	// Name is the member for EventJoin, EventLeave and EventTyping.
	Name string `json:"name,omitempty"`
	// Names are the members a node holds, for EventPresence.
	Names []string `json:"names,omitempty"`
	// Node is the id of the node the event came from.
	Node string `json:"node,omitempty"`
	// Reason is the moderator's explanation for EventKick.
	Reason string `json:"reason,omitempty"`
	// Sanction is set for EventSanction.
	Sanction *Sanction `json:"sanction,omitempty"`
	// Seq is the deleted message's seq for EventDelete.
	Seq uint64 `json:"seq,omitempty"`
}

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
type Broker interface {
	// Publish sends ev to every subscriber of ev.Room.
	Publish(ctx context.Context, ev Event) error
	// Subscribe calls handler for every event published to room until cancel is called.
	Subscribe(room string, handler func(Event)) (cancel func(), err error)
	// Close stops delivering events and releases the broker's resources.
	Close() error
}
