package sqlstore

import (
	"encoding/json"
	"fmt"

	"hubbub"
)

// A message's mentions and reactions summary are stored as JSON text in one column each,
// the empty string for none: most messages have neither, and then their row holds nothing
// more than before the room log.

// EncodeMentions returns ms as stored: "" for none.
func EncodeMentions(ms []hubbub.Mention) (string, error) {
	return encodeList(ms)
}

// DecodeMentions reads what EncodeMentions stored; "" is nil. Text that is not what
// EncodeMentions wrote is damage, and the error wraps hubbub.ErrUnreadable.
func DecodeMentions(s string) ([]hubbub.Mention, error) {
	return decodeList[hubbub.Mention](s, "mentions")
}

// EncodeReactions returns a reactions summary as stored: "" for none. Reaction.Me is never
// stored (it is one reader's).
func EncodeReactions(rs []hubbub.Reaction) (string, error) {
	for i := range rs {
		rs[i].Me = false
	}
	return encodeList(rs)
}

// DecodeReactions reads what EncodeReactions stored; "" is nil.
func DecodeReactions(s string) ([]hubbub.Reaction, error) {
	return decodeList[hubbub.Reaction](s, "reactions")
}

func encodeList[T any](v []T) (string, error) {
	if len(v) == 0 {
		return "", nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

func decodeList[T any](s, what string) ([]T, error) {
	if s == "" {
		return nil, nil
	}
	var v []T
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		return nil, fmt.Errorf("%w: stored %s: %w", hubbub.ErrUnreadable, what, err)
	}
	return v, nil
}
