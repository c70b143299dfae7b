package postgres

import (
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"hubbub"
	"hubbub/internal/sqlstore"
)

// A log row is an entry of either table in one shape, so that one scan reads both and Since
// can merge them: the columns of logColumns, messages giving the change columns as zeros and
// entries the message state columns.
const (
	messageRow = `'' AS kind, seq, id, client_id, sender, user_id, text, created_at, deleted, reply_to, reply_count,
		mentions, mention_room, edited_at, reactions, 0::bigint AS target, false AS moderator, '' AS emoji,
		false AS added, 0 AS count, '' AS subject, '' AS subject_name, '' AS action, '' AS role, attachments, bot,
		false AS auto, NULL::timestamptz AS until_at`
	entryRow = `kind, seq, id, client_id, sender, user_id, text, created_at, false AS deleted, 0::bigint AS reply_to,
		0 AS reply_count, mentions, mention_room, NULL::timestamptz AS edited_at, NULL::jsonb AS reactions,
		target, moderator, emoji, added, count, subject, subject_name, action, role, NULL::jsonb AS attachments, false AS bot,
		auto, until_at`
)

// scanLogRow reads a row of messageRow or entryRow into e (but its Room).
func scanLogRow(rows pgx.Rows, e *hubbub.Entry) error {
	return scanLogRowFrom(rows, e)
}

// scanLogRowFrom is scanLogRow for any row, with extra destinations scanned first.
func scanLogRowFrom(row pgx.Row, e *hubbub.Entry, first ...any) error {
	var (
		kind                string
		seq, replyTo        int64
		mentions, reactions []byte
		attachments         []byte
		editedAt, untilAt   *time.Time
		target              int64
		role                string
	)
	dest := append(first, &kind, &seq, &e.ID, &e.ClientID, &e.From, &e.User, &e.Text, &e.Time, &e.Deleted, &replyTo,
		&e.ReplyCount, &mentions, &e.MentionRoom, &editedAt, &reactions, &target, &e.Moderator, &e.Emoji,
		&e.Added, &e.Count, &e.Subject, &e.SubjectName, &e.Action, &role, &attachments, &e.Bot, &e.Auto, &untilAt)
	if err := row.Scan(dest...); err != nil {
		return err
	}
	e.Kind, e.Seq, e.ReplyTo, e.Target = hubbub.EntryKind(kind), uint64(seq), uint64(replyTo), uint64(target)
	e.Role = hubbub.RoomRole(role)
	e.Time = e.Time.UTC()
	if editedAt != nil {
		e.EditedAt = editedAt.UTC()
	}
	if untilAt != nil {
		e.Until = untilAt.UTC()
	}
	var err error
	if e.Mentions, err = sqlstore.DecodeMentions(string(mentions)); err != nil {
		return fmt.Errorf("seq %d: %w", seq, err)
	}
	if e.Reactions, err = sqlstore.DecodeReactions(string(reactions)); err != nil {
		return fmt.Errorf("seq %d: %w", seq, err)
	}
	if e.Attachments, err = sqlstore.DecodeAttachments(string(attachments)); err != nil {
		return fmt.Errorf("seq %d: %w", seq, err)
	}
	return nil
}

// mentionsArg and reactionsArg return a jsonb argument as the statements take it: the JSON
// text sqlstore encodes, "" (which they turn into NULL) for none.
func mentionsArg(ms []hubbub.Mention) string { return must(sqlstore.EncodeMentions(ms)) }

func reactionsArg(rs []hubbub.Reaction) string { return must(sqlstore.EncodeReactions(rs)) }

func attachmentsArg(as []hubbub.Attachment) string { return must(sqlstore.EncodeAttachments(as)) }

// must returns s, or panics: encoding strings and numbers as JSON cannot fail.
func must(s string, err error) string {
	if err != nil {
		panic(fmt.Sprintf("postgres: encode JSON: %v", err))
	}
	return s
}
