package transport

import (
	"testing"
	"time"

	"hubbub/internal/hub"
)

// A connection closed as its writer starts (a shutdown or a kick the moment it connects)
// ends its writer cleanly. The outbox's close can wake a write pump as soon as the wake
// function is set; that pump stops the ping timer as it ends, so the timer must be there
// first. CI crashed on a nil timer so (the server's tests on the goroutine transport), and
// under -race the unordered write and read of the timer are reported.
func TestWriterStartingAsItsConnectionClosesEnds(t *testing.T) {
	for range 500 {
		c := &goroutineConn{base: &base{cfg: &Config{PingPeriod: time.Hour}, out: hub.NewOutbox(8, nil)}}
		closed := make(chan struct{})
		go func() {
			defer close(closed)
			c.closeWith(0, "", false) // code 0: no close frame to write, so no socket needed
		}()
		c.startWriter(nil, false)
		<-closed
		select {
		case <-c.writerDone.wait():
		case <-time.After(10 * time.Second):
			t.Fatal("the writer never ended after its connection closed")
		}
		c.ping.Stop()
	}
}
