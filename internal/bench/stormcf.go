package bench

import "bytes"

// onCentrifugoFrame reads what a storm run needs from a frame of Centrifugo replies and pushes,
// one JSON object per line: a publication's offset (the stream position the next subscribe
// recovers from), and the reply to one of the client's publish commands, which is the send's
// ack. A subscribe reply is read by the handshake, not here.
func (st *stormState) onCentrifugoFrame(c *client, frame []byte) {
	for line := range bytes.SplitSeq(frame, []byte{'\n'}) {
		switch {
		case bytes.HasPrefix(line, cfPush):
			if off, ok := jsonUint(line, `"offset":`); ok && off > c.storm.roomSeq.Load() {
				c.storm.roomSeq.Store(off)
			}
		case bytes.HasPrefix(line, cfReplyID):
			id, ok := jsonUint(line, `{"id":`)
			if !ok || id > 1<<32-1 {
				continue
			}
			c.storm.pmu.Lock()
			seq, mine := c.storm.pending[uint32(id)]
			delete(c.storm.pending, uint32(id))
			c.storm.pmu.Unlock()
			if !mine || !bytes.Contains(line, cfPublishResult) || seq < c.storm.firstSeq.Load() {
				continue // not a measured send's, or refused (control counts the error)
			}
			st.mu.Lock()
			st.acked[msgKey{c.storm.roomIdx, c.sidx, seq}] = struct{}{}
			st.mu.Unlock()
		}
	}
}

// Centrifugo's JSON framing, as its server writes it (no spaces).
var (
	cfPush          = []byte(`{"push":`)
	cfReplyID       = []byte(`{"id":`)
	cfPublishResult = []byte(`"publish":`)
)
