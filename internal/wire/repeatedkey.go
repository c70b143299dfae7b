package wire

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"

	"hubbub"
)

// clientFields are ClientFrame's JSON keys (its fields' tags), by index, and the index of each.
var clientFields, clientFieldIndex = func() ([]string, map[string]int) {
	t := reflect.TypeFor[ClientFrame]()
	var names []string
	index := map[string]int{}
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name == "" || name == "-" {
			continue
		}
		index[name] = len(names)
		names = append(names, name)
	}
	if len(names) > maxClientFields {
		panic("wire: ClientFrame has more fields than repeatedField's array holds")
	}
	return names, index
}()

// maxClientFields bounds ClientFrame's fields, so that repeatedField keeps what it has seen in
// an array rather than allocating.
const maxClientFields = 64

// repeatedField refuses a frame (b, an object encoding/json has read without error) that
// gives one of ClientFrame's fields twice: the same key twice, or two spellings encoding/json
// matches to one field whatever their case ("text" and "Text"). encoding/json keeps the last,
// so a client that sent a field twice by mistake would have the server act on the value it did
// not mean, and no one would know; the API refuses such a body too. Only the top level is
// looked at (a client frame's values are strings, numbers and lists of strings), and keys no
// field takes are ignored, as encoding/json ignores them. It runs only on the frames the flat
// decoder (flat.go) left to encoding/json, which include every frame with a repeated key.
func repeatedField(b []byte) error {
	var seen [maxClientFields][]byte // by field index: the key that gave it
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return nil
	}
	i++
	for {
		i = skipSpace(b, i)
		if i >= len(b) || b[i] != '"' {
			return nil // "}" of an empty object, or the end
		}
		key, next, ok := jsonString(b, i)
		if !ok {
			return nil
		}
		if f, known := fieldOf(key); known {
			if k := seen[f]; k != nil {
				if bytes.Equal(k, key) {
					return hubbub.Errorf(hubbub.ECodeBadJSON, "the key %q appears twice in the frame", truncate(string(key), 32))
				}
				return hubbub.Errorf(hubbub.ECodeBadJSON, "the keys %q and %q name one field (keys match fields whatever their case)", truncate(string(k), 32), truncate(string(key), 32))
			}
			seen[f] = key
		}
		i = skipSpace(b, next)
		if i >= len(b) || b[i] != ':' {
			return nil
		}
		if i = skipValue(b, skipSpace(b, i+1)); i < 0 {
			return nil
		}
		i = skipSpace(b, i)
		if i >= len(b) || b[i] != ',' {
			return nil // "}": the end of the object
		}
		i++
	}
}

// fieldOf returns the index of the ClientFrame field key names, as encoding/json matches it:
// exactly, else whatever its case.
func fieldOf(key []byte) (int, bool) {
	if f, ok := clientFieldIndex[string(key)]; ok { // no copy: a map index by a converted slice
		return f, true
	}
	for f, name := range clientFields {
		if len(name) <= len(key) && bytes.EqualFold([]byte(name), key) {
			return f, true
		}
	}
	return 0, false
}

// jsonString returns the JSON string that starts at b[i] (a '"'), unescaped (a part of b when
// it has no escapes), and the index after it. b is valid JSON.
func jsonString(b []byte, i int) ([]byte, int, bool) {
	escaped := false
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			escaped = true
			j++
		case '"':
			if !escaped {
				return b[i+1 : j], j + 1, true
			}
			var s string // a key with escapes ("te\u0078t"), read as encoding/json reads it
			if json.Unmarshal(b[i:j+1], &s) != nil {
				return nil, 0, false
			}
			return []byte(s), j + 1, true
		}
	}
	return nil, 0, false
}

// skipValue returns the index after the JSON value that starts at b[i], or -1. b is valid
// JSON: a value is a string, or runs to the ',', '}' or ']' that ends it at its own depth.
func skipValue(b []byte, i int) int {
	depth := 0
	for i < len(b) {
		switch b[i] {
		case '"':
			_, next, ok := jsonString(b, i)
			if !ok {
				return -1
			}
			i = next
			if depth == 0 {
				return i
			}
			continue
		case '{', '[':
			depth++
		case '}', ']':
			if depth == 0 {
				return i
			}
			depth--
			if depth == 0 {
				return i + 1
			}
		case ',':
			if depth == 0 {
				return i
			}
		}
		i++
	}
	return -1
}
