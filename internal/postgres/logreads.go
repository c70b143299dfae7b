package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"hubbub"
	"hubbub/internal/sqlstore"
)

// The reads of a message's thread, texts and reactions.
const (
	// selectReplies is a range of the partial index messages_replies.
	selectReplies = `SELECT ` + messageRow + ` FROM messages
		WHERE room = $1 AND reply_to = $4 AND reply_to > 0 AND seq > $2 ORDER BY seq LIMIT $3`
	// selectRevisions reads the texts before the message's current one (ranges of the
	// primary keys of revisions, oldest first) and then the current one with its deleted
	// flag, in one statement and so from one snapshot: an edit committed meanwhile shows
	// wholly or not at all.
	selectRevisions = `(SELECT false AS current, replaced_by, text, at, false AS deleted FROM revisions
			WHERE room = $1 AND seq = $2)
		UNION ALL
		(SELECT true, 0, text, coalesce(edited_at, created_at), deleted FROM messages WHERE room = $1 AND seq = $2)
		ORDER BY current, replaced_by`
	// selectReactedBy is a range of reactions_by_user.
	selectReactedBy = `SELECT seq, emoji FROM reactions WHERE room = $1 AND user_id = $2 AND seq BETWEEN $3 AND $4
		ORDER BY seq, added_seq`
)

// Replies returns up to limit messages of room replying to message parent with Seq > after,
// oldest first, in their current state. See hubbub.Store.
func (s *Store) Replies(ctx context.Context, room string, parent, after uint64, limit int) ([]hubbub.Entry, error) {
	return sqlstore.Read(ctx, &s.guard, sqlstore.OpReplies, func() ([]hubbub.Entry, error) {
		p, a, ok := sqlstore.RepliesArgs(parent, after, limit)
		if !ok {
			return nil, nil
		}
		return s.readLog(ctx, selectReplies, room, a, limit, false, p)
	})
}

// Revisions returns the texts message seq of room has had, oldest first, its current text
// last. See hubbub.Store.
func (s *Store) Revisions(ctx context.Context, room string, seq uint64) ([]hubbub.Revision, bool, error) {
	return sqlstore.Find(ctx, &s.guard, sqlstore.OpRevisions, func() ([]hubbub.Revision, bool, error) {
		at, ok := sqlstore.SeqArg(seq)
		if !ok {
			return nil, false, nil
		}
		return s.revisions(ctx, room, at)
	})
}

func (s *Store) revisions(ctx context.Context, room string, seq int64) (revs []hubbub.Revision, found bool, err error) {
	rows, _ := s.pool.Query(ctx, selectRevisions, room, seq) // the error comes with rows.Err
	defer rows.Close()
	for rows.Next() {
		var (
			r                hubbub.Revision
			current, deleted bool
			replacedBy       int64
		)
		if err := rows.Scan(&current, &replacedBy, &r.Text, &r.Time, &deleted); err != nil {
			return nil, false, err
		}
		r.Time = r.Time.UTC()
		revs = append(revs, r)
		if current {
			if deleted {
				return nil, true, nil
			}
			return revs, true, rows.Err()
		}
	}
	return nil, false, rows.Err() // no message: its revisions, if any, do not count
}

// ReactedBy returns the reactions user (a user id; for reactions stored before users, the
// name) holds on the messages of room with from ≤ Seq ≤ to, by seq and then in the order they
// were added. See hubbub.Store.
func (s *Store) ReactedBy(ctx context.Context, room, user string, from, to uint64) ([]hubbub.ReactionKey, error) {
	return sqlstore.Read(ctx, &s.guard, sqlstore.OpReactedBy, func() ([]hubbub.ReactionKey, error) {
		lo, hi, ok := sqlstore.RangeArgs(from, to)
		if !ok || !textFits(user) {
			return nil, nil
		}
		rows, _ := s.pool.Query(ctx, selectReactedBy, room, user, lo, hi)
		return pgx.CollectRows(rows, func(row pgx.CollectableRow) (hubbub.ReactionKey, error) {
			var k hubbub.ReactionKey
			var seq int64
			err := row.Scan(&seq, &k.Emoji)
			k.Seq = uint64(seq)
			return k, err
		})
	})
}
