package server_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"hubbub"
	"hubbub/internal/servertest"
	"hubbub/internal/sqlite"
)

// Connect to ready (issue 16, Performance): a user with 50 rooms, 10,000 unread messages in
// each, connects; the time from the dial to the rooms frame that lists every room with its
// unread and mention counts, and how many store calls the connection costs on the way. Run:
//
//	go test -run XXX -bench ConnectToRooms -benchtime 200x ./internal/server/
const (
	benchRooms         = 50
	benchUnreadPerRoom = 10000
)

// peopleStore is a Store that keeps users and rooms too, as the server's stores do.
type peopleStore interface {
	hubbub.Store
	hubbub.UserStore
	hubbub.RoomStore
}

// countingStore counts the calls a connection makes to the store on its way to ready: the
// user lookups of hello, the room list, and the reads a join would make. Calls it does not
// override are not counted (appends, history pages), as a connect makes none.
type countingStore struct {
	peopleStore
	calls, roomLists atomic.Int64
}

func (c *countingStore) count() { c.calls.Add(1) }

func (c *countingStore) ClaimGuest(ctx context.Context, name, keyHash string) (hubbub.User, error) {
	c.count()
	return c.peopleStore.ClaimGuest(ctx, name, keyHash)
}

func (c *countingStore) ExternalUser(ctx context.Context, issuer, subject, name, role string) (hubbub.User, error) {
	c.count()
	return c.peopleStore.ExternalUser(ctx, issuer, subject, name, role)
}

func (c *countingStore) UserByID(ctx context.Context, id string) (hubbub.User, bool, error) {
	c.count()
	return c.peopleStore.UserByID(ctx, id)
}

func (c *countingStore) UserByName(ctx context.Context, name string) (hubbub.User, bool, error) {
	c.count()
	return c.peopleStore.UserByName(ctx, name)
}

func (c *countingStore) Session(ctx context.Context, id string) (hubbub.LoginSession, hubbub.User, bool, error) {
	c.count()
	return c.peopleStore.Session(ctx, id)
}

func (c *countingStore) SeenAt(ctx context.Context, id string, t time.Time) error {
	c.count()
	return c.peopleStore.SeenAt(ctx, id, t)
}

func (c *countingStore) MyRooms(ctx context.Context, user string) ([]hubbub.MyRoom, error) {
	c.count()
	c.roomLists.Add(1)
	return c.peopleStore.MyRooms(ctx, user)
}

func (c *countingStore) Membership(ctx context.Context, room, user string) (hubbub.Membership, bool, error) {
	c.count()
	return c.peopleStore.Membership(ctx, room, user)
}

func (c *countingStore) RoomMeta(ctx context.Context, room string) (hubbub.RoomMeta, bool, error) {
	c.count()
	return c.peopleStore.RoomMeta(ctx, room)
}

func (c *countingStore) LastSeq(ctx context.Context, room string) (uint64, error) {
	c.count()
	return c.peopleStore.LastSeq(ctx, room)
}

// connectFixture writes a SQLite file where bob (key "key-bob") is a member of benchRooms
// rooms, each holding benchUnreadPerRoom messages from ann he has not read, one in ten
// mentioning him.
func connectFixture(b *testing.B) string {
	b.Helper()
	path := filepath.Join(b.TempDir(), "connect.db")
	st, err := sqlite.Open(path, sqlite.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	ps, ok := hubbub.Store(st).(peopleStore)
	if !ok {
		b.Skip("the SQLite store keeps no rooms yet")
	}
	ctx := context.Background()
	bob, err := ps.ClaimGuest(ctx, "bob", hubbub.SecretHash("key-bob"))
	if err != nil {
		b.Fatal(err)
	}
	ann, err := ps.ClaimGuest(ctx, "ann", hubbub.SecretHash("key-ann"))
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	var wg sync.WaitGroup
	var failed atomic.Pointer[error]
	const writersPerRoom = 8 // enough appends in flight for the writer to fill its batches
	for r := range benchRooms {
		room := fmt.Sprintf("room-%02d", r)
		if _, err := ps.JoinRoom(ctx, room, bob.ID); err != nil {
			b.Fatal(err)
		}
		for w := range writersPerRoom {
			wg.Go(func() {
				for i := w; i < benchUnreadPerRoom; i += writersPerRoom {
					e := hubbub.Entry{Room: room, From: ann.Name, User: ann.ID, Text: fmt.Sprintf("message %d of %s", i, room)}
					if i%10 == 0 {
						e.Text += " @bob"
						e.Mentions = []hubbub.Mention{{User: bob.ID, Name: bob.Name}}
					}
					if _, _, _, err := ps.Append(ctx, &e); err != nil {
						failed.Store(&err)
						return
					}
				}
			})
		}
	}
	wg.Wait()
	if err := failed.Load(); err != nil {
		b.Fatal(*err)
	}
	b.Logf("fixture: %d rooms × %d messages in %v", benchRooms, benchUnreadPerRoom, time.Since(start).Round(time.Millisecond))
	return path
}

// BenchmarkConnectToRooms times one connect to ready: dial, hello, welcome, and the rooms
// frame with every room's counts, for bob (benchRooms rooms, benchUnreadPerRoom unread messages
// in each) and, to compare, for a user with no rooms. It reports the store calls each connect
// makes (store-calls/op) and the room-list reads among them (room-lists/op: the issue asks for
// one), and, to compare, the Store's MyRooms read alone.
func BenchmarkConnectToRooms(b *testing.B) {
	path := connectFixture(b)
	var counter *countingStore
	s := servertest.Start(b, servertest.Options{DataPath: path, WrapStore: func(st hubbub.Store) hubbub.Store {
		counter = &countingStore{peopleStore: st.(peopleStore)}
		return counter
	}})
	for _, tc := range []struct {
		name  string
		rooms int
	}{{"bob", benchRooms}, {"cy", 0}} {
		b.Run(fmt.Sprintf("rooms=%d", tc.rooms), func(b *testing.B) {
			check := func(c *servertest.JSONClient) {
				f := c.Await("rooms")
				list, _ := f["rooms"].([]any)
				if len(list) != tc.rooms {
					b.Fatalf("rooms lists %d rooms, want %d", len(list), tc.rooms)
				}
				if tc.rooms == 0 {
					return
				}
				first := list[0].(map[string]any)
				if first["unread"] != float64(hubbub.MaxUnreadCount) || first["mentions"] != float64(min(benchUnreadPerRoom/10, hubbub.MaxUnreadCount)) {
					b.Fatalf("room %v: want %d unread (the cap) and its mentions", first, hubbub.MaxUnreadCount)
				}
			}
			check(servertest.DialJSON(b, s, tc.name)) // warm: the user exists, the file's pages are cached
			counter.calls.Store(0)
			counter.roomLists.Store(0)
			n := 0
			for b.Loop() {
				c := servertest.DialJSON(b, s, tc.name)
				c.Await("rooms")
				c.Conn.Close()
				n++
			}
			b.StopTimer()
			b.ReportMetric(float64(counter.calls.Load())/float64(n), "store-calls/op")
			b.ReportMetric(float64(counter.roomLists.Load())/float64(n), "room-lists/op")
		})
	}
	// The store's share of the connect: bob's room list read directly.
	b.Run("store-MyRooms", func(b *testing.B) {
		u, _, err := counter.UserByName(context.Background(), "bob")
		if err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			if _, err := counter.peopleStore.MyRooms(context.Background(), u.ID); err != nil {
				b.Fatal(err)
			}
		}
	})
}
