package cluster_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"hubbub"
	"hubbub/internal/servertest"
	"hubbub/internal/testwait"
)

// A node that opens a room while another node appends to it delivers every seq exactly once:
// the room's first load and its live traffic agree on one boundary, so a join's replay never
// goes past the last_seq its joined frame reports and no replayed seq arrives again live.
// Every round joins on node 1 where nobody else is in the room, so each join loads the room
// afresh; half the rounds rejoin with since, as a reconnecting client does.
func TestRoomLoadUnderRemoteAppendsDeliversEachSeqOnce(t *testing.T) {
	c := startCluster(t, 2)
	loader, appender := c.nodes[0], c.nodes[1]
	const (
		room    = "busy"
		rounds  = 40 // loads of the room on the loader node
		senders = 4  // goroutines appending on the other node, as fast as the store takes them
		live    = 20 // live messages each round reads past its joined frame's last_seq
	)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	for s := 0; s < senders; s++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := 0; ctx.Err() == nil; k++ {
				// Errors only come from the end of the test (ctx cancelled); a round that
				// needed this message would time out waiting for it and say so.
				_, _, _ = appender.Hub.Send(ctx, &hubbub.Entry{Room: room, From: fmt.Sprint("sender", s), Text: fmt.Sprint(k)})
			}
		}()
	}
	testwait.Until(t, "the first messages stored", func() bool {
		last, err := appender.Store.LastSeq(ctx, room)
		return err == nil && last >= 100
	})

	var seen uint64 // the highest seq any round has read, for the next round's since
	var failed []string
	for round := 0; round < rounds; round++ {
		cl := servertest.DialJSON(t, loader, fmt.Sprint("reader", round))
		var since *uint64
		if round%2 == 1 {
			s := seen - 5
			since = &s
		}
		joined := cl.Join(room, since)
		if joined.Type() != "joined" {
			t.Fatalf("round %d: join answered %v", round, joined)
		}
		last, replay := joined.Num("last_seq"), joined.Num("replay")
		var prev uint64 // the seq of the message before, 0 before the first
		if since != nil {
			prev = *since
		}
		var wrong string // the first thing this round saw wrong
		// Read past last_seq by live messages; a seq that does not follow its predecessor
		// (repeated, or out of order) ends the round's reading early.
		for n := uint64(0); prev < last+live && wrong == ""; n++ {
			f := cl.Next()
			if f.Type() != "message" {
				n--
				continue
			}
			seq := f.Num("seq")
			switch {
			case n < replay && seq > last:
				wrong = fmt.Sprintf("replayed message %d of %d has seq %d above the joined frame's last_seq %d", n+1, replay, seq, last)
			case prev != 0 && seq != prev+1:
				wrong = fmt.Sprintf("message %d (replay %d, last_seq %d) has seq %d after seq %d", n+1, replay, last, seq, prev)
			}
			prev = max(prev, seq)
		}
		if wrong != "" {
			failed = append(failed, fmt.Sprintf("round %d (since %v): %s", round, since != nil, wrong))
		}
		seen = prev
		cl.Conn.Close()
		testwait.Until(t, "the loader node to drop the empty room", func() bool { return loader.Hub.Rooms() == 0 })
	}
	if len(failed) > 0 {
		t.Fatalf("%d of %d loads delivered a seq twice or replayed past last_seq:\n%s", len(failed), rounds, strings.Join(failed, "\n"))
	}
}
