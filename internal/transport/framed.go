package transport

import (
	"sync"

	"hubbub/internal/hub"
	"hubbub/internal/wsframe"
)

// framedCodec frames a protocol's payloads as complete WebSocket text frames, cached in the
// envelope like the payload itself, so a room's message is framed once for all its polled
// members. Its slot is the payload's, in the upper half of an envelope's cache.
type framedCodec struct {
	payload hub.Codec
	slot    int
}

// framedSlots is where framed codecs' slots begin: the lower half is the payloads'.
const framedSlots = hub.MaxCodecs / 2

var (
	framedMu sync.Mutex
	// framedCodecs holds the framed codec of each payload codec, made on first use, so a
	// connection's codec costs it no allocation of its own. Keyed by the payload codec's
	// value, not only its slot: servers of one process may configure a protocol's codec
	// differently (the files base of attachments' URLs), and each keeps its own.
	framedCodecs = map[hub.Codec]hub.Codec{}
)

// framed returns the codec that frames payload's frames for the wire. payload must be
// comparable (the session codecs are small structs).
func framed(payload hub.Codec) hub.Codec {
	framedMu.Lock()
	defer framedMu.Unlock()
	c, ok := framedCodecs[payload]
	if !ok {
		c = framedCodec{payload: payload, slot: payload.Slot() + framedSlots}
		framedCodecs[payload] = c
	}
	return c
}

// Slot implements hub.Codec.
func (w framedCodec) Slot() int { return w.slot }

// Encode implements hub.Codec: the payload's frame, framed.
func (w framedCodec) Encode(e *hub.Envelope) []byte {
	p := e.Frame(w.payload)
	if p == nil {
		return nil
	}
	return wsframe.AppendFrame(make([]byte, 0, len(p)+wsframe.MaxHeader), wsframe.OpText, p)
}
