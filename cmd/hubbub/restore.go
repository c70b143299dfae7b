package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"strings"
	"time"

	"hubbub"
	"hubbub/internal/sqlite"
)

func init() { subcommands["restore"] = runRestore }

// DefaultSeqGap is how far hubbub restore moves every room's numbering on by default: more
// entries than a room numbers in a day at 11 a second, far below hubbub.MaxSeq (68,719 such
// restores).
const DefaultSeqGap = 1_000_000

const restoreUsage = `usage: hubbub restore [--seq-gap N] [--data FILE | --postgres URL | --config FILE]

Prepares a database restored from a backup for serving; run it after copying the backup in
and before the first hubbub serve on it (docs/deploy.md, "Back up and restore").

A backup holds each room's log up to some seq; the server that went on after it handed out
the seqs after that to messages the backup does not hold. Started on the backup, a server would
hand the same seqs out again to other messages, and a client that had seen the lost ones and
rejoins with its last seq (its since) would skip as many of the new ones, without a word.
hubbub restore moves every room's numbering on by --seq-gap, so the next entry of a room at
seq 100 is 100 + gap + 1: every new entry is numbered above any seq the lost part handed
out, and a client rejoining with such a since gets all of them. Give a gap larger than the
most entries (messages, edits, reactions, …) any one room had after the backup was taken.

A room made after the backup is not in it: made again under its name, it would number from 1
again. So hubbub restore also records in the database a seq floor, the highest seq of any
room (or the floor of an earlier restore) + the gap, and a room with no entry yet, or made
from now on, numbers its first entry above it. It prints the floor; hubbub serve's start line
says it too (seq_floor), with when the last restore ran.

It refuses to run while a server uses the database: the --data file's lock, or a node that
announced itself on the --postgres database within its last --node-check-interval × 3 (a dump
taken while the nodes served holds their records too: restored that soon, it is refused until
the time it names). It
refuses a database that holds no hubbub tables (an empty file a failed copy left).
`

// runRestore moves every room's numbering of the store f names on by --seq-gap, with no
// server on it.
func runRestore(ctx context.Context, args []string, io stdio) error {
	fs := flag.NewFlagSet("hubbub restore", flag.ContinueOnError)
	fs.SetOutput(io.err)
	f := newServeFlags(flag.NewFlagSet("defaults", flag.ContinueOnError))
	bindStoreFlags(fs, f, "history")
	var gap int64 // signed, so that a negative gap is told its range rather than "parse error"
	fs.Int64Var(&gap, "seq-gap", DefaultSeqGap, fmt.Sprintf("how many seqs every room's numbering skips: more than the entries any room had after the backup was taken (1 to %d)", hubbub.MaxSeqGap))
	fs.Usage = func() {
		fmt.Fprint(io.err, restoreUsage, "\nflags:\n")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError(fmt.Sprintf("restore: takes no arguments, got %q (copy the backup in first; hubbub restore -h)", strings.Join(fs.Args(), " ")))
	}
	keys := flag.NewFlagSet("hubbub serve", flag.ContinueOnError)
	newServeFlags(keys)
	src, err := applySourcesOf(fs, keys)
	if err != nil {
		return err
	}
	if err := refuseBadNumbers(fs, src); err != nil {
		return err
	}
	if gap < 1 || uint64(gap) > hubbub.MaxSeqGap {
		return usageError(fmt.Sprintf("restore: invalid --seq-gap %d%s: want 1 to %d", gap, src.from("seq-gap"), hubbub.MaxSeqGap))
	}
	if _, err := needData(ctx, f, src, "restore", ""); err != nil { // "" makes nothing
		return err
	}
	if f.postgres == "" {
		// needData found a file; opening it as the store would make every table in one that
		// has none (a backup's copy that failed, another program's database named by
		// mistake), and report 0 rooms moved as if all were well. PostgreSQL's is refused
		// by needData itself (no hubbub tables).
		has, err := sqlite.HasStore(ctx, f.data)
		if err != nil {
			return fmt.Errorf("restore: %w", err)
		}
		if !has {
			return usageError(fmt.Sprintf("restore: %s holds no hubbub database (no tables)%s: copy the backup in again, or pass the file hubbub serve keeps (its --data) as --data PATH", f.data, src.from("data")))
		}
	}
	// The file's lock, as serve takes it: a running server holds the rooms' numbering in
	// memory and would go on from it. The integrity check runs too, as at serve's start: a
	// damaged backup is better found now.
	f.exclusive = true
	log, err := newLogger("text", "warn", io.err, 0, 0)
	if err != nil {
		return err
	}
	store, err := openStore(ctx, f, log)
	if err != nil {
		return err
	}
	defer store.Close()
	if f.postgres != "" {
		if err := noNodeServes(ctx, store); err != nil {
			return err
		}
	}
	r, err := store.SkipSeqs(ctx, uint64(gap))
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	if err := store.Close(); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	rooms := "rooms"
	if r.Rooms == 1 {
		rooms = "room"
	}
	fmt.Fprintf(io.out, "moved the numbering of %d %s on by %d seqs: each room's next entry is numbered %d past its last, "+
		"and a room with no entry yet, or made from now on, numbers its first %d (recorded in the database at %s; hubbub serve logs it as seq_floor)\n",
		r.Rooms, rooms, gap, gap+1, r.Floor+1, r.At.Format(time.RFC3339))
	return nil
}

// noNodeServes refuses a PostgreSQL store that a node serves from, as the nodes' records say
// (hubbub.OutboxStore.AnnounceNode; a node that stops removes its record, one that died is
// forgotten three --node-check-intervals later).
func noNodeServes(ctx context.Context, store hubbub.Store) error {
	var b [8]byte
	_, _ = rand.Read(b[:])
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	others, err := store.AnnounceNode(ctx, hubbub.ServingNode{ID: "restore-" + hex.EncodeToString(b[:]), Name: "hubbub restore", Broker: "none"}, 0)
	if err != nil {
		return fmt.Errorf("restore: reading which nodes serve: %w", err)
	}
	if len(others) == 0 {
		return nil
	}
	names := make([]string, len(others))
	for i, o := range others {
		names[i] = fmt.Sprintf("%s (its record lasts until %s)", o.Name, o.Until.Format(time.RFC3339))
	}
	// A dump taken while the nodes served holds their records, with the times they were to
	// last from then: restored within those times, they stand for no node that runs, and
	// "stop every node" alone sent an operator whose nodes were all stopped hunting for one.
	return errors.New("restore: nodes serve from this database: " + strings.Join(names, ", ") +
		": stop every node first. If every node is stopped, these records came with the backup " +
		"(a dump taken while the nodes served holds theirs) or from a node that died: each is " +
		"forgotten at the time shown, so run hubbub restore again then")
}
