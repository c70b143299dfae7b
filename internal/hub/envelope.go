package hub

import (
	"sync"

	"hubbub"
)

// Codec turns envelopes into frames for one wire protocol. The hub calls Encode at most once per
// envelope and codec slot, however many members receive it, so a room's message is encoded once
// per protocol, not once per member.
type Codec interface {
	// Slot is the codec's index in an envelope's cache: 0 ≤ Slot < MaxCodecs, one per protocol.
	Slot() int
	// Encode returns the frame payload for e, or nil if this protocol does not show e (the text
	// protocol shows only messages).
	Encode(e *Envelope) []byte
}

// MaxCodecs is how many encodings an envelope caches: a payload per protocol, and the same
// framed for the wire by the server's polled transport.
const MaxCodecs = 4

// Envelope is one event on its way to members' outboxes, with its encodings cached.
type Envelope struct {
	// Event is what happened in the room.
	Event hubbub.Event
	// Raw, when set, is a frame for a single connection (a reply such as an ack or an error);
	// codecs are not consulted.
	Raw []byte
	// Replay marks a message replayed to one joining member: history, not a live delivery, so
	// writers leave it out of hubbub_delivery_latency_seconds.
	Replay bool
	// Reactions, when set, is a burst of consecutive reaction entries of the room (log order,
	// gap-free), sent to members as one frame instead of one frame each: a popular message
	// in a large room would otherwise cost a frame per reaction per member. Event is then the
	// last of them. Set by the room's reaction batching, never by the broker.
	Reactions []*hubbub.Entry
	// live, when set, is the room's envelope a replay copies: the copy uses its frames, so a
	// message members got live is not encoded again to be replayed.
	live *Envelope
	// more, when set, is what follows Raw in the frame (NewRawParts).
	more *rawMore

	frames [MaxCodecs]struct {
		once sync.Once
		b    []byte
	}
}

// NewRaw returns an envelope that carries a frame already encoded for one connection.
func NewRaw(frame []byte) *Envelope { return &Envelope{Raw: frame} }

// rawMore is the rest of a frame in parts: shared, then tail, after the envelope's Raw.
type rawMore struct {
	shared, tail []byte
	once         sync.Once
	whole        []byte // the frame in one piece, made by Frame for writers that want one
}

// NewRawParts returns an envelope that carries, for one connection, the frame head + shared +
// tail. shared is bytes other envelopes hold too and nobody changes (a crowded room's member
// list, 6 KB that every join into the room repeats): a writer that appends the frame to its
// own buffer (AppendRaw) copies it from there, so a join does not first copy it into a frame
// of its own (docs/benchmarks/reconnect-storm.md, "Connect + join: less garbage per
// client"). Raw is head; RawLen and AppendRaw give the whole frame, and so does Frame.
func NewRawParts(head, shared, tail []byte) *Envelope {
	if head == nil {
		head = []byte{} // Raw set: the envelope is a raw one whatever its parts
	}
	return &Envelope{Raw: head, more: &rawMore{shared: shared, tail: tail}}
}

// RawLen is the length of a raw envelope's frame, all its parts.
func (e *Envelope) RawLen() int {
	if e.more == nil {
		return len(e.Raw)
	}
	return len(e.Raw) + len(e.more.shared) + len(e.more.tail)
}

// AppendRaw appends a raw envelope's frame, all its parts, to b.
func (e *Envelope) AppendRaw(b []byte) []byte {
	b = append(b, e.Raw...)
	if e.more != nil {
		b = append(append(b, e.more.shared...), e.more.tail...)
	}
	return b
}

// Frame returns e's payload for codec c, encoding it on first use. A raw envelope in parts is
// joined into one piece on first use.
func (e *Envelope) Frame(c Codec) []byte {
	if e.Raw != nil {
		if m := e.more; m != nil {
			m.once.Do(func() { m.whole = e.AppendRaw(make([]byte, 0, e.RawLen())) })
			return m.whole
		}
		return e.Raw
	}
	if e.live != nil {
		return e.live.Frame(c)
	}
	f := &e.frames[c.Slot()]
	f.once.Do(func() { f.b = c.Encode(e) })
	return f.b
}

// replayOf returns es as a join's replay, marked Replay: the ring's envelopes are shared with
// every member who got them live, so the replay is copies that share their frames (made in
// one allocation, under the room's lock).
func replayOf(es []*Envelope) []*Envelope {
	copies := make([]Envelope, len(es))
	out := make([]*Envelope, len(es))
	for i, e := range es {
		copies[i].Event, copies[i].Replay, copies[i].live = e.Event, true, e
		out[i] = &copies[i]
	}
	return out
}
