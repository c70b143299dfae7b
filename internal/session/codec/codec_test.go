package codec_test

import (
	"testing"

	"hubbub/internal/eventtest"
	"hubbub/internal/hub"
	"hubbub/internal/session/codec"
)

// codecFrames is what each codec makes of each kind of event from eventtest.Every("r", "n"):
// the hubbub.v1 frame and the text-protocol line, "" for no frame. The entries were produced by
// the codecs as they were before the kinds became types, so the frames clients see are
// unchanged. A new kind has no entry and fails TestCodecsEncodeEveryKind until it is given one.
var codecFrames = map[string]struct{ json, text string }{
	"EntryAppended":     {`{"type":"message","room":"r","seq":9007199254740999,"id":"01JABCDEF-id","from":"Zoë 😀","text":"quotes \" backslash \\ \u003cb\u003e\u0026amp;\u003c/b\u003e line\u2028sep ünïcödé 漢字\nsecond line","time":"2026-02-03T04:05:06.123Z","client_id":"client-key-1","deleted":true}`, "Zoë 😀: quotes \" backslash \\ <b>&amp;</b> line\u2028sep ünïcödé 漢字 second line"},
	"MemberJoined":      {`{"type":"presence","room":"r","name":"Zoë 😀","event":"join"}`, ""},
	"MemberLeft":        {`{"type":"presence","room":"r","name":"bob","event":"leave"}`, ""},
	"MemberTyping":      {`{"type":"typing","room":"r","name":"carol"}`, ""},
	"PresenceReported":  {"", ""},
	"PresenceRequested": {"", ""},
	"MemberKicked":      {`{"type":"error","code":"kicked","message":"you were removed from room \"r\" by a moderator: spam \"quoted\"","room":"r"}`, "error: you were removed from room \"r\" by a moderator: spam \"quoted\""},
	"SanctionChanged":   {"", ""},

	// new in the room log
	"EntryAppended/reply":    {`REPLY`, "TREPLY"},
	"EntryAppended/edit":     {`EDIT`, "TEDIT"},
	"EntryAppended/delete":   {`DELETE`, "TDELETE"},
	"EntryAppended/reaction": {`REACTION`, "TREACTION"},
}

// Every kind of event gets the frame each codec is meant to give it, or none.
func TestCodecsEncodeEveryKind(t *testing.T) {
	evs := eventtest.Every("r", "n")
	eventtest.CheckEvery(t, evs)
	for _, ev := range evs {
		kind := eventtest.Name(ev)
		want, ok := codecFrames[kind]
		if !ok {
			t.Errorf("%s: no expected frames: add it to codecFrames", kind)
			continue
		}
		for _, c := range []struct {
			codec hub.Codec
			want  string
		}{{codec.JSONCodec{}, want.json}, {codec.TextCodec{}, want.text}} {
			got := c.codec.Encode(&hub.Envelope{Event: ev})
			switch {
			case c.want == "" && got != nil:
				t.Errorf("%T encodes %s as %q, want no frame", c.codec, kind, got)
			case c.want != "" && string(got) != c.want:
				t.Errorf("%T encodes %s as\n%s\nwant\n%s", c.codec, kind, got, c.want)
			}
		}
	}
}
