//go:build linux

package transport

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"hubbub/internal/hub"
	"hubbub/internal/metrics"
	"hubbub/internal/testwait"
)

// recordingSession is a text session that hands every message it is given to a channel.
type recordingSession struct{ got chan []byte }

// silentCodec shows no event: the tests of the reader send the client nothing.
type silentCodec struct{}

func (silentCodec) Slot() int                   { return 0 }
func (silentCodec) Encode(*hub.Envelope) []byte { return nil }

func (s recordingSession) Codec() hub.Codec { return silentCodec{} }
func (s recordingSession) Coalesce() bool   { return true }
func (s recordingSession) Handle(data []byte) {
	select {
	case s.got <- bytes.Clone(data):
	default:
	}
}
func (s recordingSession) End()                   {}
func (s recordingSession) User() (string, string) { return "", "" }

// polledConfig is the configuration startPolled serves: read limit limit, and heartbeats too
// rare to matter.
func polledConfig(limit int64) Config {
	return Config{
		HandshakeTimeout: testwait.Timeout, ReadBufferSize: 4096, WriteBufferSize: 4096,
		Poll: true, Flushers: 1, PingPeriod: time.Hour, PongWait: 2 * time.Hour, WriteWait: testwait.Timeout,
		ReadLimit: limit, SendQueue: 16,
		CheckOrigin: func(*http.Request) bool { return true },
		Refused: func(w http.ResponseWriter, _ *http.Request, status int, reason error) {
			http.Error(w, reason.Error(), status)
		},
		Label:  func(string) (string, metrics.Protocol) { return "text", metrics.ProtoText },
		Logger: slog.New(slog.DiscardHandler),
	}
}

// startPolled serves a polled transport with read limit limit on a real socket: every
// upgraded connection gets a recordingSession on got and is sent on conns. The transport and
// its connections end with the test.
func startPolled(t *testing.T, limit int64, got chan []byte) (addr string, conns chan *polledConn) {
	t.Helper()
	return startPolledWith(t, polledConfig(limit), got)
}

// startPolledWith is startPolled serving cfg.
func startPolledWith(t *testing.T, cfg Config, got chan []byte) (addr string, conns chan *polledConn) {
	t.Helper()
	tr := New(cfg)
	if tr.poller == nil {
		t.Skip("no poller on this system")
	}
	var (
		live sync.WaitGroup
		mu   sync.Mutex
		all  []Conn
	)
	conns = make(chan *polledConn, 100)
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		n := uint64(len(all) + 1)
		mu.Unlock()
		c, err := tr.Upgrade(w, r, n)
		if err != nil {
			return
		}
		pc, ok := c.(*polledConn)
		if !ok {
			t.Errorf("connection %d is not polled", n)
			c.Abort()
			return
		}
		mu.Lock()
		all = append(all, c)
		mu.Unlock()
		live.Add(1)
		c.Attach(recordingSession{got: got}, live.Done)
		c.Start()
		conns <- pc
	}))
	t.Cleanup(func() {
		hs.Close()
		mu.Lock()
		for _, c := range all {
			c.Abort()
		}
		mu.Unlock()
		live.Wait()
		tr.Close()
	})
	return hs.Listener.Addr().String(), conns
}

// upgradeRaw opens a TCP connection to addr and completes a WebSocket handshake on it by hand.
func upgradeRaw(t *testing.T, addr string) net.Conn {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	req := "GET / HTTP/1.1\r\nHost: " + addr + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
	if _, err := io.WriteString(nc, req); err != nil {
		t.Fatal(err)
	}
	_ = nc.SetReadDeadline(time.Now().Add(testwait.Timeout))
	resp, err := http.ReadResponse(bufio.NewReaderSize(nc, 16), nil) // the server sends nothing after it
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("handshake: %s", resp.Status)
	}
	return nc
}

// maskedHeader is the header of a final, masked text frame declaring n payload bytes, in the
// 64-bit length form, with the mask key 0 (so the payload goes as it is).
func maskedHeader(n uint64) []byte {
	h := []byte{0x80 | 0x1, 0x80 | 127}
	h = binary.BigEndian.AppendUint64(h, n)
	return append(h, 0, 0, 0, 0)
}

// heldBy waits until the reader of c has taken want bytes (bounded by testwait.Timeout) and
// returns how many bytes its buffer holds room for. It owns the reader's state while it looks,
// as finish does, so no reader runs meanwhile.
func heldBy(t *testing.T, c *polledConn, want int) int {
	t.Helper()
	p := c.polled
	deadline := time.Now().Add(testwait.Timeout)
	for {
		if p.reading.CompareAndSwap(false, true) {
			n, held := len(p.in), cap(p.in)
			p.reading.Store(false)
			if n == want {
				return held
			}
			if n > want {
				t.Fatalf("reader holds %d bytes, more than the %d sent", n, want)
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the reader did not take the %d bytes sent within %v", want, testwait.Timeout)
		}
		time.Sleep(time.Millisecond)
	}
}

// A client that declares a frame of the read limit and sends only its header and a few bytes
// makes the polled reader hold about what it sent, not what it declared (issue 14, item 6),
// however many such clients there are at once; a frame sent whole afterwards still arrives
// whole, the buffer having grown with it.
func TestPolledReaderHoldsWhatArrivesNotWhatIsDeclared(t *testing.T) {
	const (
		limit    = 16 << 20 // the most --read-limit allows
		clients  = 20
		sent     = 100      // payload bytes each client sends of the limit it declares
		perConn  = 64 << 10 // what one reader may hold for them: a read chunk and a bit
		fullSize = 1 << 20  // the frame one client then sends whole
	)
	got := make(chan []byte, 1)
	addr, conns := startPolled(t, limit, got)
	raws := make([]net.Conn, clients)
	polledConns := make([]*polledConn, clients)
	for i := range raws {
		raws[i] = upgradeRaw(t, addr)
		polledConns[i] = <-conns
	}
	partial := append(maskedHeader(limit), bytes.Repeat([]byte("x"), sent)...)
	for _, nc := range raws {
		if _, err := nc.Write(partial); err != nil {
			t.Fatal(err)
		}
	}
	total := 0
	for i, c := range polledConns {
		held := heldBy(t, c, len(partial))
		if held > perConn {
			t.Errorf("client %d sent %d bytes of a %d-byte frame: its reader holds %d bytes, want at most %d",
				i, len(partial), limit, held, perConn)
		}
		total += held
	}
	t.Logf("%d clients declaring %d bytes each and sending %d: readers hold %d bytes in all", clients, limit, len(partial), total)

	// Another client sends a frame of fullSize in pieces: it is handled whole.
	nc := upgradeRaw(t, addr)
	<-conns
	frame := append(maskedHeader(fullSize), bytes.Repeat([]byte("y"), fullSize)...)
	for piece := range slices.Chunk(frame, 100000) {
		if _, err := nc.Write(piece); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case msg := <-got:
		if len(msg) != fullSize || strings.Trim(string(msg), "y") != "" {
			t.Fatalf("the %d-byte frame arrived as %d bytes", fullSize, len(msg))
		}
	case <-time.After(testwait.Timeout):
		t.Fatalf("the %d-byte frame sent in pieces was not handled within %v", fullSize, testwait.Timeout)
	}
}
