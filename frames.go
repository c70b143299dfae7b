package hubbub

// Frame types of the hubbub.v1 protocol: the "type" field of every frame (docs/protocol.md).
// The server (internal/protocol, internal/server) and the client (internal/client) both spell
// the protocol with these, so a frame cannot be renamed on one side only. History and typing
// go in both directions.
const (
	// Client → server.
	FrameHello   = "hello"
	FrameJoin    = "join"
	FrameLeave   = "leave"
	FrameSend    = "send"
	FrameWho     = "who"
	FramePing    = "ping"
	FrameKick    = "kick"
	FrameBan     = "ban"
	FrameUnban   = "unban"
	FrameMute    = "mute"
	FrameUnmute  = "unmute"
	FrameDelete  = "delete"
	FrameHistory = "history"
	FrameTyping  = "typing"
	// Server → client.
	FrameWelcome   = "welcome"
	FrameJoined    = "joined"
	FrameLeft      = "left"
	FrameMessage   = "message"
	FrameAck       = "ack"
	FramePresence  = "presence"
	FrameDeleted   = "deleted"
	FrameMembers   = "members"
	FramePong      = "pong"
	FrameError     = "error"
	FrameModerated = "moderated"
)

// Limits is what the welcome frame tells a client about the server's limits; the server
// encodes it and the client decodes it, so it is defined once, here.
type Limits struct {
	MaxText    int     `json:"max_text"`
	MaxRooms   int     `json:"max_rooms"`
	HistoryMax int     `json:"history_max"`
	SendRate   float64 `json:"send_rate"`
	SendBurst  int     `json:"send_burst"`
}
