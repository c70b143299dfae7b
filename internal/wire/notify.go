package wire

// Notifications for people who are away (docs/protocol.md, "Notifications"): a user chooses,
// per room, what notifies them while they have no connection — every message, mentions only
// (the default; in a DM every message) or nothing. notify with a level sets it, notify without
// one asks; either is answered with a notify frame holding the level now.

// NotifyRequest sets (Level) or asks (no Level) the sender's notification level for Room.
type NotifyRequest struct {
	Type string `json:"type"`
	Room string `json:"room"`
	// Level is hubbub.NotifyAll, hubbub.NotifyMention or hubbub.NotifyNothing; absent asks.
	Level string `json:"level,omitempty"`
	// ID is echoed in the answer, so that a client matches answers to its requests.
	ID string `json:"id,omitempty"`
}

// Notify is the sender's notification level for Room, the answer to notify.
type Notify struct {
	Type  string `json:"type"`
	Room  string `json:"room"`
	Level string `json:"level"`
	// ID is the request's.
	ID string `json:"id,omitempty"`
}

// NewNotify is the answer to a notify request with id: the level of room.
func NewNotify(room, level, id string) Notify {
	return Notify{Type: TypeNotify, Room: room, Level: level, ID: id}
}

// FrameType implements Frame.
func (*Notify) FrameType() string { return TypeNotify }
