// Package wsframe reads and writes WebSocket frames (RFC 6455) from byte buffers, without a
// goroutine or a socket: the server's polled transport reads whatever bytes a socket has, asks
// Parse for the frames they complete, and keeps the rest until more arrive. Server frames are
// written unmasked, so one frame's bytes are the same for every receiver and can be built once
// per message and protocol (AppendHeader).
//
// Only what a server needs is here: client frames must be masked, extensions (and so RSV bits)
// are refused, and every error carries the close code the server answers with.
package wsframe

import (
	"encoding/binary"
	"fmt"
	"math"
	"unicode/utf8"
)

// Opcodes (RFC 6455 section 5.2).
const (
	OpContinuation = 0x0
	OpText         = 0x1
	OpBinary       = 0x2
	OpClose        = 0x8
	OpPing         = 0x9
	OpPong         = 0xA
)

// Close codes used by the parser and the server (RFC 6455 section 7.4.1).
const (
	CloseProtocolError   = 1002
	CloseUnsupportedData = 1003
	CloseNoStatus        = 1005
	CloseInvalidPayload  = 1007
	CloseMessageTooBig   = 1009
)

// MaxHeader is the longest frame header a server writes (2 + 8 bytes; server frames carry no
// mask).
const MaxHeader = 10

// Error is a protocol violation by the client, with the close code to answer it.
type Error struct {
	Code   int
	Reason string
}

func (e *Error) Error() string { return fmt.Sprintf("websocket: %s (close %d)", e.Reason, e.Code) }

func protocolError(format string, args ...any) *Error {
	return &Error{Code: CloseProtocolError, Reason: fmt.Sprintf(format, args...)}
}

// Frame is one frame read from a client, its payload unmasked in place.
type Frame struct {
	Fin     bool
	Op      byte
	Payload []byte
}

// IsControl reports whether op is a control opcode (close, ping, pong).
func IsControl(op byte) bool { return op&0x8 != 0 }

// maxFrame is the longest frame, header included, whose length an int holds.
const maxFrame = int64(math.MaxInt)

// Parse reads the first frame of buf. It returns the frame and how many bytes it took; n == 0
// with a nil error means buf holds only part of a frame (need says how many bytes the whole
// frame takes, when the header is complete, so the caller can size its buffer). A frame longer
// than limit, or one that breaks the protocol, is an *Error. The payload is unmasked in buf.
func Parse(buf []byte, limit int64) (f Frame, n int, need int, err error) {
	if len(buf) < 2 {
		return f, 0, 0, nil
	}
	b0, b1 := buf[0], buf[1]
	f.Fin = b0&0x80 != 0
	f.Op = b0 & 0x0F
	switch {
	case b0&0x40 != 0:
		return f, 0, 0, protocolError("unexpected reserved bits RSV1 (no extension was negotiated)")
	case b0&0x20 != 0:
		return f, 0, 0, protocolError("unexpected reserved bits RSV2")
	case b0&0x10 != 0:
		return f, 0, 0, protocolError("unexpected reserved bits RSV3")
	}
	switch f.Op {
	case OpContinuation, OpText, OpBinary, OpClose, OpPing, OpPong:
	default:
		return f, 0, 0, protocolError("bad opcode %d", f.Op)
	}
	if b1&0x80 == 0 {
		return f, 0, 0, protocolError("bad MASK: client frames must be masked")
	}
	length := int64(b1 & 0x7F)
	pos := 2
	if IsControl(f.Op) {
		if !f.Fin {
			return f, 0, 0, protocolError("control frame with FIN not set")
		}
		if length > 125 {
			return f, 0, 0, protocolError("control frame len > 125")
		}
	}
	switch length {
	case 126:
		if len(buf) < 4 {
			return f, 0, 0, nil
		}
		length = int64(binary.BigEndian.Uint16(buf[2:]))
		pos = 4
	case 127:
		if len(buf) < 10 {
			return f, 0, 0, nil
		}
		u := binary.BigEndian.Uint64(buf[2:])
		if u>>63 != 0 {
			return f, 0, 0, &Error{Code: CloseMessageTooBig, Reason: "frame length over the read limit"}
		}
		length = int64(u)
		pos = 10
	}
	// The whole frame (header, mask key, payload) must have a length an int holds: with a limit
	// near MaxInt64 (or at 2^31 on a 32-bit machine) pos+4+length would overflow into a
	// negative end and slicing would panic.
	if length > limit || length > maxFrame-int64(pos)-4 {
		return f, 0, 0, &Error{Code: CloseMessageTooBig, Reason: "frame over the read limit"}
	}
	total := pos + 4 + int(length)
	if len(buf) < total {
		return f, 0, total, nil
	}
	var key [4]byte
	copy(key[:], buf[pos:pos+4])
	f.Payload = buf[pos+4 : total]
	unmask(f.Payload, key)
	return f, total, total, nil
}

func unmask(p []byte, key [4]byte) {
	k := uint64(binary.LittleEndian.Uint32(key[:]))
	k |= k << 32
	i := 0
	for ; i+8 <= len(p); i += 8 {
		binary.LittleEndian.PutUint64(p[i:], binary.LittleEndian.Uint64(p[i:])^k)
	}
	for ; i < len(p); i++ {
		p[i] ^= key[i&3]
	}
}

// AppendHeader appends the header of a final, unmasked server frame of n payload bytes.
func AppendHeader(dst []byte, op byte, n int) []byte {
	dst = append(dst, 0x80|op)
	switch {
	case n <= 125:
		return append(dst, byte(n))
	case n <= 0xFFFF:
		return binary.BigEndian.AppendUint16(append(dst, 126), uint16(n))
	default:
		return binary.BigEndian.AppendUint64(append(dst, 127), uint64(n))
	}
}

// AppendFrame appends a final, unmasked server frame carrying payload.
func AppendFrame(dst []byte, op byte, payload []byte) []byte {
	return append(AppendHeader(dst, op, len(payload)), payload...)
}

// MaxCloseReason is the longest close reason, in bytes: a control frame carries at most 125
// bytes, two of which are the close code.
const MaxCloseReason = 123

// TrimCloseReason cuts reason to MaxCloseReason bytes without splitting a UTF-8 character: a
// peer must fail the connection on a close reason that is not valid UTF-8 (RFC 6455 section
// 8.1), and a longer reason does not fit a control frame at all.
func TrimCloseReason(reason string) string {
	if len(reason) <= MaxCloseReason {
		return reason
	}
	reason = reason[:MaxCloseReason]
	for len(reason) > 0 && !utf8.ValidString(reason) {
		reason = reason[:len(reason)-1]
	}
	return reason
}

// AppendClose appends a close frame with code and reason; code 0 makes an empty close frame
// (no status), as the answer to a client close that had none. The reason is trimmed by
// TrimCloseReason to fit the 125-byte control frame limit.
func AppendClose(dst []byte, code int, reason string) []byte {
	if code == 0 {
		return AppendHeader(dst, OpClose, 0)
	}
	reason = TrimCloseReason(reason)
	dst = AppendHeader(dst, OpClose, 2+len(reason))
	dst = binary.BigEndian.AppendUint16(dst, uint16(code))
	return append(dst, reason...)
}

// ParseClose reads a client's close payload: its code (0 when it carries none) and reason.
// A payload of one byte, a code a peer may not send, or a reason that is not UTF-8 is a
// protocol error.
func ParseClose(p []byte) (code int, reason string, err error) {
	switch {
	case len(p) == 0:
		return 0, "", nil
	case len(p) == 1:
		return 0, "", protocolError("close frame with a one-byte payload")
	}
	code = int(binary.BigEndian.Uint16(p))
	if !validCloseCode(code) {
		return 0, "", protocolError("invalid close code %d", code)
	}
	if !utf8.Valid(p[2:]) {
		return 0, "", protocolError("invalid utf8 payload in close frame")
	}
	return code, string(p[2:]), nil
}

// validCloseCode reports whether a peer may send code in a close frame: the codes of RFC 6455
// section 7.4.1 a peer may send (1000–1003, 1007–1011), those registered since in the IANA
// registry that section 11.7 set up (1012 Service Restart, 1013 Try Again Later, 1014 Bad
// Gateway), and the ranges for libraries and applications (3000–4999). 1004–1006 and 1015 are
// reserved and must never appear in a close frame.
func validCloseCode(code int) bool {
	switch {
	case code >= 1000 && code <= 1003, code >= 1007 && code <= 1014, code >= 3000 && code <= 4999:
		return true
	}
	return false
}

// Assembler joins the data frames of fragmented messages. The zero value is ready; Limit
// bounds a whole message.
type Assembler struct {
	// Limit is the longest message, in bytes, over all its fragments.
	Limit int64
	op    byte
	buf   []byte
	in    bool // inside a fragmented message
}

// Add takes the next data frame (text, binary or continuation). When it completes a message it
// returns done with the message's opcode and payload; the payload is valid until the next Add.
func (a *Assembler) Add(f Frame) (op byte, msg []byte, done bool, err error) {
	switch {
	case f.Op == OpContinuation && !a.in:
		return 0, nil, false, protocolError("continuation frame without a start")
	case f.Op != OpContinuation && a.in:
		return 0, nil, false, protocolError("new data before FIN of a fragmented message")
	case f.Op != OpContinuation && f.Fin:
		return f.Op, f.Payload, true, nil // the common case: one frame, no copy
	}
	if int64(len(a.buf))+int64(len(f.Payload)) > a.Limit {
		return 0, nil, false, &Error{Code: CloseMessageTooBig, Reason: "message over the read limit"}
	}
	if !a.in {
		a.in, a.op = true, f.Op
	}
	a.buf = append(a.buf, f.Payload...)
	if !f.Fin {
		return 0, nil, false, nil
	}
	msg, op = a.buf, a.op
	a.in = false
	a.buf = a.buf[:0]
	if cap(a.buf) > 64<<10 {
		a.buf = nil
	}
	return op, msg, true, nil
}
