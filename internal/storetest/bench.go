package storetest

import (
	"fmt"
	"strconv"
	"sync/atomic"
	"testing"

	"hubbub"
)

// benchMessage is the message the append benchmarks store: a typical line of chat.
const benchMessage = "hello, this is a typical chat message"

// BenchmarkAppend measures one appender waiting for each append of s to return, one after
// the other: the latency of one durable commit, which group commit cannot shorten. s must
// be open and is left open. commits, if not nil, returns how many batch transactions s has
// committed so far; the benchmark then reports appends/commit as well as appends/s. The
// benchmark fails b at the first error.
func BenchmarkAppend(b *testing.B, s hubbub.Store, commits func() int64) {
	m := hubbub.Entry{Room: "bench", From: "alice", Text: benchMessage}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, _, err := appendValue(b.Context(), s, m); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	reportAppends(b, commits)
}

// BenchmarkAppendParallel measures many concurrent appenders on s (16 per CPU, over 8
// rooms, as a busy server would have, each message with a client id as hubbub.v1's are),
// where group commit shares each commit among a batch. s, commits and the figures reported are as for BenchmarkAppend; an appender stops
// at its first error, which fails b.
func BenchmarkAppendParallel(b *testing.B, s hubbub.Store, commits func() int64) {
	var next atomic.Int64
	b.ReportAllocs()
	b.SetParallelism(16)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		g := next.Add(1)
		m := hubbub.Entry{Room: fmt.Sprint("room", g%8), From: fmt.Sprint("user", g), Text: benchMessage}
		for i := 0; pb.Next(); i++ {
			m.ClientID = strconv.Itoa(i) // as hubbub.v1 sends carry: each append checks for a resend
			if _, _, err := appendValue(b.Context(), s, m); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	reportAppends(b, commits)
}

// reportAppends adds throughput and, if commits is set, the mean batch size to the
// benchmark's figures.
func reportAppends(b *testing.B, commits func() int64) { reportAppendsOf(b, commits, "append") }

// reportAppendsOf is reportAppends for b.N appends of unit (join, invite).
func reportAppendsOf(b *testing.B, commits func() int64, unit string) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), unit+"s/s")
	if commits == nil {
		return
	}
	if n := commits(); n > 0 {
		b.ReportMetric(float64(b.N)/float64(n), unit+"s/commit")
	}
}

// BenchmarkAppendOutbox compares the cost of an append when one webhook follows every room
// (every entry is also written to the outbox, in its transaction), when one webhook follows
// no room the appends go to (no event is written: the batch reads the webhooks and decides),
// and with none, in one run: sub-benchmarks "hook", "unfollowed" and "nohook", alternated
// because a busy machine drifts, each on a fresh store from open (which also returns the
// store's batch counter, or nil), each BenchmarkAppendCost. The outbox is not fanned out
// meanwhile: what is measured is the append's own work.
func BenchmarkAppendOutbox(b *testing.B, open func(b *testing.B) (hubbub.Store, func() int64)) {
	for range 3 {
		for _, rooms := range [][]string{nil, {"*"}, {"elsewhere"}} {
			name := "nohook"
			switch {
			case len(rooms) == 0:
			case rooms[0] == "*":
				name = "hook"
			default:
				name = "unfollowed"
			}
			b.Run(name, func(b *testing.B) {
				s, commits := open(b)
				if len(rooms) > 0 {
					if _, err := s.CreateWebhook(b.Context(), hubbub.Webhook{URL: "https://example.com/hook", Rooms: rooms,
						Events: []hubbub.HookEvent{hubbub.HookMessage}}); err != nil {
						b.Fatal(err)
					}
				}
				BenchmarkAppendCost(b, s, commits)
			})
		}
	}
}

// BenchmarkJoins measures joins of rooms that keep an owner and have one, as the rooms people
// create do: each join asks whether it makes the joiner the room's owner (sqlstore.KeepOwner),
// and a store answers from what it reads of the room in the join's transaction. Each
// sub-benchmark runs on a fresh store from open (which also returns the store's batch counter,
// or nil), its rooms created with an owner, a moderator and ten members:
//   - "JoinRoom": one user after another joins a public room (RoomStore.JoinRoom, a write of
//     its own each): the latency of a join;
//   - "Append": joins appended as KindMember entries by 16 appenders per CPU over 8 rooms,
//     which group commit batches, so that what a join costs the writer shows: cpu-µs/join is
//     the process's CPU per join (a SQLite store's whole work; a PostgreSQL store's client
//     share, the server's work showing in the time per join).
func BenchmarkJoins(b *testing.B, open func(b *testing.B) (hubbub.Store, func() int64)) {
	const rooms = 8
	setUp := func(b *testing.B, s hubbub.Store) {
		for r := range rooms {
			members := []hubbub.Membership{{User: "u_owner", Name: "owner", Role: hubbub.RoomOwner},
				{User: "u_mod", Name: "mod", Role: hubbub.RoomModerator}}
			for i := range 10 {
				members = append(members, hubbub.Membership{User: fmt.Sprint("u_m", i), Name: fmt.Sprint("m", i)})
			}
			if _, _, err := s.CreateRoom(b.Context(), hubbub.RoomMeta{Name: fmt.Sprint("join", r), CreatedBy: "u_owner"}, members); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("JoinRoom", func(b *testing.B) {
		s, _ := open(b)
		setUp(b, s)
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			i++
			if h, err := s.JoinRoom(b.Context(), "join0", fmt.Sprint("u_j", i)); err != nil || h != nil {
				b.Fatalf("JoinRoom = %v, %v; want no handover", h, err)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N), "µs/join")
	})
	b.Run("Append", func(b *testing.B) {
		s, commits := open(b)
		setUp(b, s)
		var next atomic.Int64
		start := processCPU()
		b.ReportAllocs()
		b.SetParallelism(16)
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			g := next.Add(1)
			for i := 0; pb.Next(); i++ {
				id, name := fmt.Sprintf("u_j%d_%d", g, i), fmt.Sprintf("j%d_%d", g, i)
				e := hubbub.Entry{Room: fmt.Sprint("join", g%rooms), From: name, User: id, Kind: hubbub.KindMember,
					Subject: id, SubjectName: name, Action: hubbub.MemberJoin}
				if _, h, _, err := s.Append(b.Context(), &e); err != nil || h != nil {
					b.Errorf("Append of a join = %v, %v; want no handover", h, err)
					return
				}
			}
		})
		b.StopTimer()
		b.ReportMetric(float64((processCPU()-start).Microseconds())/float64(b.N), "cpu-µs/join")
		reportAppendsOf(b, commits, "join")
	})
}

// BenchmarkInvites measures invitations to private rooms appended by 16 appenders per CPU
// over 8 rooms, each with a client id as hubbub.v1's invite frames carry (so each append
// checks for a resend), which group commit batches: cpu-µs/invite is the process's CPU per
// invitation (a SQLite store's whole work; a PostgreSQL store's client share). An invitation
// asks nothing of the room's owners: what it reads is its subject's membership and its key.
// s comes from open on a fresh store, with its batch counter (or nil).
func BenchmarkInvites(b *testing.B, open func(b *testing.B) (hubbub.Store, func() int64)) {
	const rooms = 8
	s, commits := open(b)
	for r := range rooms {
		if _, _, err := s.CreateRoom(b.Context(), hubbub.RoomMeta{Name: fmt.Sprint("invite", r), Private: true, CreatedBy: "u_owner"},
			[]hubbub.Membership{{User: "u_owner", Name: "owner", Role: hubbub.RoomOwner}}); err != nil {
			b.Fatal(err)
		}
	}
	var next atomic.Int64
	start := processCPU()
	b.ReportAllocs()
	b.SetParallelism(16)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		g := next.Add(1)
		for i := 0; pb.Next(); i++ {
			id := fmt.Sprintf("u_i%d_%d", g, i)
			e := hubbub.Entry{Room: fmt.Sprint("invite", g%rooms), From: "owner", User: "u_owner", Kind: hubbub.KindMember,
				ClientID: fmt.Sprintf("c%d_%d", g, i), Subject: id, SubjectName: id[2:], Action: hubbub.MemberInvite}
			if _, _, outcome, err := s.Append(b.Context(), &e); err != nil || outcome == hubbub.Duplicate {
				b.Errorf("Append of an invitation: %v, %v", outcome, err)
				return
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64((processCPU()-start).Microseconds())/float64(b.N), "cpu-µs/invite")
	reportAppendsOf(b, commits, "invite")
}

// BenchmarkPrivateUnlist compares what a kick or ban in a private room costs the store to
// keep the member in it: "LeaveRoom", the write transaction the server ran only to be refused
// forbidden (on SQLite's one writer; on PostgreSQL under the room's lock), and "RoomMeta", the
// read of whether the room is public that replaces it (session.unlist). s is a fresh store
// from open.
func BenchmarkPrivateUnlist(b *testing.B, open func(b *testing.B) (hubbub.Store, func() int64)) {
	s, _ := open(b)
	if _, _, err := s.CreateRoom(b.Context(), hubbub.RoomMeta{Name: "plans", Private: true, CreatedBy: "u_owner"},
		[]hubbub.Membership{{User: "u_owner", Name: "owner", Role: hubbub.RoomOwner}, {User: "u_eve", Name: "eve"}}); err != nil {
		b.Fatal(err)
	}
	b.Run("LeaveRoom", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := s.LeaveRoom(b.Context(), "plans", "u_eve"); hubbub.ErrorCode(err) != hubbub.ECodeForbidden {
				b.Fatalf("LeaveRoom of a private room: %v, want forbidden", err)
			}
		}
	})
	b.Run("RoomMeta", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if meta, found, err := s.RoomMeta(b.Context(), "plans"); err != nil || !found || !meta.Private {
				b.Fatalf("RoomMeta = %+v, %v, %v; want the private room", meta, found, err)
			}
		}
	})
}
