package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"hubbub"
	"hubbub/internal/sqlstore"
)

// writeStmts are the writer's statements, prepared once on its connection.
type writeStmts struct {
	begin, commit, rollback      *sql.Stmt
	savepoint, release, undo     *sql.Stmt
	findClient, bumpSeq, message *sql.Stmt
}

func prepareWrites(ctx context.Context, conn *sql.Conn) (writeStmts, error) {
	var w writeStmts
	var err error
	prep := func(query string) *sql.Stmt {
		if err != nil {
			return nil
		}
		var st *sql.Stmt
		st, err = conn.PrepareContext(ctx, query)
		return st
	}
	// IMMEDIATE takes the write lock up front (waiting up to the busy timeout for another
	// process), so a batch cannot fail half-way with SQLITE_BUSY.
	w.begin = prep(`BEGIN IMMEDIATE`)
	w.commit = prep(`COMMIT`)
	w.rollback = prep(`ROLLBACK`)
	w.savepoint = prep(`SAVEPOINT one`)
	w.release = prep(`RELEASE one`)
	w.undo = prep(`ROLLBACK TO one`)
	w.findClient = prep(`SELECT seq, id, text, created_ms, deleted FROM messages
		WHERE room = ? AND sender = ? AND client_id = ? AND client_id <> ''`)
	w.bumpSeq = prep(`INSERT INTO rooms (name, last_seq) VALUES (?, 1)
		ON CONFLICT (name) DO UPDATE SET last_seq = last_seq + 1 RETURNING last_seq`)
	w.message = prep(`INSERT INTO messages (room, seq, id, client_id, sender, text, created_ms)
		VALUES (?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		_ = w.close()
		return writeStmts{}, err
	}
	return w, nil
}

func (w writeStmts) close() error {
	var errs []error
	for _, st := range []*sql.Stmt{w.begin, w.commit, w.rollback, w.savepoint, w.release,
		w.undo, w.findClient, w.bumpSeq, w.message} {
		if st != nil {
			errs = append(errs, st.Close())
		}
	}
	return errors.Join(errs...)
}

// process answers every request of batch: the appends after one shared commit, then each
// exec (a prune or a moderation write) after its own. The queue has left out the requests
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
		for _, r := range appends {
			r.Finish()
		}
	}
	for _, r := range execs {
		n, err := r.exec(r.ctx, w.conn)
		r.res = result{removed: n, err: err}
		r.Finish()
	}
}

// commitAppends stores the messages of reqs in one transaction and leaves each outcome in
// its request. Each append runs inside its own savepoint, so one that fails is rolled back
// alone (its seq is not consumed) and the others still commit.
func (w *writer) commitAppends(reqs []*request) {
	ctx := context.Background() // the batch outlives any one caller's context
	now := sqlstore.MsTime(w.now().UnixMilli())
	if _, err := w.stmts.begin.ExecContext(ctx); err != nil {
		err = fmt.Errorf("begin: %w", err)
		w.failed.Store(&err)
		setErr(reqs, err)
		return
	}
	failed := 0
	for _, r := range reqs {
		r.res = w.appendOne(ctx, r.msg, now)
		if r.res.err != nil {
			failed++
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
	if failed > 0 {
		w.log.Warn("sqlite: appends failed inside a batch", "failed", failed, "batch", len(reqs))
	}
}

// appendOne stores m as part of the open transaction, or finds the message it duplicates.
// It inserts first and looks for the original only when the idempotency index refuses the
// row: a resend is rare, and a lookup before every insert cost a tenth of the server's CPU in
// a busy node.
func (w *writer) appendOne(ctx context.Context, m hubbub.Entry, now time.Time) result {
	if _, err := w.stmts.savepoint.ExecContext(ctx); err != nil {
		return result{err: fmt.Errorf("savepoint: %w", err)}
	}
	stored := m
	stored.ID, stored.Time = hubbub.NewMessageID(now), now
	err := w.insert(ctx, &stored)
	if err != nil {
		_, _ = w.stmts.undo.ExecContext(ctx) // the seq bump goes too: no gap
	}
	if _, rerr := w.stmts.release.ExecContext(ctx); err == nil && rerr != nil {
		err = fmt.Errorf("release: %w", rerr)
	}
	if err != nil && m.ClientID != "" && isClientIDConflict(err) {
		return w.findDuplicate(ctx, m)
	}
	if err != nil {
		return result{err: err}
	}
	return result{msg: stored}
}

// findDuplicate returns the stored message that m, refused by the idempotency index, resends.
func (w *writer) findDuplicate(ctx context.Context, m hubbub.Entry) result {
	var seq, ms int64
	err := w.stmts.findClient.QueryRowContext(ctx, m.Room, m.From, m.ClientID).Scan(&seq, &m.ID, &m.Text, &ms, &m.Deleted)
	if err != nil {
		return result{err: fmt.Errorf("find client id: %w", err)}
	}
	m.Seq, m.Time = uint64(seq), sqlstore.MsTime(ms)
	return result{msg: m, dup: true}
}

// isClientIDConflict reports whether err is the idempotency index refusing a row
// (SQLITE_CONSTRAINT_UNIQUE on messages_client_id), as opposed to any other failure.
func isClientIDConflict(err error) bool {
	var coded interface{ Code() int }
	if !errors.As(err, &coded) || coded.Code() != sqliteConstraintUnique {
		return false
	}
	return strings.Contains(err.Error(), "messages.client_id")
}

// sqliteConstraintUnique is SQLite's extended result code SQLITE_CONSTRAINT_UNIQUE.
const sqliteConstraintUnique = 2067

// insert takes the room's next seq and inserts m with it.
func (w *writer) insert(ctx context.Context, m *hubbub.Entry) error {
	var seq int64
	if err := w.stmts.bumpSeq.QueryRowContext(ctx, m.Room).Scan(&seq); err != nil {
		return fmt.Errorf("next seq: %w", err)
	}
	m.Seq = uint64(seq)
	if _, err := w.stmts.message.ExecContext(ctx, m.Room, seq, m.ID, m.ClientID, m.From, m.Text,
		m.Time.UnixMilli()); err != nil {
		return fmt.Errorf("insert: %w", err)
	}
	return nil
}

func setErr(reqs []*request, err error) {
	for _, r := range reqs {
		r.res = result{err: err}
	}
}
