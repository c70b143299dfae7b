package sqlite

import (
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"

	"hubbub"
	"hubbub/internal/storetest"
)

// BenchmarkAppend measures one appender waiting for each durable append: the latency of a
// commit, fsync included. Group commit cannot help a lone appender.
func BenchmarkAppend(b *testing.B) {
	s, _ := openTest(b, Options{})
	storetest.BenchmarkAppend(b, s, s.w.batches.Load)
}

// BenchmarkAppendParallel measures many concurrent appenders (16 per CPU, over 8 rooms, as
// a busy server would have), where group commit shares each fsync among a batch.
func BenchmarkAppendParallel(b *testing.B) {
	s, _ := openTest(b, Options{})
	storetest.BenchmarkAppendParallel(b, s, s.w.batches.Load)
}

// BenchmarkAppendNewRooms measures appends that are each the first message of a new room, 64
// appenders at once: the batches hold nothing else, and each goes through the savepoint path
// that numbers a room's first entry (appendPlain, startLog), where other plain messages are
// grouped (appendPlains). It is the worst case of that path, once in a room's life.
func BenchmarkAppendNewRooms(b *testing.B) {
	s, _ := openTest(b, Options{})
	var next atomic.Int64
	b.SetParallelism(64)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			room := fmt.Sprint("new-", next.Add(1))
			if _, _, _, err := s.Append(b.Context(), &hubbub.Entry{Room: room, From: "alice", Text: "a first message"}); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "appends/s")
	if n := s.w.batches.Load(); n > 0 {
		b.ReportMetric(float64(b.N)/float64(n), "appends/commit")
	}
}

// BenchmarkMyRooms measures a user's room list at connect, and one row of it: 50 rooms, each with 10,000
// messages from others after the user's read position (1 in 50 mentioning the user, 1 in
// 500 @room): unread reaches its cap in every room, and is counted without reading the
// messages (myRoomsSQL). The fixture is written straight into the file, as the appends would
// have left it (ords, counts, mentions rows), in one transaction per room rather than through
// half a million appends.
func BenchmarkMyRooms(b *testing.B) {
	const rooms, perRoom = 50, 10_000
	path := filepath.Join(b.TempDir(), "hubbub.db")
	s := openAt(b, path, Options{})
	ann := "u_ann"
	if err := s.Close(); err != nil {
		b.Fatal(err)
	}
	db := rawDB(b, path)
	for r := range rooms {
		room := fmt.Sprintf("room-%02d", r)
		tx, err := db.Begin()
		if err != nil {
			b.Fatal(err)
		}
		for _, q := range []string{
			`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?2)
			INSERT INTO messages (room, seq, id, sender, user_id, text, created_ms, mention_room, ord)
			SELECT ?1, i, 'id' || i, 'bob', 'u_bob', 'a message of about the length people write, say sixty bytes',
				1700000000000 + i, i % 500 = 0, i FROM n`,
			`INSERT INTO mentions (room, user_id, seq, sender)
			SELECT room, ?3, seq, user_id FROM messages WHERE room = ?1 AND seq % 50 = 0`,
			`INSERT INTO mentions (room, user_id, seq, sender)
			SELECT room, '', seq, user_id FROM messages WHERE room = ?1 AND mention_room = 1`,
			`INSERT INTO rooms (name, last_seq, msgs) VALUES (?1, ?2, ?2)`,
			`INSERT INTO room_meta (name, topic, created_ms, members) VALUES (?1, 'a topic', 1700000000000, 2)`,
			`INSERT INTO memberships (room, user_id, role, since_ms) VALUES (?1, ?3, 'member', 1700000000000)`,
		} {
			if _, err := tx.Exec(q, room, perRoom, ann); err != nil {
				b.Fatalf("%s: %v", q, err)
			}
		}
		if err := tx.Commit(); err != nil {
			b.Fatal(err)
		}
	}
	db.Close()
	s = openAt(b, path, Options{})
	ctx := b.Context()
	// The list, and one row of it (MyRoom: a DM opened again, a partner told of a rename),
	// which should cost one room of the list, not the list.
	b.Run("list", func(b *testing.B) {
		for b.Loop() {
			list, err := s.MyRooms(ctx, ann)
			if err != nil || len(list) != rooms || list[0].Unread != hubbub.MaxUnreadCount || list[0].Mentions != perRoom/50 {
				b.Fatalf("MyRooms = %d rooms (first %+v), %v", len(list), list[0], err)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/rooms, "µs/room")
	})
	b.Run("one", func(b *testing.B) {
		for b.Loop() {
			row, found, err := s.MyRoom(ctx, ann, "room-25")
			if err != nil || !found || row.Unread != hubbub.MaxUnreadCount || row.Mentions != perRoom/50 {
				b.Fatalf("MyRoom = %+v, %v, %v", row, found, err)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N), "µs/room")
	})
}

// BenchmarkAppendOutbox compares parallel appends with one webhook (each entry also written
// to the outbox) and with none, in one run.
func BenchmarkAppendOutbox(b *testing.B) {
	storetest.BenchmarkAppendOutbox(b, func(b *testing.B) (hubbub.Store, func() int64) {
		s, _ := openTest(b, Options{})
		return s, s.w.batches.Load
	})
}

// BenchmarkJoins measures joins of rooms that keep an owner (storetest.BenchmarkJoins): one
// after another through JoinRoom, and appended in parallel, group committed.
func BenchmarkJoins(b *testing.B) {
	storetest.BenchmarkJoins(b, func(b *testing.B) (hubbub.Store, func() int64) {
		s, _ := openTest(b, Options{})
		return s, s.w.batches.Load
	})
}

// BenchmarkInvites measures keyed invitations appended in parallel, group committed
// (storetest.BenchmarkInvites).
func BenchmarkInvites(b *testing.B) {
	storetest.BenchmarkInvites(b, func(b *testing.B) (hubbub.Store, func() int64) {
		s, _ := openTest(b, Options{})
		return s, s.w.batches.Load
	})
}

// BenchmarkPrivateUnlist compares the refused LeaveRoom of a private room with the read that
// replaces it in a kick (storetest.BenchmarkPrivateUnlist).
func BenchmarkPrivateUnlist(b *testing.B) {
	storetest.BenchmarkPrivateUnlist(b, func(b *testing.B) (hubbub.Store, func() int64) {
		s, _ := openTest(b, Options{})
		return s, nil
	})
}

// BenchmarkSanctionsPage measures a page of 100 of a room's 10,000 bans: the whole list read
// and cut, as before SanctionsPage, and the page read alone.
func BenchmarkSanctionsPage(b *testing.B) {
	storetest.BenchmarkSanctionsPage(b, func(b *testing.B) hubbub.Store { s, _ := openTest(b, Options{}); return s })
}
