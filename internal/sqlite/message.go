package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"hubbub"
	"hubbub/internal/sqlstore"
)

// appendMessage stores message m. It inserts first and looks for the original only when the
// insert is refused for its client id: a resend is rare, and a lookup before every insert
// cost a tenth of the server's CPU in a busy node. A reply then counts itself in its parent,
// after the insert, so that a resend of a reply still returns the first outcome however the
// parent changed.
func (w *writer) appendMessage(ctx context.Context, m hubbub.Entry) result {
	var seq, ord int64
	if err := w.stmts.messageSeq.QueryRowContext(ctx, m.Room).Scan(&seq, &ord); err != nil {
		return result{err: w.roomKeyTaken(ctx, m.Room, fmt.Errorf("next seq: %w", err))}
	}
	seq, first, err := w.startLog(ctx, m.Room, seq)
	if err != nil {
		return result{err: err}
	}
	m.Seq = uint64(seq)
	res, inserted := w.insertMessage(ctx, m, seq, ord)
	if !inserted {
		return res
	}
	if m.ReplyTo > 0 {
		if err := w.countReply(ctx, m); err != nil {
			return result{err: err}
		}
	}
	if err := w.addMentions(ctx, m.Room, seq, m.User, sqlstore.MentionKeys(m.Mentions, m.MentionRoom)); err != nil {
		return result{err: err}
	}
	if len(m.Attachments) > 0 {
		// After the insert, so that a resend (refused there) returns the first outcome.
		if m.Attachments, err = w.attach(ctx, m); err != nil {
			return result{err: err}
		}
	}
	return result{msg: m, first: first}
}

// replyArg is a reply's parent as stored: a seq no message can have (beyond the signed
// column) becomes -1, which countReply then does not find.
func replyArg(parent uint64) int64 {
	if p, ok := sqlstore.SeqArg(parent); ok {
		return p
	}
	if parent == 0 {
		return 0
	}
	return -1
}

// countReply adds reply m to its parent's reply count, or refuses m if the room has no such
// parent.
func (w *writer) countReply(ctx context.Context, m hubbub.Entry) error {
	parent, ok := sqlstore.SeqArg(m.ReplyTo)
	if !ok {
		return sqlstore.CheckReply(m, nil)
	}
	res, err := w.stmts.addReply.ExecContext(ctx, m.Room, parent, int64(m.Seq))
	if err != nil {
		return fmt.Errorf("count reply: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		if err != nil {
			return fmt.Errorf("count reply: %w", err)
		}
		return sqlstore.CheckReply(m, nil)
	}
	return nil
}

// addMentions indexes message seq of room, sent by user, under each of keys
// (sqlstore.MentionKeys), for MyRooms' mention counts.
func (w *writer) addMentions(ctx context.Context, room string, seq int64, user string, keys []string) error {
	for _, k := range keys {
		if _, err := w.stmts.addMention.ExecContext(ctx, room, k, seq, user); err != nil {
			return fmt.Errorf("index mention: %w", err)
		}
	}
	return nil
}

// removeMentions takes message seq of room out of the index under each of keys.
func (w *writer) removeMentions(ctx context.Context, room string, seq int64, keys []string) error {
	for _, k := range keys {
		if _, err := w.stmts.removeMention.ExecContext(ctx, room, k, seq); err != nil {
			return fmt.Errorf("unindex mention: %w", err)
		}
	}
	return nil
}

// findResend returns the stored entry, of any kind, that message e resends, which must be
// there: e's insert was refused for its client id.
func (w *writer) findResend(ctx context.Context, e hubbub.Entry) result {
	if res, ok := w.resent(ctx, &e); ok {
		return res
	}
	return result{err: fmt.Errorf("find client id: %q of %q refused but not found", e.ClientID, e.User)}
}

// resent answers e if it resends an entry: the one of any kind with e's room, user and client
// id, as Since would return it, a duplicate, or the error of looking it up; ok is false when
// e has no client id or none was stored with it. A change, a room change and a sanction ask
// before anything else, so that a resend returns the first outcome whatever happened since;
// a message only once its insert was refused for its client id (findResend), so that a new
// message, the common case, pays no lookup.
func (w *writer) resent(ctx context.Context, e *hubbub.Entry) (res result, ok bool) {
	if e.ClientID == "" {
		return result{}, false
	}
	got, found, err := w.byClient(ctx, e)
	if err != nil {
		return result{err: fmt.Errorf("find client id: %w", err)}, true
	}
	if !found {
		return result{}, false
	}
	return result{msg: got, dup: true}, true
}

// byClient looks for the entry with e's room, user and client id, first among messages.
func (w *writer) byClient(ctx context.Context, e *hubbub.Entry) (hubbub.Entry, bool, error) {
	for _, st := range []*sql.Stmt{w.stmts.messageByClient, w.stmts.entryByClient} {
		got, err := scanOne(st.QueryContext(ctx, e.Room, e.User, e.ClientID))
		if err == nil {
			got.Room = e.Room
			return got, true, nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return hubbub.Entry{}, false, err
		}
	}
	return hubbub.Entry{}, false, nil
}
