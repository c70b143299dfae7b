// Package protocol is the hubbub.v1 JSON protocol (docs/protocol.md) and the original text
// protocol, as the server speaks them: decoding what clients send and encoding what the server
// sends, including the hub.Codecs that encode a room's events once per protocol.
package protocol

import (
	"bytes"
	"encoding/json"

	"hubbub"
)

// Client frame types.
const (
	TypeHello   = hubbub.FrameHello
	TypeJoin    = hubbub.FrameJoin
	TypeLeave   = hubbub.FrameLeave
	TypeSend    = hubbub.FrameSend
	TypeHistory = hubbub.FrameHistory
	TypeTyping  = hubbub.FrameTyping
	TypeWho     = hubbub.FrameWho
	TypePing    = hubbub.FramePing
	// Moderation (moderators and admins only).
	TypeKick   = hubbub.FrameKick
	TypeBan    = hubbub.FrameBan
	TypeUnban  = hubbub.FrameUnban
	TypeMute   = hubbub.FrameMute
	TypeUnmute = hubbub.FrameUnmute
	TypeDelete = hubbub.FrameDelete
)

// ClientFrame is any frame a client sends; each type reads only its own fields.
type ClientFrame struct {
	Type    string  `json:"type"`
	Name    string  `json:"name,omitempty"`
	Key     string  `json:"key,omitempty"`
	Token   string  `json:"token,omitempty"`
	Room    string  `json:"room,omitempty"`
	Since   *uint64 `json:"since,omitempty"`
	History int     `json:"history,omitempty"`
	Before  uint64  `json:"before,omitempty"`
	Limit   int     `json:"limit,omitempty"`
	ID      string  `json:"id,omitempty"`
	Text    *string `json:"text,omitempty"`
	// Reason, Duration (a Go duration such as "10m" or "2h") and Seq are read by the
	// moderation frames.
	Reason   string `json:"reason,omitempty"`
	Duration string `json:"duration,omitempty"`
	Seq      uint64 `json:"seq,omitempty"`
}

// required lists each known type's mandatory fields.
var required = map[string][]string{
	TypeHello:   {"name"},
	TypeJoin:    {"room"},
	TypeLeave:   {"room"},
	TypeSend:    {"room", "text"},
	TypeHistory: {"room"},
	TypeTyping:  {"room"},
	TypeWho:     {"room"},
	TypePing:    nil,
	TypeKick:    {"room", "name"},
	TypeBan:     {"room", "name", "duration"},
	TypeUnban:   {"room", "name"},
	TypeMute:    {"room", "name", "duration"},
	TypeUnmute:  {"room", "name"},
	TypeDelete:  {"room", "seq"},
}

// Decode parses one client frame. Its errors are *hubbub.Error values with the codes bad_json,
// unknown_type, missing_field or bad_id, ready to be sent back in an error frame; the frame's
// type is returned even on error when it could be read, so the reply can name the request.
func Decode(b []byte) (ClientFrame, error) {
	var f ClientFrame
	b = bytes.TrimSpace(b)
	if len(b) == 0 || b[0] != '{' {
		return f, hubbub.Errorf(hubbub.ECodeBadJSON, "a frame must be one JSON object")
	}
	if err := json.Unmarshal(b, &f); err != nil {
		return f, hubbub.Errorf(hubbub.ECodeBadJSON, "invalid JSON: %v", err)
	}
	fields, known := required[f.Type]
	if !known {
		if f.Type == "" {
			return f, hubbub.Errorf(hubbub.ECodeUnknownType, "the frame has no type")
		}
		return f, hubbub.Errorf(hubbub.ECodeUnknownType, "unknown frame type %q", truncate(f.Type, 32))
	}
	for _, field := range fields {
		missing := false
		switch field {
		case "name":
			missing = f.Name == ""
		case "room":
			missing = f.Room == ""
		case "text":
			missing = f.Text == nil
		case "duration":
			missing = f.Duration == ""
		case "seq":
			missing = f.Seq == 0
		}
		if missing {
			return f, hubbub.Errorf(hubbub.ECodeMissing, "%s needs a %q field", f.Type, field)
		}
	}
	if err := hubbub.ValidateClientID(f.ID); err != nil {
		return f, err
	}
	return f, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
