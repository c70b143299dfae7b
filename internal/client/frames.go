package client

import (
	"encoding/json"
	"errors"
	"fmt"

	"hubbub"
)

// Frame types on the wire, as the "type" field of every hubbub.v1 frame. Some names (history,
// typing) are used in both directions.
const (
	TypeHello    = hubbub.FrameHello
	TypeJoin     = hubbub.FrameJoin
	TypeLeave    = hubbub.FrameLeave
	TypeSend     = hubbub.FrameSend
	TypeHistory  = hubbub.FrameHistory
	TypeTyping   = hubbub.FrameTyping
	TypeWho      = hubbub.FrameWho
	TypePing     = hubbub.FramePing
	TypeWelcome  = hubbub.FrameWelcome
	TypeJoined   = hubbub.FrameJoined
	TypeLeft     = hubbub.FrameLeft
	TypeMessage  = hubbub.FrameMessage
	TypeAck      = hubbub.FrameAck
	TypePresence = hubbub.FramePresence
	TypeDeleted  = hubbub.FrameDeleted
	TypeMembers  = hubbub.FrameMembers
	TypePong     = hubbub.FramePong
	TypeError    = hubbub.FrameError
)

// Client → server frames. Conn's methods fill Type; callers that build frames themselves (to
// write with Conn.WriteFrame) must set it.

// HelloRequest introduces the client; it must be the first frame.
type HelloRequest struct {
	Type string `json:"type"`
	// Name is the user name, 1–32 printable bytes.
	Name string `json:"name"`
	// Key is the client's secret that lets two connections share a name; optional.
	Key string `json:"key,omitempty"`
	// Token is a signed token, for deployments that use them; optional.
	Token string `json:"token,omitempty"`
}

// JoinRequest enters a room.
type JoinRequest struct {
	Type string `json:"type"`
	Room string `json:"room"`
	// Since is the highest seq the client has seen; the server replays everything after it.
	Since *uint64 `json:"since,omitempty"`
	// History is how many recent messages to replay when Since is nil (0 = server default).
	History int `json:"history,omitempty"`
}

// LeaveRequest leaves a room.
type LeaveRequest struct {
	Type string `json:"type"`
	Room string `json:"room"`
}

// SendRequest sends a message to a room.
type SendRequest struct {
	Type string `json:"type"`
	Room string `json:"room"`
	// ID is the client-chosen idempotency key (≤ 64 bytes); resending it stores nothing new.
	ID   string `json:"id,omitempty"`
	Text string `json:"text"`
}

// HistoryRequest asks for a page of older messages.
type HistoryRequest struct {
	Type string `json:"type"`
	Room string `json:"room"`
	// Before is the seq to page back from; 0 means the newest messages.
	Before uint64 `json:"before,omitempty"`
	// Limit is the page size (0 = server default 50, max 200).
	Limit int `json:"limit,omitempty"`
}

// TypingRequest tells the other members of a room that the user is typing.
type TypingRequest struct {
	Type string `json:"type"`
	Room string `json:"room"`
}

// WhoRequest asks for the members of a room.
type WhoRequest struct {
	Type string `json:"type"`
	Room string `json:"room"`
}

// PingRequest asks for a pong carrying the same ID.
type PingRequest struct {
	Type string `json:"type"`
	ID   string `json:"id,omitempty"`
}

// Frame is a frame received from the server: *Welcome, *Joined, *Left, *Message, *Ack,
// *History, *Presence, *Typing, *Members, *Pong, *ServerError or *Unknown. A Session also
// delivers its own *Connected and *Disconnected events as Frames.
type Frame interface {
	// FrameType returns the frame's wire type, such as "message".
	FrameType() string
}

// Limits is what the welcome frame tells a client about the server's limits (hubbub.Limits).
type Limits = hubbub.Limits

// Welcome answers hello.
type Welcome struct {
	Name    string `json:"name"`
	Server  string `json:"server"`
	Version string `json:"version"`
	// Role is "admin", "moderator" or "member" (empty from servers older than the field).
	Role   string `json:"role"`
	Limits Limits `json:"limits"`
}

// Joined answers join; Replay message frames follow it.
type Joined struct {
	Room string `json:"room"`
	// Members are the members' names; in a crowded room (past the server's
	// --presence-limit) only some of them.
	Members []string `json:"members"`
	// MemberCount is the room's size, which may exceed len(Members).
	MemberCount int `json:"member_count"`
	// LastSeq is the highest seq in the room.
	LastSeq uint64 `json:"last_seq"`
	// Replay is how many message frames follow now.
	Replay int `json:"replay"`
	// Truncated is true if more messages were missed than the server replays.
	Truncated bool `json:"truncated"`
}

// Left answers leave.
type Left struct {
	Room string `json:"room"`
}

// Message is a stored message: replayed after a join or delivered live.
type Message struct {
	hubbub.Message
}

// Ack confirms that a send is durable.
type Ack struct {
	Room string `json:"room"`
	// ID is the client's idempotency key.
	ID  string `json:"id"`
	Seq uint64 `json:"seq"`
	// MsgID is the server's id of the stored message.
	MsgID string `json:"msg_id"`
	Time  string `json:"time"`
	// Duplicate is true if the ID had been stored before and nothing new was stored.
	Duplicate bool `json:"duplicate"`
}

// History answers a history request.
type History struct {
	Room string `json:"room"`
	// Messages are oldest first.
	Messages []hubbub.Message `json:"messages"`
	// More is true if older messages exist.
	More bool `json:"more"`
}

// Presence says that Name joined or left Room.
type Presence struct {
	Room string `json:"room"`
	Name string `json:"name"`
	// Event is "join" or "leave".
	Event string `json:"event"`
}

// Typing says that Name is typing in Room.
type Typing struct {
	Room string `json:"room"`
	Name string `json:"name"`
}

// Members answers who.
type Members struct {
	Room    string   `json:"room"`
	Members []string `json:"members"`
}

// Pong answers ping.
type Pong struct {
	ID string `json:"id"`
}

// ServerError is an error frame. It is also the error returned by a request the server
// refused, and it unwraps to a *hubbub.Error, so hubbub.ErrorCode works on it.
type ServerError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	// Request, Room and ID name the request the error answers, when it answers one.
	Request string `json:"request,omitempty"`
	Room    string `json:"room,omitempty"`
	ID      string `json:"id,omitempty"`
}

// Error describes the error as "server: code: message".
func (e *ServerError) Error() string {
	return fmt.Sprintf("server: %s: %s", e.Code, e.Message)
}

// Unwrap returns the error as a *hubbub.Error.
func (e *ServerError) Unwrap() error { return &hubbub.Error{Code: e.Code, Message: e.Message} }

// Unknown is a frame whose type this package does not know; protocol.md allows new ones.
type Unknown struct {
	Type string
	// Raw is the whole frame.
	Raw json.RawMessage
}

// FrameType implements Frame.
func (*Welcome) FrameType() string { return TypeWelcome }

// FrameType implements Frame.
func (*Joined) FrameType() string { return TypeJoined }

// FrameType implements Frame.
func (*Left) FrameType() string { return TypeLeft }

// FrameType implements Frame.
func (*Message) FrameType() string { return TypeMessage }

// FrameType implements Frame.
func (*Ack) FrameType() string { return TypeAck }

// FrameType implements Frame.
func (*History) FrameType() string { return TypeHistory }

// FrameType implements Frame.
func (*Presence) FrameType() string { return TypePresence }

// Deleted says a moderator removed message Seq of Room; it stays in history as a tombstone.
type Deleted struct {
	Room string `json:"room"`
	Seq  uint64 `json:"seq"`
}

// FrameType implements Frame.
func (*Deleted) FrameType() string { return TypeDeleted }

// FrameType implements Frame.
func (*Typing) FrameType() string { return TypeTyping }

// FrameType implements Frame.
func (*Members) FrameType() string { return TypeMembers }

// FrameType implements Frame.
func (*Pong) FrameType() string { return TypePong }

// FrameType implements Frame.
func (*ServerError) FrameType() string { return TypeError }

// FrameType implements Frame.
func (u *Unknown) FrameType() string { return u.Type }

// ErrBadFrame is wrapped by DecodeFrame's errors.
var ErrBadFrame = errors.New("bad frame from server")

// DecodeFrame parses one server frame. A frame with a type this package does not know is
// returned as *Unknown; a frame that is not a JSON object with a string type is an error.
func DecodeFrame(data []byte) (Frame, error) {
	var head struct {
		Type *string `json:"type"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadFrame, err)
	}
	if head.Type == nil {
		return nil, fmt.Errorf("%w: no type", ErrBadFrame)
	}
	var f Frame
	switch *head.Type {
	case TypeWelcome:
		f = new(Welcome)
	case TypeJoined:
		f = new(Joined)
	case TypeLeft:
		f = new(Left)
	case TypeMessage:
		f = new(Message)
	case TypeAck:
		f = new(Ack)
	case TypeHistory:
		f = new(History)
	case TypePresence:
		f = new(Presence)
	case TypeDeleted:
		f = new(Deleted)
	case TypeTyping:
		f = new(Typing)
	case TypeMembers:
		f = new(Members)
	case TypePong:
		f = new(Pong)
	case TypeError:
		f = new(ServerError)
	default:
		return &Unknown{Type: *head.Type, Raw: append(json.RawMessage(nil), data...)}, nil
	}
	if err := json.Unmarshal(data, f); err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrBadFrame, *head.Type, err)
	}
	return f, nil
}
