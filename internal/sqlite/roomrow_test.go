package sqlite

import (
	"context"
	"fmt"
	"testing"

	"hubbub"
	"hubbub/internal/testwait"
)

// A plain message is numbered by an update of its room's row (bumpSeq, or plainNumberSQL for
// a group), which its room's first entry made (startLog): the rows changed are checked, so a
// row gone from under the writer — which cannot happen through the Store — fails the batch as
// a whole rather than leave the message stored without its numbering. The upserts they were
// made a new row instead, counting from 1 while the message took the seq after the one the
// writer held: the room's next entries were numbered again from 2.
func TestPlainMessageWhoseRoomRowIsGoneIsRefused(t *testing.T) {
	for _, c := range []struct {
		name string
		msgs int // 1: appendPlain and bumpSeq; 2: a group and plainNumberSQL
	}{{"alone", 1}, {"group", 2}} {
		t.Run(c.name, func(t *testing.T) {
			s, path := openTest(t, Options{})
			ctx := t.Context()
			room := "r-" + c.name
			if _, _, _, err := s.Append(ctx, &hubbub.Entry{Room: room, From: "alice", Text: "first"}); err != nil {
				t.Fatal(err)
			}
			release, first := blockWriter(t, s, path, "other")
			// A message of the room before the deletion, in the same batch, has the writer
			// hold the room's numbering (read from its row), as a busy room's writer does.
			held := queueInOrder(t, s, []hubbub.Entry{{Room: room, From: "alice", Text: "held"}})[0]
			gone := make(chan error, 1)
			go func() {
				_, err := s.batch(ctx, func(ctx context.Context, w *writer) (int64, error) {
					_, err := w.conn.ExecContext(ctx, `DELETE FROM rooms WHERE name = ?`, room)
					return 0, err
				})
				gone <- err
			}()
			testwait.Until(t, "the deletion queues", func() bool { return s.w.q.Len() == 2 })
			var ms []hubbub.Entry
			for i := range c.msgs {
				ms = append(ms, hubbub.Entry{Room: room, From: "alice", Text: fmt.Sprint("m", i)})
			}
			results := queueInOrder(t, s, ms)
			release()
			if res := <-first; res.err != nil {
				t.Fatal(res.err)
			}
			<-gone // rolled back with the batch, or done: the messages say which
			if res := <-held; res.err == nil {
				t.Errorf("the message before the deletion, in the batch that failed: stored at seq %d, want it rolled back with the batch", res.msg.Seq)
			}
			for i, ch := range results {
				if res := <-ch; res.err == nil {
					t.Errorf("message %d to a room whose row is gone: stored at seq %d, want it refused", i, res.msg.Seq)
				}
			}
			// The batch rolled back as a whole: the room is as it was, and numbers on from it.
			next, _, _, err := s.Append(ctx, &hubbub.Entry{Room: room, From: "alice", Text: "next"})
			if err != nil || next.Seq != 2 {
				t.Fatalf("the room's next message: %v, %v; want seq 2", next, err)
			}
			got, err := s.Since(ctx, room, 0, 10)
			if err != nil || len(got) != 2 || got[0].Text != "first" || got[1].Text != "next" {
				t.Errorf("the room holds %v, %v; want first and next", got, err)
			}
		})
	}
}
