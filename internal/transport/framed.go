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
	// framedCodecs holds one framed codec per payload slot, made on first use, so a
	// connection's codec costs it no allocation of its own.
	framedCodecs [framedSlots]hub.Codec
)

// framed returns the codec that frames payload's frames for the wire.
func framed(payload hub.Codec) hub.Codec {
	framedMu.Lock()
	defer framedMu.Unlock()
	slot := payload.Slot()
	if framedCodecs[slot] == nil {
		framedCodecs[slot] = framedCodec{payload: payload, slot: slot + framedSlots}
	}
	return framedCodecs[slot]
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
