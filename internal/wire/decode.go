package wire

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"

	"hubbub"
)

// Decode parses one client frame, as the server does. Its errors are *hubbub.Error values with
// the codes bad_json, bad_field, unknown_type, missing_field, bad_name, bad_room,
// bad_duration or bad_id, ready to be sent back in an error frame; the frame's type is
// returned even on error when it could be read, so the reply can name the request.
func Decode(b []byte) (ClientFrame, error) {
	var f ClientFrame
	err := DecodeInto(b, &f)
	return f, err
}

// DecodeInto is Decode into *f, which must be zero: the server decodes each frame into the
// one frame it handles, rather than allocating a second (a ClientFrame is ~450 bytes, and
// json.Unmarshal makes whatever it fills escape).
func DecodeInto(b []byte, f *ClientFrame) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || b[0] != '{' {
		return hubbub.Errorf(hubbub.ECodeBadJSON, "a frame must be one JSON object")
	}
	var err error
	flat := decodeFlat(b, f) // a flat object of plain strings, such as every send, needs no reflection
	if !flat {
		err = json.Unmarshal(b, f)
	}
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) && (typeErr.Field == "limit" || typeErr.Field == "history") && hugeCount(typeErr.Value) {
		err = decodeHugeCounts(b, f)
	}
	if err != nil {
		if errors.As(err, &typeErr) && typeErr.Field != "" {
			// The JSON is fine but a field holds the wrong kind of value: say which field,
			// so that the client's author need not guess.
			return badField(typeErr)
		}
		return hubbub.Errorf(hubbub.ECodeBadJSON, "invalid JSON: %v", err)
	}
	if !flat {
		if err := repeatedField(b); err != nil {
			return err
		}
	}
	known, ok := clientFrames[f.Type]
	if !ok {
		if f.Type == "" {
			return hubbub.Errorf(hubbub.ECodeUnknownType, "the frame has no type")
		}
		return hubbub.Errorf(hubbub.ECodeUnknownType, "unknown frame type %q", truncate(f.Type, 32))
	}
	// A negative count is refused rather than read as the default: the client meant something
	// the server cannot give.
	switch {
	case f.Type == TypeJoin && f.History < 0:
		return hubbub.Errorf(hubbub.ECodeBadField, "field %q must be a whole number ≥ 0 (0 = the server's default), not %d", "history", f.History)
	case (f.Type == TypeHistory || f.Type == TypeDirectory) && f.Limit < 0:
		return hubbub.Errorf(hubbub.ECodeBadField, "field %q must be a whole number ≥ 0 (0 = the server's default), not %d", "limit", f.Limit)
	case f.Type == TypeHistory && f.After.IsKey:
		return hubbub.Errorf(hubbub.ECodeBadField, "field %q of history must be a whole number ≥ 0 (a seq), not a string", "after")
	case (f.Type == TypeDirectory || f.Type == TypeMembers) && f.After != (Cursor{}) && !f.After.IsKey:
		return hubbub.Errorf(hubbub.ECodeBadField, "field %q of %s must be a string (the next of the page before), not a number", "after", f.Type)
	case f.Type == TypeJoin && f.Since != nil && f.Since.IsTime:
		return hubbub.Errorf(hubbub.ECodeBadField, "field %q of join must be a whole number ≥ 0 (a seq), not a string", "since")
	case f.Type == TypeSearch && f.Since != nil && !f.Since.IsTime:
		return hubbub.Errorf(hubbub.ECodeBadField, "field %q of search must be a time (RFC 3339, such as 2026-12-03T09:00:00Z), not a number", "since")
	case f.Type == TypeSearch && f.Limit < 0:
		return hubbub.Errorf(hubbub.ECodeBadField, "field %q must be a whole number ≥ 0 (0 = the server's default), not %d", "limit", f.Limit)
	}
	for _, field := range known.required {
		missing := false
		switch field {
		case "name":
			missing = f.Name == ""
		case "name|user":
			// A moderation names its target by name, or by user id (a renamed user's).
			missing = f.Name == "" && f.User == ""
			if missing && f.User == "" {
				if err := emptyField(b, "name"); err != nil {
					return err
				}
				return hubbub.Errorf(hubbub.ECodeMissing, "%s needs a %q field (or a %q, a user's id)", f.Type, "name", "user")
			}
		case "room":
			missing = f.Room == ""
		case "text":
			// A send of files needs no text.
			missing = f.Text == nil && (f.Type != TypeSend || len(f.Attachments) == 0)
		case "duration":
			missing = f.Duration == ""
		case "seq":
			missing = f.Seq == 0
		case "topic":
			missing = f.Topic == nil
		case "names":
			missing = len(f.Names) == 0
		case "role":
			missing = f.Role == ""
		case "emoji":
			missing = f.Emoji == ""
		}
		if !missing {
			continue
		}
		if err := emptyField(b, field); err != nil {
			return err
		}
		return hubbub.Errorf(hubbub.ECodeMissing, "%s needs a %q field", f.Type, field)
	}
	if err := hubbub.ValidateClientID(f.ID); err != nil {
		return err
	}
	if len(f.User) > maxUserID {
		return hubbub.Errorf(hubbub.ECodeBadField, "field %q must be a user id of at most %d bytes", "user", maxUserID)
	}
	for i, id := range f.Attachments {
		if id == "" || len(id) > hubbub.MaxFileIDLen {
			return hubbub.Errorf(hubbub.ECodeBadField, "attachment %d must be a file id of 1 to %d bytes", i+1, hubbub.MaxFileIDLen)
		}
	}
	return nil
}

// hugeCount reports whether an UnmarshalTypeError's value is a whole number ≥ 0, which an
// int field refused only for its size.
func hugeCount(value string) bool {
	digits, ok := strings.CutPrefix(value, "number ")
	return ok && digits != "" && strings.Trim(digits, "0123456789") == ""
}

// decodeHugeCounts decodes b into *f again, reading a limit or history too large for an int
// as the largest int: every count past its maximum gets the most the server gives (the
// largest page, the whole --history), as the API's limit= does, and a client that asks for
// "everything" with a big number should not get bad_field for the number's size alone. Only
// frames with such a number pay for the second decoding.
func decodeHugeCounts(b []byte, f *ClientFrame) error {
	*f = ClientFrame{}
	// The outer fields hide the frame's own limit and history from encoding/json, which fills
	// every other field of f.
	counts := struct {
		*ClientFrame
		Limit   json.RawMessage `json:"limit"`
		History json.RawMessage `json:"history"`
	}{ClientFrame: f}
	if err := json.Unmarshal(b, &counts); err != nil {
		return err
	}
	for _, c := range []struct {
		name string
		raw  json.RawMessage
		to   *int
	}{{"limit", counts.Limit, &f.Limit}, {"history", counts.History, &f.History}} {
		if len(c.raw) == 0 || string(c.raw) == "null" {
			continue
		}
		var typeErr *json.UnmarshalTypeError
		switch err := json.Unmarshal(c.raw, c.to); {
		case errors.As(err, &typeErr) && hugeCount(typeErr.Value):
			*c.to = math.MaxInt
		case errors.As(err, &typeErr):
			typeErr.Field = c.name
			return typeErr
		case err != nil:
			return err
		}
	}
	return nil
}

// badField describes a field of the wrong type: what the field must hold and what it held.
func badField(e *json.UnmarshalTypeError) error {
	return hubbub.Errorf(hubbub.ECodeBadField, "%s", TypeProblem(e))
}

// TypeProblem says which field of a JSON object held the wrong kind of value and what it
// must hold, in the words of JSON ("field "text" must be a string, not a number"), never Go's
// type names, which encoding/json's own message gives and mean nothing to a client's author.
func TypeProblem(e *json.UnmarshalTypeError) string {
	// A field inside a field's own type (a Cursor's) is named as the client wrote it.
	field, _, _ := strings.Cut(e.Field, ".")
	want := "a string"
	switch e.Type.Kind() {
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		want = "a whole number ≥ 0"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		want = "a whole number"
	case reflect.Bool:
		want = "true or false"
	case reflect.Slice, reflect.Array:
		want = "a list"
	}
	if field == "names" { // the one list of the protocol: its element or itself is wrong
		want = "a list of strings"
	}
	got, isNumber := strings.CutPrefix(e.Value, "number ") // "number -5": say -5
	if isNumber && want != "a string" {
		want += numberProblem(got, e.Type.Kind(), field == "limit" || field == "history")
	}
	if !isNumber {
		got = "a " + e.Value // a string, a number, a bool
		if strings.HasPrefix(e.Value, "a") || strings.HasPrefix(e.Value, "o") {
			got = "an " + e.Value // an array, an object
		}
	}
	return fmt.Sprintf("field %q must be %s, not %s", truncate(field, 32), want, got)
}

// numberProblem says more about a number an integer field refused when the number is a whole
// one all the same, so that the message does not contradict itself ("must be a whole number,
// not 1e3"): one written with a fraction or an exponent (3.0, 1e3, as some JSON encoders write
// a float that holds a whole number) is to be written in digits, and one in digits is too
// large (but for a count that saturates, which takes any size in digits: Decode reads a
// larger limit or history as the most). It returns "" for a number that is not whole, or
// negative where it may not be.
func numberProblem(got string, kind reflect.Kind, saturates bool) string {
	unsigned := kind >= reflect.Uint && kind <= reflect.Uint64
	largest := "9223372036854775807"
	if unsigned {
		largest = "18446744073709551615"
	}
	if strings.Trim(got, "0123456789") == "" {
		return " of at most " + largest
	}
	v, err := strconv.ParseFloat(got, 64)
	if err != nil || v != math.Trunc(v) || math.IsInf(v, 0) || unsigned && v < 0 || strings.HasPrefix(got, "-") && unsigned {
		return ""
	}
	if limit, _ := strconv.ParseFloat(largest, 64); v > limit && !saturates {
		return " of at most " + largest + ", written in digits alone"
	}
	return " written in digits alone (3, not 3.0 or 3e0)"
}

// emptyField returns the error for a required field that is present but empty (an empty name
// is an invalid name, not a missing one), or nil if the field is absent or null. It reads the
// frame again, which only frames that lack a required field pay.
func emptyField(b []byte, field string) error {
	var present struct {
		Name     *string  `json:"name"`
		Room     *string  `json:"room"`
		Duration *string  `json:"duration"`
		Seq      *uint64  `json:"seq"`
		Emoji    *string  `json:"emoji"`
		Names    []string `json:"names"`
	}
	if json.Unmarshal(b, &present) != nil {
		return nil
	}
	switch {
	case field == "seq" && present.Seq != nil:
		// A seq of 0 was sent, not left out: "needs a seq field" would send its author
		// looking for a field they wrote. Seqs start at 1, so 0 names no message.
		return hubbub.Errorf(hubbub.ECodeBadField, "field %q must be the seq of a message, 1 or more, not 0", "seq")
	case field == "name" && present.Name != nil:
		return hubbub.ValidateName("")
	case field == "room" && present.Room != nil:
		return hubbub.ValidateRoom("")
	case field == "emoji" && present.Emoji != nil:
		return hubbub.ValidateEmoji("")
	case field == "duration" && present.Duration != nil:
		return hubbub.Errorf(hubbub.ECodeBadDuration, "duration is empty")
	case field == "names" && present.Names != nil:
		// An empty list was sent: "needs a names field" would send its author looking for
		// the field they wrote. Still missing_field (no one is named), as before.
		return hubbub.Errorf(hubbub.ECodeMissing, "field %q of dm must name at least one person; it is empty", "names")
	}
	return nil
}

// maxUserID is the longest user id a moderation's user field may hold: stored ids are
// "u_" and 32 hex digits, an anonymous one "anon:" and a name's key; more names nobody.
const maxUserID = 256

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
func (e *Error) Unwrap() error {
	return &hubbub.Error{Code: e.Code, Message: e.Message, RetryAfter: e.RetryAfter(), StoredRoom: e.StoredRoom}
}
