package nats

import (
	"encoding/json"
	"time"
	"unicode/utf8"

	"hubbub"
)

// decodeWire reads the JSON of a wireEvent. Every node decodes every event of the rooms it
// serves, its own included (a cluster of three decodes each message three times, where a lone
// node decodes none), and encoding/json's reflection was ~6 % of a cluster's CPU in the rooms
// scenario. So the events that make up the traffic — an entry whose fields are all scalars (a
// plain message, an edit, a delete, a reaction, a topic, a membership change), a join, a leave,
// typing, a presence restatement — are read by the hand-written scanner below, and anything it
// does not expect (a key it does not know, an array of objects, a null, a number with a
// fraction or exponent, a repeated "message", invalid UTF-8) by encoding/json, so the result
// is always what encoding/json would give (TestFastDecodeMatchesJSON).
func decodeWire(data []byte, w *wireEvent) error {
	if fastDecode(data, w) {
		return nil
	}
	*w = wireEvent{}
	return json.Unmarshal(data, w)
}

// fastDecode fills w from data and reports whether it could; on false, w holds garbage.
func fastDecode(data []byte, w *wireEvent) bool {
	s := scanner{b: data}
	if !s.next('{') {
		return false
	}
	sawMessage := false
	for first := true; ; first = false {
		key, done, ok := s.key(first)
		if !ok {
			return false
		}
		if done {
			break
		}
		var n uint64
		switch string(key) {
		case "kind":
			n, ok = s.uint(8)
			if !ok {
				return false
			}
			w.Kind = wireKind(n)
		case "room":
			ok = s.str(&w.Room)
		case "node":
			ok = s.str(&w.Node)
		case "name":
			ok = s.str(&w.Name)
		case "state":
			ok = s.str(&w.State)
		case "renamed":
			ok = s.str(&w.Renamed)
		case "reason":
			ok = s.str(&w.Reason)
		case "moderation":
			ok = s.str(&w.Moderation)
		case "by":
			ok = s.str(&w.By)
		case "api":
			ok = s.boolean(&w.API)
		case "sanction_seq":
			w.SanctionSeq, ok = s.uint(64)
		case "names":
			ok = s.strings(&w.Names)
		case "away":
			ok = s.strings(&w.Away)
		case "statement":
			w.Statement, ok = s.uint(64)
		case "order":
			n, ok = s.uint(64)
			w.Order = hubbub.Order(n)
		case "part":
			n, ok = s.uint(31)
			w.Part = int(n)
		case "parts":
			n, ok = s.uint(31)
			w.Parts = int(n)
		case "message":
			if sawMessage { // encoding/json would merge the two into one entry
				return false
			}
			sawMessage = true
			w.Message = new(hubbub.Entry)
			ok = s.entry(w.Message)
		default:
			return false
		}
		if !ok {
			return false
		}
	}
	s.space()
	return s.i == len(s.b)
}

// entry reads an entry whose fields are all scalars.
func (s *scanner) entry(e *hubbub.Entry) bool {
	if !s.next('{') {
		return false
	}
	for first := true; ; first = false {
		key, done, ok := s.key(first)
		if !ok {
			return false
		}
		if done {
			return true
		}
		var n uint64
		var str string
		switch string(key) {
		case "room":
			ok = s.str(&e.Room)
		case "seq":
			e.Seq, ok = s.uint(64)
		case "id":
			ok = s.str(&e.ID)
		case "client_id":
			ok = s.str(&e.ClientID)
		case "from":
			ok = s.str(&e.From)
		case "user":
			ok = s.str(&e.User)
		case "bot":
			ok = s.boolean(&e.Bot)
		case "kind":
			ok = s.str(&str)
			e.Kind = hubbub.EntryKind(str)
		case "text":
			ok = s.str(&e.Text)
		case "time":
			ok = s.time(&e.Time)
		case "edited_at":
			ok = s.time(&e.EditedAt)
		case "reply_to":
			e.ReplyTo, ok = s.uint(64)
		case "mention_room":
			ok = s.boolean(&e.MentionRoom)
		case "target":
			e.Target, ok = s.uint(64)
		case "emoji":
			ok = s.str(&e.Emoji)
		case "added":
			ok = s.boolean(&e.Added)
		case "count":
			n, ok = s.uint(63)
			e.Count = int(n)
		case "subject":
			ok = s.str(&e.Subject)
		case "subject_name":
			ok = s.str(&e.SubjectName)
		case "action":
			ok = s.str(&e.Action)
		case "role":
			ok = s.str(&str)
			e.Role = hubbub.RoomRole(str)
		case "moderator":
			ok = s.boolean(&e.Moderator)
		case "auto":
			ok = s.boolean(&e.Auto)
		case "deleted":
			ok = s.boolean(&e.Deleted)
		case "reply_count":
			n, ok = s.uint(63)
			e.ReplyCount = int(n)
		default:
			return false
		}
		if !ok {
			return false
		}
	}
}

// scanner reads the JSON subset fastDecode accepts; each method reports false for anything
// outside it.
type scanner struct {
	b []byte
	i int
}

// space skips JSON white space.
func (s *scanner) space() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// next skips white space and consumes c if it comes next.
func (s *scanner) next(c byte) bool {
	s.space()
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

// key reads the next key of an object whose '{' has been read, and its ':'; first is true
// for the first key. done reports the object's end ('}', consumed). A key with an escape is
// not read (fastDecode knows none that needs one).
func (s *scanner) key(first bool) (key []byte, done, ok bool) {
	if s.next('}') {
		return nil, true, true
	}
	if !first && !s.next(',') {
		return nil, false, false
	}
	if !s.next('"') {
		return nil, false, false
	}
	start := s.i
	for ; s.i < len(s.b); s.i++ {
		if c := s.b[s.i]; c == '"' {
			key = s.b[start:s.i]
			s.i++
			return key, false, s.next(':')
		} else if c == '\\' || c < 0x20 {
			return nil, false, false
		}
	}
	return nil, false, false
}

// str reads a string into v. One with escapes is left to encoding/json (the string alone),
// which unescapes as it does everywhere; one with invalid UTF-8 or a control character is not
// read (encoding/json would replace or refuse it).
func (s *scanner) str(v *string) bool {
	if !s.next('"') {
		return false
	}
	start := s.i - 1
	escaped, ascii := false, true
	for ; s.i < len(s.b); s.i++ {
		switch c := s.b[s.i]; {
		case c == '"':
			s.i++
			raw := s.b[start+1 : s.i-1]
			if escaped {
				return unquote(s.b[start:s.i], v)
			}
			if !ascii && !utf8.Valid(raw) {
				return false
			}
			*v = string(raw)
			return true
		case c == '\\':
			escaped = true
			s.i++ // whatever it escapes, it does not end the string
		case c < 0x20:
			return false
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	return false
}

// unquote reads a JSON string with escapes through encoding/json. (A function of its own so
// that str's v does not escape: only the rare escaped string pays for encoding/json's
// interface argument.)
//
//go:noinline
func unquote(token []byte, v *string) bool {
	var u string
	if json.Unmarshal(token, &u) != nil {
		return false
	}
	*v = u
	return true
}

// strings reads an array of strings; [] gives an empty slice, as encoding/json does.
func (s *scanner) strings(v *[]string) bool {
	if !s.next('[') {
		return false
	}
	out := []string{}
	if s.next(']') {
		*v = out
		return true
	}
	for {
		var one string
		if !s.str(&one) {
			return false
		}
		out = append(out, one)
		if s.next(',') {
			continue
		}
		if !s.next(']') {
			return false
		}
		*v = out
		return true
	}
}

// uint reads a non-negative integer that fits in bits bits: digits only, without a leading
// zero (JSON allows none), a fraction or an exponent.
func (s *scanner) uint(bits int) (uint64, bool) {
	s.space()
	start := s.i
	limit := uint64(1)<<bits - 1 // bits < 64
	if bits == 64 {
		limit = ^uint64(0)
	}
	var n uint64
	for s.i < len(s.b) && s.b[s.i] >= '0' && s.b[s.i] <= '9' {
		d := uint64(s.b[s.i] - '0')
		if n > (limit-d)/10 {
			return 0, false // overflow
		}
		n = n*10 + d
		s.i++
	}
	digits := s.i - start
	if digits == 0 || (digits > 1 && s.b[start] == '0') {
		return 0, false
	}
	if s.i < len(s.b) {
		switch s.b[s.i] {
		case '.', 'e', 'E':
			return 0, false
		}
	}
	return n, true
}

// boolean reads true or false.
func (s *scanner) boolean(v *bool) bool {
	s.space()
	switch {
	case len(s.b)-s.i >= 4 && string(s.b[s.i:s.i+4]) == "true":
		*v = true
		s.i += 4
	case len(s.b)-s.i >= 5 && string(s.b[s.i:s.i+5]) == "false":
		*v = false
		s.i += 5
	default:
		return false
	}
	return true
}

// time reads a time as encoding/json does: time.Time's own UnmarshalJSON on the string,
// which it is given whole (quotes and escapes included) without a copy.
func (s *scanner) time(v *time.Time) bool {
	if !s.next('"') {
		return false
	}
	start := s.i - 1
	for ; s.i < len(s.b); s.i++ {
		switch c := s.b[s.i]; {
		case c == '"':
			s.i++
			return v.UnmarshalJSON(s.b[start:s.i]) == nil
		case c == '\\' || c < 0x20 || c >= utf8.RuneSelf:
			return false // not a time fastDecode reads
		}
	}
	return false
}
