package transport

import (
	"net"
	"sync/atomic"
)

// closeCodeReader passes the bytes a client sends to gorilla/websocket unchanged but for one
// thing. gorilla v1.5.3 predates the IANA registration of close code 1014 (Bad Gateway) and
// refuses a close frame carrying it with 1002 before any hook of ours runs, where the polled
// transport (internal/wsframe) accepts it like every registered code. So the reader follows
// the frame headers going by and, in a client's close frame with code 1014, changes the code's
// low byte so that gorilla reads 1013 (Try Again Later, which it knows) and remembers that it
// did: original then gives gorilla's 1013 back as 1014, for the close handler's answer and
// the logs. Only the low byte is changed, because the high byte (3 in both) may already have
// gone to gorilla in an earlier read.
//
// gorilla reads through it as long as it reads from the hijacked connection, that is with a
// ReadBufferSize set (the server always sets one); it is used by the goroutine transport only.
type closeCodeReader struct {
	net.Conn
	rewrote atomic.Bool // a close code 1014 went to gorilla as 1013

	// Only Read touches what follows (gorilla reads from one goroutine).
	hdr     [14]byte // the current frame's header, as far as read
	hdrLen  int      // header bytes read
	hdrNeed int      // the header's full length, once its second byte is known; 0 before
	left    uint64   // payload bytes of the current frame still to come; 0 while in a header
	pos     uint64   // payload bytes of the current frame seen
	isClose bool     // the current frame is a close frame
	codeHi  byte     // the unmasked high byte of a close frame's code
	lost    bool     // the stream stopped making sense to us (gorilla will refuse it): stop looking
}

// Close codes closeCodeReader translates.
const (
	codeBadGateway    = 1014
	codeTryAgainLater = 1013
)

// Read implements net.Conn.
func (r *closeCodeReader) Read(p []byte) (int, error) {
	n, err := r.Conn.Read(p)
	if n > 0 && !r.lost {
		r.scan(p[:n])
	}
	return n, err
}

// original maps a close code gorilla read back to the one the client sent.
func (r *closeCodeReader) original(code int) int {
	if code == codeTryAgainLater && r != nil && r.rewrote.Load() {
		return codeBadGateway
	}
	return code
}

// scan follows b through frame headers and payloads, rewriting a close code 1014 in place.
func (r *closeCodeReader) scan(b []byte) {
	for len(b) > 0 && !r.lost {
		if r.left == 0 { // in a header
			r.hdr[r.hdrLen] = b[0]
			r.hdrLen++
			b = b[1:]
			if r.hdrLen == 2 {
				if r.hdr[1]&0x80 == 0 { // unmasked: gorilla closes the connection with 1002
					r.lost = true
					return
				}
				r.hdrNeed = 2 + 4
				switch r.hdr[1] & 0x7f {
				case 126:
					r.hdrNeed += 2
				case 127:
					r.hdrNeed += 8
				}
			}
			if r.hdrLen < 2 || r.hdrLen < r.hdrNeed {
				continue
			}
			r.startPayload()
			continue
		}
		if r.isClose && r.pos < 2 {
			mask := r.hdr[r.hdrNeed-4 : r.hdrNeed]
			plain := b[0] ^ mask[r.pos]
			if r.pos == 0 {
				r.codeHi = plain
			} else if int(r.codeHi)<<8|int(plain) == codeBadGateway {
				b[0] = byte(codeTryAgainLater&0xff) ^ mask[1]
				r.rewrote.Store(true)
			}
			r.pos++
			r.left--
			b = b[1:]
		} else {
			k := min(r.left, uint64(len(b)))
			r.pos += k
			r.left -= k
			b = b[k:]
		}
		if r.left == 0 {
			r.hdrLen, r.hdrNeed = 0, 0
		}
	}
}

// startPayload reads the length and kind of a frame whose header is complete.
func (r *closeCodeReader) startPayload() {
	var n uint64
	switch l := r.hdr[1] & 0x7f; l {
	case 126:
		n = uint64(r.hdr[2])<<8 | uint64(r.hdr[3])
	case 127:
		for _, c := range r.hdr[2:10] {
			n = n<<8 | uint64(c)
		}
	default:
		n = uint64(l)
	}
	r.isClose, r.pos, r.left = r.hdr[0]&0x0f == 0x8, 0, n
	if n == 0 { // an empty frame: the next header begins
		r.hdrLen, r.hdrNeed = 0, 0
	}
}
