package transport

import (
	"bytes"
	"encoding/binary"
	"net"
	"testing"
)

// maskedFrame is a client frame: FIN, opcode op, masked with a fixed key.
func maskedFrame(op byte, payload []byte) []byte {
	out := []byte{0x80 | op}
	switch n := len(payload); {
	case n <= 125:
		out = append(out, 0x80|byte(n))
	case n <= 0xffff:
		out = append(out, 0x80|126)
		out = binary.BigEndian.AppendUint16(out, uint16(n))
	default:
		out = append(out, 0x80|127)
		out = binary.BigEndian.AppendUint64(out, uint64(n))
	}
	key := [4]byte{0xA1, 0x5B, 0x3C, 0x0D}
	out = append(out, key[:]...)
	for i, c := range payload {
		out = append(out, c^key[i%4])
	}
	return out
}

// The reader rewrites the code of a close frame with 1014, and nothing else, however the
// bytes are cut into reads: text frames that carry the same bytes, of every length form, and
// other close codes pass untouched.
func TestCloseCodeReaderRewritesOnly1014(t *testing.T) {
	code := func(c uint16) []byte { return binary.BigEndian.AppendUint16(nil, c) }
	var stream []byte
	stream = append(stream, maskedFrame(0x1, code(1014))...)                               // text, not a close
	stream = append(stream, maskedFrame(0x9, nil)...)                                      // an empty ping
	stream = append(stream, maskedFrame(0x1, append(code(1014), make([]byte, 300)...))...) // 16-bit length
	stream = append(stream, maskedFrame(0x2, make([]byte, 70000))...)                      // 64-bit length
	closeAt := len(stream) + 6                                                             // the code's first byte
	stream = append(stream, maskedFrame(0x8, append(code(1014), "bye"...))...)

	want := bytes.Clone(stream)
	want[closeAt+1] = byte(1013&0xff) ^ 0x5B // the low byte, masked with the key's second byte

	for _, cut := range []int{1, 2, 3, 7, 64, 4096, len(stream)} {
		r := &closeCodeReader{}
		got := bytes.Clone(stream)
		for i := 0; i < len(got); i += cut {
			r.scan(got[i:min(i+cut, len(got))])
		}
		if !bytes.Equal(got, want) {
			for i := range got {
				if got[i] != want[i] {
					t.Fatalf("reads of %d bytes: byte %d is %#x, want %#x (the close code is at %d)", cut, i, got[i], want[i], closeAt)
				}
			}
		}
		if !r.rewrote.Load() || r.original(1013) != 1014 {
			t.Errorf("reads of %d bytes: the rewrite is not remembered", cut)
		}
	}

	for _, c := range []uint16{1000, 1013, 1015, 4014} {
		r := &closeCodeReader{}
		frame := maskedFrame(0x8, code(c))
		got := bytes.Clone(frame)
		r.scan(got)
		if !bytes.Equal(got, frame) || r.rewrote.Load() || r.original(int(c)) != int(c) {
			t.Errorf("close %d was changed", c)
		}
	}
}

// Reading through the reader rewrites what net.Conn's Read returns.
func TestCloseCodeReaderReads(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	r := &closeCodeReader{Conn: b}
	defer r.Close()
	go func() { _, _ = a.Write(maskedFrame(0x8, binary.BigEndian.AppendUint16(nil, 1014))) }()
	buf := make([]byte, 64)
	n, err := r.Read(buf)
	if err != nil || n != 8 {
		t.Fatalf("read %d bytes, %v", n, err)
	}
	key := [4]byte{0xA1, 0x5B, 0x3C, 0x0D}
	if got := int(buf[6]^key[0])<<8 | int(buf[7]^key[1]); got != 1013 {
		t.Errorf("gorilla would read close %d, want 1013", got)
	}
}
