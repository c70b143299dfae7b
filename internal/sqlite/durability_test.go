package sqlite

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"hubbub"
)

// childEnv names the file TestKillChild appends to when it runs as a child process.
const childEnv = "HUBBUB_SQLITE_KILL_CHILD"

// TestKillChild is the child process of TestKill9KeepsAckedMessages: it appends from several
// goroutines until it is killed and prints "ack <seq> <id>" for every append that returned.
func TestKillChild(t *testing.T) {
	path := os.Getenv(childEnv)
	if path == "" {
		t.Skip("runs only as the child of TestKill9KeepsAckedMessages")
	}
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			var last uint64
			for i := 0; ; i++ {
				// Every other entry toggles a reaction on the worker's last message: a change
				// is as durable before its ack as a message.
				e := hubbub.Entry{Room: "r", From: fmt.Sprint("w", w), Text: fmt.Sprint(i)}
				if i%2 == 1 {
					e = hubbub.Entry{Room: "r", From: e.From, Kind: hubbub.KindReaction, Target: last, Emoji: "👍"}
				}
				m, _, _, err := s.Append(t.Context(), &e)
				if err != nil {
					fmt.Println("error", err)
					return
				}
				if m.IsMessage() {
					last = m.Seq
				}
				mu.Lock()
				fmt.Printf("ack %d %s\n", m.Seq, m.ID) // unbuffered: the parent sees it at once
				mu.Unlock()
			}
		})
	}
	wg.Wait()
}

// TestKill9KeepsAckedMessages kills a process that is appending, with SIGKILL, and checks
// that every entry (messages and reactions) whose Append had returned is in the file: the
// writer answers only after the commit.
func TestKill9KeepsAckedMessages(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a child process")
	}
	path := filepath.Join(t.TempDir(), "hubbub.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestKillChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), childEnv+"="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	acked := map[uint64]string{}
	lines := bufio.NewScanner(out)
	for lines.Scan() {
		var seq uint64
		var id string
		if _, err := fmt.Sscanf(lines.Text(), "ack %d %s", &seq, &id); err != nil {
			if strings.HasPrefix(lines.Text(), "error") {
				t.Errorf("child: %s", lines.Text())
			}
			continue
		}
		acked[seq] = id
		if len(acked) == 300 {
			_ = cmd.Process.Kill() // SIGKILL; acks already in the pipe are still read
		}
	}
	_ = cmd.Wait()
	if len(acked) < 300 {
		t.Fatalf("child acknowledged only %d appends before it ended", len(acked))
	}

	s := openAt(t, path, Options{})
	msgs, err := s.Since(t.Context(), "r", 0, 1_000_000)
	if err != nil {
		t.Fatal(err)
	}
	stored := map[uint64]string{}
	for i, m := range msgs {
		stored[m.Seq] = m.ID
		if m.Seq != uint64(i+1) {
			t.Fatalf("after the kill, entry %d has seq %d: gap", i, m.Seq)
		}
	}
	for seq, id := range acked {
		if stored[seq] != id {
			t.Errorf("acknowledged seq %d (id %s) is stored as %q", seq, id, stored[seq])
		}
	}
	t.Logf("%d appends acknowledged, %d stored after kill -9", len(acked), len(stored))
}
