package client_test

import (
	"io"
	"log/slog"
	"sync"
	"testing"

	"go.uber.org/goleak"

	"hubbub/client"
	"hubbub/internal/wire"
)

// TestMain fails the package if a goroutine outlives the tests: every Conn's reader and pinger
// and every Session's goroutines must end when they are closed.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// quiet is the logger tests give clients: logs from a goroutine that outlives its test would
// panic in t.Log, and the assertions say what matters.
var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// recorder keeps the frames a Conn's Handler or a Session's Events deliver.
type recorder struct {
	mu     sync.Mutex
	frames []wire.Frame
}

func (r *recorder) add(f wire.Frame) {
	r.mu.Lock()
	r.frames = append(r.frames, f)
	r.mu.Unlock()
}

func (r *recorder) all() []wire.Frame {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]wire.Frame(nil), r.frames...)
}

// messages returns the message frames of room, in the order delivered.
func (r *recorder) messages(room string) []*wire.Message {
	var out []*wire.Message
	for _, f := range r.all() {
		if m, ok := f.(*wire.Message); ok && m.Room == room {
			out = append(out, m)
		}
	}
	return out
}

// texts returns the texts of room's messages, in the order delivered.
func (r *recorder) texts(room string) []string {
	var out []string
	for _, m := range r.messages(room) {
		out = append(out, m.Text)
	}
	return out
}

// count returns how many frames match.
func (r *recorder) count(match func(wire.Frame) bool) int {
	n := 0
	for _, f := range r.all() {
		if match(f) {
			n++
		}
	}
	return n
}

// drain records every event of s until s closes; Close waits for nothing of the test's, so the
// recording goroutine ends when Events is closed.
func drain(s *client.Session) *recorder {
	r := &recorder{}
	go func() {
		for f := range s.Events() {
			r.add(f)
		}
	}()
	return r
}
