package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"hubbub"
	"hubbub/internal/sqlstore"
)

// findCuts returns, for every room that holds messages the retention policy no longer
// keeps, the lowest seq to keep: prune deletes the messages below it, the entries that
// change them, and with those every entry below it (an entry's target is below its seq).
//
// It is the retention rule in SQL, for every room in one statement: MaxPerRoom ($1) keeps
// the messages numbered above last_message_no-MaxPerRoom (message_no counts messages, where
// seqs count entries of every kind; rows older than migration 0004 have none, and their seq
// is their number), MaxAge keeps the oldest message young enough and those after it; each
// cut is found by walking the room from its oldest message, so a prune reads what it deletes
// plus one row per room, and the higher cut wins. The age limit is $2 microseconds before
// $3, or before the server's clock if $3 is NULL, in whole milliseconds as the stored times
// are: a message exactly MaxAge old is kept. Messages committed after the statement's
// snapshot are above the last_seq it reads, so they are never cut.
const findCuts = `WITH cutoff AS (
	SELECT date_trunc('milliseconds', coalesce($3::timestamptz, clock_timestamp()) - $2::bigint * interval '1 microsecond') AS t
), cuts AS MATERIALIZED (
	SELECT r.name, greatest(
		CASE WHEN $1::bigint > 0 AND r.last_message_no > $1::bigint THEN coalesce(
			(SELECT m.seq FROM messages m WHERE m.room = r.name AND coalesce(m.message_no, m.seq) > r.last_message_no - $1::bigint
				ORDER BY m.seq LIMIT 1),
			r.last_seq + 1) ELSE 0 END,
		CASE WHEN $2::bigint > 0 THEN coalesce(
			(SELECT m.seq FROM messages m WHERE m.room = r.name AND m.created_at >= (SELECT t FROM cutoff)
				ORDER BY m.seq LIMIT 1),
			r.last_seq + 1) ELSE 0 END) AS cut
	FROM rooms r
)
SELECT name, cut FROM cuts c
WHERE cut > 1 AND EXISTS (SELECT 1 FROM messages m WHERE m.room = c.name AND m.seq < c.cut)`

// The statements of one room's prune, in one transaction: each deletes a range of a primary
// key (or of entries_target), under the room's lock so that no batch changes a message while
// it goes.
const (
	lockRoomRow    = `SELECT 1 FROM rooms WHERE name = $1 FOR UPDATE`
	pruneMessages  = `DELETE FROM messages WHERE room = $1 AND seq < $2`
	pruneEntries   = `DELETE FROM entries WHERE room = $1 AND target < $2`
	pruneReactions = `DELETE FROM reactions WHERE room = $1 AND seq < $2`
	pruneRevisions = `DELETE FROM revisions WHERE room = $1 AND seq < $2`
	pruneMentioned = `DELETE FROM mentioned WHERE room = $1 AND seq < $2`
	// The files of the messages it deletes become collectable (files_message).
	pruneFiles = `UPDATE files SET gone = true WHERE room = $1 AND seq > 0 AND seq < $2 AND NOT gone`
)

// Prune deletes what Options.Retention no longer keeps and returns how many messages went.
// Appends go on meanwhile: they add above what Prune cuts. rooms.last_seq is untouched, so
// seqs are never reused. Several nodes may prune at once; each reports what it deleted.
func (s *Store) Prune(ctx context.Context) (int64, error) {
	if err := s.guard.Begin(ctx, sqlstore.OpPrune); err != nil {
		return 0, err
	}
	removed, rooms, err := s.prune(ctx)
	if err != nil {
		return 0, s.guard.Wrap(sqlstore.OpPrune, err)
	}
	if removed > 0 {
		s.log.Info("postgres: pruned messages", "removed", removed, "rooms", rooms)
	}
	return removed, nil
}

func (s *Store) prune(ctx context.Context) (removed int64, rooms int, err error) {
	if sqlstore.KeepsAll(s.ret) {
		return 0, 0, nil
	}
	var ageMicros int64
	if s.ret.MaxAge > 0 {
		ageMicros = max(1, int64(s.ret.MaxAge/time.Microsecond))
	}
	var now *time.Time
	if s.now != nil {
		t := s.now()
		now = &t
	}
	rows, _ := s.pool.Query(ctx, findCuts, int64(max(0, s.ret.MaxPerRoom)), ageMicros, now)
	type cut struct {
		room string
		seq  int64
	}
	cuts, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (cut, error) {
		var c cut
		err := row.Scan(&c.room, &c.seq)
		return c, err
	})
	if err != nil {
		return 0, 0, fmt.Errorf("find cuts: %w", err)
	}
	if len(cuts) == 0 {
		return 0, 0, nil
	}
	for _, c := range cuts {
		n, err := s.pruneRoom(ctx, c.room, c.seq)
		if err != nil {
			return removed, rooms, fmt.Errorf("room %q: %w", c.room, err)
		}
		removed += n
		rooms++
	}
	return removed, rooms, nil
}

// pruneRoom deletes room's messages below seq cut, and what goes with them, in one
// transaction holding the room's lock: a batch that changes one of them either commits
// first or finds it gone. It returns how many messages went.
func (s *Store) pruneRoom(ctx context.Context, room string, cut int64) (removed int64, err error) {
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.ReadCommitted})
	if err != nil {
		return 0, err
	}
	defer func() {
		if err != nil {
			rollback(tx)
		}
	}()
	b := &pgx.Batch{}
	b.Queue(lockRoomRow, room)
	// The watermark too (searchindex.go): an indexer reads the messages before or after.
	b.Queue(ensureSearchRooms, []string{room})
	b.Queue(shareSearchRooms, []string{room})
	// The search rows before their messages: it finds them by the messages' times.
	b.Queue(pruneSearch, room, cut)
	b.Queue(pruneMessages, room, cut).Exec(func(tag pgconn.CommandTag) error {
		removed = tag.RowsAffected()
		return nil
	})
	for _, q := range []string{pruneEntries, pruneReactions, pruneRevisions, pruneMentioned, pruneFiles} {
		b.Queue(q, room, cut)
	}
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return 0, err
	}
	return removed, tx.Commit(ctx)
}

// SkipSeqs moves every room's numbering on by gap, raises the seq floor and records the
// restore; see hubbub.Store. A room is a row with an entry or metadata (created): a row of
// neither is one a refused first append left, which is no room. A room with metadata alone
// stays at last_seq 0, which numbers its first entry above the floor as any new room's
// (seqFloorOfNew). last_message_no, which unread counts read, counts messages and stays. The
// update locks the rows it moves, so an append (none should run) waits for it and numbers
// after it; a room it would take past hubbub.MaxSeq rolls the whole transaction back.
func (s *Store) SkipSeqs(ctx context.Context, gap uint64) (hubbub.Restore, error) {
	if err := sqlstore.CheckSeqGap(gap); err != nil {
		return hubbub.Restore{}, s.guard.Wrap(sqlstore.OpSkipSeqs, err)
	}
	var rec hubbub.Restore
	err := s.inTx(ctx, sqlstore.OpSkipSeqs, func(tx pgx.Tx, now time.Time) error {
		var floor, alone int64
		if err := tx.QueryRow(ctx, `SELECT coalesce(max(floor), 0) FROM restores`).Scan(&floor); err != nil {
			return fmt.Errorf("read the seq floor: %w", err)
		}
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM rooms WHERE created IS NOT NULL AND last_seq = 0`).Scan(&alone); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `UPDATE rooms SET last_seq = last_seq + $1 WHERE last_seq > 0 RETURNING name, last_seq`, int64(gap))
		if err != nil {
			return err
		}
		defer rows.Close()
		var room string
		var last, highest, moved int64
		for rows.Next() {
			if err := rows.Scan(&room, &last); err != nil {
				return err
			}
			if uint64(last) > hubbub.MaxSeq {
				return sqlstore.SeqGapTooFar(room, last-int64(gap), gap)
			}
			highest = max(highest, last-int64(gap))
			moved++
		}
		if err := rows.Err(); err != nil {
			return err
		}
		next, err := sqlstore.NextSeqFloor(uint64(floor), uint64(highest), gap)
		if err != nil {
			return err
		}
		rec = hubbub.Restore{At: now, Gap: gap, Floor: next, Rooms: moved + alone}
		_, err = tx.Exec(ctx, `INSERT INTO restores (at, gap, floor, rooms) VALUES ($1, $2, $3, $4)`,
			now, int64(gap), int64(next), rec.Rooms)
		return err
	})
	if err != nil {
		return hubbub.Restore{}, err
	}
	return rec, nil
}

// LastRestore returns the latest restore SkipSeqs recorded; see hubbub.Store. Floors only
// grow, so the latest row holds the floor in force.
func (s *Store) LastRestore(ctx context.Context) (hubbub.Restore, bool, error) {
	if err := s.guard.Begin(ctx, sqlstore.OpLastRestore); err != nil {
		return hubbub.Restore{}, false, err
	}
	var gap, floor int64
	var r hubbub.Restore
	err := s.pool.QueryRow(ctx, `SELECT at, gap, floor, rooms FROM restores ORDER BY id DESC LIMIT 1`).
		Scan(&r.At, &gap, &floor, &r.Rooms)
	if errors.Is(err, pgx.ErrNoRows) {
		return hubbub.Restore{}, false, nil
	}
	if err != nil {
		return hubbub.Restore{}, false, s.guard.Wrap(sqlstore.OpLastRestore, err)
	}
	r.At, r.Gap, r.Floor = r.At.UTC(), uint64(gap), uint64(floor)
	return r, true, nil
}
