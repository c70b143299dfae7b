//go:build linux

package transport

import (
	"fmt"
	"testing"
	"time"

	"hubbub"
	"hubbub/internal/hub"
	"hubbub/internal/session/codec"
)

// payloadCodecs are the wire protocols' codecs, by slot: hubbub.v1's JSON and the text lines.
var payloadCodecs = []hub.Codec{codec.JSONCodec{}, codec.TextCodec{}}

// BenchmarkEncodeMessage encodes and frames one room message for hubbub.v1: what a room pays
// once per message, however many members receive it.
func BenchmarkEncodeMessage(b *testing.B) {
	wire := framed(payloadCodecs[0])
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		e := &hub.Envelope{Event: hubbub.Event{Room: "lobby", Body: hubbub.EntryAppended{Entry: &hubbub.Entry{
			Room: "lobby", Seq: uint64(i), ID: "01JDXYZ", From: "ann", Text: "hello everyone in the room", Time: time.Now()}}}}
		if e.Frame(wire) == nil {
			b.Fatal("no frame")
		}
	}
}

// BenchmarkAppendFrames builds one member's write from a batch of queued messages already
// framed: what the flusher pays per member and batch, with no allocation.
func BenchmarkAppendFrames(b *testing.B) {
	for _, n := range []int{1, 10} {
		b.Run(fmt.Sprintf("batch=%d", n), func(b *testing.B) {
			for _, codec := range payloadCodecs {
				coalesce := codec.Slot() == payloadCodecs[1].Slot()
				wire := codec // coalesced text is joined from payloads, as polledConn.Attach sets it
				if !coalesce {
					wire = framed(codec)
				}
				batch := make([]*hub.Envelope, n)
				for i := range batch {
					batch[i] = &hub.Envelope{Event: hubbub.Event{Room: "lobby", Body: hubbub.EntryAppended{Entry: &hubbub.Entry{
						Room: "lobby", Seq: uint64(i + 1), ID: "01JDXYZ", From: "ann", Text: "hello everyone in the room", Time: time.Now()}}}}
					batch[i].Frame(wire)
				}
				buf := make([]byte, 0, 4096)
				b.Run(map[bool]string{false: "json", true: "text"}[coalesce], func(b *testing.B) {
					b.ReportAllocs()
					for b.Loop() {
						buf = appendFrames(buf[:0], batch, wire, coalesce)
					}
				})
			}
		})
	}
}
