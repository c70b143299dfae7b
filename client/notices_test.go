package client_test

import (
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"hubbub/client"
	"hubbub/internal/hub"
	"hubbub/internal/servertest"
	"hubbub/internal/testwait"
	"hubbub/internal/wire"
)

// logSeqOf is the place in the log of an entry frame (a message's seq, another's log_seq),
// and 0 for a frame that is no entry.
func logSeqOf(f wire.Frame) uint64 {
	switch f := f.(type) {
	case *wire.Message:
		return f.Seq
	case *wire.TopicChanged:
		return f.LogSeq
	case *wire.MemberChanged:
		return f.LogSeq
	case *wire.SanctionChanged:
		return f.LogSeq
	}
	return 0
}

// entriesOf lists the log seqs of the entry frames rec holds of room, in the order delivered.
func entriesOf(rec *recorder, room string) []uint64 {
	var out []uint64
	for _, f := range rec.all() {
		if seq := logSeqOf(f); seq > 0 {
			if r, _ := roomOf(f); r == room {
				out = append(out, seq)
			}
		}
	}
	return out
}

func roomOf(f wire.Frame) (string, bool) {
	switch f := f.(type) {
	case *wire.Message:
		return f.Room, true
	case *wire.TopicChanged:
		return f.Room, true
	case *wire.MemberChanged:
		return f.Room, true
	case *wire.SanctionChanged:
		return f.Room, true
	}
	return "", false
}

// noticeRoom makes the private room plans of ann's whose log is: 1 ann's joining (its
// making), 2 "first", 3 the topic, 4 "second", 5 bob's invitation, 6 carol's, 7 eve's ban —
// a notice last, after every message. It returns ann's connection and its recorder.
func noticeRoom(t *testing.T, s *servertest.Server) (*client.Conn, *recorder) {
	t.Helper()
	ctx := testContext(t)
	ann, rec := dialConn(t, ctx, s.WS, "ann")
	for _, name := range []string{"bob", "carol", "eve"} {
		dialConn(t, ctx, s.WS, name)
	}
	if _, err := ann.Create(ctx, "plans", "", true); err != nil {
		t.Fatal(err)
	}
	if _, err := ann.Join(ctx, "plans", nil, 0); err != nil {
		t.Fatal(err)
	}
	sayAll(t, ann, rec, "plans", "m-", "first")
	if err := ann.Topic(ctx, "plans", "launch", "t-1"); err != nil {
		t.Fatal(err)
	}
	if ack, refused := ackOf(t, rec, "t-1"); ack == nil {
		t.Fatalf("the topic: %+v", refused)
	}
	sayAll(t, ann, rec, "plans", "m-", "second")
	for _, name := range []string{"bob", "carol"} {
		if err := ann.Invite(ctx, "plans", name, "i-"+name); err != nil {
			t.Fatal(err)
		}
		if ack, refused := ackOf(t, rec, "i-"+name); ack == nil {
			t.Fatalf("the invitation of %s: %+v", name, refused)
		}
	}
	if _, err := ann.Ban(ctx, "plans", "eve", time.Hour, "spam"); err != nil {
		t.Fatal(err)
	}
	testwait.Until(t, "the log up to eve's ban", func() bool { return slices.Contains(entriesOf(rec, "plans"), 7) })
	if got := entriesOf(rec, "plans"); !slices.Equal(got, []uint64{2, 3, 4, 5, 6, 7}) { // #1 came before her join
		t.Fatalf("the room's log as ann saw it live: %v, want 2 to 7", got)
	}
	return ann, rec
}

// A session with Notices gets a room's notices with its first join, among the replayed
// messages and in the log's order, as the frames a live member gets, and once each: the
// ban that ends the replay too, which joined.replay does not count. A page of History
// carries the notices of its span as frames, and both say when the server's --notice-limit
// left older ones out. A live notice after the join is delivered once. Before, the session
// had no way to ask: the notices of a room's past never reached a bot or `hubbub chat`, and
// a notice the server replayed at or below last_seq was dropped as seen.
func TestSessionNoticesOnJoinAndHistory(t *testing.T) {
	s := servertest.Start(t, servertest.Options{Hub: hub.Config{NoticeLimit: 2}})
	ann, annRec := noticeRoom(t, s)
	ctx := testContext(t)

	ses, err := client.Connect(ctx, client.SessionOptions{URLs: []string{s.WS}, Name: "ann", Key: "key-ann", Logger: quiet,
		History: 1, Notices: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ses.Close() })
	rec := drain(ses)
	j, err := ses.Join(ctx, "plans")
	if err != nil {
		t.Fatal(err)
	}
	if !j.Truncated || !j.NoticesTruncated {
		t.Errorf("joined %+v: want truncated (messages before #4) and notices_truncated (three notices after #4, a limit of 2)", j)
	}
	// The span after "second" (#4) holds #5, #6 and #7; the limit keeps the newest two.
	testwait.Until(t, "the replay, with the ban that ends it", func() bool { return slices.Contains(entriesOf(rec, "plans"), 7) })
	if got := entriesOf(rec, "plans"); !slices.Equal(got, []uint64{4, 6, 7}) {
		t.Errorf("the join delivered the entries %v, want the message #4, then carol's invitation #6 and eve's ban #7", got)
	}
	if b := events[*client.SanctionChanged](rec); len(b) != 1 || b[0].Name != "eve" || b[0].Action != "ban" || b[0].From != "ann" {
		t.Errorf("sanctions delivered %+v, want eve's ban by ann", b)
	}

	// A page back from #4 holds "first" and the notices from the room's first entry: ann's
	// joining and the topic, frames as they are.
	page, err := ses.History(ctx, "plans", 4, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Messages) != 1 || page.Messages[0].Seq != 2 || page.More || page.NoticesTruncated || len(page.Notices) != 2 {
		t.Fatalf("the page before #4: %+v, want #2 and two notices", page)
	}
	if m, ok := page.Notices[0].(*client.MemberChanged); !ok || m.LogSeq != 1 || m.SubjectName != "ann" {
		t.Errorf("the page's first notice is %#v, want ann's joining (#1), a *MemberChanged", page.Notices[0])
	}
	if tc, ok := page.Notices[1].(*client.TopicChanged); !ok || tc.LogSeq != 3 || tc.Topic != "launch" {
		t.Errorf("the page's second notice is %#v, want the topic (#3), a *TopicChanged", page.Notices[1])
	}
	// The newest page, whose span from #2 holds five notices: the newest two, and the page
	// says the older ones were left out.
	page, err = ses.History(ctx, "plans", 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	var got []uint64
	for _, n := range page.Notices {
		got = append(got, logSeqOf(n.(wire.Frame)))
	}
	if !page.NoticesTruncated || !slices.Equal(got, []uint64{6, 7}) {
		t.Errorf("the newest page's notices %v (truncated %v), want #6 and #7, truncated", got, page.NoticesTruncated)
	}

	// Live after it: once.
	if err := ann.Topic(ctx, "plans", "later", "t-2"); err != nil {
		t.Fatal(err)
	}
	if ack, refused := ackOf(t, annRec, "t-2"); ack == nil {
		t.Fatalf("the second topic: %+v", refused)
	}
	testwait.Until(t, "the live topic", func() bool { return slices.Contains(entriesOf(rec, "plans"), 8) })
	if got := entriesOf(rec, "plans"); !slices.Equal(got, []uint64{4, 6, 7, 8}) {
		t.Errorf("the session delivered the entries %v, want 4, 6, 7 and the live topic 8, once each", got)
	}

	// Without Notices: the messages alone, as before.
	plain, plainRec := startSession(t, "ann", s.WS)
	if j, err := plain.Join(ctx, "plans"); err != nil || j.NoticesTruncated {
		t.Fatalf("a join without Notices: %+v, %v", j, err)
	}
	if page, err := plain.History(ctx, "plans", 0, 0); err != nil || len(page.Notices) != 0 {
		t.Errorf("a page without Notices: %+v, %v; want no notices", page, err)
	}
	testwait.Until(t, "the replayed messages", func() bool { return slices.Contains(entriesOf(plainRec, "plans"), 4) })
	if got := entriesOf(plainRec, "plans"); !slices.Equal(got, []uint64{2, 4}) {
		t.Errorf("a session without Notices delivered %v, want the messages #2 and #4", got)
	}
}

// A server older than notices ignores the field (here a relay takes it out of every
// request, so the server never sees it): a session with Notices joins, gets the messages
// and pages history as before, with no notices and nothing said truncated.
func TestSessionNoticesWithAnOldServer(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	noticeRoom(t, s)
	var mu sync.Mutex
	asked := 0 // requests that carried notices, taken out
	url := relay(t, s.WS, func(_ int, server, cl *websocket.Conn, wg *sync.WaitGroup) {
		wg.Add(2)
		go pump(wg, server, cl, func(b []byte) []byte { return b })
		go pump(wg, cl, server, func(b []byte) []byte {
			if strings.Contains(string(b), `"notices":true`) {
				mu.Lock()
				asked++
				mu.Unlock()
			}
			return []byte(strings.Replace(string(b), `,"notices":true`, "", 1))
		})
	})
	ctx := testContext(t)
	ses, err := client.Connect(ctx, client.SessionOptions{URLs: []string{url}, Name: "ann", Key: "key-ann", Logger: quiet, Notices: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ses.Close() })
	rec := drain(ses)
	j, err := ses.Join(ctx, "plans")
	if err != nil {
		t.Fatal(err)
	}
	if j.Truncated || j.NoticesTruncated || j.LastSeq != 7 {
		t.Errorf("joined %+v", j)
	}
	testwait.Until(t, "the replayed messages", func() bool { return slices.Contains(entriesOf(rec, "plans"), 4) })
	if got := entriesOf(rec, "plans"); !slices.Equal(got, []uint64{2, 4}) {
		t.Errorf("the join delivered %v, want the messages #2 and #4", got)
	}
	page, err := ses.History(ctx, "plans", 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Messages) != 2 || len(page.Notices) != 0 || page.NoticesTruncated {
		t.Errorf("the page: %+v, want the two messages and no notices", page)
	}
	mu.Lock()
	defer mu.Unlock()
	if asked != 2 {
		t.Errorf("%d requests asked for notices, want the join and the page", asked)
	}
}
