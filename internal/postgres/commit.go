package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"hubbub/internal/sqlstore"
)

// The statements of a batch transaction that reads (round trip 1).
const (
	// lockRoom creates the room's row if needed and, either way, locks it until the
	// transaction ends, returning the room's last seq and message_no as of the lock: the
	// latest committed values, whatever the statement's snapshot. The no-op update is what
	// takes the lock. It also says whether the row is a room, and for one that is not yet, the
	// room holding its name's key (roomkey.go). A row it made for a room that then takes no
	// entry is deleted again before the commit (deleteUnmade). For a room with no entry yet it
	// reads the seq floor its first entry is numbered above (seqFloorOfNew).
	lockRoom = `INSERT INTO rooms (name, last_seq) VALUES ($1, 0)
		ON CONFLICT (name) DO UPDATE SET last_seq = rooms.last_seq
		RETURNING last_seq, last_message_no, last_seq > 0 OR created IS NOT NULL, ` + keyHolderOfNew + `, ` + seqFloorOfNew
	// batchTime is the server's clock, read after the locks so that times never go back
	// within a room.
	batchTime = `SELECT date_trunc('milliseconds', clock_timestamp())`
	// findKeys returns the stored entries, of both tables, that hold any of the (room,
	// user_id, client_id) keys given, and after each member change among them the handover
	// that followed it, if any (the Auto entry numbered next), which a resend returns with its
	// first outcome: an entry found is read once, and only a found member change probes the
	// entry after it, so a first send reads nothing more than its key. (An Auto entry holds no
	// client id, so each row is one or the other.) It runs after lockRoom, as a statement of
	// its own and so with a snapshot taken after the locks: it sees every entry committed in
	// those rooms. So do the other reads below.
	//
	// Each of these reads looks its keys up one by one (a LATERAL subquery per key, which its
	// LIMIT keeps the planner from turning into a join), so that its plan is an index probe
	// per key whatever the table's statistics say. Written as
	// "(…) IN (SELECT * FROM unnest(…))", a table the statistics think small (a new one,
	// growing faster than autovacuum analyzes it) got a generic plan that hashed the keys
	// and scanned the whole table, and each batch took time growing with the table.
	findKeys = `(SELECT m.* FROM unnest($1::text[], $2::text[], $3::text[]) AS k(k_room, k_user, k_client_id)
			CROSS JOIN LATERAL (SELECT room, ` + messageRow + ` FROM messages
				WHERE room = k_room AND user_id = k_user AND client_id = k_client_id AND client_id <> '' LIMIT 1) AS m)
		UNION ALL
		(SELECT x.* FROM unnest($1::text[], $2::text[], $3::text[]) AS k(k_room, k_user, k_client_id)
			CROSS JOIN LATERAL (SELECT room, ` + entryRow + ` FROM entries
				WHERE room = k_room AND user_id = k_user AND client_id = k_client_id AND client_id <> '' LIMIT 1) AS e
			CROSS JOIN LATERAL (SELECT e.* UNION ALL (SELECT room, ` + entryRow + ` FROM entries
				WHERE e.kind = 'member' AND room = e.room AND seq = e.seq + 1 AND auto LIMIT 1)) AS x)`
	// findMessages reads the messages that the batch's changes and replies name.
	findMessages = `SELECT m.* FROM unnest($1::text[], $2::bigint[]) AS k(k_room, k_seq)
		CROSS JOIN LATERAL (SELECT room, ` + messageRow + ` FROM messages WHERE room = k_room AND seq = k_seq LIMIT 1) AS m`
	// findDeletions reads the delete entries of those messages, which a repeated delete
	// returns.
	findDeletions = `SELECT e.* FROM unnest($1::text[], $2::bigint[]) AS k(k_room, k_target)
		CROSS JOIN LATERAL (SELECT room, ` + entryRow + ` FROM entries
			WHERE room = k_room AND target = k_target AND kind = 'delete' LIMIT 1) AS e`
	// findHolds reads which of the batch's reactions are held now.
	findHolds = `SELECT r.* FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[]) AS k(k_room, k_seq, k_emoji, k_user)
		CROSS JOIN LATERAL (SELECT room, seq, emoji, user_id FROM reactions
			WHERE room = k_room AND seq = k_seq AND emoji = k_emoji AND user_id = k_user LIMIT 1) AS r`
	// findHolders reads the first n holders of each emoji the batch toggles, in the order
	// they reacted: enough to name the first MaxReactionNames after the batch's removals.
	findHolders = `SELECT u.room, u.seq, u.emoji, h.user_id, h.sender
		FROM unnest($1::text[], $2::bigint[], $3::text[], $4::int[]) WITH ORDINALITY AS u(room, seq, emoji, n, i)
		CROSS JOIN LATERAL (SELECT r.user_id, r.sender, r.added_seq FROM reactions r
			WHERE r.room = u.room AND r.seq = u.seq AND r.emoji = u.emoji ORDER BY r.added_seq LIMIT u.n) AS h
		ORDER BY u.i, h.added_seq`
	// findFiles reads and locks the files that the batch's messages attach, in the order of
	// their ids (which every batch uses, so two cannot wait for each other): a file another
	// batch attaches meanwhile is read as it left it.
	findFiles = `SELECT id, user_id, name, type, size, width, height, thumb, room, seq, gone FROM files
		WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE`
	// findMembers reads the memberships that the batch's KindMember entries change.
	findMembers = `SELECT m.* FROM unnest($1::text[], $2::text[]) AS k(k_room, k_user)
		CROSS JOIN LATERAL (SELECT room, user_id, name, role, invited, since FROM memberships
			WHERE room = k_room AND user_id = k_user LIMIT 1) AS m`
	// findOwned reads which of some rooms keep an owner (sqlstore.KeepOwner): those created
	// with one, which are no DM; and one owner of each, if it has any (a probe of
	// memberships_heirs), which is all a join asks: whether anyone owns the room, not who
	// would inherit it.
	findOwned = `SELECT r.name, o.user_id, o.name, o.role, o.invited, o.since FROM rooms r
		LEFT JOIN LATERAL (SELECT user_id, name, role, invited, since FROM memberships
			WHERE room = r.name AND role = 'owner' AND NOT invited LIMIT 1) AS o ON true
		WHERE r.name = ANY($1::text[]) AND r.created_by <> '' AND NOT r.dm`
	// findHeirs reads, for each room whose members the batch changes, what decides whether
	// an owner leaving hands the room over (sqlstore.KeepOwner): up to $2 of its owners, and its
	// $2 longest-standing moderators and members (probes of memberships_heirs). $2 is more
	// than the memberships the batch can change in the room, so that whatever it changes, the
	// rows it leaves as read still hold another owner if one remains, and the heir. The
	// names are the users' current ones, which a handover names its heir by.
	findHeirs = `SELECT k_room, h.user_id, coalesce(u.name, h.name), h.role, h.invited, h.since
		FROM unnest($1::text[], $2::int[]) AS k(k_room, k_n)
		CROSS JOIN LATERAL (
			(SELECT user_id, name, role, invited, since FROM memberships
				WHERE room = k_room AND role = 'owner' AND NOT invited LIMIT k_n)
			UNION ALL (SELECT user_id, name, role, invited, since FROM memberships
				WHERE room = k_room AND role = 'moderator' AND NOT invited ORDER BY since, user_id LIMIT k_n)
			UNION ALL (SELECT user_id, name, role, invited, since FROM memberships
				WHERE room = k_room AND role = 'member' AND NOT invited ORDER BY since, user_id LIMIT k_n)) AS h
		LEFT JOIN LATERAL (SELECT name FROM users WHERE id = h.user_id LIMIT 1) AS u ON true`
)

// The statements of a batch transaction that write (round trip 2), each for all the rows of
// the batch at once, in this order.
const (
	// insertPlainMessages is insertMessages for messages with nothing but text, as most are.
	insertPlainMessages = `INSERT INTO messages (room, seq, id, client_id, sender, user_id, text, created_at, message_no)
		SELECT room, seq, id, client_id, sender, user_id, text, $9::timestamptz, message_no
		FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::bigint[])
			AS u(room, seq, id, client_id, sender, user_id, text, message_no)`
	// insertMessages stores new messages in their state at the end of the batch. JSON
	// arguments are text, "" for NULL.
	insertMessages = `INSERT INTO messages (room, seq, id, client_id, sender, user_id, text, created_at, message_no,
			deleted, reply_to, reply_count, mentions, mention_room, edited_at, reactions, attachments, bot)
		SELECT room, seq, id, client_id, sender, user_id, text, $17::timestamptz, message_no,
			deleted, reply_to, reply_count, nullif(mentions, '')::jsonb, mention_room,
			CASE WHEN edited THEN $17::timestamptz END, nullif(reactions, '')::jsonb, nullif(attachments, '')::jsonb, bot
		FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::bigint[],
			$9::bool[], $10::bigint[], $11::int[], $12::text[], $13::bool[], $14::bool[], $15::text[], $16::text[], $18::bool[])
			AS u(room, seq, id, client_id, sender, user_id, text, message_no,
				deleted, reply_to, reply_count, mentions, mention_room, edited, reactions, attachments, bot)`
	// updateMessages writes back the state of the messages the batch changed.
	updateMessages = `UPDATE messages m SET text = u.text, deleted = u.deleted, reply_count = u.reply_count,
			mentions = nullif(u.mentions, '')::jsonb, mention_room = u.mention_room, reactions = nullif(u.reactions, '')::jsonb,
			edited_at = CASE WHEN u.edited THEN $11::timestamptz ELSE m.edited_at END,
			attachments = nullif(u.attachments, '')::jsonb
		FROM unnest($1::text[], $2::bigint[], $3::text[], $4::bool[], $5::int[], $6::text[], $7::bool[], $8::text[], $9::bool[],
				$10::text[])
			AS u(room, seq, text, deleted, reply_count, mentions, mention_room, reactions, edited, attachments)
		WHERE m.room = u.room AND m.seq = u.seq`
	// attachFiles attaches the files the batch's messages carry; dropFiles marks those of
	// the messages it deleted gone (a file the collector deleted meanwhile is no more).
	attachFiles = `UPDATE files f SET room = u.room, seq = u.seq
		FROM unnest($1::text[], $2::text[], $3::bigint[]) AS u(id, room, seq) WHERE f.id = u.id`
	dropFiles = `UPDATE files f SET gone = true
		FROM unnest($1::text[], $2::text[], $3::bigint[]) AS u(id, room, seq)
		WHERE f.id = u.id AND f.room = u.room AND f.seq = u.seq`
	insertEntries = `INSERT INTO entries (room, seq, id, client_id, sender, kind, target, text, mentions,
			mention_room, moderator, emoji, added, count, user_id, subject, subject_name, action, role, auto, until_at, created_at)
		SELECT room, seq, id, client_id, sender, kind, target, text, nullif(mentions, '')::jsonb,
			mention_room, moderator, emoji, added, count, user_id, subject, subject_name, action, role, auto, until_at, $20::timestamptz
		FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[],
			$8::text[], $9::text[], $10::bool[], $11::bool[], $12::text[], $13::bool[], $14::int[],
			$15::text[], $16::text[], $17::text[], $18::text[], $19::text[], $21::bool[], $22::timestamptz[])
			AS u(room, seq, id, client_id, sender, kind, target, text, mentions,
				mention_room, moderator, emoji, added, count, user_id, subject, subject_name, action, role, auto, until_at)`
	// emptyRevisions and emptyEdits empty what deleted messages leave: their revisions and
	// what their edits said.
	emptyRevisions = `DELETE FROM revisions WHERE (room, seq) IN (SELECT * FROM unnest($1::text[], $2::bigint[]))`
	emptyEdits     = `UPDATE entries SET text = '', mentions = NULL, mention_room = false WHERE kind = 'edit'
		AND (room, target) IN (SELECT * FROM unnest($1::text[], $2::bigint[]))`
	insertRevisions = `INSERT INTO revisions (room, seq, replaced_by, text, at)
		SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::text[], $5::timestamptz[])`
	deleteReactions = `DELETE FROM reactions
		WHERE (room, seq, emoji, user_id) IN (SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[]))`
	insertReactions = `INSERT INTO reactions (room, seq, emoji, user_id, sender, added_seq)
		SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::bigint[])`
	// deleteMentioned and insertMentioned replace the mentions of the messages the batch
	// edited or deleted, and add those of its new messages.
	deleteMentioned = `DELETE FROM mentioned WHERE (room, seq) IN (SELECT * FROM unnest($1::text[], $2::bigint[]))`
	insertMentioned = `INSERT INTO mentioned (room, seq, user_id, sender)
		SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[])`
	// liftSanction and putSanction write the change of a KindSanction entry to the room's
	// sanctions, one statement per entry in seq order (sanctions are rare).
	liftSanction = `DELETE FROM sanctions WHERE room = $1 AND user_id = $2 AND kind = $3`
	putSanction  = `INSERT INTO sanctions (room, user_id, name, kind, until_at, by_name, reason)
		VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (room, user_id, kind) DO UPDATE SET name = excluded.name, until_at = excluded.until_at,
			by_name = excluded.by_name, reason = excluded.reason`
	// deleteMembers and upsertMembers write back the memberships the batch changed.
	deleteMembers = `DELETE FROM memberships WHERE (room, user_id) IN (SELECT * FROM unnest($1::text[], $2::text[]))`
	upsertMembers = `INSERT INTO memberships (room, user_id, name, role, invited, since)
		SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bool[], $6::timestamptz[])
		ON CONFLICT (room, user_id) DO UPDATE SET name = excluded.name, role = excluded.role,
			invited = excluded.invited, since = excluded.since`
	// raiseLastSeqs ends each batch: the rooms' last seqs and message numbers, their topics
	// (NULL: unchanged) and member counts, and for a room whose metadata or members the batch
	// changed its time of creation if it had none (a room created by a join before rooms
	// had metadata gets it on its first change).
	raiseLastSeqs = `UPDATE rooms SET last_seq = u.last_seq, last_message_no = u.last_no,
			topic = coalesce(u.topic, rooms.topic), members = rooms.members + u.delta,
			created = CASE WHEN u.changed THEN coalesce(rooms.created, $7::timestamptz) ELSE rooms.created END
		FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::text[], $5::int[], $6::bool[])
			AS u(name, last_seq, last_no, topic, delta, changed)
		WHERE rooms.name = u.name`
	// deleteUnmade deletes the rows lockRoom made for rooms that took no entry
	// (roomKeys.unmade), after every write: a row the batch made a room (a seq, metadata)
	// stays. A transaction waiting to lock one of them inserts the row again once this one
	// commits (INSERT ... ON CONFLICT finds no row then).
	deleteUnmade = `DELETE FROM rooms WHERE name = ANY($1::text[]) AND last_seq = 0 AND created IS NULL`
)

// maxAttempts is how often a batch is tried before its appends fail; see retryable.
const maxAttempts = 4

// commitAppends stores the messages of reqs in one transaction and leaves each outcome in
// its request. It is the writers' process function: the queue has left out the requests
// their callers abandoned, and answers the others when it returns.
//
// The transaction first locks the row of every room the batch touches, in the order of
// the room names, which every batch on every node uses: appenders of one room take turns,
// and two batches can never wait for each other's locks (no deadlock). Holding the locks,
// it looks up the client ids of the batch, which finds every message committed before,
// numbers the new messages from the rooms' last seqs, inserts them and raises last_seq.
// A duplicate therefore never takes a seq. The unique index on client ids backs this up
// against writers that do not lock: its violation rolls the batch back and it runs again,
// which then finds the message as a duplicate. So does rooms_key for two batches making rooms
// of one key at once, whose locks are of two rows: the batch that runs again finds the room
// the other made (roomkey.go).
func (w *writer) commitAppends(reqs []*request) {
	ctx, cancel := context.WithTimeout(context.Background(), w.txTimeout) // the batch outlives its callers' contexts
	defer cancel()
	slices.SortStableFunc(reqs, func(a, b *request) int { return strings.Compare(a.msg.Room, b.msg.Room) })
	for attempt := 1; ; attempt++ {
		out, committing, err := w.attempt(ctx, reqs, attempt)
		if err == nil {
			w.batches.Add(1)
			w.noteAppended(out)
			for i, r := range reqs {
				r.res = out[i]
			}
			return
		}
		if committing || attempt == maxAttempts || ctx.Err() != nil || !retryable(err) {
			w.log.Error("postgres: group commit failed", "appends", len(reqs), "attempt", attempt, "err", err)
			for _, r := range reqs {
				r.res = result{err: err}
			}
			return
		}
		w.retries.Add(1)
		w.log.Warn("postgres: retrying batch", "appends", len(reqs), "attempt", attempt, "err", err)
		if connectionLost(err) {
			// The other idle connections are most likely dead too (server restart,
			// failover): drop them rather than fail on each in turn.
			w.pool.Reset()
		}
		select {
		case <-time.After(time.Duration(attempt) * 10 * time.Millisecond):
		case <-ctx.Done():
		}
	}
}

// key is an idempotency key: room, user id, client id.
type key struct{ room, user, clientID string }

// The statements that begin and end a batch transaction. They travel in the pipelines of the
// reads and the writes: a batch is two round trips, not four (BEGIN and COMMIT on their own,
// as pgx's Tx sends them, each cost a node a write, a wake-up and a read per batch; a node of
// a cluster commits batches a third the size, so it pays them three times as often).
const (
	beginBatch  = `BEGIN ISOLATION LEVEL READ COMMITTED`
	commitBatch = `COMMIT`
)

// attempt runs the batch transaction once and returns the outcome of each request of reqs,
// which are sorted by room. committing reports that the outcome is unknown (the error came
// with or after the COMMIT that ends the writes' pipeline, or the connection failed while it
// was on its way), after which the batch must not run again.
func (w *writer) attempt(ctx context.Context, reqs []*request, attempt int) (out []result, committing bool, err error) {
	conn, err := w.pool.Acquire(ctx)
	if err != nil {
		return nil, false, fmt.Errorf("begin: %w", err)
	}
	defer func() {
		// A transaction left open (a statement failed, so the server skipped the rest of
		// its pipeline, COMMIT included) is rolled back; the pool closes a connection that
		// is still in one rather than hand it out.
		if conn.Conn().PgConn().TxStatus() != 'I' && !conn.Conn().IsClosed() {
			rollbackConn(conn.Conn())
		}
		conn.Release()
	}()

	// Round trip 1: begin, lock the rooms in order, read the clock, look up the client ids
	// and what the changes and replies need.
	var rooms []string
	for _, r := range reqs {
		if len(rooms) == 0 || rooms[len(rooms)-1] != r.msg.Room {
			rooms = append(rooms, r.msg.Room)
		}
	}
	last := make(map[string]int64, len(rooms))
	lastNo := make(map[string]int64, len(rooms))
	var keys roomKeys
	var floor int64 // the seq floor, if a room of the batch has no entry yet
	b := &pgx.Batch{}
	b.Queue(beginBatch)
	for _, room := range rooms {
		b.Queue(lockRoom, room).QueryRow(func(row pgx.Row) error {
			var seq, no, f int64
			var isRoom bool
			var holder string
			err := row.Scan(&seq, &no, &isRoom, &holder, &f)
			last[room], lastNo[room] = seq, no
			floor = max(floor, f)
			keys.locked(room, isRoom, holder)
			return err
		})
	}
	var now time.Time
	if w.now == nil {
		b.Queue(batchTime).QueryRow(func(row pgx.Row) error { return row.Scan(&now) })
	} else {
		now = w.now()
	}
	// Which of the batch's entries go to the outbox too: the webhooks are read in the
	// transaction, after the locks, as every node may create a webhook; so are the rooms of
	// the batch where someone's level is "all" (a message there may notify).
	hooks := w.queueHooks(b, rooms)
	p := newPlan(time.Time{}, last, lastNo)
	queueReads(b, reqs, p)
	if err := conn.SendBatch(ctx, b).Close(); err != nil {
		return nil, false, fmt.Errorf("read: %w", err)
	}
	p.floor = floor
	if w.afterLookup != nil {
		w.afterLookup(attempt)
	}

	// Decide every append in seq order; an append that would make a room whose key another
	// room holds is refused first (roomkey.go).
	p.now = sqlstore.MsTime(now.UnixMilli())
	out = make([]result, len(reqs))
	for i, r := range reqs {
		if err := keys.refusal(r.msg.Room); err != nil {
			out[i] = result{err: err}
			continue
		}
		out[i] = p.apply(r.msg)
		keys.applied(r.msg.Room, out[i])
	}

	// Round trip 2: write what changed and raise the rooms' last seqs, and the outbox, and
	// commit.
	b = p.writes(rooms)
	if filter, err := hooks.filter(&w.hookCache); err != nil {
		return nil, false, fmt.Errorf("webhooks: %w", err)
	} else if filter.Any() {
		if err := queueOutbox(b, out, filter, hooks.allRooms); err != nil {
			return nil, false, err
		}
	}
	if unmade := keys.unmade(); len(unmade) > 0 {
		b.Queue(deleteUnmade, unmade)
	}
	b.Queue(commitBatch)
	if err := conn.SendBatch(ctx, b).Close(); err != nil {
		// A failed transaction block ('E') means a write failed and the server skipped
		// the rest, COMMIT included: nothing was committed and the batch may run again.
		// Anything else (the COMMIT failed, the connection broke with the pipeline sent)
		// leaves the outcome unknown.
		if conn.Conn().PgConn().TxStatus() == 'E' {
			return nil, false, fmt.Errorf("write: %w", err)
		}
		return nil, true, fmt.Errorf("write and commit: %w", err)
	}
	return out, false, nil
}

// rollbackConn ends the failed transaction open on conn. If the connection is broken, pgx
// closes it and the server rolls back on its own; the timeout only keeps a hung connection
// from holding the writer.
func rollbackConn(conn *pgx.Conn) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := conn.Exec(ctx, "ROLLBACK"); err != nil {
		// The connection's state is unknown: the pool must not hand it out again.
		_ = conn.Close(ctx)
	}
}

// rollback ends a failed transaction. If the connection is broken, pgx closes it and the
// server rolls back on its own; the timeout only keeps a hung connection from holding the
// writer.
func rollback(tx pgx.Tx) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = tx.Rollback(ctx)
}

// retryable reports whether a batch that failed with err before COMMIT may run again:
// nothing of it was committed, and another attempt may succeed.
func retryable(err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return true // the connection failed (or a client-side error, which fails again quickly)
	}
	switch {
	case pe.Code == "23505": // unique_violation: only the race on a client id or a room's key is expected
		// The next attempt finds the client id stored, or the room that took the key
		// (roomkey.go).
		return pe.ConstraintName == "messages_client_id" || pe.ConstraintName == "entries_client_id" ||
			pe.ConstraintName == "rooms_key"
	case strings.HasPrefix(pe.Code, "40"): // serialization_failure, deadlock_detected
		return true
	}
	return connectionLost(err)
}

// connectionLost reports whether err says the connection is gone: a network error, or the
// server shutting the session down (administrator command, crash, restart).
func connectionLost(err error) bool {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded)
	}
	return strings.HasPrefix(pe.Code, "08") || strings.HasPrefix(pe.Code, "57P")
}
