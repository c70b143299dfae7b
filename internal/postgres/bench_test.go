package postgres

import (
	"fmt"
	"strconv"
	"sync/atomic"
	"testing"

	"hubbub"
	"hubbub/internal/storetest"
)

// BenchmarkAppend measures one appender waiting for each durable append: the latency of a
// batch transaction (two round trips, BEGIN with the reads and the writes with COMMIT, and a
// WAL flush). Group commit cannot help a lone appender.
func BenchmarkAppend(b *testing.B) {
	s, _ := openNew(b, Options{})
	storetest.BenchmarkAppend(b, s, s.w.batches.Load)
}

// BenchmarkAppendParallel measures many concurrent appenders (16 per CPU, over 8 rooms, as
// a busy server would have), where group commit shares each transaction among a batch.
func BenchmarkAppendParallel(b *testing.B) {
	s, _ := openNew(b, Options{})
	storetest.BenchmarkAppendParallel(b, s, s.w.batches.Load)
}

// BenchmarkReactParallel measures a burst of reactions on one message (16 appenders per CPU,
// each a user toggling their reaction): every toggle reads and changes the same message row
// under one room lock, so this is what group commit saves when a room reacts at once.
func BenchmarkReactParallel(b *testing.B) {
	s, _ := openNew(b, Options{})
	m, _, _, err := s.Append(b.Context(), &hubbub.Entry{Room: "bench", From: "alice", Text: "react to me"})
	if err != nil {
		b.Fatal(err)
	}
	var next atomic.Int64
	b.ReportAllocs()
	b.SetParallelism(16)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		e := hubbub.Entry{Room: "bench", From: fmt.Sprint("user", next.Add(1)), Kind: hubbub.KindReaction, Target: m.Seq, Emoji: "👍"}
		for i := 0; pb.Next(); i++ {
			e.ClientID = strconv.Itoa(i)
			if _, _, _, err := s.Append(b.Context(), &e); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "reactions/s")
	b.ReportMetric(float64(b.N)/float64(s.w.batches.Load()), "reactions/commit")
}

// BenchmarkMyRooms measures a user's room list at connect: 50 rooms, each with 10,000
// messages from others after the user's read position (1 in 50 mentioning the user, 1 in 500
// @room), so that unread reaches its cap in every room and is counted without reading the
// messages (selectMyRooms). The fixture is written straight into the tables, as the appends
// would have left them (message numbers, mentioned rows, member counts), one statement per
// table rather than half a million appends.
func BenchmarkMyRooms(b *testing.B) {
	const rooms, perRoom = 50, 10_000
	s, u := openNew(b, Options{})
	ann := "u_ann"
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{`INSERT INTO rooms (name, last_seq, last_message_no, topic, created, members)
			SELECT format('room-%s', r), $2::bigint, $2::bigint, 'a topic', '2026-01-01', 2 FROM generate_series(1, $1::int) AS r`,
			[]any{rooms, perRoom}},
		{`INSERT INTO messages (room, seq, id, sender, user_id, text, created_at, mention_room, message_no)
			SELECT format('room-%s', r), i, format('id-%s-%s', r, i), 'bob', 'u_bob',
				'a message of about the length people write, say sixty bytes',
				'2026-01-01'::timestamptz + i * interval '1 ms', i % 500 = 0, i
			FROM generate_series(1, $1::int) AS r, generate_series(1, $2::int) AS i`,
			[]any{rooms, perRoom}},
		{`INSERT INTO mentioned (room, seq, user_id, sender)
			SELECT room, seq, $1, user_id FROM messages WHERE seq % 50 = 0
			UNION ALL SELECT room, seq, '', user_id FROM messages WHERE mention_room`,
			[]any{ann}},
		{`INSERT INTO memberships (room, user_id, role, since)
			SELECT format('room-%s', r), u, 'member', '2026-01-01'
			FROM generate_series(1, $1::int) AS r, unnest(ARRAY[$2, 'u_bob']) AS u`,
			[]any{rooms, ann}},
	} {
		adminExec(b, u, q.sql, q.args...)
	}
	ctx := b.Context()
	run := func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			list, err := s.MyRooms(ctx, ann)
			if err != nil || len(list) != rooms || list[0].Unread != hubbub.MaxUnreadCount || list[0].Mentions != perRoom/50 {
				b.Fatalf("MyRooms = %d rooms (%+.1v), %v", len(list), list, err)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/rooms, "µs/room")
	}
	// Fresh: as the appends leave the rows, before autovacuum has analyzed the tables or
	// marked their pages all-visible (so the index-only scans of mentioned visit the heap).
	b.Run("fresh", run)
	// Vacuumed: as autovacuum leaves them, later.
	adminExec(b, u, `VACUUM ANALYZE messages, mentioned, memberships, rooms, read_positions`)
	b.Run("vacuumed", run)
	// One row of the list (MyRoom: a DM opened again, a partner told of a rename), which
	// should cost one room of the list, not the list.
	b.Run("one", func(b *testing.B) {
		b.ReportAllocs()
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
// to the outbox, in the batch's transaction) and with none, in one run.
func BenchmarkAppendOutbox(b *testing.B) {
	storetest.BenchmarkAppendOutbox(b, func(b *testing.B) (hubbub.Store, func() int64) {
		s, _ := openNew(b, Options{})
		return s, s.w.batches.Load
	})
}

// BenchmarkJoins measures joins of rooms that keep an owner (storetest.BenchmarkJoins): one
// after another through JoinRoom, and appended in parallel, group committed.
func BenchmarkJoins(b *testing.B) {
	storetest.BenchmarkJoins(b, func(b *testing.B) (hubbub.Store, func() int64) {
		s, _ := openNew(b, Options{})
		return s, s.w.batches.Load
	})
}

// BenchmarkInvites measures keyed invitations appended in parallel, group committed
// (storetest.BenchmarkInvites).
func BenchmarkInvites(b *testing.B) {
	storetest.BenchmarkInvites(b, func(b *testing.B) (hubbub.Store, func() int64) {
		s, _ := openNew(b, Options{})
		return s, s.w.batches.Load
	})
}

// BenchmarkPrivateUnlist compares the refused LeaveRoom of a private room with the read that
// replaces it in a kick (storetest.BenchmarkPrivateUnlist).
func BenchmarkPrivateUnlist(b *testing.B) {
	storetest.BenchmarkPrivateUnlist(b, func(b *testing.B) (hubbub.Store, func() int64) {
		s, _ := openNew(b, Options{})
		return s, nil
	})
}

// BenchmarkSanctionsPage measures a page of 100 of a room's 10,000 bans: the whole list read
// and cut, as before SanctionsPage, and the page read alone.
func BenchmarkSanctionsPage(b *testing.B) {
	storetest.BenchmarkSanctionsPage(b, func(b *testing.B) hubbub.Store { s, _ := openNew(b, Options{}); return s })
}
