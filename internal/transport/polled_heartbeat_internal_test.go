//go:build linux

package transport

import (
	"bytes"
	"io"
	"testing"
	"time"

	"hubbub/internal/testwait"
	"hubbub/internal/wsframe"
)

// A heartbeat due at once (a short --ping-period, or any on a machine busy enough that the
// goroutine starting the connection waits past it) comes while Start is still setting the
// connection up: onHeartbeat resets the heartbeat timer, which must be there by then. It was
// stored from AfterFunc's result outside the heartbeat's lock, so a heartbeat that came first
// found no timer (a nil pointer), and under -race the unordered write and read are reported.
func TestPolledHeartbeatDueAsItStartsFindsItsTimer(t *testing.T) {
	cfg := polledConfig(1 << 20)
	cfg.PingPeriod = time.Nanosecond
	addr, conns := startPolledWith(t, cfg, make(chan []byte, 1))
	ping := wsframe.AppendHeader(nil, wsframe.OpPing, 0)
	for range 50 {
		nc := upgradeRaw(t, addr)
		c := <-conns
		// The first heartbeat has run once its ping arrives.
		got := make([]byte, len(ping))
		_ = nc.SetReadDeadline(time.Now().Add(testwait.Timeout))
		if _, err := io.ReadFull(nc, got); err != nil {
			t.Fatalf("no ping from a connection pinging every nanosecond: %v", err)
		}
		if !bytes.Equal(got, ping) {
			t.Fatalf("the connection's first frame is % x, want a ping (% x)", got, ping)
		}
		nc.Close()
		c.finish("test over") // waits for its writer: no heartbeat is left running
	}
}
