package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"hubbub"
	"hubbub/internal/sqlstore"
)

// execFunc is a write that runs on the writer's connection between two batches; it returns
// how many rows it changed.
type execFunc func(ctx context.Context, conn *sql.Conn) (int64, error)

// batchFunc is a small write that runs inside a batch's transaction, beside the appends, in
// its own savepoint: frequent writes (a read position, a last-seen time) then share the
// batch's one fsync instead of paying their own. It returns a number for its caller.
type batchFunc func(ctx context.Context, w *writer) (int64, error)

// batch runs fn in the next batch of the writer and returns its number. The caller has passed
// the guard.
func (s *Store) batch(ctx context.Context, fn batchFunc) (int64, error) {
	res := s.w.do(ctx, &request{batch: fn})
	return res.removed, res.err
}

// exec runs fn on the writer, after the batch in progress, in autocommit mode: each
// statement commits when it returns, and exec returns once the writer has synced them. The
// caller has passed the guard.
func (s *Store) exec(ctx context.Context, fn execFunc) (int64, error) {
	res := s.w.do(ctx, &request{exec: fn, ctx: ctx})
	return res.removed, res.err
}

// SetSanction stores s, replacing the sanction of its kind on its room and user; a zero or
// past Until lifts it. See hubbub.Store. A sanction without a User (from a caller that knows
// no users) is keyed by its Name, as the migrated ones are.
func (s *Store) SetSanction(ctx context.Context, sn hubbub.Sanction) error {
	if err := s.guard.Begin(ctx, sqlstore.OpSetSanction); err != nil {
		return err
	}
	user := sn.User
	if user == "" {
		user = sn.Name
	}
	_, err := s.exec(ctx, func(ctx context.Context, conn *sql.Conn) (int64, error) {
		return setSanction(ctx, conn, sn, user, time.Now())
	})
	return s.guard.Wrap(sqlstore.OpSetSanction, err)
}

// The writes of a sanction, shared by SetSanction and the KindSanction entries
// (appendSanction).
const (
	liftSanctionSQL = `DELETE FROM sanctions WHERE room = ? AND user_id = ? AND kind = ?`
	putSanctionSQL  = `INSERT INTO sanctions (room, user_id, name, kind, until_ms, by_name, reason)
		VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (room, user_id, kind) DO UPDATE SET name = excluded.name, until_ms = excluded.until_ms,
			by_name = excluded.by_name, reason = excluded.reason`
)

// execer is what setSanction writes on: the writer's connection, between batches or inside
// one's transaction.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// setSanction stores sn keyed by user, or removes it if it is not in force at now, and
// returns how many rows it changed.
func setSanction(ctx context.Context, db execer, sn hubbub.Sanction, user string, now time.Time) (int64, error) {
	var res sql.Result
	var err error
	if sn.Active(now) {
		res, err = db.ExecContext(ctx, putSanctionSQL, sn.Room, user, sn.Name, string(sn.Kind), sn.Until.UnixMilli(), sn.By, sn.Reason)
	} else {
		res, err = db.ExecContext(ctx, liftSanctionSQL, sn.Room, user, string(sn.Kind))
	}
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// appendSanction stores e, a KindSanction entry, inside the savepoint appendOne opened: the
// change to the room's sanctions and the entry are written together, so the log never tells
// of a ban the room does not hold, nor holds one it never told of. A resend (its client id)
// returns the first outcome.
func (w *writer) appendSanction(ctx context.Context, e hubbub.Entry) result {
	if res, ok := w.resent(ctx, &e); ok {
		return res
	}
	sn, ok := e.Sanction()
	if !ok {
		return result{err: hubbub.Errorf(hubbub.ECodeBadField, "unknown sanction action %q", e.Action)}
	}
	seq, first, err := w.changeSeq(ctx, e.Room)
	if err != nil {
		return result{err: err}
	}
	e.Seq = uint64(seq)
	if _, err := setSanction(ctx, w.conn, sn, e.Subject, e.Time); err != nil {
		return result{err: fmt.Errorf("set sanction: %w", err)}
	}
	if err := w.insertEntry(ctx, e, 0, ""); err != nil {
		return result{err: err}
	}
	return result{msg: e, first: first}
}

// Sanctions returns room's sanctions still in force. See hubbub.Store.
func (s *Store) Sanctions(ctx context.Context, room string) ([]hubbub.Sanction, error) {
	return sqlstore.Read(ctx, &s.guard, sqlstore.OpSanctions, func() ([]hubbub.Sanction, error) {
		rows, err := s.rdb.QueryContext(ctx, `SELECT user_id, name, kind, until_ms, by_name, reason FROM sanctions
			WHERE room = ? AND until_ms > ? ORDER BY user_id, kind`, room, time.Now().UnixMilli())
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		return sqlstore.ReadSanctions(rows, room, scanSanction)
	})
}

// scanSanction reads a row of the sanctions table (but its room) into sn. Times are stored
// as Unix milliseconds.
func scanSanction(rows *sql.Rows, sn *hubbub.Sanction) error {
	var kind string
	var until int64
	if err := rows.Scan(&sn.User, &sn.Name, &kind, &until, &sn.By, &sn.Reason); err != nil {
		return err
	}
	sn.Kind, sn.Until = hubbub.SanctionKind(kind), sqlstore.MsTime(until)
	return nil
}
