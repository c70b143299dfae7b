package hubbub

import (
	"errors"
	"fmt"
	"time"
)

// Error codes carried by error frames (docs/protocol.md lists them all). They are strings so
// that clients can switch on them without a table of numbers.
const (
	ECodeBadJSON      = "bad_json"       // the frame is not valid JSON, or not a JSON object
	ECodeBadField     = "bad_field"      // a field holds the wrong type of value, or one out of range
	ECodeUnknownType  = "unknown_type"   // the frame's type is not one the server knows
	ECodeMissing      = "missing_field"  // a required field is absent
	ECodeBadName      = "bad_name"       // the name is not acceptable
	ECodeNameTaken    = "name_taken"     // another user holds that name in the room
	ECodeBadRoom      = "bad_room"       // the room name is not acceptable
	ECodeNotJoined    = "not_joined"     // the connection has not joined that room
	ECodeNoHello      = "no_hello"       // a frame other than hello came before hello
	ECodeTooLong      = "too_long"       // the text is longer than the server allows
	ECodeEmpty        = "empty"          // the text is empty after cleaning
	ECodeRateLimited  = "rate_limited"   // the connection sends faster than allowed
	ECodeRoomFull     = "room_full"      // the room has as many members as allowed
	ECodeTooMany      = "too_many_rooms" // the connection is in as many rooms as allowed
	ECodeBadID        = "bad_id"         // the client id is too long or not printable
	ECodeUnavailable  = "unavailable"    // the store or broker failed; try again
	ECodeInternal     = "internal"       // a bug; the server logged it
	ECodeForbidden    = "forbidden"      // the connection's role may not do that (moderation)
	ECodeUnauthorized = "unauthorized"   // no valid token where the server requires one
	ECodeKicked       = "kicked"         // a moderator removed the connection from the room
	ECodeBanned       = "banned"         // the name is banned from the room for a while
	ECodeMuted        = "muted"          // the name may read the room but not send, for a while
	ECodeNotFound     = "not_found"      // the message (or other target) does not exist
	ECodeBadDuration  = "bad_duration"   // a ban or mute duration is missing, invalid or too long
	ECodeLimit        = "limit"          // a bound on the target was reached (reactions on one message)
	ECodeExists       = "exists"         // the room (or other thing to create) exists already
	ECodeDisabled     = "disabled"       // the server's operator turned that feature off (search without its index)
	ECodeRoomCase     = "room_case"      // the room exists spelled another way (Error.StoredRoom); ask again by that name
	ECodeConflict     = "conflict"       // the request's id was spent on another request of the user in the room, or on this one saying something else; nothing was done
)

// Error is an error with a code a client can act on and a message a person can read.
type Error struct {
	Code    string
	Message string
	// RetryAfter is how long a refusal that may succeed later (rate_limited) asks the client
	// to wait before trying again; 0 when it does not say.
	RetryAfter time.Duration
	// StoredRoom is, for ECodeRoomCase, the room's name as stored: the request named the room
	// in another case, and the client asks again by this name (RoomCase).
	StoredRoom string
}

// Error returns the human-readable message.
func (e *Error) Error() string { return e.Message }

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// RateLimited returns a rate_limited *Error with a formatted message that asks the client to
// wait retryAfter (0: it does not say) before trying again.
func RateLimited(retryAfter time.Duration, format string, args ...any) *Error {
	return &Error{Code: ECodeRateLimited, Message: fmt.Sprintf(format, args...), RetryAfter: retryAfter}
}

// RoomCase returns the room_case refusal of a request that named the room stored as stored by
// another spelling, asked (ResolveRoom): the request is not acted on, and its client asks again
// by the stored name. A client written before room names were compared without regard to case
// matches answers to its requests by the room it sent, so it is told the name rather than
// answered for a room it did not name (docs/protocol.md, Room names).
func RoomCase(asked, stored string) *Error {
	return &Error{Code: ECodeRoomCase, Message: fmt.Sprintf("room %s is named %s", asked, stored), StoredRoom: stored}
}

// ErrorStoredRoom returns the StoredRoom of the first *Error in err's chain, or "".
func ErrorStoredRoom(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.StoredRoom
	}
	return ""
}

// ErrorCode returns the code of the first *Error in err's chain, or ECodeInternal.
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ECodeInternal
}

// ErrorMessage returns the message of the first *Error in err's chain, or a generic text that
// reveals nothing about the server's internals.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}

// ErrorRetryAfter returns the RetryAfter of the first *Error in err's chain, or 0.
func ErrorRetryAfter(err error) time.Duration {
	var e *Error
	if errors.As(err, &e) {
		return e.RetryAfter
	}
	return 0
}
