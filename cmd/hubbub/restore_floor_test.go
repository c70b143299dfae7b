package main

import (
	"bytes"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"hubbub/internal/servertest"
	"hubbub/internal/sqlitetest"
)

// A room made after the backup is lost with the restore; made again under its name, it must
// not number its entries from 1, or a client that had applied seq 5 of the lost room and
// rejoins with since 5 is replayed only what the new room numbered past 5, and never learns
// of its first entries. hubbub restore records a seq floor that the new room numbers above,
// and serve's start line says it.
func TestRestoreNumbersARoomMadeAgainAboveTheLostOne(t *testing.T) {
	dir := t.TempDir()
	data, backup := filepath.Join(dir, "hubbub.db"), filepath.Join(dir, "backup.db")
	flags := []string{"--data", data, "--send-rate", "1000", "--send-burst", "1000"}
	addr, stop := startServe(t, flags...)
	s := &servertest.Server{WS: "ws://" + addr + "/ws"}
	ann := servertest.DialJSON(t, s, "ann")
	ann.Join("general", nil)
	if ack := ann.Say("general", "g1", "kept"); ack.Num("seq") != 1 {
		t.Fatalf("ack: %v", ack)
	}
	db, err := sql.Open("sqlite", data)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`VACUUM INTO ?`, backup); err != nil {
		t.Fatal(err)
	}
	db.Close()
	// After the backup: a new room, whose 5 messages ann's client applies.
	ann.Join("plans", nil)
	for i := 1; i <= 5; i++ {
		if ack := ann.Say("plans", fmt.Sprint("p", i), fmt.Sprint("lost ", i)); ack.Num("seq") != uint64(i) {
			t.Fatalf("ack %d in plans: %v", i, ack)
		}
	}
	ann.Messages("plans", 5)
	applied := uint64(5)
	if err := stop(); err != nil {
		t.Fatal(err)
	}

	for _, suffix := range []string{"-wal", "-shm"} {
		if err := os.Remove(data + suffix); err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
	}
	copyFile(t, backup, data)
	var out, errOut bytes.Buffer
	if err := run(t.Context(), []string{"restore", "--data", data, "--seq-gap", "1000"}, stdio{in: strings.NewReader(""), out: &out, err: &errOut}); err != nil {
		t.Fatalf("hubbub restore: %v\n%s", err, errOut.String())
	}
	// The floor: general's 1 + the gap.
	if !strings.Contains(out.String(), "a room with no entry yet, or made from now on, numbers its first 1002") {
		t.Errorf("hubbub restore said %q, want it to say where new rooms number from", out.String())
	}

	addr, stop, logs := startServeLogged(t, flags...)
	defer stop()
	if !strings.Contains(logs(), "seq_gap=1000 seq_floor=1001") {
		t.Errorf("serve's start line does not say the restore's gap and floor:\n%s", logs())
	}
	s = &servertest.Server{WS: "ws://" + addr + "/ws"}
	bob := servertest.DialJSON(t, s, "bob")
	if j := bob.Join("plans", nil); j.Type() != "joined" || j.Num("replay") != 0 {
		t.Fatalf("bob's join of plans, made again: %v, want an empty room", j)
	}
	want := sayNew(t, bob, "plans", 7)

	again := servertest.DialJSON(t, s, "ann")
	j := again.Join("plans", &applied)
	if got := texts(again.Messages("plans", int(j.Num("replay")))); got != strings.Join(want, "|") || j["truncated"] != false {
		t.Errorf("ann rejoining plans with since %d got %q (joined %v), want every message of the room made again, %q", applied, got, j, want)
	}
	// The room's numbering starts above the floor, not at 1: a client that has seen nothing
	// of it still gets all of it, and is not told that older entries were left out.
	carol := servertest.DialJSON(t, s, "carol")
	zero := uint64(0)
	j = carol.Join("plans", &zero)
	if got := texts(carol.Messages("plans", int(j.Num("replay")))); got != strings.Join(want, "|") || j["truncated"] != false {
		t.Errorf("carol joining plans with since 0 got %q (joined %v), want %q, not truncated", got, j, want)
	}
}

// After a restore a room's first entry is numbered above the seq floor, not 1: the hub must
// still take it for the room's first, and count the room it makes toward --max-stored-rooms
// at once, as it does a room's seq 1. Here the cap is 2: a join makes one room, an anonymous
// sender's first message the second, and a join of a third name is refused; the hub took
// only seq 1 for a first entry, so it let the third in until its next count (a second on).
func TestRestoredStoreCountsARoomMadeByItsFirstMessage(t *testing.T) {
	data := filepath.Join(t.TempDir(), "hubbub.db")
	sqlitetest.Fresh(t, data)
	var out, errOut bytes.Buffer
	if err := run(t.Context(), []string{"restore", "--data", data, "--seq-gap", "10"}, stdio{in: strings.NewReader(""), out: &out, err: &errOut}); err != nil {
		t.Fatalf("hubbub restore: %v\n%s", err, errOut.String())
	}
	addr, stop := startServe(t, "--data", data, "--max-stored-rooms", "2")
	defer stop()
	s := &servertest.Server{WS: "ws://" + addr + "/ws"}
	ann := servertest.DialJSON(t, s, "ann")
	servertest.CheckTwoRoomsCappedAboveFloor10(t, s, ann)
}
