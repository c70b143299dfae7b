package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"hubbub"
	"hubbub/internal/sqlstore"
)

// The writes of a sanction, which a KindSanction entry makes (appendSanction).
const (
	liftSanctionSQL = `DELETE FROM sanctions WHERE room = ? AND user_id = ? AND kind = ?`
	putSanctionSQL  = `INSERT INTO sanctions (room, user_id, name, kind, until_ms, by_name, reason)
		VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (room, user_id, kind) DO UPDATE SET name = excluded.name, until_ms = excluded.until_ms,
			by_name = excluded.by_name, reason = excluded.reason`
)

// setSanction stores sn keyed by user, or removes it if it is not in force at now, on conn:
// the writer's, inside a batch's transaction.
func setSanction(ctx context.Context, conn *sql.Conn, sn hubbub.Sanction, user string, now time.Time) error {
	var err error
	if sn.Active(now) {
		_, err = conn.ExecContext(ctx, putSanctionSQL, sn.Room, user, sn.Name, string(sn.Kind), sn.Until.UnixMilli(), sn.By, sn.Reason)
	} else {
		_, err = conn.ExecContext(ctx, liftSanctionSQL, sn.Room, user, string(sn.Kind))
	}
	return err
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
	if err := setSanction(ctx, w.conn, sn, e.Subject, e.Time); err != nil {
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

// sanctionsPageSQL reads a page of a room's sanctions in force: room, after, now (Unix ms),
// limit.
const sanctionsPageSQL = `SELECT user_id, name, kind, until_ms, by_name, reason FROM sanctions
	WHERE room = ? AND user_id > ? AND until_ms > ? ORDER BY user_id, kind LIMIT ?`

// SanctionsPage returns a page of room's sanctions still in force, by user id. See
// hubbub.Store. The primary key (room, user_id, kind) is the order asked for, so the page is
// one range of it; SQLite compares TEXT as bytes, the order of the contract.
func (s *Store) SanctionsPage(ctx context.Context, room, after string, limit int) ([]hubbub.Sanction, error) {
	return sqlstore.Read(ctx, &s.guard, sqlstore.OpSanctionsPage, func() ([]hubbub.Sanction, error) {
		if limit <= 0 {
			return nil, nil
		}
		rows, err := s.rdb.QueryContext(ctx, sanctionsPageSQL, room, after, time.Now().UnixMilli(), limit)
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
