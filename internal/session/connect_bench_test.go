package session_test

import (
	"fmt"
	"testing"

	"hubbub/internal/servertest"
)

// BenchmarkConnectJoinCrowded is issue 19's connect + join, in one process: a guest dials,
// says hello and joins a room past --presence-limit (600 members already, 500 listed), hello
// and join in one round trip, and reads its welcome and joined frames. allocs/op counts the
// server's and the client's allocations together; the client's are the same in every version,
// so a change of the server shows in it even on a busy machine, where ns/op does not. Run:
//
//	go test -run XXX -bench ConnectJoinCrowded -benchtime 2000x -benchmem ./internal/session/
func BenchmarkConnectJoinCrowded(b *testing.B) {
	s := servertest.Start(b, servertest.Options{})
	for i := range 600 {
		c := servertest.DialJSON(b, s, "")
		c.Send(servertest.Frame{"type": "hello", "name": fmt.Sprintf("held-%d", i)})
		c.Send(servertest.Frame{"type": "join", "room": "crowd", "history": 1})
		c.Await("joined")
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		c := servertest.DialJSON(b, s, "")
		c.Send(servertest.Frame{"type": "hello", "name": fmt.Sprintf("guest-%d", i)})
		c.Send(servertest.Frame{"type": "join", "room": "crowd", "history": 1})
		c.Await("welcome")
		if j := c.Await("joined"); j.Type() != "joined" {
			b.Fatalf("join answered %v", j)
		}
		i++
	}
}
