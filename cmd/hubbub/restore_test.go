package main

import (
	"bytes"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"hubbub"
	"hubbub/internal/postgres"
	"hubbub/internal/servertest"
)

// The restore of docs/deploy.md, "Back up and restore (one node)", on a real server: a backup
// taken at seq 3, two messages more (seqs 4 and 5, which ann's client applies), then the
// backup restored and hubbub restore run on it. New messages after the restore must all
// reach a client that rejoins with since 5, the seq it had applied: without hubbub restore
// they took seqs 4, 5 and 6 again, and the rejoin replayed only the last of them.
//
// With the default gap (a million seqs, more than --max-replay) and with one below it, which
// the room's ring of recent entries must not take for "nothing older is stored".
func TestRestoreLosesNoMessageToAClientAhead(t *testing.T) {
	t.Run("default gap", func(t *testing.T) { testRestore(t, nil, 1_000_000) })
	t.Run("gap below max-replay", func(t *testing.T) { testRestore(t, []string{"--seq-gap", "1000"}, 1000) })
}

// testRestore runs the restore with flags, expecting it to move the numbering by gap. Each
// server listens on a port the kernel picks (the child says which): a fixed one could be
// another process's on a shared machine.
func testRestore(t *testing.T, flags []string, gap uint64) {
	dir := t.TempDir()
	data, backup := filepath.Join(dir, "hubbub.db"), filepath.Join(dir, "backup.db")
	args := []string{"--host", "127.0.0.1", "--port", "0", "--data", data, "--send-rate", "1000", "--send-burst", "1000"}
	cmd, addr := startServeChild(t, args, nil, nil)
	s := &servertest.Server{WS: "ws://" + addr + "/ws"}
	ann := servertest.DialJSON(t, s, "ann")
	ann.Join("general", nil)
	for i := 1; i <= 5; i++ {
		if i == 4 {
			// The backup, as sqlite3's .backup takes it from the running server.
			db, err := sql.Open("sqlite", data)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := db.Exec(`VACUUM INTO ?`, backup); err != nil {
				t.Fatal(err)
			}
			db.Close()
		}
		if ack := ann.Say("general", fmt.Sprint("a", i), fmt.Sprint("old ", i)); ack.Num("seq") != uint64(i) {
			t.Fatalf("ack %d: %v", i, ack)
		}
	}
	applied := uint64(5)
	ann.Messages("general", 5)

	// Not while the server runs: it holds the rooms' numbering in memory.
	var out, errOut bytes.Buffer
	err := run(t.Context(), []string{"restore", "--data", data}, stdio{in: strings.NewReader(""), out: &out, err: &errOut})
	if err == nil || !strings.Contains(err.Error(), "in use by another hubbub serve") {
		t.Fatalf("hubbub restore while the server runs: %v, want it refused as in use", err)
	}

	// The restore, as deploy.md says.
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	for _, suffix := range []string{"-wal", "-shm"} {
		if err := os.Remove(data + suffix); err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
	}
	copyFile(t, backup, data)
	out.Reset()
	if err := run(t.Context(), append([]string{"restore", "--data", data}, flags...), stdio{in: strings.NewReader(""), out: &out, err: &errOut}); err != nil {
		t.Fatalf("hubbub restore: %v\n%s", err, errOut.String())
	}
	if !strings.Contains(out.String(), fmt.Sprintf("moved the numbering of 1 room on by %d seqs", gap)) {
		t.Errorf("hubbub restore said %q", out.String())
	}

	_, addr = startServeChild(t, args, nil, nil)
	s = &servertest.Server{WS: "ws://" + addr + "/ws"}
	bob := servertest.DialJSON(t, s, "bob")
	if j := bob.Join("general", nil); j.Num("replay") != 3 {
		t.Fatalf("bob's join of the restored room: %v, want the backup's 3 messages", j)
	}
	bob.Messages("general", 3)
	// A client that had applied seq 3, the backup's last, before the loss: nothing is new.
	dan := servertest.DialJSON(t, s, "dan")
	three := uint64(3)
	if j := dan.Join("general", &three); j.Num("replay") != 0 || j.Num("last_seq") < 3 || j["truncated"] != false {
		t.Fatalf("dan rejoining with since 3 before anything new: %v, want no replay, not truncated, last_seq at least 3", j)
	}
	// A client that had applied seq 1 only, before anything new: the backup's 2 and 3 (or,
	// more than --max-replay seqs behind, a replay that says it left them out).
	erin := servertest.DialJSON(t, s, "erin")
	one := uint64(1)
	if j := erin.Join("general", &one); gap < 10000 {
		if got := texts(erin.Messages("general", int(j.Num("replay")))); got != "old 2|old 3" || j["truncated"] != false {
			t.Errorf("erin rejoining with since 1 before anything new got %q (joined %v), want old 2 and 3", got, j)
		}
	} else if j.Num("replay") != 0 || j["truncated"] != true {
		t.Errorf("erin rejoining with since 1, more than --max-replay seqs behind, before anything new: %v, want no replay and truncated", j)
	}
	want := sayNew(t, bob, "general", 3)

	again := servertest.DialJSON(t, s, "ann")
	j := again.Join("general", &applied)
	if j.Num("last_seq") < applied || j["truncated"] != false {
		t.Fatalf("joined %v: want last_seq at or above since %d (below, it tells the client to forget the room) and not truncated", j, applied)
	}
	if got := texts(again.Messages("general", int(j.Num("replay")))); got != strings.Join(want, "|") {
		t.Errorf("ann rejoining with since %d got %q, want every message sent after the restore, %q (joined %v)", applied, got, want, j)
	}

	// A client that had applied seq 1 only: the backup's 2 and 3, then the new ones; past
	// --max-replay (seqs, not entries) the replay is the newest part, and says it left out
	// the older (truncated), which such a client pages with history.
	carol := servertest.DialJSON(t, s, "carol")
	j = carol.Join("general", &one)
	got := texts(carol.Messages("general", int(j.Num("replay"))))
	if gap < 10000 {
		if all := "old 2|old 3|" + strings.Join(want, "|"); got != all || j["truncated"] != false {
			t.Errorf("carol rejoining with since 1 got %q, want %q (joined %v)", got, all, j)
		}
	} else if got != strings.Join(want, "|") || j["truncated"] != true {
		t.Errorf("carol rejoining with since 1, more than --max-replay seqs behind, got %q, want %q and truncated (joined %v)", got, want, j)
	}
}

// texts joins the texts of message frames with "|".
func texts(ms []servertest.Frame) string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Str("text"))
	}
	return strings.Join(out, "|")
}

// copyFile copies the file at from to to, as cp does.
func copyFile(t *testing.T, from, to string) {
	t.Helper()
	src, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst, err := os.Create(to)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		t.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
}

// On PostgreSQL, hubbub restore refuses while a node's record says it serves from the
// database, and moves every room's seqs on once none does.
func TestRestorePostgres(t *testing.T) {
	pg := servertest.PostgresSchemas.Schema(t)
	ctx := t.Context()
	store, err := postgres.Open(ctx, pg, postgres.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	m, _, _, err := store.Append(ctx, &hubbub.Entry{Room: "general", From: "ann", Text: "before"})
	if err != nil {
		t.Fatal(err)
	}
	node := hubbub.ServingNode{ID: "node1-abc", Name: "node1", Broker: "nats"}
	if _, err := store.AnnounceNode(ctx, node, time.Minute); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	io := stdio{in: strings.NewReader(""), out: &out, err: &errOut}
	err = run(ctx, []string{"restore", "--postgres", pg}, io)
	if err == nil || !strings.Contains(err.Error(), "nodes serve from this database: node1") {
		t.Fatalf("hubbub restore while node1 serves: %v, want it refused naming node1", err)
	}
	// A dump taken while the nodes served brings their records back with it: the operator
	// who stopped every node is told where they come from and when to run it again.
	if !strings.Contains(err.Error(), "came with the backup") || !strings.Contains(err.Error(), "run hubbub restore again then") {
		t.Errorf("hubbub restore's refusal: %v\nwant it to say that the records may have come with the backup, and when to try again", err)
	}
	if last, err := store.LastSeq(ctx, "general"); err != nil || last != m.Seq {
		t.Fatalf("LastSeq after a refused restore = %d, %v; want %d", last, err, m.Seq)
	}
	if _, err := store.AnnounceNode(ctx, node, 0); err != nil { // node1 stops
		t.Fatal(err)
	}
	if err := run(ctx, []string{"restore", "--postgres", pg, "--seq-gap", "500"}, io); err != nil {
		t.Fatalf("hubbub restore: %v\n%s", err, errOut.String())
	}
	after, _, _, err := store.Append(ctx, &hubbub.Entry{Room: "general", From: "ann", Text: "after"})
	if err != nil {
		t.Fatal(err)
	}
	if after.Seq != m.Seq+501 {
		t.Errorf("the first message after hubbub restore --seq-gap 500 took seq %d, want %d", after.Seq, m.Seq+501)
	}
	// A room made after the restore numbers above the floor: general's last seq + the gap.
	fresh, _, _, err := store.Append(ctx, &hubbub.Entry{Room: "fresh", From: "ann", Text: "first"})
	if err != nil {
		t.Fatal(err)
	}
	if fresh.Seq != m.Seq+501 {
		t.Errorf("the first message of a room made after hubbub restore --seq-gap 500 took seq %d, want %d", fresh.Seq, m.Seq+501)
	}
	if r, found, err := store.LastRestore(ctx); err != nil || !found || r.Gap != 500 || r.Floor != m.Seq+500 {
		t.Errorf("LastRestore = %+v, %v, %v; want the restore of gap 500, floor %d", r, found, err, m.Seq+500)
	}
}

// hubbub restore says what is wrong with its command line, and makes no database.
func TestRestoreRefusesBadInput(t *testing.T) {
	data := filepath.Join(t.TempDir(), "missing.db")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--data", data}, "restore: no database at " + data},
		{[]string{"--data", data, "--seq-gap", "0"}, "invalid --seq-gap 0: want 1 or more"},
		{[]string{"--data", data, "--seq-gap", "1000000001"}, "restore: invalid --seq-gap 1000000001: want 1 to 1000000000"},
		{[]string{"--data", data, "--seq-gap", "-5"}, "restore: --seq-gap -5 must not be negative"},
		{[]string{"--data", data, "backup.db"}, `restore: takes no arguments, got "backup.db"`},
	} {
		var out, errOut bytes.Buffer
		err := run(t.Context(), append([]string{"restore"}, c.args...), stdio{in: strings.NewReader(""), out: &out, err: &errOut})
		if err == nil || !strings.HasPrefix(err.Error(), c.want) || exitCode(err) != 2 {
			t.Errorf("hubbub restore %q: %v (exit %d), want a usage error beginning %q", c.args, err, exitCode(err), c.want)
		}
	}
	if _, err := os.Stat(data); !os.IsNotExist(err) {
		t.Errorf("hubbub restore made %s: %v", data, err)
	}
}

// sayNew has c send "new 1" to "new n" in room, each acknowledged, and waits until c has
// received them: it returns their texts.
func sayNew(t *testing.T, c *servertest.JSONClient, room string, n int) []string {
	t.Helper()
	var texts []string
	for i := 1; i <= n; i++ {
		text := fmt.Sprint("new ", i)
		texts = append(texts, text)
		if ack := c.Say(room, fmt.Sprint("b", i), text); ack.Type() != "ack" {
			t.Fatalf("send %d to %s: %v", i, room, ack)
		}
	}
	c.Messages(room, n)
	return texts
}
