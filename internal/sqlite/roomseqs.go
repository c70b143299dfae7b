package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"hubbub"
	"hubbub/internal/sqlstore"
)

// roomSeqs holds rooms.last_seq and rooms.msgs of the rooms the writer appended to, as its
// connection last wrote them, so that a plain message takes its seq without reading the
// row back: the numbering statement with RETURNING was a query per message, and a query
// costs the pure-Go driver about twice what a statement without rows costs (the seq upsert
// was 9 % of the server's CPU under issue 19's durable ingress load).
//
// What it holds is only used while it is known to be the file's: the writer drops a room's
// entry when anything but appendPlain numbers the room's entries, drops them all when a
// batch rolls back or an exec (any other write on the connection) ran, and when another
// connection — another Store on the same file, in this process or another — committed
// since the writer's last batch (PRAGMA data_version, read in each batch's transaction once
// it holds the write lock). The webhooks the writer read for its last batch (readHooks) stay
// true under the same condition: they are written only by execs and other connections.
type roomSeqs struct {
	rooms   map[string]roomNumbering
	max     int   // the most rooms held; one is dropped to make room
	version int64 // PRAGMA data_version at the start of the current batch
	known   bool  // version was read, and nothing since has made rooms stale
}

// roomNumbering is a room's numbering: its last seq and how many messages were appended to it
// (the last message's ord).
type roomNumbering struct{ last, msgs int64 }

// maxRoomSeqs is how many rooms' numbering the writer holds: 16 per append of a batch
// (65,536 at the default --sqlite-max-batch), at least 4,096; about 50 bytes each.
func maxRoomSeqs(maxBatch int) int { return max(4096, 16*maxBatch) }

func (c *roomSeqs) get(room string) (roomNumbering, bool) {
	s, ok := c.rooms[room]
	return s, ok
}

func (c *roomSeqs) put(room string, s roomNumbering) {
	if c.rooms == nil {
		c.rooms = make(map[string]roomNumbering)
	}
	if _, ok := c.rooms[room]; !ok && len(c.rooms) >= c.max {
		for r := range c.rooms { // any one: a map's order is random
			delete(c.rooms, r)
			break
		}
	}
	c.rooms[room] = s
}

func (c *roomSeqs) forget(room string) { delete(c.rooms, room) }

// reset drops everything: the next batch reads data_version again, and each room's row.
func (c *roomSeqs) reset() {
	clear(c.rooms)
	c.known = false
}

// checkRoomSeqs keeps the rooms' numbering only if no other connection committed since the
// last batch, and reports whether it kept it: then nothing but the writer's own batches of
// appends wrote the file since the last one began. It runs in the batch's transaction, which
// holds the write lock, so no other connection can commit until the batch has.
func (w *writer) checkRoomSeqs(ctx context.Context) (kept bool, err error) {
	var v int64
	if err := w.stmts.dataVersion.QueryRowContext(ctx).Scan(&v); err != nil {
		w.seqs.reset()
		return false, fmt.Errorf("data version: %w", err)
	}
	kept = w.seqs.known && v == w.seqs.version
	if !kept {
		w.seqs.reset()
	}
	w.seqs.version, w.seqs.known = v, true
	return kept, nil
}

// isPlain reports whether m is a message whose append is one insert and the room's
// numbering, nothing else: no reply to count, no mention to index, no file to attach, and
// no webhook to write an event for. Such an append needs no savepoint (see appendPlain),
// unless it is its room's first entry, which appendPlain hands to appendOne.
func (w *writer) isPlain(m hubbub.Entry) bool {
	return m.Kind == hubbub.KindMessage && m.ReplyTo == 0 && m.Mentions == nil && !m.MentionRoom &&
		len(m.Attachments) == 0 && !w.hooks.Any()
}

// errBatchBroken is what appendPlain returns when the message's row is in and its room's
// numbering could not follow: the batch must roll back as a whole.
var errBatchBroken = errors.New("the room's numbering could not be written after its message")

// appendPlain stores message m (isPlain) in the open transaction with its room's next seq,
// with two statements and no savepoint: the insert first, which is refused as a whole or
// done as a whole (a statement's own atomicity), then, only once the row is in, the room's
// numbering. A resend (its client id taken) writes nothing and takes no seq. If the
// numbering fails after the row went in, or the room's row cannot be read, or the insert
// fails for anything but a constraint, appendPlain sets w.broken: the row must not commit
// without its numbering, and SQLite may have rolled the transaction back already, so the
// batch rolls back as a whole (an I/O error or a full disk, which would fail the commit
// anyway).
//
// The first entry of a room (one with no row yet, or at seq 0: metadata alone) goes through
// appendOne instead, as any other kind of entry does: startLog numbers it above the seq
// floor, and the numbering statement meets the key another room may hold (roomkey.go). That
// is once in a room's life, and costs more than a plain message (a savepoint, and the
// numbering read back): in a batch of nothing but first messages, when they were grouped
// here, each took ~1.7× as long (BenchmarkAppendNewRooms on one CPU: 85 against 50 µs).
func (w *writer) appendPlain(ctx context.Context, m hubbub.Entry) result {
	cur, err := w.numbering(ctx, m.Room)
	if err != nil {
		return result{err: err}
	}
	if cur.last == 0 {
		return w.appendOne(ctx, m)
	}
	m.Seq = uint64(cur.last + 1)
	res, inserted := w.insertMessage(ctx, m, int64(m.Seq), cur.msgs+1)
	if !inserted {
		if res.err != nil && !res.dup {
			w.seqs.forget(m.Room) // read it again: the insert may have been refused for its seq
			if !isConstraint(res.err) {
				// Not a refusal of this row: SQLite may have rolled the transaction back
				// (a full disk, an I/O error), and the next appends must not run outside it.
				w.broken = res.err
			}
		}
		return res
	}
	if err := rowsChanged(w.stmts.bumpSeq.ExecContext(ctx, m.Room))(1); err != nil {
		// The room's row was read (numbering) in this transaction, so none changed is a
		// row gone from under the writer: the message must not stay without its numbering.
		w.seqs.forget(m.Room)
		w.broken = fmt.Errorf("%w: %w", errBatchBroken, err)
		return result{err: w.broken}
	}
	w.seqs.put(m.Room, roomNumbering{last: cur.last + 1, msgs: cur.msgs + 1})
	return res
}

// numbering returns room's numbering, from what the writer holds or else from the room's row
// (none: zero), which it then holds if the room has entries. If the row cannot be read it
// sets w.broken, as a failed insert does: SQLite may have rolled the transaction back.
func (w *writer) numbering(ctx context.Context, room string) (roomNumbering, error) {
	if cur, ok := w.seqs.get(room); ok {
		return cur, nil
	}
	var cur roomNumbering
	err := w.stmts.roomSeq.QueryRowContext(ctx, room).Scan(&cur.last, &cur.msgs)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		w.broken = fmt.Errorf("next seq: %w", err)
		return roomNumbering{}, w.broken
	}
	if cur.last > 0 {
		w.seqs.put(room, cur)
	}
	return cur, nil
}

// changeSeq takes the next seq of room for a change to the room itself (a topic, a member, a
// sanction), inside the open savepoint, the log's floor applied to a room's first entry
// (startLog); first says the room had no entry before.
func (w *writer) changeSeq(ctx context.Context, room string) (seq int64, first bool, err error) {
	if err := w.stmts.entrySeq.QueryRowContext(ctx, room).Scan(&seq); err != nil {
		return 0, false, w.roomKeyTaken(ctx, room, fmt.Errorf("next seq: %w", err))
	}
	return w.startLog(ctx, room, seq)
}

// startLog returns seq, the seq a room's numbering (messageSeq, entrySeq) just gave an entry,
// and whether the entry begins the room's log: the first (seq 1) is numbered above the seq
// floor in force (hubbub.Store.SkipSeqs), and the room's row is moved on by the floor too, in
// the open transaction (the savepoint of the append), its last_seq and its other_seqs, since
// the floor's seqs hold no message, as SkipSeqs moves a room. Every first entry of a room
// that Append stores comes here, a plain message's too (appendPlain): this is the one place
// the floor is applied to a room. The floor is read from the file each time, which is rare,
// so that every Store on the file, and every process, numbers from the floor the file
// holds, whoever raised it.
func (w *writer) startLog(ctx context.Context, room string, seq int64) (int64, bool, error) {
	if seq != 1 {
		return seq, false, nil
	}
	var floor int64
	if err := w.stmts.seqFloor.QueryRowContext(ctx).Scan(&floor); err != nil {
		return 0, false, fmt.Errorf("read the seq floor: %w", err)
	}
	if floor == 0 {
		return seq, true, nil
	}
	if _, err := w.stmts.raiseSeq.ExecContext(ctx, room, floor); err != nil {
		return 0, false, fmt.Errorf("the seq floor: %w", err)
	}
	return floor + 1, true, nil
}

// rowsChanged checks that the statement whose result and error it is given changed want rows:
// nil if it did, its error, or one that says how many rows it changed.
func rowsChanged(res sql.Result, err error) func(want int64) error {
	return func(want int64) error {
		if err != nil {
			return err
		}
		got, err := res.RowsAffected()
		switch {
		case err != nil:
			return err
		case got != want:
			return fmt.Errorf("%d of %d rooms numbered: a room's row is missing", got, want)
		}
		return nil
	}
}

// isConstraint reports whether err is SQLite refusing a row for a constraint
// (SQLITE_CONSTRAINT and its extended codes), which undoes that statement alone.
func isConstraint(err error) bool {
	var coded interface{ Code() int }
	return errors.As(err, &coded) && coded.Code()&0xff == sqliteConstraint
}

// sqliteConstraint is SQLite's primary result code SQLITE_CONSTRAINT.
const sqliteConstraint = 19

// insertMessage inserts message m with seq and ord. inserted is false when it was not
// stored: res is then the stored entry it resends (dup) or the error.
func (w *writer) insertMessage(ctx context.Context, m hubbub.Entry, seq, ord int64) (res result, inserted bool) {
	var r sql.Result
	var err error
	if m.ClientID == "" && m.ReplyTo == 0 && m.Mentions == nil && !m.MentionRoom && !m.Bot {
		// The hot path of a message without an idempotency key costs what it did before the
		// room log: no key to check, no state columns to bind.
		r, err = w.stmts.plainMessage.ExecContext(ctx, m.Room, seq, m.ID, m.From, m.Text, m.Time.UnixMilli(), m.User, ord)
	} else {
		mentions, merr := sqlstore.EncodeMentions(m.Mentions)
		if merr != nil {
			return result{err: merr}, false
		}
		r, err = w.stmts.message.ExecContext(ctx, m.Room, seq, m.ID, m.ClientID, m.From, m.Text,
			m.Time.UnixMilli(), replyArg(m.ReplyTo), mentions, m.MentionRoom, m.User, ord, m.Bot)
	}
	if err != nil {
		if m.ClientID != "" && isClientIDConflict(err) {
			return w.findResend(ctx, m), false
		}
		return result{err: fmt.Errorf("insert: %w", err)}, false
	}
	if n, err := r.RowsAffected(); err != nil || n == 0 { // a change holds the client id
		if err != nil {
			return result{err: fmt.Errorf("insert: %w", err)}, false
		}
		return w.findResend(ctx, m), false
	}
	return result{msg: m}, true
}
