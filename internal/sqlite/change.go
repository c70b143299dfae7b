package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"hubbub"
	"hubbub/internal/sqlstore"
)

// appendChange stores e, an edit, delete or reaction, inside the savepoint appendOne opened:
// it looks for a resend first (a resend returns the first outcome whatever happened to the
// message since), then reads the target message and lets sqlstore.CheckChange judge, and
// only then takes a seq and changes the message's state beside the new entry (a reaction
// past the limit is refused there, and the savepoint gives its seq back).
func (w *writer) appendChange(ctx context.Context, e hubbub.Entry) result {
	if res, ok := w.resent(ctx, &e); ok {
		return res
	}
	target, _ := sqlstore.SeqArg(e.Target) // CheckAppend refused a Target out of range
	var t hubbub.Entry
	var reactions, oldMentions string
	err := w.stmts.target.QueryRowContext(ctx, e.Room, target).Scan(&t.From, &t.User, &t.Deleted, &reactions,
		&oldMentions, &t.MentionRoom)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return result{err: fmt.Errorf("read target: %w", err)}
	}
	found := &t
	if err != nil {
		found = nil
	}
	if err := sqlstore.CheckChange(e, found); err != nil {
		return result{err: err}
	}
	if t.Deleted { // a permitted delete of a tombstone: the first delete answers
		return w.deletedBy(ctx, e, target)
	}
	if e.Kind == hubbub.KindDelete {
		e.Subject, e.SubjectName = sqlstore.Actor(t), t.From // whose message it was (hubbub.KindDelete)
	}
	var seq int64
	if err := w.stmts.entrySeq.QueryRowContext(ctx, e.Room).Scan(&seq); err != nil {
		return result{err: fmt.Errorf("next seq: %w", err)}
	}
	e.Seq = uint64(seq)
	switch e.Kind {
	case hubbub.KindEdit, hubbub.KindDelete:
		// The message's mentions change: its rows in mentions follow.
		if t.Mentions, err = sqlstore.DecodeMentions(oldMentions); err != nil {
			return result{err: err}
		}
		err = w.removeMentions(ctx, e.Room, target, sqlstore.MentionKeys(t.Mentions, t.MentionRoom))
		if err == nil && e.Kind == hubbub.KindEdit {
			err = w.edit(ctx, e, target)
			if err == nil {
				err = w.addMentions(ctx, e.Room, target, t.User, sqlstore.MentionKeys(e.Mentions, e.MentionRoom))
			}
		} else if err == nil {
			err = w.tombstone(ctx, e.Room, target)
		}
	case hubbub.KindReaction:
		e.Added, e.Count, err = w.toggle(ctx, e, target, reactions)
	}
	if err != nil {
		return result{err: err}
	}
	mentions, err := sqlstore.EncodeMentions(e.Mentions)
	if err != nil {
		return result{err: err}
	}
	if err := w.insertEntry(ctx, e, target, mentions); err != nil {
		return result{err: err}
	}
	return result{msg: e}
}

// insertEntry stores entry e (any kind but a message), numbered already, changing message
// target (0 for none), with its mentions encoded.
func (w *writer) insertEntry(ctx context.Context, e hubbub.Entry, target int64, mentions string) error {
	if _, err := w.stmts.entry.ExecContext(ctx, e.Room, int64(e.Seq), e.ID, e.ClientID, e.From, string(e.Kind), target,
		e.Text, mentions, e.MentionRoom, e.Emoji, e.Added, e.Count, e.Moderator, e.Time.UnixMilli(),
		e.User, e.Subject, e.SubjectName, e.Action, string(e.Role), e.Auto, untilMs(e.Until)); err != nil {
		return fmt.Errorf("insert %s: %w", e.Kind, err)
	}
	return nil
}

// edit makes e's text and mentions message target's, keeping the text before the first edit
// as the original revision (the later ones are the edits' own).
func (w *writer) edit(ctx context.Context, e hubbub.Entry, target int64) error {
	mentions, err := sqlstore.EncodeMentions(e.Mentions)
	if err != nil {
		return err
	}
	if _, err := w.stmts.edit.ExecContext(ctx, e.Text, mentions, e.MentionRoom, e.Time.UnixMilli(), e.Room, target); err != nil {
		return fmt.Errorf("edit: %w", err)
	}
	return nil
}

// tombstone turns message target of room, which appendChange found and found not deleted,
// into a tombstone: no text, no revisions (the original and the edits' texts go), no
// mentions; its reactions, replies and edited time stay.
func (w *writer) tombstone(ctx context.Context, room string, target int64) error {
	if _, err := w.stmts.tombstone.ExecContext(ctx, room, target); err != nil {
		return fmt.Errorf("delete: %w", err)
	}
	if _, err := w.stmts.emptyEdits.ExecContext(ctx, room, target); err != nil {
		return fmt.Errorf("delete edits: %w", err)
	}
	if _, err := w.stmts.dropFiles.ExecContext(ctx, room, target); err != nil {
		return fmt.Errorf("delete files: %w", err)
	}
	return nil
}

// deletedBy answers a delete of a tombstone with the delete entry that made it, as a
// duplicate, so that only the first of several deletes is told to the members. A tombstone
// made before the room log (by the Store's DeleteMessage of then) has no such entry; the
// answer is then e itself, unnumbered (Seq 0, no ID or Time).
func (w *writer) deletedBy(ctx context.Context, e hubbub.Entry, target int64) result {
	got, err := scanOne(w.stmts.deletedBy.QueryContext(ctx, e.Room, target))
	if errors.Is(err, sql.ErrNoRows) {
		e.ID, e.Time = "", time.Time{}
		return result{msg: e, dup: true}
	}
	if err != nil {
		return result{err: fmt.Errorf("find delete: %w", err)}
	}
	got.Room = e.Room
	return result{msg: got, dup: true}
}

// toggle adds e.User's reaction e.Emoji to message target, or removes it if they hold it,
// and stores the message's new summary (reactions, as read with the target). The summary
// shows e.From, the name the user reacts under, and a removal takes away the name the user
// reacted under. It returns whether it added, and how many hold the reaction now.
func (w *writer) toggle(ctx context.Context, e hubbub.Entry, target int64, reactions string) (added bool, count int, err error) {
	summary, err := sqlstore.DecodeReactions(reactions)
	if err != nil {
		return false, 0, err
	}
	var heldAs string
	err = w.stmts.unreact.QueryRowContext(ctx, e.Room, target, e.Emoji, e.User).Scan(&heldAs)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return false, 0, fmt.Errorf("unreact: %w", err)
	}
	if err == nil {
		summary, count, err = sqlstore.RemoveReaction(summary, e.Emoji, heldAs, func() ([]string, error) {
			return w.holders(ctx, e.Room, target, e.Emoji)
		})
	} else {
		added = true
		summary, count, err = sqlstore.AddReaction(summary, e.Emoji, e.From)
		if err == nil {
			_, err = w.stmts.react.ExecContext(ctx, e.Room, target, e.Emoji, e.User, e.From, int64(e.Seq))
		}
	}
	if err != nil {
		return false, 0, err
	}
	encoded, err := sqlstore.EncodeReactions(summary)
	if err != nil {
		return false, 0, err
	}
	if _, err := w.stmts.setReactions.ExecContext(ctx, encoded, e.Room, target); err != nil {
		return false, 0, fmt.Errorf("store reactions: %w", err)
	}
	return added, count, nil
}

// holders returns the first MaxReactionNames users who hold emoji on message seq, in the
// order they reacted.
func (w *writer) holders(ctx context.Context, room string, seq int64, emoji string) ([]string, error) {
	rows, err := w.stmts.holders.QueryContext(ctx, room, seq, emoji, hubbub.MaxReactionNames)
	if err != nil {
		return nil, fmt.Errorf("reaction holders: %w", err)
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return nil, fmt.Errorf("reaction holders: %w", err)
		}
		names = append(names, name)
	}
	return names, rows.Err()
}

// untilMs is a sanction's end as entries.until_ms stores it: Unix milliseconds, 0 for none.
func untilMs(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}
