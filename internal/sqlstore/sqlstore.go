// Package sqlstore is the part of hubbub's SQL stores (internal/sqlite and internal/postgres)
// that does not depend on the database: what every method does before and after its SQL. A
// reader of either store finds the algorithm here once and the dialect there.
//
// Shared here:
//   - the lifecycle: a Guard fails every call on a closed store or with a done context, and
//     names the store and the operation in every error ("sqlite: since: …"); Read, Find and
//     Guard.Do are that frame around a method's work, so a store writes only its SQL inside;
//   - the checks of arguments: an entry needs a room and a known kind, a change a target;
//     seqs beyond the databases' signed 64-bit columns, and limits below one, match nothing
//     (CheckAppend, SinceArgs, BeforeArgs, SeqArg, RepliesArgs, RangeArgs);
//   - the rules of the room log: which fields of an entry are stored (Stored), when a reply
//     or a change is refused (CheckReply, CheckChange, ReactionLimit), how a toggle changes a
//     message's reactions summary (AddReaction, RemoveReaction), and how mentions and
//     summaries are stored (EncodeMentions, EncodeReactions and their decoders);
//   - the mapping of rows to hubbub values, oldest first (ReadMessages, ReadSanctions,
//     ReadRows, Listed, MsTime);
//   - the statements that read the same in both schemas, written once with PostgreSQL's $n
//     placeholders and turned into SQLite's ?n by Query.In (query.go: OutboxSQL);
//   - the retention rule (KeepsAll, Excess, LogCut; Cut for a log of messages only).
//   - the rules of files (files.go): what CreateFile stores (CheckNewFile, CutName), the
//     quota (OverQuotaAfter), which attachments a message may carry (CheckAttachments,
//     AttachmentIDs), the refusals (NoFile, OverQuota, FileExists) and how a message's
//     attachments are stored (EncodeAttachments, DecodeAttachments).
//
// Each store keeps what differs with the database: its SQL, its column types (SQLite stores
// times as Unix milliseconds, PostgreSQL as timestamptz), its driver (database/sql or pgx)
// and its write path. Both commit appends in groups through internal/groupcommit, but the
// transactions differ: SQLite has one writer connection, which numbers each append with an
// upsert inside a savepoint and finds a resend when the idempotency index refuses it;
// PostgreSQL is shared by nodes, so each batch locks its rooms' rows in name order, reads the
// batch's client ids and the rows its changes depend on first, decides the whole batch in
// memory, and retries when another node won a race.
package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
)

// ErrClosed is returned, wrapped, by every call on a store after Close.
var ErrClosed = errors.New("store is closed")

// Op names a store operation in errors.
type Op string

// The operations of a hubbub.Store, as errors name them.
const (
	OpAppend        Op = "append"
	OpSince         Op = "since"
	OpBefore        Op = "before"
	OpNotices       Op = "notices"
	OpLastSeq       Op = "last seq"
	OpPrune         Op = "prune"
	OpSkipSeqs      Op = "skip seqs"
	OpLastRestore   Op = "last restore"
	OpSanctions     Op = "sanctions"
	OpSanctionsPage Op = "sanctions page"
	OpRooms         Op = "rooms"
	OpReplies       Op = "replies"
	OpRevisions     Op = "revisions"
	OpReactedBy     Op = "reacted by"
	OpSearch        Op = "search"
	OpCheck         Op = "check"
	OpClose         Op = "close"
)

// Guard is a store's open or closed state and the name its errors begin with. Every method
// of the store passes Begin first. The zero value with Name set is an open store's; a Guard
// must not be copied.
type Guard struct {
	// Name begins every error of the store: "sqlite", "postgres".
	Name string

	closed atomic.Bool
}

// Begin returns nil if the store may serve op now, or why not: ErrClosed after Close, or
// ctx's error once ctx is done; the error is wrapped for op.
func (g *Guard) Begin(ctx context.Context, op Op) error {
	if g.closed.Load() {
		return g.Wrap(op, ErrClosed)
	}
	if err := ctx.Err(); err != nil {
		return g.Wrap(op, err)
	}
	return nil
}

// Wrap returns err prefixed with the store's name and op ("sqlite: since: …"), or nil if
// err is nil.
func (g *Guard) Wrap(op Op, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %s: %w", g.Name, op, err)
}

// Closed reports whether Close has been called.
func (g *Guard) Closed() bool { return g.closed.Load() }

// Close marks the store closed, so that Begin fails from now on. It returns nil the first
// time, when the caller then releases the store's resources, and ErrClosed (wrapped) after.
func (g *Guard) Close() error {
	if !g.closed.CompareAndSwap(false, true) {
		return g.Wrap(OpClose, ErrClosed)
	}
	return nil
}

// Read is the frame of a store method that reads: it fails as Begin does, runs read, and
// wraps read's error for op. On an error it returns the zero T, never a part of a result.
func Read[T any](ctx context.Context, g *Guard, op Op, read func() (T, error)) (T, error) {
	var zero T
	if err := g.Begin(ctx, op); err != nil {
		return zero, err
	}
	out, err := read()
	if err != nil {
		return zero, g.Wrap(op, err)
	}
	return out, nil
}

// Find is Read for a method that looks one thing up and reports whether it found it.
func Find[T any](ctx context.Context, g *Guard, op Op, find func() (T, bool, error)) (T, bool, error) {
	var zero T
	if err := g.Begin(ctx, op); err != nil {
		return zero, false, err
	}
	out, found, err := find()
	if err != nil {
		return zero, false, g.Wrap(op, err)
	}
	return out, found, nil
}

// Do is Read for a method that returns only an error.
func (g *Guard) Do(ctx context.Context, op Op, do func() error) error {
	if err := g.Begin(ctx, op); err != nil {
		return err
	}
	return g.Wrap(op, do())
}

// Result returns out and err, or the zero T with err: what a method returns after its write,
// whose closure may have filled out before it failed.
func Result[T any](out T, err error) (T, error) {
	if err != nil {
		var zero T
		return zero, err
	}
	return out, nil
}
