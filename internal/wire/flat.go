package wire

import "unicode/utf8"

// decodeFlat decodes b into *f (zero) without encoding/json when b is a flat object of plain
// strings: every member one of flatFields, spelled exactly so and given once, every value a
// string with no escape, no control character and valid UTF-8, nothing after the object but
// white space. That is every send a client library writes, so a send costs no reflection:
// json.Unmarshal was a tenth of the server's CPU under issue 19's durable ingress, most of it
// the stack it needed (its frames took the goroutine that handles a readable socket past its
// first stack, and every message paid for a copy). For such an object json.Unmarshal gives
// the same frame (FuzzDecodeFlatIsJSON). It reports false for anything else, leaving *f zero,
// and the caller decodes with json.Unmarshal, which knows the rest: numbers, null, lists, escapes, keys
// in other cases, unknown or repeated keys, and every error.
func decodeFlat(b []byte, f *ClientFrame) bool {
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return false
	}
	i = skipSpace(b, i+1)
	var seen uint32
	if i < len(b) && b[i] == '}' {
		return skipSpace(b, i+1) == len(b)
	}
	for {
		key, next, ok := plainString(b, i)
		if !ok {
			break
		}
		i = skipSpace(b, next)
		if i >= len(b) || b[i] != ':' {
			break
		}
		val, next, ok := plainString(b, skipSpace(b, i+1))
		if !ok {
			break
		}
		bit, ok := f.setFlat(key, val)
		if !ok || seen&bit != 0 {
			break
		}
		seen |= bit
		i = skipSpace(b, next)
		if i >= len(b) {
			break
		}
		if b[i] == '}' {
			if skipSpace(b, i+1) == len(b) {
				return true
			}
			break
		}
		if b[i] != ',' {
			break
		}
		i = skipSpace(b, i+1)
	}
	*f = ClientFrame{}
	return false
}

// setFlat sets the string field that JSON key names, exactly as spelled in ClientFrame's tags,
// to a copy of val. It returns the field's bit, or false for a key it does not take.
func (f *ClientFrame) setFlat(key, val []byte) (uint32, bool) {
	// The switch on string(key) does not allocate; string(val) copies out of the caller's
	// buffer, which is reused.
	switch string(key) {
	case "type":
		f.Type = string(val)
		return 1 << 0, true
	case "room":
		f.Room = string(val)
		return 1 << 1, true
	case "id":
		f.ID = string(val)
		return 1 << 2, true
	case "text":
		s := string(val)
		f.Text = &s
		return 1 << 3, true
	case "name":
		f.Name = string(val)
		return 1 << 4, true
	case "key":
		f.Key = string(val)
		return 1 << 5, true
	case "token":
		f.Token = string(val)
		return 1 << 6, true
	case "reason":
		f.Reason = string(val)
		return 1 << 7, true
	case "emoji":
		f.Emoji = string(val)
		return 1 << 8, true
	case "role":
		f.Role = string(val)
		return 1 << 9, true
	case "query":
		f.Query = string(val)
		return 1 << 10, true
	case "level":
		f.Level = string(val)
		return 1 << 11, true
	case "q":
		f.Q = string(val)
		return 1 << 12, true
	case "args":
		f.Args = string(val)
		return 1 << 13, true
	}
	return 0, false
}

// plainString reads the JSON string at b[i:] if it needs no decoding (no backslash, no
// control character, valid UTF-8) and returns its contents and the index after its closing
// quote.
func plainString(b []byte, i int) (s []byte, next int, ok bool) {
	if i >= len(b) || b[i] != '"' {
		return nil, 0, false
	}
	start := i + 1
	ascii := true
	for j := start; j < len(b); j++ {
		switch c := b[j]; {
		case c == '"':
			s = b[start:j]
			if !ascii && !utf8.Valid(s) {
				return nil, 0, false // json.Unmarshal replaces invalid bytes with U+FFFD
			}
			return s, j + 1, true
		case c == '\\' || c < 0x20:
			return nil, 0, false
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	return nil, 0, false
}

// skipSpace returns the index of the first byte at or after i that is not JSON white space.
func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}
