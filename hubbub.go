// Package hubbub holds the vocabulary of the hubbub chat server: the messages people send, the
// rooms they send them to, and the two small interfaces every other package speaks — Store, which
// keeps history and assigns each message its place in a room, and Broker, which carries events
// between the nodes that serve a room.
//
// The changes a room goes through (a message posted, a member joined, a message deleted, …) are
// a closed set: Event carries one of a fixed list of bodies, and every consumer handles each kind
// through EventVisitor, so a new kind that some consumer forgets does not compile. Event's doc
// has the checklist for adding a kind.
//
// The root package imports nothing from the project, so the hub, the server, the clients and the
// load generator can all share these types, and each backend (SQLite, PostgreSQL, in-process,
// NATS) lives in a package of its own under internal/.
package hubbub

// Version is the server's version, reported in the welcome frame and by `hubbub --version`.
var Version = "0.1.0-dev"

// Protocol names negotiated through Sec-WebSocket-Protocol on /ws.
const (
	// ProtocolJSON is the structured JSON protocol described in docs/protocol.md.
	ProtocolJSON = "hubbub.v1"
	// DefaultRoom is the room that text-protocol clients (no subprotocol) talk in, where the
	// page opens on a first visit and `hubbub chat` starts unless told another.
	DefaultRoom = "lobby"
)
