package server_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"hubbub/internal/server"
	"hubbub/internal/servertest"
	"hubbub/internal/sqlite"
	"hubbub/internal/testwait"
)

// A send the store holds must have been acked to its sender before the 1001 close: shutdown
// lets the appends in flight finish and queues their acks ahead of the close frame (issue 14,
// item 8). Several clients send as fast as the server acks while it shuts down; afterwards the
// store, opened again, is compared with what each client was acked.
//
// Each client keeps a window of sends unacked, so that the server always has sends to store
// when shutdown begins, but no more: writers that ran ahead unbounded filled the sockets'
// buffers with tens of thousands of sends, and on a starved CPU encoding them took the time
// the server needed to ack the first few (it failed at load 45 with "16 acks within 10s").
func TestShutdownAcksEveryStoredSend(t *testing.T) {
	const (
		clients     = 6
		room        = "flood"
		ackedBefore = 20     // acks each client has before the shutdown starts
		window      = 32     // sends a client has written but not yet had answered, at most
		maxSends    = 200000 // bounds a writer if the server never closes
	)
	s := servertest.Start(t, servertest.Options{Server: server.Config{SendRate: 1e6, SendBurst: 1 << 20}})

	type sender struct {
		name   string
		conn   *websocket.Conn
		acks   atomic.Int64
		acked  map[string]bool // client ids acked before the close frame; the reader's until done
		closed *websocket.CloseError
		err    error
		done   chan struct{}
		credit chan struct{} // one per send the writer may write before the next answer
	}
	senders := make([]*sender, clients)
	for i := range senders {
		name := fmt.Sprintf("sender%d", i)
		c := servertest.DialJSON(t, s, name)
		c.Join(room, nil)
		senders[i] = &sender{name: name, conn: c.Conn, acked: map[string]bool{}, done: make(chan struct{}),
			credit: make(chan struct{}, window)}
		for range window {
			senders[i].credit <- struct{}{}
		}
	}
	var writers sync.WaitGroup
	for _, sd := range senders {
		stop := make(chan struct{})
		writers.Add(1)
		go func() { // writes sends, window ahead of their acks, until the server closes
			defer writers.Done()
			for n := range maxSends {
				select {
				case <-stop:
					return
				case <-sd.credit:
				}
				_ = sd.conn.SetWriteDeadline(time.Now().Add(servertest.Wait))
				f := map[string]any{"type": "send", "room": room, "id": fmt.Sprintf("%s-%d", sd.name, n), "text": "x"}
				if sd.conn.WriteJSON(f) != nil {
					return
				}
			}
		}()
		go func() { // reads acks until the close frame
			defer close(sd.done)
			defer close(stop)
			for {
				// Each frame within Wait: the acks come as long as the writer sends, and the
				// close frame once shutdown begins.
				_ = sd.conn.SetReadDeadline(time.Now().Add(servertest.Wait))
				_, data, err := sd.conn.ReadMessage()
				if err != nil {
					if !errors.As(err, &sd.closed) {
						sd.err = err
					}
					return
				}
				var f struct{ Type, ID string }
				if err := json.Unmarshal(data, &f); err != nil {
					sd.err = fmt.Errorf("server sent %q: %w", data, err)
					return
				}
				if f.Type == "ack" {
					sd.acked[f.ID] = true
					sd.acks.Add(1)
				}
				if (f.Type == "ack" || f.Type == "error") && f.ID != "" {
					select { // the send is answered: room for one more
					case sd.credit <- struct{}{}:
					default:
					}
				}
			}
		}()
	}
	for _, sd := range senders {
		testwait.Until(t, fmt.Sprintf("%s's first %d acks before shutting down", sd.name, ackedBefore), func() bool {
			return sd.acks.Load() >= ackedBefore
		})
	}

	s.Stop() // Shutdown, then the store is closed
	for _, sd := range senders {
		<-sd.done
	}
	writers.Wait()

	store, err := sqlite.Open(s.Opts.DataPath, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	stored, err := store.Since(context.Background(), room, 0, clients*maxSends)
	if err != nil {
		t.Fatal(err)
	}
	unacked := map[string][]string{}
	for _, m := range stored {
		name, _, _ := strings.Cut(m.ClientID, "-")
		for _, sd := range senders {
			if sd.name == name && !sd.acked[m.ClientID] {
				unacked[name] = append(unacked[name], m.ClientID)
			}
		}
	}
	total := 0
	for _, sd := range senders {
		if sd.err != nil || sd.closed == nil || sd.closed.Code != websocket.CloseGoingAway {
			t.Errorf("%s: ended with close %v, error %v; want close 1001", sd.name, sd.closed, sd.err)
		}
		total += len(sd.acked)
		if ids := unacked[sd.name]; len(ids) > 0 {
			t.Errorf("%s: %d sends stored but never acked before the close: %v", sd.name, len(ids), ids)
		}
	}
	t.Logf("%d sends stored, %d acked, over %d clients", len(stored), total, clients)
}
