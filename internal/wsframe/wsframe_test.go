package wsframe

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"strings"
	"testing"
	"unicode/utf8"
)

// clientFrame builds a masked client frame, as a browser would send it.
func clientFrame(fin bool, op byte, payload []byte, key [4]byte) []byte {
	b0 := op
	if fin {
		b0 |= 0x80
	}
	out := []byte{b0}
	switch n := len(payload); {
	case n <= 125:
		out = append(out, 0x80|byte(n))
	case n <= 0xFFFF:
		out = binary.BigEndian.AppendUint16(append(out, 0x80|126), uint16(n))
	default:
		out = binary.BigEndian.AppendUint64(append(out, 0x80|127), uint64(n))
	}
	out = append(out, key[:]...)
	for i, c := range payload {
		out = append(out, c^key[i%4])
	}
	return out
}

func TestParseRoundTrip(t *testing.T) {
	key := [4]byte{0x37, 0xfa, 0x21, 0x3d}
	for _, n := range []int{0, 1, 7, 8, 9, 125, 126, 127, 65535, 65536, 70000} {
		payload := bytes.Repeat([]byte("héllo"), n/6+1)[:n]
		wire := clientFrame(true, OpText, payload, key)
		// Every prefix is "need more"; the whole is one frame.
		for cut := 0; cut < len(wire); cut += max(1, len(wire)/50) {
			part := append([]byte(nil), wire[:cut]...)
			if _, used, _, err := Parse(part, 1<<20); used != 0 || err != nil {
				t.Fatalf("n=%d: a %d-byte prefix parsed as %d bytes, err %v", n, cut, used, err)
			}
		}
		buf := append(append([]byte(nil), wire...), 0x81) // and a byte of the next frame
		f, used, need, err := Parse(buf, 1<<20)
		if err != nil || used != len(wire) || need != len(wire) || !f.Fin || f.Op != OpText || !bytes.Equal(f.Payload, payload) {
			t.Fatalf("n=%d: got used %d need %d err %v fin %v op %d, payload equal %v", n, used, need, err, f.Fin, f.Op, bytes.Equal(f.Payload, payload))
		}
	}
}

func TestParseRefuses(t *testing.T) {
	key := [4]byte{1, 2, 3, 4}
	unmasked := []byte{0x81, 0x01, 'x'}
	long := binary.BigEndian.AppendUint64([]byte{0x81, 0x80 | 127}, 1<<63)
	for _, c := range []struct {
		name   string
		wire   []byte
		code   int
		reason string
	}{
		{"RSV1", append([]byte{0xC1}, clientFrame(true, OpText, []byte("x"), key)[1:]...), CloseProtocolError, "RSV1"},
		{"RSV2", append([]byte{0xA1}, clientFrame(true, OpText, []byte("x"), key)[1:]...), CloseProtocolError, "RSV2"},
		{"RSV3", append([]byte{0x91}, clientFrame(true, OpText, []byte("x"), key)[1:]...), CloseProtocolError, "RSV3"},
		{"opcode 3", clientFrame(true, 3, nil, key), CloseProtocolError, "bad opcode"},
		{"opcode 11", clientFrame(true, 11, nil, key), CloseProtocolError, "bad opcode"},
		{"unmasked", unmasked, CloseProtocolError, "bad MASK"},
		{"fragmented ping", clientFrame(false, OpPing, nil, key), CloseProtocolError, "FIN not set"},
		{"long ping", clientFrame(true, OpPing, make([]byte, 126), key), CloseProtocolError, "len > 125"},
		{"over the limit", clientFrame(true, OpText, make([]byte, 101), key), CloseMessageTooBig, "read limit"},
		{"64-bit length, top bit", long, CloseMessageTooBig, "read limit"},
	} {
		_, _, _, err := Parse(c.wire, 100)
		var fe *Error
		if !errors.As(err, &fe) || fe.Code != c.code || !strings.Contains(fe.Reason, c.reason) {
			t.Errorf("%s: got %v, want close %d %q", c.name, err, c.code, c.reason)
		}
	}
}

func TestAssembler(t *testing.T) {
	a := Assembler{Limit: 10}
	if op, msg, done, err := a.Add(Frame{Fin: true, Op: OpText, Payload: []byte("one")}); !done || err != nil || op != OpText || string(msg) != "one" {
		t.Fatalf("single frame: %d %q %v %v", op, msg, done, err)
	}
	if _, _, done, err := a.Add(Frame{Op: OpBinary, Payload: []byte("ab")}); done || err != nil {
		t.Fatalf("first fragment: done %v err %v", done, err)
	}
	if _, _, done, err := a.Add(Frame{Op: OpContinuation, Payload: []byte("cd")}); done || err != nil {
		t.Fatalf("middle fragment: done %v err %v", done, err)
	}
	op, msg, done, err := a.Add(Frame{Fin: true, Op: OpContinuation, Payload: []byte("ef")})
	if !done || err != nil || op != OpBinary || string(msg) != "abcdef" {
		t.Fatalf("last fragment: %d %q %v %v", op, msg, done, err)
	}
	for _, c := range []struct {
		name   string
		frames []Frame
		code   int
	}{
		{"continuation first", []Frame{{Fin: true, Op: OpContinuation}}, CloseProtocolError},
		{"new message inside one", []Frame{{Op: OpText, Payload: []byte("a")}, {Fin: true, Op: OpText}}, CloseProtocolError},
		{"fragments over the limit", []Frame{{Op: OpText, Payload: make([]byte, 6)}, {Fin: true, Op: OpContinuation, Payload: make([]byte, 6)}}, CloseMessageTooBig},
	} {
		a := Assembler{Limit: 10}
		var err error
		for _, f := range c.frames {
			if _, _, _, err = a.Add(f); err != nil {
				break
			}
		}
		var fe *Error
		if !errors.As(err, &fe) || fe.Code != c.code {
			t.Errorf("%s: got %v, want close %d", c.name, err, c.code)
		}
	}
}

func TestServerFrames(t *testing.T) {
	for _, n := range []int{0, 125, 126, 65535, 65536} {
		f := AppendFrame(nil, OpText, make([]byte, n))
		// A server frame is a client frame without the mask: parse it by adding a zero mask.
		hdr := len(f) - n
		masked := append(append(append([]byte{}, f[:hdr]...), 0, 0, 0, 0), f[hdr:]...)
		masked[1] |= 0x80
		g, used, _, err := Parse(masked, 1<<20)
		if err != nil || used != len(masked) || len(g.Payload) != n || !g.Fin || g.Op != OpText {
			t.Errorf("n=%d: header % x parsed as %d bytes, err %v", n, f[:hdr], used, err)
		}
	}
	if got := AppendClose(nil, 1001, "bye"); !bytes.Equal(got, []byte{0x88, 5, 0x03, 0xE9, 'b', 'y', 'e'}) {
		t.Errorf("close frame % x", got)
	}
	if got := AppendClose(nil, 1008, strings.Repeat("é", 100)); len(got) > 2+125 || !utf8.Valid(got[4:]) {
		t.Errorf("a long close reason gives a %d-byte frame, valid UTF-8 %v", len(got), utf8.Valid(got[4:]))
	}
}

// TestTrimCloseReason checks the cut at the 123-byte boundary: a character that would straddle
// it is dropped whole, never split.
func TestTrimCloseReason(t *testing.T) {
	for _, tc := range []struct {
		reason string
		want   int // bytes kept
	}{
		{"", 0},
		{strings.Repeat("a", 123), 123},
		{strings.Repeat("a", 124), 123},
		{strings.Repeat("a", 122) + "é", 122},       // é would take bytes 123 and 124
		{strings.Repeat("a", 121) + "é" + "b", 123}, // é ends exactly at 123
		{strings.Repeat("a", 121) + "€", 121},       // a 3-byte rune across the boundary
		{strings.Repeat("a", 120) + "😀", 120},       // a 4-byte rune across the boundary
		{strings.Repeat("é", 100), 122},
	} {
		got := TrimCloseReason(tc.reason)
		if len(got) != tc.want || !utf8.ValidString(got) || !strings.HasPrefix(tc.reason, got) {
			t.Errorf("TrimCloseReason(%d bytes) = %d bytes (valid UTF-8 %v), want %d", len(tc.reason), len(got), utf8.ValidString(got), tc.want)
		}
	}
}

func TestParseClose(t *testing.T) {
	if code, reason, err := ParseClose(binary.BigEndian.AppendUint16(nil, 4000)); code != 4000 || reason != "" || err != nil {
		t.Errorf("4000: %d %q %v", code, reason, err)
	}
	for _, code := range []uint16{1012, 1013, 1014} { // registered with IANA after RFC 6455
		if got, _, err := ParseClose(binary.BigEndian.AppendUint16(nil, code)); got != int(code) || err != nil {
			t.Errorf("%d: %d %v", code, got, err)
		}
	}
	if code, _, err := ParseClose(nil); code != 0 || err != nil {
		t.Errorf("empty: %d %v", code, err)
	}
	for _, p := range [][]byte{{3}, binary.BigEndian.AppendUint16(nil, 1005), binary.BigEndian.AppendUint16(nil, 999),
		binary.BigEndian.AppendUint16(nil, 1015), binary.BigEndian.AppendUint16(nil, 2999),
		append(binary.BigEndian.AppendUint16(nil, 1000), 0xff)} {
		if _, _, err := ParseClose(p); err == nil {
			t.Errorf("close payload % x accepted", p)
		}
	}
}

// FuzzParse feeds arbitrary bytes to the parser and the assembler: they never panic, never
// report more bytes than they were given, and a frame they accept re-encodes to the same
// payload.
// TestParseHugeLimit reads frames declaring lengths near 2^63 with a read limit that lets them
// through: the frame length plus the header must not overflow into a negative end (which
// panicked, ending the process, with --read-limit near MaxInt64).
func TestParseHugeLimit(t *testing.T) {
	for _, length := range []uint64{math.MaxInt64, math.MaxInt64 - 13, math.MaxInt64 - 14, math.MaxInt64 - 100, 1 << 62} {
		wire := binary.BigEndian.AppendUint64([]byte{0x81, 0x80 | 127}, length)
		wire = append(wire, 1, 2, 3, 4, 'x')
		for _, limit := range []int64{math.MaxInt64, math.MaxInt64 - 1, int64(length)} {
			_, n, need, err := Parse(wire, limit)
			var fe *Error
			switch {
			case err == nil && n == 0 && need > len(wire):
				// need more bytes: fine, the length fits an int
			case errors.As(err, &fe) && fe.Code == CloseMessageTooBig:
			default:
				t.Errorf("length %d, limit %d: got n %d need %d err %v; want need more or close 1009", length, limit, n, need, err)
			}
		}
	}
}

func FuzzParse(f *testing.F) {
	key := [4]byte{9, 8, 7, 6}
	f.Add(clientFrame(true, OpText, []byte("hello"), key), int64(1<<12))
	f.Add(append(clientFrame(false, OpText, []byte("he"), key), clientFrame(true, OpContinuation, []byte("llo"), key)...), int64(1<<12))
	f.Add(clientFrame(true, OpClose, binary.BigEndian.AppendUint16(nil, 1000), key), int64(1<<12))
	f.Add(binary.BigEndian.AppendUint64([]byte{0x81, 0xFF}, 1<<63), int64(1<<12))
	f.Add(append(binary.BigEndian.AppendUint64([]byte{0x81, 0xFF}, math.MaxInt64-13), 1, 2, 3, 4), int64(math.MaxInt64))
	// The read limit is fuzzed too: the server takes it from --read-limit.
	f.Fuzz(func(t *testing.T, data []byte, limit int64) {
		a := Assembler{Limit: limit}
		buf := append([]byte(nil), data...)
		for len(buf) > 0 {
			fr, n, need, err := Parse(buf, limit)
			if err != nil {
				return
			}
			if n == 0 {
				if need != 0 && need <= len(buf) {
					t.Fatalf("need %d with %d bytes at hand", need, len(buf))
				}
				return
			}
			if n > len(buf) || len(fr.Payload) > n {
				t.Fatalf("took %d of %d bytes, payload %d", n, len(buf), len(fr.Payload))
			}
			if fr.Op == OpClose {
				_, _, _ = ParseClose(fr.Payload)
			} else if !IsControl(fr.Op) {
				if _, _, _, err := a.Add(fr); err != nil {
					return
				}
			}
			buf = buf[n:]
		}
	})
}

// BenchmarkParse reads a 100-byte masked text frame, the size of a chat line: the cost per
// frame a server pays on the read side, with no allocation.
func BenchmarkParse(b *testing.B) {
	wire := clientFrame(true, OpText, bytes.Repeat([]byte("x"), 100), [4]byte{1, 2, 3, 4})
	buf := make([]byte, len(wire))
	b.ReportAllocs()
	b.SetBytes(int64(len(wire)))
	for b.Loop() {
		copy(buf, wire) // Parse unmasks in place
		if _, n, _, err := Parse(buf, 1<<20); n != len(wire) || err != nil {
			b.Fatal(n, err)
		}
	}
}

// BenchmarkAppendFrame frames a 200-byte payload, as a room does once per message and
// protocol.
func BenchmarkAppendFrame(b *testing.B) {
	payload := bytes.Repeat([]byte("x"), 200)
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendFrame(buf[:0], OpText, payload)
	}
}
