package wire

import (
	"encoding/json"
	"reflect"
	"testing"
)

// allFlatKeys has every key decodeFlat takes, so that a tag renamed in ClientFrame shows.
const allFlatKeys = `{"type":"x","room":"r","id":"i","text":"t","name":"n","key":"k","token":"o","reason":"e","emoji":"m","role":"l","query":"y","level":"v","q":"q","args":"a"}`

// flatSeeds are frames on both sides of decodeFlat's line: what clients send, and what only
// json.Unmarshal may read (escapes, other spellings of a key, repeated keys, other kinds of
// value, invalid UTF-8, trailing data).
var flatSeeds = []string{
	`{"type":"send","room":"general","id":"c-1","text":"yes!"}`,
	`{ "type" : "send" ,	"room":"r", "text":"héllo ☃ 𝄞" }`,
	`{"type":"hello","name":"ann","key":"k"}`, `{"type":"hello","token":"a.b.c"}`,
	`{"type":"react","room":"r","seq":3,"emoji":"👍"}`, `{"type":"ping","id":"x"}`, `{}`, `{ }`,
	`{"type":"send","room":"r","text":""}`, `{"type":"send","room":"r","text":"a\"b"}`,
	`{"type":"send","room":"r","text":"\u00e9"}`, `{"type":"send","room":"r","text":"a` + "\x01" + `"}`,
	`{"type":"send","room":"r","text":"` + "\xff" + `"}`, `{"Type":"send","room":"r","text":"x"}`,
	`{"type":"send","type":"ping"}`, `{"type":"send","text":null}`, `{"type":"send","extra":"x"}`,
	`{"type":"send","room":"r"} x`, `{"type":"send","room":"r"}}`, `{"type":"send",}`, `{"type":"send"`,
	`{"type":"send" "room":"r"}`, `{"type":"send","room":"r","reply_to":4}`, `{"type":"dm","names":["a"]}`,
	`{"type":"send","room":"r","text":"x","attachments":["f1"]}`, `{"type":"join","room":"r","since":null}`,
	allFlatKeys,
	`{"type":"notify","room":"r","level":"all"}`, `{"type":"search","q":"x"}`, `{"type":"command","name":"me","args":"waves"}`,
}

// TestDecodeFlatIsJSON: every frame decodeFlat takes decodes to what json.Unmarshal gives,
// and what it does not take is left zero for json.Unmarshal; a send as clients write it is
// taken.
func TestDecodeFlatIsJSON(t *testing.T) {
	for _, s := range flatSeeds {
		checkFlat(t, []byte(s))
	}
	var f ClientFrame
	if !decodeFlat([]byte(flatSeeds[0]), &f) || f.Type != TypeSend || f.Room != "general" || f.ID != "c-1" || f.Text == nil || *f.Text != "yes!" {
		t.Errorf("a plain send was not decoded by decodeFlat: %+v", f)
	}
	if !decodeFlat([]byte(allFlatKeys), new(ClientFrame)) {
		t.Errorf("decodeFlat refused %s", allFlatKeys)
	}
}

// FuzzDecodeFlatIsJSON holds decodeFlat to json.Unmarshal on any input.
func FuzzDecodeFlatIsJSON(f *testing.F) {
	for _, s := range flatSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(checkFlat)
}

func checkFlat(t *testing.T, b []byte) {
	var flat ClientFrame
	if !decodeFlat(b, &flat) {
		if !reflect.DeepEqual(flat, ClientFrame{}) {
			t.Fatalf("decodeFlat(%q) refused the frame but left %+v", b, flat)
		}
		return
	}
	var want ClientFrame
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatalf("decodeFlat(%q) took a frame json.Unmarshal refuses: %v", b, err)
	}
	if !reflect.DeepEqual(flat, want) {
		t.Fatalf("decodeFlat(%q) = %+v, json.Unmarshal gives %+v", b, flat, want)
	}
}
