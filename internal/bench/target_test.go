package bench

import (
	"bytes"
	"testing"

	"hubbub/internal/wire"
)

// The hubbub driver writes its sends by hand; they must be exactly what wire encodes for the
// same SendRequest, so a field renamed or added in wire cannot leave the generator behind.
func TestHubbubSendIsAWireSendRequest(t *testing.T) {
	r := &runner{codec: newPayloadCodec()}
	c := &client{r: r, idx: 7, room: "bench-3", seq: 42}
	text := r.codec.appendPayload(nil, payload{step: 1, sender: 2, seq: 42, ts: 1}, 64)
	got := hubbubDriver{}.appendSend(nil, c, text)
	want := wire.Encode(wire.SendRequest{Type: wire.TypeSend, Room: "bench-3", ID: r.codec.run + "-7-42", Text: string(text)})
	if !bytes.Equal(got, want) {
		t.Errorf("appendSend wrote\n%s\nwire encodes\n%s", got, want)
	}
	if f, err := wire.Decode(got); err != nil || f.Type != wire.TypeSend || f.Text == nil || *f.Text != string(text) {
		t.Errorf("the server decodes %s as %+v, %v", got, f, err)
	}
}
