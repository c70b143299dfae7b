package wire

import (
	"encoding/json"
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
		{`{"type":"join","room":"r","since":-1}`, "join", hubbub.ECodeBadJSON},
		{`{"type":1}`, "", hubbub.ECodeBadJSON},
		{``, "", hubbub.ECodeBadJSON},
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
		if f.Type != tc.typ && tc.code != hubbub.ECodeBadJSON {
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
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fr, err := Decode(data)
		if err != nil {
			switch hubbub.ErrorCode(err) {
			case hubbub.ECodeBadJSON, hubbub.ECodeUnknownType, hubbub.ECodeMissing, hubbub.ECodeBadID:
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
		if hubbub.ValidateClientID(fr.ID) != nil {
			t.Fatalf("Decode(%q) accepted id %q", data, fr.ID)
		}
		// What the server sends back about the frame must encode.
		if _, err := json.Marshal(NewError(hubbub.Errorf("x", "y"), &fr)); err != nil {
			t.Fatal(err)
		}
	})
}
