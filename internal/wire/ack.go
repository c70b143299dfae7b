package wire

import "strconv"

// EncodeAck writes the bytes Encode(a) does, without encoding/json: every durable send is
// answered with an ack, and under issue 19's durable ingress (1,000 rooms × 10 senders, a
// send as soon as the last is acked) json.Marshal's reflection, the boxing of the frame into
// an interface and its scratch buffer were the ack's cost (docs/benchmarks/ingress.md). The
// frame is written into one buffer sized for it; a string that needs escaping goes through
// appendString's json.Marshal, so the bytes stay Encode's (TestEncodeAckIsEncode,
// FuzzEncodeAckIsEncode).
func EncodeAck(a *Ack) []byte {
	b := make([]byte, 0, len(`{"type":"","room":"","id":"","seq":,"msg_id":"","time":"","duplicate":false,"target":}`)+
		len(a.Type)+len(a.Room)+len(a.ID)+len(a.MsgID)+len(a.Time)+2*20)
	b = append(b, `{"type":`...)
	b = appendString(b, a.Type)
	b = append(b, `,"room":`...)
	b = appendString(b, a.Room)
	if a.ID != "" {
		b = append(b, `,"id":`...)
		b = appendString(b, a.ID)
	}
	b = append(b, `,"seq":`...)
	b = strconv.AppendUint(b, a.Seq, 10)
	b = append(b, `,"msg_id":`...)
	b = appendString(b, a.MsgID)
	b = append(b, `,"time":`...)
	b = appendString(b, a.Time)
	b = append(b, `,"duplicate":`...)
	b = strconv.AppendBool(b, a.Duplicate)
	if a.Target != 0 {
		b = append(b, `,"target":`...)
		b = strconv.AppendUint(b, a.Target, 10)
	}
	return append(b, '}')
}
