package nats

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"hubbub/internal/eventtest"
)

// fastDecodeSeeds are the bus's events as this version and the one before write them, and
// the JSON around them that only encoding/json reads right (which fastDecode must leave to
// it, not misread): escapes, odd spacing, keys in other cases, repeated keys, nulls,
// fractions, overflows, invalid UTF-8 and truncations.
func fastDecodeSeeds(t testing.TB) []string {
	var seeds []string
	for _, w := range previousWire {
		seeds = append(seeds, w)
	}
	for _, ev := range eventtest.Every("room.with.dots", "node-1") {
		data, err := encodeEvent(ev)
		if err != nil {
			t.Fatal(err)
		}
		seeds = append(seeds, string(data))
	}
	plain := `{"kind":1,"room":"r","message":{"room":"r","seq":7,"id":"i","client_id":"c","from":"f","user":"u","text":"hello","time":"2026-12-03T21:00:00.123Z"},"node":"n"}`
	seeds = append(seeds, plain,
		" \n\t"+strings.ReplaceAll(plain, ",", " ,\r\n ")+" \n",
		strings.ReplaceAll(plain, `"text":"hello"`, `"text":"a \"quoted\" \\ \u00e9 \ud83d\ude00 \/ line\nbreak"`),
		strings.ReplaceAll(plain, `"text":"hello"`, `"text":"\ud800 lone surrogate"`),
		strings.ReplaceAll(plain, `"text":"hello"`, "\"text\":\"bad \xff utf-8\""),
		strings.ReplaceAll(plain, `"text":"hello"`, "\"text\":\"raw\ncontrol\""),
		strings.ReplaceAll(plain, `"text":"hello"`, `"text":"bad \x escape"`),
		strings.ReplaceAll(plain, `"text":"hello"`, `"Text":"other case"`),
		strings.ReplaceAll(plain, `"text":"hello"`, `"te\u0078t":"escaped key"`),
		strings.ReplaceAll(plain, `"text":"hello"`, `"text":"one","text":"two"`),
		strings.ReplaceAll(plain, `"text":"hello"`, `"text":null`),
		strings.ReplaceAll(plain, `"seq":7`, `"seq":7.0`),
		strings.ReplaceAll(plain, `"seq":7`, `"seq":7e0`),
		strings.ReplaceAll(plain, `"seq":7`, `"seq":-7`),
		strings.ReplaceAll(plain, `"seq":7`, `"seq":07`),
		strings.ReplaceAll(plain, `"seq":7`, `"seq":18446744073709551616`),
		strings.ReplaceAll(plain, `"seq":7`, `"seq":"7"`),
		strings.ReplaceAll(plain, `"kind":1`, `"kind":256`),
		strings.ReplaceAll(plain, `"kind":1`, `"kind":1,"kind":10`),
		strings.ReplaceAll(plain, `"time":"2026-12-03T21:00:00.123Z"`, `"time":"2026-12-03T21:00:00+01:00"`),
		strings.ReplaceAll(plain, `"time":"2026-12-03T21:00:00.123Z"`, `"time":"2026-12-03 21:00:00Z"`),
		strings.ReplaceAll(plain, `"time":"2026-12-03T21:00:00.123Z"`, `"time":null`),
		strings.ReplaceAll(plain, `"node":"n"`, `"node":"n","message":{"seq":8}`),
		strings.ReplaceAll(plain, `"node":"n"`, `"node":"n","extra":{"a":[1,2]}`),
		strings.ReplaceAll(plain, `"user":"u"`, `"user":"u","bot":true,"mention_room":false,"count":3,"reply_count":0,"deleted":true`),
		strings.ReplaceAll(plain, `"user":"u"`, `"user":"u","bot":tru`),
		strings.ReplaceAll(plain, `"user":"u"`, `"user":"u","count":-1`),
		strings.ReplaceAll(plain, `"user":"u"`, `"user":"u","mentions":[]`),
		plain+"x", plain+"{}", plain[:len(plain)/2], plain[:len(plain)-1],
		`{"kind":5,"room":"r","names":[],"node":"n"}`,
		`{"kind":5,"room":"r","names":null,"node":"n"}`,
		`{"kind":5,"room":"r","names":["a","b"],"names":["c"],"node":"n"}`,
		`{"kind":5,"room":"r","names":["a",],"node":"n"}`,
		`{"kind":2,"room":"r","name":"Zoë","state":"away","node":"n"}`,
		partWire,
		strings.ReplaceAll(partWire, `"part":1`, `"part":-1`),
		strings.ReplaceAll(partWire, `"parts":3`, `"parts":2147483648`),
		strings.ReplaceAll(partWire, `"statement":7`, `"statement":18446744073709551616`),
		`{}`, `null`, `[]`, `""`, ``, `{"kind":1,}`, `{"kind":1 "room":"r"}`,
	)
	return seeds
}

// partWire is a part of a presence statement too large for one message (tagPresencePart), as
// splitStatement writes it.
const partWire = `{"kind":18,"room":"r","names":["a \u003c","b"],"away":["b"],"node":"n","statement":7,"part":1,"parts":3}`

// checkSame fails unless decodeWire reads data exactly as encoding/json does: the same
// wireEvent, or an error for both.
func checkSame(t *testing.T, data string) {
	t.Helper()
	var want wireEvent
	wantErr := json.Unmarshal([]byte(data), &want)
	var got wireEvent
	gotErr := decodeWire([]byte(data), &got)
	if (wantErr == nil) != (gotErr == nil) {
		t.Errorf("decodeWire(%q): err = %v, encoding/json's %v", data, gotErr, wantErr)
		return
	}
	if wantErr == nil && !reflect.DeepEqual(got, want) {
		t.Errorf("decodeWire(%q) =\n%#v\nencoding/json:\n%#v", data, got, want)
		if got.Message != nil && want.Message != nil {
			t.Errorf("entries:\n%#v\n%#v", *got.Message, *want.Message)
		}
	}
}

// TestFastDecodeMatchesJSON: whatever the bytes, the hand-written decoder gives what
// encoding/json gives, and takes the common events itself (or it would save nothing).
func TestFastDecodeMatchesJSON(t *testing.T) {
	for _, data := range fastDecodeSeeds(t) {
		checkSame(t, data)
	}
	// The traffic of the rooms scenario and of presence is read without encoding/json.
	for _, data := range []string{
		previousWire["MemberJoined"], previousWire["MemberLeft"], previousWire["MemberTyping"],
		previousWire["PresenceReported"], previousWire["EntryAppended"], previousWire["EntryAppended/delete"],
		previousWire["EntryAppended/reaction"], previousWire["EntryAppended/member"], partWire,
		`{"kind":1,"room":"r","message":{"room":"r","seq":7,"id":"i","from":"f","text":"a \"b\"","time":"2026-12-03T21:00:00.123Z"},"node":"n"}`,
	} {
		var w wireEvent
		if !fastDecode([]byte(data), &w) {
			t.Errorf("fastDecode(%s) left it to encoding/json", data)
		}
	}
}

// FuzzFastDecode: any input decodes as encoding/json decodes it.
func FuzzFastDecode(f *testing.F) {
	for _, s := range fastDecodeSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data string) { checkSame(t, data) })
}

// BenchmarkDecodeWire: one plain message from the bus, as every node reads it, by fastDecode
// and by encoding/json.
func BenchmarkDecodeWire(b *testing.B) {
	data := []byte(`{"kind":1,"room":"bench-17","message":{"room":"bench-17","seq":123456,"id":"01JABCDEFGHJKMNPQRSTVWXYZ","client_id":"c-5da94d66-17-3-99","from":"m-17-3","user":"u_m-17-3","text":"` +
		strings.Repeat("x", 100) + `","time":"2026-12-03T21:00:00.123Z"},"node":"node2"}`)
	for _, c := range []struct {
		name string
		dec  func([]byte, *wireEvent) error
	}{{"fast", decodeWire}, {"json", func(d []byte, w *wireEvent) error { return json.Unmarshal(d, w) }}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				var w wireEvent
				if err := c.dec(data, &w); err != nil || w.Message == nil {
					b.Fatal(err)
				}
			}
		})
	}
}
