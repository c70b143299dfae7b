package wire

import (
	"encoding/json"
	"strconv"
)

// EncodeJoined is Encode(j), spelled by hand: a join into a crowded room lists up to
// --presence-limit names (500 by default), and json.Marshal's reflection over them was a
// sixth of the CPU a connect + join costs the server (docs/benchmarks.md, "Connect + join").
// The bytes are the same as Encode's (TestEncodeJoinedIsEncode).
func EncodeJoined(j *Joined) []byte {
	n := 2
	for _, m := range j.Members {
		n += len(m) + 3
	}
	return encodeJoined(j, nil, n)
}

// EncodeJoinedMembers is EncodeJoined with j.Members already encoded: members is what
// EncodeMembers (AppendMembers) made of them. A crowded room gives every join the same list of names, so its
// JSON is made once for all of them (hub.JoinInfo.Memo) instead of once per join, which was
// the twentieth of a connect + join's CPU left after the hand-written encoding
// (docs/benchmarks/reconnect-storm.md, "Connect + join").
func EncodeJoinedMembers(j *Joined, members []byte) []byte {
	return encodeJoined(j, members, len(members))
}

// EncodeJoinedParts is EncodeJoinedMembers without the members: head + members + tail is
// EncodeJoinedMembers(j, members), head and tail in one small allocation. A crowded room's
// joined frame is sent in these parts (hub.NewRawParts), so that its 6 KB list is not copied
// into a frame of its own for every join, only into the socket's write buffer.
func EncodeJoinedParts(j *Joined) (head, tail []byte) {
	b := make([]byte, 0, 160+len(j.Room)+len(j.Type))
	b = appendJoinedHead(b, j)
	head = b[:len(b):len(b)] // capped: the tail is appended after it, in the same array
	tail = appendJoinedTail(b[len(b):], j)
	return head, tail
}

// appendJoinedHead appends j's frame up to its list of members.
func appendJoinedHead(b []byte, j *Joined) []byte {
	b = append(b, `{"type":`...)
	b = appendString(b, j.Type)
	b = append(b, `,"room":`...)
	b = appendString(b, j.Room)
	return append(b, `,"members":`...)
}

// appendJoinedTail appends j's frame after its list of members.
func appendJoinedTail(b []byte, j *Joined) []byte {
	b = append(b, `,"member_count":`...)
	b = strconv.AppendInt(b, int64(j.MemberCount), 10)
	b = append(b, `,"last_seq":`...)
	b = strconv.AppendUint(b, j.LastSeq, 10)
	b = append(b, `,"replay":`...)
	b = strconv.AppendInt(b, int64(j.Replay), 10)
	b = append(b, `,"truncated":`...)
	b = strconv.AppendBool(b, j.Truncated)
	if j.NoticesTruncated {
		b = append(b, `,"notices_truncated":true`...)
	}
	if len(j.Away) > 0 {
		b = append(b, `,"away":`...)
		b = AppendMembers(b, j.Away)
	}
	return append(b, '}')
}

// encodeJoined writes j, with members as the list's JSON if it is not nil (else j.Members
// encoded here), in a buffer sized for a list of about size bytes.
func encodeJoined(j *Joined, members []byte, size int) []byte {
	b := make([]byte, 0, 128+len(j.Room)+size)
	b = appendJoinedHead(b, j)
	if members != nil {
		b = append(b, members...)
	} else {
		b = AppendMembers(b, j.Members)
	}
	return appendJoinedTail(b, j)
}

// EncodeMembers is AppendMembers to a new buffer: what EncodeJoinedMembers takes.
func EncodeMembers(names []string) []byte { return AppendMembers(nil, names) }

// AppendMembers appends a joined frame's list of names as Encode writes it: a JSON array of
// strings, or null for a nil list.
func AppendMembers(b []byte, names []string) []byte {
	if names == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i, m := range names {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, m)
	}
	return append(b, ']')
}

// appendString appends s as encoding/json writes it. A string of printable ASCII that needs no
// escape (every name the generator and most users pick) is copied as it is; any other goes
// through json.Marshal, which escapes it (HTML characters, control characters, invalid UTF-8,
// U+2028 and U+2029) exactly as Encode would.
func appendString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x80 || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s) // a string always marshals
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}
