package postgres

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"hubbub"
)

// TestBatchOfFiles: users on two nodes send messages with files, resend some, delete every
// other one and try to take each other's files, at once, so that batches attach, refuse and
// drop files of many messages in one transaction. In the end every message carries exactly
// the files it was sent with (none once deleted), each kept file is attached to its message,
// the deleted messages' files are gone and collectable, and no file is attached twice.
func TestBatchOfFiles(t *testing.T) {
	u := emptySchemas.Schema(t)
	nodes := []*Store{openAt(t, u, Options{}), openAt(t, u, Options{})}
	ctx := t.Context()
	const users, rounds = 8, 6
	type sent struct {
		room    string
		seq     uint64
		files   []string
		deleted bool
	}
	var mu sync.Mutex
	var all []*sent
	var wg sync.WaitGroup
	for i := range users {
		s, user := nodes[i%2], fmt.Sprint("u", i)
		wg.Go(func() {
			var last *sent
			for j := range rounds {
				ids := []string{fmt.Sprintf("f_%d_%d_a", i, j), fmt.Sprintf("f_%d_%d_b", i, j)}
				for _, id := range ids {
					if _, err := s.CreateFile(ctx, hubbub.File{Attachment: hubbub.Attachment{ID: id, Name: id, Type: "text/plain", Size: 1},
						User: user, Bytes: 1}, 0); err != nil {
						t.Errorf("CreateFile: %v", err)
						return
					}
				}
				m := hubbub.Entry{Room: fmt.Sprint("r", i%3), From: user, Text: "x", ClientID: fmt.Sprint("c", j),
					Attachments: []hubbub.Attachment{{ID: ids[1]}, {ID: ids[0]}}}
				got, _, _, err := s.Append(ctx, &m)
				if err != nil {
					t.Errorf("Append: %v", err)
					return
				}
				again, _, outcome, err := s.Append(ctx, &m) // a resend: the first outcome
				dup := outcome == hubbub.Duplicate
				if err != nil || !dup || again.Seq != got.Seq || len(again.Attachments) != 2 {
					t.Errorf("resend: %+v, %v, %v", again, dup, err)
				}
				// Another's file of this round is not this user's to take.
				other := fmt.Sprintf("f_%d_%d_a", (i+1)%users, j)
				if _, _, _, err := s.Append(ctx, &hubbub.Entry{Room: m.Room, From: user, Text: "mine?",
					Attachments: []hubbub.Attachment{{ID: other}}}); hubbub.ErrorCode(err) != hubbub.ECodeNotFound {
					t.Errorf("taking %s: %v, want not_found", other, err)
				}
				if j%2 == 1 { // delete the one before
					if _, _, _, err := s.Append(ctx, &hubbub.Entry{Room: m.Room, From: user, Kind: hubbub.KindDelete, Target: last.seq}); err != nil {
						t.Errorf("delete: %v", err)
					}
					last.deleted = true
				}
				last = &sent{room: m.Room, seq: got.Seq, files: []string{ids[1], ids[0]}}
				mu.Lock()
				all = append(all, last)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	t.Logf("%d + %d batch transactions", nodes[0].w.batches.Load(), nodes[1].w.batches.Load())
	var gone []string
	for _, m := range all {
		room := m.room
		got := message(t, nodes[1], room, m.seq)
		if m.deleted {
			gone = append(gone, m.files...)
			if !got.Deleted || len(got.Attachments) != 0 {
				t.Errorf("deleted message %s/%d: %+v", room, m.seq, got)
			}
		} else if len(got.Attachments) != 2 || got.Attachments[0].ID != m.files[0] || got.Attachments[1].ID != m.files[1] {
			t.Errorf("message %s/%d carries %+v, want %v", room, m.seq, got.Attachments, m.files)
		}
		for _, id := range m.files {
			f, found, err := nodes[0].File(ctx, id)
			switch {
			case err != nil:
				t.Fatal(err)
			case m.deleted && found:
				t.Errorf("File(%s) of a deleted message: %+v", id, f)
			case !m.deleted && (!found || f.Room != room || f.Seq != m.seq):
				t.Errorf("File(%s) = %+v, %v; want attached to %s/%d", id, f, found, room, m.seq)
			}
		}
	}
	coll, err := nodes[0].Collectable(ctx, time.Now().Add(-time.Hour), 1000)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, f := range coll {
		ids = append(ids, f.ID)
	}
	slices.Sort(ids)
	slices.Sort(gone)
	if !slices.Equal(ids, gone) {
		t.Errorf("Collectable = %v, want the deleted messages' files %v", ids, gone)
	}
}
