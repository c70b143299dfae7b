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
		if w.indexAfter { // once the appends are answered: they do not wait for the index
			w.indexAfter = false
			if err := w.indexLagging(context.Background(), nil); err != nil {
				w.log.Error("sqlite: the search index could not catch up", "err", err)
			}
		}
	}
	for i, r := range execs {
		n, err := r.exec(r.ctx, w.conn)
		r.res = result{removed: n, err: err}
		w.answerDurable(execs[i : i+1])
	}
}

// commitAppends stores the entries of reqs in one transaction and leaves each outcome in
// its request. Each append runs inside its own savepoint, so one that fails or is refused is
// rolled back alone (its seq is not consumed) and the others still commit. The messages
// stored are indexed for search later, in a transaction of their own (searchindex.go), or
// after the last savepoint when Options.SearchLag says no lag.
func (w *writer) commitAppends(reqs []*request) {
	ctx := context.Background() // the batch outlives any one caller's context
	now := sqlstore.MsTime(w.now().UnixMilli())
	if _, err := w.stmts.begin.ExecContext(ctx); err != nil {
		err = fmt.Errorf("begin: %w", err)
		w.failed.Store(&err)
		setErr(reqs, err)
		return
	}
	// Which of the batch's entries go to the outbox too: the webhooks are read once per
	// batch, inside its transaction, so a webhook created by another process (which takes the
	// same write lock) is seen by the first batch after it.
	if err := w.readHooks(ctx); err != nil {
		_, _ = w.stmts.rollback.ExecContext(ctx)
		err = fmt.Errorf("webhooks: %w", err)
		w.failed.Store(&err)
		setErr(reqs, err)
		return
	}
	failed := 0
	for _, r := range reqs {
		if r.batch != nil {
			r.res = w.batchOne(ctx, r.batch)
		} else {
			r.res = w.appendOne(ctx, r.msg, now)
		}
		var refused *hubbub.Error
		if r.res.err != nil && !errors.As(r.res.err, &refused) {
			failed++
		}
	}
	if rooms := appendedRooms(reqs); len(rooms) > 0 && w.lag.max == 0 && !w.searchOff.Load() {
		if err := w.stmts.search.indexRooms(ctx, rooms); err != nil {
			_, _ = w.stmts.rollback.ExecContext(ctx)
			w.log.Error("sqlite: group commit failed", "appends", len(reqs), "err", err)
			w.failed.Store(&err)
			setErr(reqs, err)
			return
		}
	}
	if _, err := w.stmts.commit.ExecContext(ctx); err != nil {
		// The commit may have failed because SQLite already rolled back (disk full, I/O
		// error); the explicit ROLLBACK is for the other cases and fails harmlessly here.
		_, _ = w.stmts.rollback.ExecContext(ctx)
		w.log.Error("sqlite: group commit failed", "appends", len(reqs), "err", err)
		err = fmt.Errorf("commit: %w", err)
		w.failed.Store(&err)
		setErr(reqs, err)
		return
	}
	w.failed.Store(nil)
	if w.lag.max > 0 && !w.searchOff.Load() && w.noteAppended(reqs) {
		w.indexAfter = true
	}
	if failed > 0 {
		w.log.Warn("sqlite: appends failed inside a batch", "failed", failed, "batch", len(reqs))
	}
}

// appendOne stores e as part of the open transaction, or finds the entry it duplicates, or
// refuses it. Everything it wrote is undone unless it stored e.
func (w *writer) appendOne(ctx context.Context, e hubbub.Entry, now time.Time) result {
	if _, err := w.stmts.savepoint.ExecContext(ctx); err != nil {
		return result{err: fmt.Errorf("savepoint: %w", err)}
	}
	stored := sqlstore.Stored(e)
	stored.User = sqlstore.Actor(stored)
	stored.ID, stored.Time = hubbub.NewMessageID(now), now
	var res result
	switch stored.Kind {
	case hubbub.KindMessage:
		res = w.appendMessage(ctx, stored)
	case hubbub.KindTopic, hubbub.KindMember:
		res = w.appendRoomChange(ctx, stored)
	default:
		res = w.appendChange(ctx, stored)
	}
	if res.err == nil && !res.dup {
		res.err = w.enqueueEntry(ctx, res.msg)
	}
	if res.err != nil || res.dup {
		_, _ = w.stmts.undo.ExecContext(ctx) // the seq bump goes too: no gap
	}
	if _, err := w.stmts.release.ExecContext(ctx); err != nil && res.err == nil {
		return result{err: fmt.Errorf("release: %w", err)}
	}
	return res
}

// batchOne runs fn as part of the open transaction, in its own savepoint: what it wrote is
// undone if it fails, and the batch's other requests still commit.
func (w *writer) batchOne(ctx context.Context, fn batchFunc) result {
	if _, err := w.stmts.savepoint.ExecContext(ctx); err != nil {
		return result{err: fmt.Errorf("savepoint: %w", err)}
	}
	n, err := fn(ctx, w)
	if err != nil {
		_, _ = w.stmts.undo.ExecContext(ctx)
	}
	if _, rerr := w.stmts.release.ExecContext(ctx); rerr != nil && err == nil {
		return result{err: fmt.Errorf("release: %w", rerr)}
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

func setErr(reqs []*request, err error) {
	for _, r := range reqs {
		r.res = result{err: err}
	}
}
