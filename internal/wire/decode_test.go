package wire

import (
	"encoding/json"
	"strings"
	"testing"

	"hubbub"
)

func TestDecodeKnownFrames(t *testing.T) {
	cases := []struct {
		in, typ, code string
	}{
		{`{"type":"hello","name":"ann"}`, "hello", ""},
		{`{"type":"join","room":"r","since":7}`, "join", ""},
		{`{"type":"send","room":"r","text":""}`, "send", ""}, // empty text is the session's to refuse
		{`{"type":"ping"}`, "ping", ""},
		{` {"type":"who","room":"r"} `, "who", ""},
		{`{"type":"send","room":"r"}`, "send", hubbub.ECodeMissing},
		{`{"type":"join"}`, "join", hubbub.ECodeMissing},
		{`{"type":"nope"}`, "nope", hubbub.ECodeUnknownType},
		{`{}`, "", hubbub.ECodeUnknownType},
		{`[]`, "", hubbub.ECodeBadJSON},
		{`{"type":"join","room":"r","since":-1}`, "join", hubbub.ECodeBadField},
		{`{"type":"join","room":"r","since":"3"}`, "join", hubbub.ECodeBadField},
		{`{"type":"join","room":"r","since":1.5}`, "join", hubbub.ECodeBadField},
		{`{"type":"join","room":5}`, "join", hubbub.ECodeBadField},
		{`{"type":"join","room":"r","history":-1}`, "join", hubbub.ECodeBadField},
		{`{"type":"join","room":"r","history":0}`, "join", ""},
		{`{"type":"history","room":"r","limit":-1}`, "history", hubbub.ECodeBadField},
		{`{"type":"send","room":"r","text":"x","history":-1}`, "send", ""}, // not a field of send
		{`{"type":1}`, "", hubbub.ECodeBadField},
		{`{"type":"join","room":"r",}`, "join", hubbub.ECodeBadJSON},
		{``, "", hubbub.ECodeBadJSON},
		// Present but empty is invalid, not missing; null is missing.
		{`{"type":"hello","name":""}`, "hello", hubbub.ECodeBadName},
		{`{"type":"hello","name":null}`, "hello", hubbub.ECodeMissing},
		{`{"type":"join","room":""}`, "join", hubbub.ECodeBadRoom},
		{`{"type":"ban","room":"r","name":"eve","duration":""}`, "ban", hubbub.ECodeBadDuration},
		{`{"type":"ban","room":"r","name":"eve"}`, "ban", hubbub.ECodeMissing},
		// Conversations.
		{`{"type":"create","room":"r","topic":"t","private":true}`, "create", ""},
		{`{"type":"create","room":"r","private":"yes"}`, "create", hubbub.ECodeBadField},
		{`{"type":"dm","names":["bob","cy"]}`, "dm", ""},
		{`{"type":"dm","names":[]}`, "dm", hubbub.ECodeMissing},
		{`{"type":"dm","names":"bob"}`, "dm", hubbub.ECodeBadField},
		{`{"type":"topic","room":"r","topic":""}`, "topic", ""}, // an empty topic clears it
		{`{"type":"topic","room":"r"}`, "topic", hubbub.ECodeMissing},
		{`{"type":"role","room":"r","name":"bob"}`, "role", hubbub.ECodeMissing},
		{`{"type":"rooms"}`, "rooms", ""},
		{`{"type":"directory","query":"eng","after":"eng","limit":5}`, "directory", ""},
		{`{"type":"directory","after":5}`, "directory", hubbub.ECodeBadField},
		{`{"type":"directory","limit":-5}`, "directory", hubbub.ECodeBadField},
		{`{"type":"members","room":"r","after":"u_1"}`, "members", ""},
		{`{"type":"history","room":"r","thread":3,"after":4}`, "history", ""},
		{`{"type":"history","room":"r","thread":3,"after":"4"}`, "history", hubbub.ECodeBadField},
		{`{"type":"history","room":"r","thread":3,"after":-4}`, "history", hubbub.ECodeBadField},
		{`{"type":"read","room":"r","seq":4}`, "read", ""},
		{`{"type":"read","room":"r"}`, "read", hubbub.ECodeMissing},
		// A react without its emoji is missing it, as the protocol's table of errors says; an
		// empty one is not an emoji.
		{`{"type":"react","room":"r","seq":4}`, "react", hubbub.ECodeMissing},
		{`{"type":"react","room":"r","seq":4,"emoji":null}`, "react", hubbub.ECodeMissing},
		{`{"type":"react","room":"r","seq":4,"emoji":""}`, "react", hubbub.ECodeBadField},
		// Search: since is a time here, a seq in join.
		{`{"type":"search","q":"deploy","since":"2026-12-01T00:00:00Z","until":"2026-12-02T00:00:00Z","from":"ann","order":"relevance","cursor":"c","limit":5,"id":"s-1"}`, "search", ""},
		{`{"type":"search","q":""}`, "search", ""}, // an empty query is the session's to refuse
		{`{"type":"search","q":"x","since":7}`, "search", hubbub.ECodeBadField},
		{`{"type":"search","q":"x","limit":-1}`, "search", hubbub.ECodeBadField},
		{`{"type":"search","q":"x","until":7}`, "search", hubbub.ECodeBadField},
		{`{"type":"search","q":5}`, "search", hubbub.ECodeBadField},
	}
	for _, tc := range cases {
		f, err := Decode([]byte(tc.in))
		if tc.code == "" {
			if err != nil {
				t.Errorf("%s: %v", tc.in, err)
			}
		} else if hubbub.ErrorCode(err) != tc.code {
			t.Errorf("%s: error %v (code %s), want code %s", tc.in, err, hubbub.ErrorCode(err), tc.code)
		}
		if f.Type != tc.typ && tc.code != hubbub.ECodeBadJSON && tc.code != hubbub.ECodeBadField {
			t.Errorf("%s: type %q, want %q", tc.in, f.Type, tc.typ)
		}
	}
}

// FuzzDecode checks that no input crashes the decoder, that every failure carries a code a
// client can act on, and that every accepted frame has a known type and its required fields.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		`{"type":"hello","name":"ann","key":"k"}`,
		`{"type":"join","room":"general","since":41,"history":10}`,
		`{"type":"send","room":"general","id":"c-1","text":"yes!"}`,
		`{"type":"history","room":"general","before":40,"limit":50}`,
		`{"type":"typing","room":"r"}`, `{"type":"leave","room":"r"}`, `{"type":"ping","id":"x"}`,
		`{"type":"send","room":"r","text":"\u0000\ud800"}`, `{"type":"send","text":null}`, `nul`, `{"type":`,
		`{"type":"join","room":5,"since":-1}`, `{"type":"hello","name":""}`, `{"type":"history","room":"r","limit":-3}`,
		`{"type":"directory","after":"a","limit":3}`, `{"type":"history","room":"r","after":"x"}`, `{"type":"dm","names":["a"]}`,
		`{"type":"topic","room":"r","topic":null}`, `{"type":"search","q":"x","since":"2026-12-01T00:00:00Z"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fr, err := Decode(data)
		if err != nil {
			switch hubbub.ErrorCode(err) {
			case hubbub.ECodeBadJSON, hubbub.ECodeBadField, hubbub.ECodeUnknownType, hubbub.ECodeMissing,
				hubbub.ECodeBadName, hubbub.ECodeBadRoom, hubbub.ECodeBadDuration, hubbub.ECodeBadID:
			default:
				t.Fatalf("Decode(%q): untyped error %v", data, err)
			}
			return
		}
		if _, ok := clientFrames[fr.Type]; !ok {
			t.Fatalf("Decode(%q) accepted unknown type %q", data, fr.Type)
		}
		if fr.Type == TypeSend && (fr.Text == nil || fr.Room == "") {
			t.Fatalf("Decode(%q) accepted a send without room or text", data)
		}
		if fr.History < 0 && fr.Type == TypeJoin || fr.Limit < 0 && fr.Type == TypeHistory {
			t.Fatalf("Decode(%q) accepted a negative count", data)
		}
		if hubbub.ValidateClientID(fr.ID) != nil {
			t.Fatalf("Decode(%q) accepted id %q", data, fr.ID)
		}
		// What the server sends back about the frame must encode.
		if _, err := json.Marshal(NewError(hubbub.Errorf("x", "y"), &fr)); err != nil {
			t.Fatal(err)
		}
	})
}

// A field of the wrong kind is named as the client sent it, with what it must hold: a bool
// is true or false and a list is a list, not "a string".
func TestBadFieldSaysWhatTheFieldHolds(t *testing.T) {
	for _, c := range []struct{ frame, want string }{
		{`{"type":"create","room":"r","private":"yes"}`, `field "private" must be true or false, not a string`},
		{`{"type":"dm","names":"bob"}`, `field "names" must be a list of strings, not a string`},
		{`{"type":"dm","names":[5]}`, `field "names" must be a list of strings, not a number`},
		{`{"type":"members","room":"r","after":-1}`, `field "after" must be a whole number ≥ 0, not -1`},
		{`{"type":"join","room":"r","since":1.5}`, `field "since" must be a whole number ≥ 0, not 1.5`},
		// A whole number the field refuses for how it is written or for its size is not
		// said not to be one.
		{`{"type":"join","room":"r","since":3.0}`, `field "since" must be a whole number ≥ 0 written in digits alone (3, not 3.0 or 3e0), not 3.0`},
		{`{"type":"join","room":"r","since":1e3}`, `field "since" must be a whole number ≥ 0 written in digits alone (3, not 3.0 or 3e0), not 1e3`},
		{`{"type":"history","room":"r","limit":1e+21}`, `field "limit" must be a whole number written in digits alone (3, not 3.0 or 3e0), not 1e+21`},
		{`{"type":"edit","room":"r","seq":2E1,"text":"x"}`, `field "seq" must be a whole number ≥ 0 written in digits alone (3, not 3.0 or 3e0), not 2E1`},
		{`{"type":"join","room":"r","since":1e30}`, `field "since" must be a whole number ≥ 0 of at most 18446744073709551615, written in digits alone, not 1e30`},
		{`{"type":"join","room":"r","since":99999999999999999999999}`, `field "since" must be a whole number ≥ 0 of at most 18446744073709551615, not 99999999999999999999999`},
		{`{"type":"send","room":"r","text":"x","reply_to":-3.0}`, `field "reply_to" must be a whole number ≥ 0, not -3.0`},
		// Seqs start at 1: a seq of 0 was sent, not missing.
		{`{"type":"edit","room":"r","seq":0,"text":"x"}`, `field "seq" must be the seq of a message, 1 or more, not 0`},
		{`{"type":"read","room":"r","seq":0}`, `field "seq" must be the seq of a message, 1 or more, not 0`},
	} {
		_, err := Decode([]byte(c.frame))
		if hubbub.ErrorCode(err) != hubbub.ECodeBadField || hubbub.ErrorMessage(err) != c.want {
			t.Errorf("%s: %v, want bad_field %q", c.frame, err, c.want)
		}
	}
}

// A dm with an empty list of names is told so: "dm needs a names field" sent its author
// looking for the field they wrote. The code stays missing_field, as without the field.
func TestEmptyNamesAreSaidToBeEmpty(t *testing.T) {
	_, err := Decode([]byte(`{"type":"dm","names":[]}`))
	if want := `field "names" of dm must name at least one person; it is empty`; hubbub.ErrorCode(err) != hubbub.ECodeMissing || err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("Decode(dm with names []) = %v, want missing_field %q", err, want)
	}
}

// A frame that gives a field twice — the same key, or two spellings encoding/json reads into
// one field whatever their case — is refused: the server would otherwise act on the last value,
// which the client may not have meant. A lone key in another case is still read, and repeated
// keys no field takes are ignored, as encoding/json ignores them.
func TestDecodeRefusesAFieldGivenTwice(t *testing.T) {
	for _, c := range []struct {
		in, code, text string
	}{
		{`{"type":"send","room":"r","text":"meant","text":"not meant"}`, hubbub.ECodeBadJSON, ""},
		{`{"type":"send","room":"r","text":"meant","Text":"not meant"}`, hubbub.ECodeBadJSON, ""},
		{`{"type":"send","room":"r","te\u0078t":"meant","text":"not meant"}`, hubbub.ECodeBadJSON, ""},
		{`{"type":"send","room":"r","text":"meant","ROOM":"s"}`, hubbub.ECodeBadJSON, ""},
		{`{"type":"join","room":"r","since":1,"since":2}`, hubbub.ECodeBadJSON, ""},
		{`{"type":"send","room":"r","Text":"shouted key"}`, "", "shouted key"},
		{`{"type":"send","room":"r","text":"x","extra":1,"EXTRA":[1,{"a":"}"}]}`, "", "x"},
		{`{"type":"send","room":"r","text":"q\"},\"text\":\"no","attachments":["f_1,\"text\"","f_2"]}`, "", `q"},"text":"no`},
		{`{"type":"send","room":"r","text":"x","reply_to":3}`, "", "x"},
	} {
		f, err := Decode([]byte(c.in))
		got := ""
		if err != nil {
			got = hubbub.ErrorCode(err)
		}
		if got != c.code {
			t.Errorf("%s: %v (code %q), want code %q", c.in, err, got, c.code)
			continue
		}
		if c.code == "" && (f.Text == nil || *f.Text != c.text) {
			t.Errorf("%s: text %v, want %q", c.in, f.Text, c.text)
		}
	}
}
