package wire

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"hubbub"
)

// Decode parses one client frame, as the server does. Its errors are *hubbub.Error values with
// the codes bad_json, unknown_type, missing_field or bad_id, ready to be sent back in an error
// frame; the frame's type is returned even on error when it could be read, so the reply can
// name the request.
func Decode(b []byte) (ClientFrame, error) {
	var f ClientFrame
	b = bytes.TrimSpace(b)
	if len(b) == 0 || b[0] != '{' {
		return f, hubbub.Errorf(hubbub.ECodeBadJSON, "a frame must be one JSON object")
	}
	if err := json.Unmarshal(b, &f); err != nil {
		return f, hubbub.Errorf(hubbub.ECodeBadJSON, "invalid JSON: %v", err)
	}
	known, ok := clientFrames[f.Type]
	if !ok {
		if f.Type == "" {
			return f, hubbub.Errorf(hubbub.ECodeUnknownType, "the frame has no type")
		}
		return f, hubbub.Errorf(hubbub.ECodeUnknownType, "unknown frame type %q", truncate(f.Type, 32))
	}
	for _, field := range known.required {
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

// ErrBadFrame is wrapped by DecodeFrame's errors.
var ErrBadFrame = errors.New("bad frame from server")

// DecodeFrame parses one server frame, as a client does. A frame with a type this package does
// not know is returned as *Unknown; a frame that is not a JSON object with a string type is an
// error. Unknown fields are ignored.
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
	newFrame, ok := serverFrames[*head.Type]
	if !ok {
		return &Unknown{Type: *head.Type, Raw: append(json.RawMessage(nil), data...)}, nil
	}
	f := newFrame()
	if err := json.Unmarshal(data, f); err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrBadFrame, *head.Type, err)
	}
	return f, nil
}

// Error describes the error as "server: code: message".
func (e *Error) Error() string {
	return fmt.Sprintf("server: %s: %s", e.Code, e.Message)
}

// Unwrap returns the error as a *hubbub.Error.
func (e *Error) Unwrap() error { return &hubbub.Error{Code: e.Code, Message: e.Message} }
