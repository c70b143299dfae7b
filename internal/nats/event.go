package nats

import (
	"encoding/json"
	"fmt"
	"time"

	"hubbub"
)

// wireEvent is a hubbub.Event as it travels between nodes: a kind tag and the fields of the
// kind's body, flat, as JSON. It is the layout hubbub.Event had before each kind got a type of
// its own, so nodes of this version and of the one before read each other's events.
//
// An entry of the room's log travels whole in Message, as hubbub.Entry marshals itself: its
// fields of the room log (kind, target, emoji, added, count, moderator, reply_to, mentions,
// mention_room, and a message's state) are omitted when empty, so a plain message is the same
// bytes the version before the room log wrote, and that version reads it.
type wireEvent struct {
	Kind    wireKind      `json:"kind"`
	Room    string        `json:"room"`
	Message *hubbub.Entry `json:"message,omitempty"`
	Name    string        `json:"name,omitempty"`
	State   string        `json:"state,omitempty"`
	// Renamed is a MemberLeft's Renamed (nodes before it read past the field: a leave).
	Renamed string `json:"renamed,omitempty"`
	// Moderation is a MemberLeft's Moderation, with its By in By (nodes before it read past
	// the fields: a leave).
	Moderation string   `json:"moderation,omitempty"`
	Names      []string `json:"names,omitempty"`
	// Away is a PresenceReported's Away (nodes before it ignore the field).
	Away   []string `json:"away,omitempty"`
	Node   string   `json:"node,omitempty"`
	Reason string   `json:"reason,omitempty"`
	// By is a MemberKicked's, a SanctionChanged's and a MemberLeft's By, the moderator's name (nodes before it
	// read past the field: the kicked are told "by a moderator", as before).
	By string `json:"by,omitempty"`
	// API is a MemberKicked's and a MemberLeft's API, SanctionSeq a MemberLeft's Sanction
	// (nodes before them read past the fields: the API's plain kick is told "by a
	// moderator", and a ban's leave is matched to its entry by name, as before; their events
	// decode here with neither).
	API         bool   `json:"api,omitempty"`
	SanctionSeq uint64 `json:"sanction_seq,omitempty"`
	// Until is a MemberKicked's Until (a ban's kick, which nodes make themselves: never sent yet).
	Until    time.Time        `json:"until,omitzero"`
	Sanction *hubbub.Sanction `json:"sanction,omitempty"`
	Notice   *wireNotice      `json:"notice,omitempty"`
	// Queried is a PresenceRequested's Queried, Hello and Leaving a NodeAnnounced's (nodes
	// before them read past the fields: a question with Queried as any other).
	Queried bool `json:"queried,omitempty"`
	Hello   bool `json:"hello,omitempty"`
	Leaving bool `json:"leaving,omitempty"`
	// Statement, Part and Parts place a part of a presence statement sent in several
	// (tagPresencePart): the statement's number on its node, the part's place in it from 0,
	// and how many parts it has.
	Statement uint64 `json:"statement,omitempty"`
	Part      int    `json:"part,omitempty"`
	Parts     int    `json:"parts,omitempty"`
	// Order is a presence event's hubbub.Order (a join's, a leave's, a statement's and each of
	// its parts'), and a NodeAnnounced's Started; nodes before it read past the field and
	// apply the events as they come.
	Order hubbub.Order `json:"order,omitempty"`
}

// wireNotice is a UserNotified between nodes.
type wireNotice struct {
	User     string         `json:"user"`
	Room     string         `json:"room"`
	Read     uint64         `json:"read,omitempty"`
	Listed   *hubbub.MyRoom `json:"listed,omitempty"`
	Unlisted bool           `json:"unlisted,omitempty"`
	Skip     string         `json:"skip,omitempty"`
	// Notice is a slash command's late answer (nodes before it drop the field, and so the
	// notice, which is not stored anyway).
	Notice *hubbub.CommandNotice `json:"notice,omitempty"`
}

// wireKind tags an event's kind between nodes. A tag is never reused: a node that reads a tag
// it does not know (a newer node's kind) drops the event.
type wireKind uint8

// The tags of the kinds. A new kind takes the next unused number.
const (
	// tagEntryAppended is a message (an EntryAppended of KindMessage), with the tag messages
	// had before the room log, so that nodes of the version before read them.
	tagEntryAppended     wireKind = 1
	tagMemberJoined      wireKind = 2
	tagMemberLeft        wireKind = 3
	tagMemberTyping      wireKind = 4
	tagPresenceReported  wireKind = 5
	tagPresenceRequested wireKind = 6
	tagMemberKicked      wireKind = 7
	tagSanctionChanged   wireKind = 8
	// tagMessageDeletedRetired was a moderator's delete (MessageDeleted{Seq}) before deletes
	// became entries of the log. It is retired, never to be reused: a node of the version
	// before still sends it while nodes are upgraded, having tombstoned the message in the
	// shared store without an entry; this node drops it as a kind it does not know, so its
	// members see that message deleted only in what they read from the store later (a fresh
	// join, a history page), not live.
	tagMessageDeletedRetired wireKind = 9
	// tagEntryChanged is an entry that changes a message (an edit, a delete, a reaction: an
	// EntryAppended of any kind but KindMessage). It has a tag of its own so that a node of the
	// version before, which would read it as a new message, drops it as a kind it does not
	// know instead, and fills the seq from the store as it does any seq that never came.
	tagEntryChanged wireKind = 10
	// tagRoomChanged is an entry that changes the room itself (KindTopic, KindMember,
	// KindSanction). Its own tag keeps a node of a version before rooms had metadata from
	// reading it as a change to a message. A node of a version before sanctions were entries
	// drops a KindSanction one (its kind does not match the tag there) and fills the seq from
	// the store, as any seq that never came, without applying it: while a cluster is
	// upgraded, such a node learns of a ban when its room next loads its sanctions.
	tagRoomChanged wireKind = 11
	// tagUserNotified is a notice on a user's channel (UserNotified): a read position, a room
	// added to or taken out of the user's list.
	tagUserNotified wireKind = 12
	// tagBotChanged is an admin's change to a bot (BotChanged) on hubbub.BotsChannel; the
	// bot's user id travels in Name. A node of the version before drops it and learns of the
	// change at the bot's next write, as it did.
	tagBotChanged wireKind = 13
	// tagStoreChanged is a change to the users, commands or rooms' access in the shared store
	// (StoreChanged) on hubbub.StoreChannel; it carries nothing.
	tagStoreChanged wireKind = 14
	// tagPresenceQueried asks every node, on hubbub.PresenceChannel, who of a room it holds
	// (PresenceQueried); the room travels in Name. Nodes of the version before do not follow
	// that channel: they never see it, and never answer it.
	tagPresenceQueried wireKind = 15
	// tagAbsenceReported is the answer of a node without members in the room, on the room's
	// subject; a node of the version before drops it.
	tagAbsenceReported wireKind = 16
	// tagNodeAnnounced is a node's sign of life on hubbub.PresenceChannel (NodeAnnounced); its
	// peers travel in Names.
	tagNodeAnnounced wireKind = 17
	// tagPresencePart is a part of a PresenceReported too large for one message (parts.go),
	// with Names and Away as the statement's and Statement, Part and Parts saying which. It
	// is no kind of event of its own: the subscription hands its handler the whole statement
	// once every part has come. A node of the version before drops the parts as a kind it
	// does not know, rather than take one for the whole list of members.
	tagPresencePart wireKind = 18
	// tagProbe is no event either: Subscribed publishes it to a room's subject, with a reply
	// subject, to learn from the server whether anyone subscribes there (probe.go). A
	// subscriber drops it; a node of the version before drops it as a kind it does not know.
	tagProbe wireKind = 19
)

// roomChange reports whether an entry of kind k changes the room rather than a message.
func roomChange(k hubbub.EntryKind) bool {
	return k == hubbub.KindTopic || k == hubbub.KindMember || k == hubbub.KindSanction
}

// encodeEvent returns ev's JSON for the bus.
func encodeEvent(ev hubbub.Event) ([]byte, error) {
	w := hubbub.Visit(ev, wireEncoder{})
	w.Room, w.Node = ev.Room, ev.Node
	return json.Marshal(&w)
}

// wireEncoder fills the tag and the body's fields of each kind; encodeEvent adds Room and Node.
type wireEncoder struct{}

var _ hubbub.EventVisitor[wireEvent] = wireEncoder{}

func (wireEncoder) EntryAppended(_ hubbub.Event, b hubbub.EntryAppended) wireEvent {
	if b.Entry != nil && roomChange(b.Entry.Kind) {
		return wireEvent{Kind: tagRoomChanged, Message: b.Entry}
	}
	if b.Entry != nil && !b.Entry.IsMessage() {
		return wireEvent{Kind: tagEntryChanged, Message: b.Entry}
	}
	return wireEvent{Kind: tagEntryAppended, Message: b.Entry}
}

func (wireEncoder) MemberJoined(_ hubbub.Event, b hubbub.MemberJoined) wireEvent {
	return wireEvent{Kind: tagMemberJoined, Name: b.Name, State: b.State, Order: b.Order}
}

func (wireEncoder) MemberLeft(_ hubbub.Event, b hubbub.MemberLeft) wireEvent {
	return wireEvent{Kind: tagMemberLeft, Name: b.Name, Renamed: b.Renamed, Order: b.Order, Moderation: b.Moderation, By: b.By,
		API: b.API, SanctionSeq: b.Sanction}
}

func (wireEncoder) MemberTyping(_ hubbub.Event, b hubbub.MemberTyping) wireEvent {
	return wireEvent{Kind: tagMemberTyping, Name: b.Name}
}

func (wireEncoder) PresenceReported(_ hubbub.Event, b hubbub.PresenceReported) wireEvent {
	return wireEvent{Kind: tagPresenceReported, Names: b.Names, Away: b.Away, Order: b.Order}
}

func (wireEncoder) PresenceRequested(_ hubbub.Event, b hubbub.PresenceRequested) wireEvent {
	return wireEvent{Kind: tagPresenceRequested, Queried: b.Queried}
}

func (wireEncoder) PresenceQueried(_ hubbub.Event, b hubbub.PresenceQueried) wireEvent {
	return wireEvent{Kind: tagPresenceQueried, Name: b.Room}
}

func (wireEncoder) AbsenceReported(hubbub.Event, hubbub.AbsenceReported) wireEvent {
	return wireEvent{Kind: tagAbsenceReported}
}

func (wireEncoder) NodeAnnounced(_ hubbub.Event, b hubbub.NodeAnnounced) wireEvent {
	return wireEvent{Kind: tagNodeAnnounced, Names: b.Peers, Hello: b.Hello, Leaving: b.Leaving, Order: b.Started}
}

func (wireEncoder) MemberKicked(_ hubbub.Event, b hubbub.MemberKicked) wireEvent {
	return wireEvent{Kind: tagMemberKicked, Name: b.Name, Reason: b.Reason, By: b.By, API: b.API, Until: b.Until}
}

// SanctionChanged also sends the name on its own, as the previous version did.
func (wireEncoder) SanctionChanged(_ hubbub.Event, b hubbub.SanctionChanged) wireEvent {
	sn := b.Sanction
	return wireEvent{Kind: tagSanctionChanged, Name: sn.Name, Sanction: &sn, By: b.By}
}

func (wireEncoder) UserNotified(_ hubbub.Event, b hubbub.UserNotified) wireEvent {
	return wireEvent{Kind: tagUserNotified, Notice: &wireNotice{User: b.User, Room: b.Room, Read: b.Read, Listed: b.Listed,
		Unlisted: b.Unlisted, Skip: b.Skip, Notice: b.Notice}}
}

func (wireEncoder) BotChanged(_ hubbub.Event, b hubbub.BotChanged) wireEvent {
	return wireEvent{Kind: tagBotChanged, Name: b.Bot}
}

func (wireEncoder) StoreChanged(hubbub.Event, hubbub.StoreChanged) wireEvent {
	return wireEvent{Kind: tagStoreChanged}
}

// errUnknownKind is decodeEvent's answer to a tag this node does not know.
type errUnknownKind wireKind

func (e errUnknownKind) Error() string { return fmt.Sprintf("unknown kind %d", uint8(e)) }

// decodeEvent reads an event from the bus. It fails for a tag it does not know (the event of a
// newer node, which this node has no use for) and for a body that lacks what its kind needs.
//
// The switch is the decode table of the tags encodeEvent writes; the broker round trip in
// internal/brokertest sends every kind through it and fails for a kind it misses.
func decodeEvent(data []byte) (hubbub.Event, error) {
	var w wireEvent
	if err := decodeWire(data, &w); err != nil {
		return hubbub.Event{}, err
	}
	return w.event()
}

// event returns the event w carries; decodeEvent says when it fails. A part of a presence
// statement is not an event: the subscription puts the parts together (assemble).
func (w *wireEvent) event() (hubbub.Event, error) {
	ev := hubbub.Event{Room: w.Room, Node: w.Node}
	switch w.Kind {
	case tagEntryAppended, tagEntryChanged, tagRoomChanged:
		if w.Message == nil {
			return hubbub.Event{}, fmt.Errorf("kind %d without an entry", w.Kind)
		}
		if w.Message.IsMessage() != (w.Kind == tagEntryAppended) ||
			roomChange(w.Message.Kind) != (w.Kind == tagRoomChanged) {
			return hubbub.Event{}, fmt.Errorf("kind %d with an entry of kind %q", w.Kind, w.Message.Kind)
		}
		ev.Body = hubbub.EntryAppended{Entry: w.Message}
	case tagMemberJoined:
		ev.Body = hubbub.MemberJoined{Name: w.Name, State: w.State, Order: w.Order}
	case tagMemberLeft:
		ev.Body = hubbub.MemberLeft{Name: w.Name, Renamed: w.Renamed, Order: w.Order, Moderation: w.Moderation, By: w.By,
			API: w.API, Sanction: w.SanctionSeq}
	case tagMemberTyping:
		ev.Body = hubbub.MemberTyping{Name: w.Name}
	case tagPresenceReported:
		ev.Body = hubbub.PresenceReported{Names: w.Names, Away: w.Away, Order: w.Order}
	case tagPresenceRequested:
		ev.Body = hubbub.PresenceRequested{Queried: w.Queried}
	case tagPresenceQueried:
		if w.Name == "" {
			return hubbub.Event{}, fmt.Errorf("kind %d without a room", w.Kind)
		}
		ev.Body = hubbub.PresenceQueried{Room: w.Name}
	case tagAbsenceReported:
		ev.Body = hubbub.AbsenceReported{}
	case tagNodeAnnounced:
		ev.Body = hubbub.NodeAnnounced{Peers: w.Names, Hello: w.Hello, Leaving: w.Leaving, Started: w.Order}
	case tagMemberKicked:
		ev.Body = hubbub.MemberKicked{Name: w.Name, Reason: w.Reason, By: w.By, API: w.API, Until: w.Until}
	case tagSanctionChanged:
		if w.Sanction == nil {
			return hubbub.Event{}, fmt.Errorf("kind %d without a sanction", w.Kind)
		}
		ev.Body = hubbub.SanctionChanged{Sanction: *w.Sanction, By: w.By}
	case tagUserNotified:
		if w.Notice == nil {
			return hubbub.Event{}, fmt.Errorf("kind %d without a notice", w.Kind)
		}
		n := w.Notice
		ev.Body = hubbub.UserNotified{User: n.User, Room: n.Room, Read: n.Read, Listed: n.Listed, Unlisted: n.Unlisted, Skip: n.Skip,
			Notice: n.Notice}
	case tagBotChanged:
		ev.Body = hubbub.BotChanged{Bot: w.Name}
	case tagStoreChanged:
		ev.Body = hubbub.StoreChanged{}
	case tagPresencePart:
		return hubbub.Event{}, fmt.Errorf("kind %d: a part of a presence statement, not an event", w.Kind)
	case tagProbe:
		return hubbub.Event{}, fmt.Errorf("kind %d: a probe of a room's subscribers, not an event", w.Kind)
	default:
		return hubbub.Event{}, errUnknownKind(w.Kind)
	}
	return ev, nil
}
