package server

import (
	"hubbub/internal/hub"
	"hubbub/internal/session/codec"
	"hubbub/internal/wsframe"
)

// payloadCodecs are the wire protocols' codecs, by slot: hubbub.v1's JSON and the text lines.
var payloadCodecs = []hub.Codec{codec.JSONCodec{}, codec.TextCodec{}}

// wireCodec frames a protocol's payloads as complete WebSocket text frames, cached in the
// envelope like the payload itself, so a room's message is framed once for all its polled
// members.
type wireCodec struct {
	payload hub.Codec
	slot    int
}

// wireCodecs maps a payload codec's slot to its wire codec.
var wireCodecs = func() map[int]hub.Codec {
	m := map[int]hub.Codec{}
	for _, c := range payloadCodecs {
		m[c.Slot()] = wireCodec{payload: c, slot: c.Slot() + len(payloadCodecs)}
	}
	return m
}()

func (w wireCodec) Slot() int { return w.slot }

func (w wireCodec) Encode(e *hub.Envelope) []byte {
	p := e.Frame(w.payload)
	if p == nil {
		return nil
	}
	return wsframe.AppendFrame(make([]byte, 0, len(p)+wsframe.MaxHeader), wsframe.OpText, p)
}
