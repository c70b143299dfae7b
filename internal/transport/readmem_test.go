package transport_test

import (
	"bytes"
	"net"
	"runtime"
	"testing"

	"hubbub/internal/server"
	"hubbub/internal/servertest"
)

// Clients that declare frames of the read limit and send only their headers and a few bytes
// make the server allocate about what they sent, not what they declared (issue 14, item 6), on
// either transport. Each client then ends its side of the socket, so the server reads the end
// right after those bytes and closes the connection: what it allocated for them is counted by
// then (runtime.MemStats.TotalAlloc counts every allocation, so no garbage collection or timing
// can hide one).
func TestDeclaredFrameLengthsCostNoMemory(t *testing.T) {
	const (
		limit   = server.MaxReadLimit
		clients = 16
		sent    = 100 // payload bytes each client sends of the limit it declares
	)
	s := servertest.Start(t, servertest.Options{Server: server.Config{ReadLimit: limit}})
	raws := make([]*rawClient, clients)
	for i := range raws {
		raws[i] = dialRaw(t, s, "")
	}
	servertest.WaitConns(t, s, clients)
	// The header, the mask key and the first bytes of the frame.
	partial := rawFrame{op: opText, payload: bytes.Repeat([]byte("x"), sent), declared: limit}.bytes()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for _, rc := range raws {
		if _, err := rc.c.Write(partial); err != nil {
			t.Fatal(err)
		}
	}
	for _, rc := range raws {
		if err := rc.c.(*net.TCPConn).CloseWrite(); err != nil {
			t.Fatal(err)
		}
	}
	servertest.WaitConns(t, s, 0)
	runtime.ReadMemStats(&after)
	allocated := after.TotalAlloc - before.TotalAlloc
	declared := uint64(clients * limit)
	t.Logf("%d clients declared %d bytes each and sent %d: %d bytes allocated meanwhile", clients, limit, len(partial), allocated)
	if allocated > declared/4 {
		t.Errorf("%d clients declared %d bytes in all and sent %d: the process allocated %d bytes meanwhile, want under %d",
			clients, declared, clients*len(partial), allocated, declared/4)
	}
}
