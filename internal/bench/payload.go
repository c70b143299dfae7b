package bench

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"strconv"
)

// A payload is the text of every message the generator sends:
//
//	#hb<run>.<step>.<sender>.<seq>.<unix nanos>.xxxx…
//
// padded with 'x' to the configured size. It is printable ASCII without quotes, backslashes,
// '<', '>' or '&', so every target carries it unchanged (hubbub's cleaning, JSON escaping,
// Centrifugo's JSON data), and a receiver finds it with one bytes.Index per message, whatever
// frame wraps it: a hubbub.v1 message, a "name: text" line among several, or a Centrifugo push.
// The run id keeps messages of earlier runs (replayed from history) out of the counts.
type payload struct {
	step   int
	sender int
	seq    uint64
	ts     int64 // time.Now().UnixNano() just before the write
}

// payloadCodec writes and finds the payloads of one run.
type payloadCodec struct {
	run    string // 8 hex digits
	marker []byte // "#hb" + run + "."
}

// payloadPrefix starts every bench payload, of any run.
var payloadPrefix = []byte("#hb")

func newPayloadCodec() payloadCodec {
	var b [4]byte
	_, _ = rand.Read(b[:]) // never fails on Linux
	run := hex.EncodeToString(b[:])
	return payloadCodec{run: run, marker: []byte("#hb" + run + ".")}
}

// appendPayload appends a payload padded to size bytes (longer if the fields need more).
func (p *payloadCodec) appendPayload(dst []byte, pl payload, size int) []byte {
	start := len(dst)
	dst = append(dst, p.marker...)
	dst = strconv.AppendInt(dst, int64(pl.step), 10)
	dst = append(dst, '.')
	dst = strconv.AppendInt(dst, int64(pl.sender), 10)
	dst = append(dst, '.')
	dst = strconv.AppendUint(dst, pl.seq, 10)
	dst = append(dst, '.')
	dst = strconv.AppendInt(dst, pl.ts, 10)
	dst = append(dst, '.')
	for len(dst)-start < size {
		dst = append(dst, 'x')
	}
	return dst
}

// scan calls fn for every payload of this run in frame, in order, and returns how many it
// found and how many payloads of other runs it skipped.
func (p *payloadCodec) scan(frame []byte, fn func(payload)) (found, foreign int) {
	for {
		i := bytes.Index(frame, payloadPrefix)
		if i < 0 {
			return found, foreign
		}
		frame = frame[i:]
		if !bytes.HasPrefix(frame, p.marker) {
			foreign++
			frame = frame[len(payloadPrefix):]
			continue
		}
		frame = frame[len(p.marker):]
		var pl payload
		var ok bool
		var v uint64
		if v, frame, ok = field(frame); !ok {
			continue
		}
		pl.step = int(v)
		if v, frame, ok = field(frame); !ok {
			continue
		}
		pl.sender = int(v)
		if pl.seq, frame, ok = field(frame); !ok {
			continue
		}
		if v, frame, ok = field(frame); !ok {
			continue
		}
		pl.ts = int64(v)
		found++
		fn(pl)
	}
}

// field parses a decimal number ended by '.' and returns it with the rest after the dot.
func field(b []byte) (uint64, []byte, bool) {
	var v uint64
	for i := 0; i < len(b) && i < 20; i++ {
		c := b[i]
		if c == '.' {
			return v, b[i+1:], i > 0
		}
		if c < '0' || c > '9' {
			return 0, b[i:], false
		}
		v = v*10 + uint64(c-'0')
	}
	return 0, b, false
}
