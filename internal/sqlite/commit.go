package sqlite

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"hubbub"
	"hubbub/internal/sqlstore"
)

// process answers every request of batch: the appends, and the small writes that share
// their transaction (batchFunc), after one shared commit, then each exec (a prune, a
// moderation write, a user's or room's write) after its own; each once it is durable, which
// may be after process has returned (answerDurable). The queue has left out the requests
// their callers abandoned.
func (w *writer) process(batch []*request) {
	appends := batch[:0:0]
	var execs []*request
	for _, r := range batch {
		if r.exec != nil {
			execs = append(execs, r)
		} else {
			appends = append(appends, r)
		}
	}
	if len(appends) > 0 {
		w.commitAppends(appends)
		w.batches.Add(1)
		w.answerDurable(appends)
	}
	for i, r := range execs {
		if !r.keepSeqs { // it may have written rooms, or rolled back what did
			w.seqs.reset()
		}
		n, err := r.exec(r.ctx, w.conn)
		r.res = result{removed: n, err: err}
		w.answerDurable(execs[i : i+1])
	}
	if w.catchingUp { // once the batch is answered: it does not wait for the index
		w.catchUp()
	}
}

// commitAppends stores the entries of reqs in one transaction and leaves each outcome in
// its request. A plain message is one insert and its room's numbering (appendPlain); every
// other append runs inside its own savepoint; either way one that fails or is refused is
// rolled back alone (its seq is not consumed) and the others still commit, unless the
// failure cost the transaction itself (w.broken): then the whole batch rolls back. The messages
// stored are indexed for search later, in a transaction of their own (searchindex.go), or
// after the last savepoint when Options.SearchLag says no lag.
func (w *writer) commitAppends(reqs []*request) {
	ctx := context.Background() // the batch outlives any one caller's context
	now := sqlstore.MsTime(w.now().UnixMilli())
	if _, err := w.stmts.begin.ExecContext(ctx); err != nil {
		err = fmt.Errorf("begin: %w", err)
		w.failed.Store(&err)
		w.seqs.reset()
		setErr(reqs, err)
		return
	}
	kept, err := w.checkRoomSeqs(ctx)
	if err != nil {
		w.rollbackBatch(ctx, reqs, err)
		return
	}
	// Which of the batch's entries go to the outbox too: the webhooks are read inside the
	// batch's transaction, so a webhook created by another process (which takes the same
	// write lock) is seen by the first batch after it; they are read again only when
	// something other than the batches of appends wrote the file since the last batch (an
	// exec, such as CreateWebhook, or another connection).
	if !kept {
		if err := w.readHooks(ctx); err != nil {
			w.rollbackBatch(ctx, reqs, fmt.Errorf("webhooks: %w", err))
			return
		}
	}
	// Plain messages wait in plain until something else comes or the batch ends, and are
	// then inserted together (appendPlains): whatever else an append does may read or
	// number their rooms, so it runs after them, in the batch's order.
	var plain []*request
	for _, r := range reqs {
		var m hubbub.Entry
		if r.batch == nil {
			m = toStore(r.msg, now)
			if w.isPlain(m) {
				r.res = result{msg: m}
				plain = append(plain, r)
				continue
			}
		}
		if len(plain) > 0 {
			w.appendPlains(ctx, plain)
			plain = plain[:0]
			if w.broken != nil {
				w.failBatch(ctx, reqs)
				return
			}
		}
		if r.batch != nil {
			r.res = w.batchOne(ctx, r.batch)
		} else {
			r.res = w.appendOne(ctx, m)
		}
		if w.broken != nil {
			w.failBatch(ctx, reqs)
			return
		}
	}
	if len(plain) > 0 {
		w.appendPlains(ctx, plain)
		if w.broken != nil {
			w.failBatch(ctx, reqs)
			return
		}
	}
	failed := 0
	for _, r := range reqs {
		var refused *hubbub.Error
		if r.res.err != nil && !errors.As(r.res.err, &refused) {
			failed++
		}
	}
	if rooms := appendedRooms(reqs); len(rooms) > 0 && w.lag.max == 0 && !w.searchOff.Load() {
		if err := w.stmts.search.indexRooms(ctx, rooms); err != nil {
			w.log.Error("sqlite: group commit failed", "appends", len(reqs), "err", err)
			w.rollbackBatch(ctx, reqs, err)
			return
		}
	}
	if _, err := w.stmts.commit.ExecContext(ctx); err != nil {
		// The commit may have failed because SQLite already rolled back (disk full, I/O
		// error); the explicit ROLLBACK is for the other cases and fails harmlessly here.
		w.log.Error("sqlite: group commit failed", "appends", len(reqs), "err", err)
		w.rollbackBatch(ctx, reqs, fmt.Errorf("commit: %w", err))
		return
	}
	w.failed.Store(nil)
	if w.lag.max > 0 && !w.searchOff.Load() && w.noteAppended(reqs) {
		w.catchingUp = true
	}
	if failed > 0 {
		w.log.Warn("sqlite: appends failed inside a batch", "failed", failed, "batch", len(reqs))
	}
}

// failBatch rolls the batch back as a whole after w.broken was set, and fails each of reqs
// with it.
func (w *writer) failBatch(ctx context.Context, reqs []*request) {
	err := w.broken
	w.broken = nil
	w.log.Error("sqlite: group commit failed", "appends", len(reqs), "err", err)
	w.rollbackBatch(ctx, reqs, err)
}

// toStore returns e as it is to be stored: its user, a new id and the batch's time.
func toStore(e *hubbub.Entry, now time.Time) hubbub.Entry {
	stored := sqlstore.Stored(e)
	stored.User = sqlstore.Actor(stored)
	stored.ID, stored.Time = hubbub.NewMessageID(now), now
	return stored
}

// appendOne stores entry stored (toStore), which is not a plain message, as part of the open
// transaction, or finds the entry it duplicates, or refuses it. Everything it wrote is
// undone unless it stored it.
func (w *writer) appendOne(ctx context.Context, stored hubbub.Entry) result {
	// Anything else numbers the room with its own statements, and the savepoint may undo
	// them: the room's numbering is read again next time.
	defer w.seqs.forget(stored.Room)
	if _, err := w.stmts.savepoint.ExecContext(ctx); err != nil {
		return result{err: w.txLost("savepoint", err)}
	}
	var res result
	switch stored.Kind {
	case hubbub.KindMessage:
		res = w.appendMessage(ctx, stored)
	case hubbub.KindTopic, hubbub.KindMember:
		res = w.appendRoomChange(ctx, stored, false)
	case hubbub.KindSanction:
		res = w.appendSanction(ctx, stored)
	default:
		res = w.appendChange(ctx, stored)
	}
	if res.err == nil && !res.dup {
		res.err = w.enqueueEntry(ctx, res.msg)
		if res.err == nil && res.handover != nil {
			res.err = w.enqueueEntry(ctx, *res.handover)
		}
	}
	if res.err == nil && res.dup && res.msg.Kind == hubbub.KindMember {
		// A resent member change answers with the handover that followed it, as its first
		// append did: the caller announces it again.
		res.handover, res.err = w.handoverAfter(ctx, res.msg)
	}
	if res.err != nil || res.dup {
		if _, err := w.stmts.undo.ExecContext(ctx); err != nil { // the seq bump goes too: no gap
			return result{err: w.txLost("rollback to savepoint", err)}
		}
	}
	if _, err := w.stmts.release.ExecContext(ctx); err != nil {
		return result{err: w.txLost("release", err)}
	}
	return res
}

// txLost sets w.broken when a statement on the batch's savepoint failed: the savepoint is
// gone, so SQLite has rolled the whole transaction back (it may, after a failed statement, on
// a full disk or an I/O error). The batch must then roll back as a whole: the appends after
// it would run outside any transaction, each committed at once, while the batch reports them
// failed (a resend stored twice), and a plain message's room numbering (roomseqs.go) would
// follow what was rolled back. It returns the error for the request.
func (w *writer) txLost(stmt string, err error) error {
	err = fmt.Errorf("%s: %w", stmt, err)
	if w.broken == nil {
		w.broken = err
	}
	return err
}

// batchOne runs fn as part of the open transaction, in its own savepoint: what it wrote is
// undone if it fails, and the batch's other requests still commit.
func (w *writer) batchOne(ctx context.Context, fn batchFunc) result {
	if _, err := w.stmts.savepoint.ExecContext(ctx); err != nil {
		return result{err: w.txLost("savepoint", err)}
	}
	n, err := fn(ctx, w)
	if err != nil {
		if _, uerr := w.stmts.undo.ExecContext(ctx); uerr != nil {
			return result{err: w.txLost("rollback to savepoint", uerr)}
		}
	}
	if _, rerr := w.stmts.release.ExecContext(ctx); rerr != nil {
		return result{err: w.txLost("release", rerr)}
	}
	return result{removed: n, err: err}
}

// isClientIDConflict reports whether err is an idempotency index refusing a row
// (SQLITE_CONSTRAINT_UNIQUE on messages_client_id or entries_client_id), as opposed to any
// other failure.
func isClientIDConflict(err error) bool {
	var coded interface{ Code() int }
	if !errors.As(err, &coded) || coded.Code() != sqliteConstraintUnique {
		return false
	}
	return strings.Contains(err.Error(), ".client_id")
}

// sqliteConstraintUnique is SQLite's extended result code SQLITE_CONSTRAINT_UNIQUE.
const sqliteConstraintUnique = 2067

// rollbackBatch rolls back the open transaction of a batch of appends and fails every one of
// reqs with err. The rollback may fail harmlessly: SQLite may have rolled back already (disk
// full, I/O error).
func (w *writer) rollbackBatch(ctx context.Context, reqs []*request, err error) {
	_, _ = w.stmts.rollback.ExecContext(ctx)
	w.seqs.reset()
	w.failed.Store(&err)
	setErr(reqs, err)
}

func setErr(reqs []*request, err error) {
	for _, r := range reqs {
		r.res = result{err: err}
	}
}
