package hubbub

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Message is one stored chat message. The server fills every field but Text and ClientID: the
// sender's name comes from the connection's identity, never from what the client sent.
type Message struct {
	// Room is the room the message was sent to.
	Room string `json:"room"`
	// Seq is the message's place in its room: 1 for the first message, then gap-free.
	Seq uint64 `json:"seq"`
	// ID is a server-assigned identifier, unique across rooms and nodes.
	ID string `json:"id"`
	// ClientID is the sender's idempotency key; a second send with the same key from the same
	// sender in the same room returns the first message instead of storing again. May be empty.
	ClientID string `json:"client_id,omitempty"`
	// From is the sender's name, stamped by the server.
	From string `json:"from"`
	// Text is the cleaned message text.
	Text string `json:"text"`
	// Time is when the server stored the message (UTC).
	Time time.Time `json:"time"`
	// Deleted marks a message a moderator removed: its Text is empty, its seq stays taken.
	Deleted bool `json:"deleted,omitempty"`
}

// Limits on names and texts that do not depend on configuration.
const (
	// MaxNameLen is the longest name, in bytes, a user may take.
	MaxNameLen = 32
	// MaxRoomLen is the longest room name, in bytes.
	MaxRoomLen = 64
	// MaxClientIDLen is the longest idempotency key a client may send.
	MaxClientIDLen = 64
)

// CleanText turns newlines, tabs and other control characters into spaces and trims the
// result, as the original chat room did for newlines. An empty result means "nothing to send".
// Invalid UTF-8 is replaced by U+FFFD so that every stored text is valid.
func CleanText(s string) string {
	clean := true
	for _, r := range s {
		if r == utf8.RuneError || unicode.IsControl(r) {
			clean = false
			break
		}
	}
	if !clean {
		s = strings.Map(func(r rune) rune {
			if unicode.IsControl(r) {
				return ' '
			}
			return r
		}, strings.ToValidUTF8(s, "\uFFFD"))
	}
	return strings.TrimSpace(s)
}

// CleanMultiline is CleanText that keeps line breaks: "\r\n" and "\r" become "\n", other
// control characters become spaces, and the whole is trimmed. hubbub.v1 clients may send
// multi-line messages; the text protocol, whose frames are split on "\n", flattens them when
// it shows them.
func CleanMultiline(s string) string {
	s = strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\r\n", "\n")
	return strings.TrimSpace(strings.Map(func(r rune) rune {
		switch {
		case r == '\n':
			return r
		case r == '\r':
			return '\n'
		case unicode.IsControl(r):
			return ' '
		}
		return r
	}, s))
}

// ValidateClientID reports why id cannot be used as a client's idempotency key (a send's or a
// published message's id), or nil if it can: at most MaxClientIDLen bytes of printable text,
// not starting or ending with a space. The id is stored, logged and echoed in acks and message
// frames, so a control character in it would reach every member's terminal.
func ValidateClientID(id string) error {
	switch {
	case len(id) > MaxClientIDLen:
		return Errorf(ECodeBadID, "id is longer than %d bytes", MaxClientIDLen)
	case !utf8.ValidString(id):
		return Errorf(ECodeBadID, "id is not valid UTF-8")
	case strings.TrimSpace(id) != id:
		return Errorf(ECodeBadID, "id starts or ends with a space")
	case !printable(id):
		return Errorf(ECodeBadID, "id contains a control or non-printable character")
	}
	return nil
}

// ValidateName reports why name cannot be used as a user name, or nil if it can: 1 to
// MaxNameLen bytes of printable characters, not starting or ending with a space.
func ValidateName(name string) error {
	switch {
	case name == "":
		return Errorf(ECodeBadName, "name is empty")
	case len(name) > MaxNameLen:
		return Errorf(ECodeBadName, "name is longer than %d bytes", MaxNameLen)
	case !utf8.ValidString(name):
		return Errorf(ECodeBadName, "name is not valid UTF-8")
	case strings.TrimSpace(name) != name:
		return Errorf(ECodeBadName, "name starts or ends with a space")
	case !printable(name):
		return Errorf(ECodeBadName, "name contains a control or non-printable character")
	}
	return nil
}

// printable reports whether every character of s is printable: no control characters, and
// none of the invisible format characters (U+200B, U+202E, …) that could disguise text in a
// member's terminal.
func printable(s string) bool {
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}

// ValidateRoom reports why room cannot be used as a room name, or nil if it can: 1 to
// MaxRoomLen bytes of ASCII letters, digits, '-', '_' and '.', starting with a letter or digit.
// The narrow charset keeps room names safe in URLs (/#room), NATS subjects and logs.
func ValidateRoom(room string) error {
	if room == "" {
		return Errorf(ECodeBadRoom, "room name is empty")
	}
	if len(room) > MaxRoomLen {
		return Errorf(ECodeBadRoom, "room name is longer than %d bytes", MaxRoomLen)
	}
	for i := 0; i < len(room); i++ {
		c := room[i]
		alnum := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
		if i == 0 && !alnum {
			return Errorf(ECodeBadRoom, "room name must start with a letter or digit")
		}
		if !alnum && c != '-' && c != '_' && c != '.' {
			return Errorf(ECodeBadRoom, "room name may hold only letters, digits, '-', '_' and '.'")
		}
	}
	return nil
}

// NewMessageID returns a message ID for a message stored at t: 32 hex digits, the first 12 the
// time in Unix milliseconds and the other 20 random (80 bits). IDs sort roughly by time, which
// helps anyone who indexes them, and stay unique across rooms, processes and nodes without
// coordination. Every Store uses it, so IDs look the same whichever holds the history.
func NewMessageID(t time.Time) string {
	var b [16]byte
	var ms [8]byte
	binary.BigEndian.PutUint64(ms[:], uint64(t.UnixMilli()))
	copy(b[:6], ms[2:])
	_, _ = rand.Read(b[6:]) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b[:])
}
