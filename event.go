package hubbub

import (
	"fmt"
	"time"
)

// Event is one change to a room, carried by a Broker from the node where it happened to every
// node that serves the room: Room and Node say where, Body says what.
//
// The kinds of change are a closed set: Body is one of the body types below (EntryAppended,
// MemberJoined, …), and every consumer handles every kind through an EventVisitor, which has one
// method per kind. Adding a kind adds a method to EventVisitor, so every consumer that has not
// decided what the new kind means to it stops compiling. Consumers therefore dispatch with Visit,
// never with a type switch of their own, which would compile whatever kinds it forgot.
//
// # Adding a kind of room change
//
//  1. Declare its body here: a struct named for what happened (past tense), with its isEventBody
//     method, and a method of the same name on EventVisitor.
//  2. Add the case to Visit; TestVisitReachesEveryKind fails until it is there.
//  3. Add a sample with every field set to internal/eventtest.Every; the tests that enumerate
//     kinds (the broker round trip, the codec tests, TestVisitReachesEveryKind) fail until it is.
//  4. Make it compile: each EventVisitor implementation decides what the kind means to it —
//     the hub's room (internal/hub, roomEvents: how the room applies it and which members see it),
//     the NATS broker's encoding between nodes (internal/nats, wireEncoder and the decode table:
//     give it the next unused tag, never reuse one), and the codecs that turn it into frames for
//     clients (jsonFrames and textFrames; nil when the protocol does not show it).
//  5. A kind clients see needs its frame in the wire protocol, docs/protocol.md, the Go client
//     and the JavaScript client (web/); a kind that is stored needs the Store to keep it.
type Event struct {
	// Room is the room that changed.
	Room string
	// Node is the id of the node the event came from (set by the Broker if empty).
	Node string
	// Body is what happened: one of the types that EventVisitor has a method for.
	Body EventBody
}

// EventBody is what an Event says happened. It is sealed (only this package declares bodies), so
// Visit can list every kind.
type EventBody interface {
	isEventBody()
}

// EntryAppended carries an entry of the room's log, of any kind (a message, an edit, a delete,
// a reaction), as the Store returned it from Append, with its seq.
type EntryAppended struct {
	Entry *Entry
}

// MemberJoined says Name joined the room on the event's node, or, with State set, that the
// presence of Name, who is in the room, changed there: "away" (idle on that node) or "online"
// (active again). The state rides on this kind rather than one of its own because it is the
// same news to a member list, and nodes of the version before read it as a join of a name
// they already list, which changes nothing.
type MemberJoined struct {
	Name  string
	State string
	// Order places the event among its node's presence events of the room (see Order).
	Order Order
}

// MemberLeft says Name left the room on the event's node.
//
// With Renamed set, Name's connections there did not leave but go by Renamed from now on:
// their user was renamed (a guest's new name, an operator's rename). A MemberJoined with
// State of Renamed came before it if the new name was not in the room there yet. Nodes of the
// version before read past Renamed: Name left.
type MemberLeft struct {
	Name    string
	Renamed string
	// Moderation is "kick" or "ban" when a moderator took the name out (MemberKicked), "" for
	// a leave of their own; By is then the moderator's name, "" for the server API, and API
	// is true when the server API did it.
	Moderation string
	By         string
	API        bool
	// Sanction, on a ban's leave, is the seq of the ban's KindSanction entry in the room's
	// log, which every member was told of before it: a client that showed that entry says
	// the leave no more, matched by it rather than by a name the banned may have changed
	// since. 0 for a kick, and for a ban of a node of the version before sanctions were
	// entries (SanctionChanged), or before the field.
	Sanction uint64
	// Order places the event among its node's presence events of the room (see Order).
	Order Order
}

// Order numbers a node's presence events of a room — its joins, leaves and state changes
// (MemberJoined, MemberLeft) and its statements (PresenceReported) — in the order the node
// made the changes or read the members it states: one counter of the node's, taken under the
// room's lock with the change, and started from the clock, so that a node restarted under the
// same name goes on above its orders of before. The node publishes after letting go of that lock, from
// whichever goroutine made the change, so the broker may carry a later event first (a
// statement read before a leave, published after it, listed the member who had left until the
// next restatement). A receiver applies nothing older than what it already applied about the
// same name (internal/hub, presence.go). 0 is no order: the events of nodes before it, and the
// announcements to members, are applied as they come.
type Order uint64

// MemberTyping says Name is typing in the room (never stored).
type MemberTyping struct {
	Name string
}

// PresenceReported is a node's periodic statement of every member it holds in the room; other
// nodes expire what a node stops restating, so a dead node's members disappear.
type PresenceReported struct {
	Names []string
	// Away are the names among Names that are away on the node (idle past its away time), so
	// that every node shows them as the node they are connected to does. Nodes before the
	// field send none: their members show online until they change state.
	Away []string
	// Order places the statement among its node's presence events of the room (see Order).
	Order Order
}

// PresenceRequested asks every node that holds the room to send its PresenceReported for it now
// (a node that reconnected to the broker wants the members of the others at once). On a user's
// channel it asks which nodes hold a connection of the user (internal/notify).
type PresenceRequested struct {
	// Queried says that the asker also asked every node on PresenceChannel (PresenceQueried),
	// which the nodes that follow that channel answer instead: only a node of a version before
	// it answers this question. It is how a node that opens a room still hears, during a
	// rolling upgrade, from the nodes that do not know the channel.
	Queried bool
}

// PresenceQueried asks every node, on PresenceChannel, who of the room Room it holds: a node
// that just opened Room holds its first joins until the nodes it knows of have answered. Each
// answers on Room itself, where the asker listens: a PresenceReported if it holds members of
// Room, else an AbsenceReported.
type PresenceQueried struct {
	Room string
}

// AbsenceReported is a node's answer to a PresenceQueried when it holds no member of the room.
// It says only that the node has answered: a member who joins there meanwhile is announced by
// its own MemberJoined, which may arrive before it, so it takes nothing away.
type AbsenceReported struct{}

// NodeAnnounced says, on PresenceChannel, that the event's node is alive, every presence
// interval and when asked: the nodes a room that opens waits for are those heard from lately.
type NodeAnnounced struct {
	// Peers are the other nodes this node has heard from lately: a node that just started
	// learns from the first announcement it hears which nodes to wait for.
	Peers []string
	// Hello asks every node to announce itself at once: the node just started, or reconnected
	// to the broker, and knows no other yet.
	Hello bool
	// Leaving says the node is shutting down: the others stop waiting for its answers at once,
	// rather than until its silence expires it.
	Leaving bool
	// Started is the Order the node's run began at. Its presence events are ordered within
	// one run: a node that started again under its name (its clock set back meanwhile, so
	// that its orders are below those of before) is known by a Started that changed, and the
	// others forget its orders. Nodes before it send 0.
	Started Order
}

// MemberKicked removes every connection of Name from the room on every node; Reason says why.
type MemberKicked struct {
	Name   string
	Reason string
	// By is the moderator's name, as the room's members know them: the kicked are told who
	// took them out. "" when the server API did it (nobody in the room is behind it).
	By string
	// API is true when the server API did it: the kicked are told "a server admin", which a
	// kick without By, Until or Reason could not tell from a node's before By. Nodes before
	// the field send none: their API kicks read as a moderator's, as they did.
	API bool
	// Until, when not zero, makes the kick a ban's, which keeps the name out until then (each
	// node makes a ban's kick of the SanctionChanged itself: the broker carries kicks only).
	Until time.Time
}

// Why is what the kicked member is told: the moderator's reason, and for a ban that it is one
// and until when ("banned until 2026-12-05T15:49:00Z: spam", "banned until lifted").
func (k MemberKicked) Why() string {
	if k.Until.IsZero() {
		return k.Reason
	}
	s := "banned " + UntilText(k.Until)
	if k.Reason != "" {
		s += ": " + k.Reason
	}
	return s
}

// SanctionChanged imposes or, with a zero or past Until, lifts Sanction (a ban also kicks its
// name).
type SanctionChanged struct {
	Sanction Sanction
	// By is the moderator's name as the room's members know them, "" for the server API:
	// a ban's kick says it (MemberKicked.By). Sanction.By is the audit log's, with the user id.
	By string
}

// UserNotified tells every connection of one user, on every node, of a change to that user's
// own state rather than to a room: Event.Room is the user's channel, UserChannel(User), which a
// node subscribes to while it holds a connection of the user. Room is the room the notice is
// about, and what changed is the field set: Read, Listed, Unlisted or Notice (one of them).
type UserNotified struct {
	// User is the user's id.
	User string
	// Room is the room the notice is about.
	Room string
	// Read, when not 0, is the user's read position in Room now, as the Store keeps it.
	Read uint64
	// Listed, when set, is Room as it stands in the user's list now: they created it, were
	// invited to it, or were added to a DM.
	Listed *MyRoom
	// Unlisted says Room left the user's list (they parted it, or were removed from it): each
	// of their connections leaves the room.
	Unlisted bool
	// Skip names the connection that caused the notice, which is not told again ("" tells
	// every connection); only the hub that made the name reads it.
	Skip string
	// Notice, when set, is a slash command's late answer for the user alone (Room is the
	// room it was used in).
	Notice *CommandNotice
}

// BotChanged says an admin changed the bot whose user id is Bot: deleted it, rotated its
// token or replaced its rooms. It travels on BotsChannel, to which every node that has a bot's
// connection or a cached bot token listens: each node drops what it cached of bots and re-reads
// the bot for its live connections, which lose at once what they may no longer read (a token
// that no longer works closes them; a room no longer covered is left). An empty Bot means
// every bot (a node that lost its broker for a while may have missed changes).
type BotChanged struct {
	Bot string
}

// StoreChanged says a node changed what nodes cache of the shared store — users, slash
// commands, rooms' access (Store.Generations counts those changes) — and the store has taken
// the change. It travels on StoreChannel: every node re-reads the store's generations at once
// and drops the caches whose generation moved, instead of waiting for its next periodic read
// (internal/storecache). A node that misses it (a broker outage) still learns of the change at
// that read, so it carries nothing the store does not hold.
type StoreChanged struct{}

// StoreChannel is the broker room that carries StoreChanged to every node. ValidateRoom
// refuses its '~', so no room can be named like it.
const StoreChannel = "~store"

// BotsChannel is the broker room that carries BotChanged to every node. ValidateRoom refuses
// its '~', so no room can be named like it.
const BotsChannel = "~bots"

// PresenceChannel is the broker room that every node follows, for what concerns every node
// rather than the nodes holding one room: PresenceQueried and NodeAnnounced. ValidateRoom
// refuses its '~', so no room can be named like it.
const PresenceChannel = "~presence"

// UserChannelPrefix starts the name of every user's channel. ValidateRoom refuses it ('~'), so
// no room can be named like a channel.
const UserChannelPrefix = "~u."

// UserChannel is the broker room that carries user's notices (UserNotified).
func UserChannel(user string) string { return UserChannelPrefix + user }

func (EntryAppended) isEventBody()     {}
func (UserNotified) isEventBody()      {}
func (BotChanged) isEventBody()        {}
func (StoreChanged) isEventBody()      {}
func (MemberJoined) isEventBody()      {}
func (MemberLeft) isEventBody()        {}
func (MemberTyping) isEventBody()      {}
func (PresenceReported) isEventBody()  {}
func (PresenceRequested) isEventBody() {}
func (PresenceQueried) isEventBody()   {}
func (AbsenceReported) isEventBody()   {}
func (NodeAnnounced) isEventBody()     {}
func (MemberKicked) isEventBody()      {}
func (SanctionChanged) isEventBody()   {}

// EventVisitor handles every kind of Event, one method per kind, each named after its body type
// and returning an R. Visit calls the method for an event's kind. A consumer that must handle
// every kind implements EventVisitor (on a pointer or pointer-sized type, so that Visit does not
// allocate), and the compiler then holds it to every kind there is.
type EventVisitor[R any] interface {
	EntryAppended(Event, EntryAppended) R
	MemberJoined(Event, MemberJoined) R
	MemberLeft(Event, MemberLeft) R
	MemberTyping(Event, MemberTyping) R
	PresenceReported(Event, PresenceReported) R
	PresenceRequested(Event, PresenceRequested) R
	PresenceQueried(Event, PresenceQueried) R
	AbsenceReported(Event, AbsenceReported) R
	NodeAnnounced(Event, NodeAnnounced) R
	MemberKicked(Event, MemberKicked) R
	SanctionChanged(Event, SanctionChanged) R
	UserNotified(Event, UserNotified) R
	BotChanged(Event, BotChanged) R
	StoreChanged(Event, StoreChanged) R
}

// Visit calls v's method for ev's kind with ev and its body, and returns what it returns.
//
// This is the one type switch over the kinds; TestVisitReachesEveryKind checks that it reaches
// every method of EventVisitor. An Event without a Body is a bug of its sender and panics.
func Visit[R any](ev Event, v EventVisitor[R]) R {
	switch b := ev.Body.(type) {
	case EntryAppended:
		return v.EntryAppended(ev, b)
	case MemberJoined:
		return v.MemberJoined(ev, b)
	case MemberLeft:
		return v.MemberLeft(ev, b)
	case MemberTyping:
		return v.MemberTyping(ev, b)
	case PresenceReported:
		return v.PresenceReported(ev, b)
	case PresenceRequested:
		return v.PresenceRequested(ev, b)
	case PresenceQueried:
		return v.PresenceQueried(ev, b)
	case AbsenceReported:
		return v.AbsenceReported(ev, b)
	case NodeAnnounced:
		return v.NodeAnnounced(ev, b)
	case MemberKicked:
		return v.MemberKicked(ev, b)
	case SanctionChanged:
		return v.SanctionChanged(ev, b)
	case UserNotified:
		return v.UserNotified(ev, b)
	case BotChanged:
		return v.BotChanged(ev, b)
	case StoreChanged:
		return v.StoreChanged(ev, b)
	}
	panic(fmt.Sprintf("hubbub: event for room %q has body %T, which Visit does not know", ev.Room, ev.Body))
}

// AppendedEntry returns the entry ev carries, or nil if ev is another kind of change. It is
// for code that treats the log's entries apart (ordering, delivery metrics), not for dispatch:
// use Visit to handle each kind.
func (ev Event) AppendedEntry() *Entry {
	if b, ok := ev.Body.(EntryAppended); ok {
		return b.Entry
	}
	return nil
}
