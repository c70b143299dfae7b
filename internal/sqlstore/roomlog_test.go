package sqlstore

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"hubbub"
)

// TestReactionSummary: adding and removing keep each emoji's place and its first holders,
// ask for the next holders only when a named one leaves, drop an emoji nobody holds, refuse
// a new emoji past the limit, and never change the summary they were given.
func TestReactionSummary(t *testing.T) {
	var rs []hubbub.Reaction
	var n int
	var err error
	for _, name := range []string{"a", "b", "c", "d"} {
		if rs, n, err = AddReaction(rs, "👍", name); err != nil {
			t.Fatal(err)
		}
	}
	if rs, _, err = AddReaction(rs, "🎉", "a"); err != nil {
		t.Fatal(err)
	}
	want := []hubbub.Reaction{{Emoji: "👍", Count: 4, Names: []string{"a", "b", "c"}}, {Emoji: "🎉", Count: 1, Names: []string{"a"}}}
	if n != 4 || !reflect.DeepEqual(rs, want) {
		t.Fatalf("after adds: %+v (count %d), want %+v", rs, n, want)
	}
	kept := fmt.Sprint(rs)

	asked := 0
	holders := func() ([]string, error) { asked++; return []string{"b", "c", "d"}, nil }
	out, n, err := RemoveReaction(rs, "👍", "d", holders) // not named: no need to ask
	if err != nil || n != 3 || asked != 0 || out[0].Count != 3 || !reflect.DeepEqual(out[0].Names, []string{"a", "b", "c"}) {
		t.Errorf("remove an unnamed holder = %+v, %d, %v (asked %d)", out, n, err, asked)
	}
	out, n, err = RemoveReaction(rs, "👍", "a", holders)
	if err != nil || n != 3 || asked != 1 || !reflect.DeepEqual(out[0].Names, []string{"b", "c", "d"}) {
		t.Errorf("remove a named holder = %+v, %d, %v (asked %d)", out, n, err, asked)
	}
	out, n, err = RemoveReaction(rs, "🎉", "a", holders)
	if err != nil || n != 0 || len(out) != 1 || out[0].Emoji != "👍" {
		t.Errorf("remove the last holder = %+v, %d, %v", out, n, err)
	}
	failing := func() ([]string, error) { return nil, errors.New("disk") }
	if _, _, err := RemoveReaction(rs, "👍", "b", failing); err == nil {
		t.Error("RemoveReaction hid the error of holders")
	}
	if fmt.Sprint(rs) != kept {
		t.Errorf("the summary given changed: %v, was %v", rs, kept)
	}

	rs = nil
	for i := range hubbub.MaxReactionsPerMessage {
		rs, _, _ = AddReaction(rs, fmt.Sprint(":e", i, ":"), "a")
	}
	if _, _, err := AddReaction(rs, ":new:", "b"); hubbub.ErrorCode(err) != hubbub.ECodeLimit {
		t.Errorf("a new emoji past the limit: %v, want %s", err, hubbub.ECodeLimit)
	}
	if _, n, err := AddReaction(rs, ":e0:", "b"); err != nil || n != 2 {
		t.Errorf("a carried emoji at the limit: %d, %v", n, err)
	}
}

// TestLogRetention: MaxPerRoom counts messages, not seqs; the higher cut wins.
func TestLogRetention(t *testing.T) {
	perRoom := hubbub.Retention{MaxPerRoom: 3}
	if Excess(perRoom, 3) != 0 || Excess(perRoom, 10) != 7 || Excess(hubbub.Retention{}, 10) != 0 {
		t.Error("Excess is wrong")
	}
	both := hubbub.Retention{MaxPerRoom: 3, MaxAge: time.Hour}
	if LogCut(perRoom, 12, 99) != 12 || LogCut(both, 12, 20) != 20 || LogCut(both, 0, 5) != 5 || LogCut(perRoom, 0, 5) != 0 {
		t.Error("LogCut is wrong")
	}
}

// TestEncoding: none is stored as "", a list round-trips, Me is never stored, and text that
// is not a stored list is damage (ErrUnreadable).
func TestEncoding(t *testing.T) {
	if s, err := EncodeMentions(nil); s != "" || err != nil {
		t.Errorf("EncodeMentions(nil) = %q, %v", s, err)
	}
	ms := []hubbub.Mention{{User: "bob", Name: "bob"}}
	s, _ := EncodeMentions(ms)
	if got, err := DecodeMentions(s); err != nil || !reflect.DeepEqual(got, ms) {
		t.Errorf("mentions round trip = %+v, %v", got, err)
	}
	s, _ = EncodeReactions([]hubbub.Reaction{{Emoji: "👍", Count: 1, Names: []string{"a"}, Me: true}})
	if got, err := DecodeReactions(s); err != nil || len(got) != 1 || got[0].Me || got[0].Names[0] != "a" {
		t.Errorf("reactions round trip = %+v, %v", got, err)
	}
	if got, err := DecodeReactions(""); got != nil || err != nil {
		t.Errorf(`DecodeReactions("") = %+v, %v`, got, err)
	}
	if _, err := DecodeReactions("[{"); !errors.Is(err, hubbub.ErrUnreadable) {
		t.Errorf("DecodeReactions of damage = %v, want ErrUnreadable", err)
	}
}

// Damage read back is ErrUnreadable with the decoder's error still in the chain, for every
// kind of stored JSON: the outbox's lists and events kept only its text.
func TestDecodeDamageKeepsTheCause(t *testing.T) {
	_, reactions := DecodeReactions("[{")
	_, list := DecodeList[string]("[{")
	_, event := DecodeEvent("{")
	for what, err := range map[string]error{"reactions": reactions, "a webhook list": list, "an outbox event": event} {
		var syntax *json.SyntaxError
		if !errors.Is(err, hubbub.ErrUnreadable) || !errors.As(err, &syntax) {
			t.Errorf("%s: %v, want ErrUnreadable wrapping the *json.SyntaxError", what, err)
		}
	}
}
