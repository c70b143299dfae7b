package postgres

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"hubbub"
	"hubbub/internal/groupcommit"
	"hubbub/internal/sqlstore"
)

// request is one Append waiting for a writer. The caller may give up while it is queued;
// once a writer has taken it, the caller waits for the outcome (at most Options.TxTimeout),
// so that giving up never hides a stored message (see groupcommit).
type request struct {
	groupcommit.Request

	msg hubbub.Entry // the message to append
	res result       // the outcome, left by the writer before it finishes the request
}

// result is what a writer answers.
type result struct {
	msg hubbub.Entry
	// handover is the entry appended after msg (the only owner's leave or remove) that made
	// another member owner (plan.member), nil if none: the outbox gets it after msg.
	handover *hubbub.Entry
	dup      bool
	// first is set when msg is the first entry of its room's log (plan.apply).
	first bool
	err   error
}

// writer runs Options.Writers goroutines (those of q) that take appends off the queue,
// group them into batches and commit each batch in one transaction: group commit. The
// server's row lock on each room keeps seqs right between the goroutines of one node as
// between nodes.
type writer struct {
	pool *pgxpool.Pool
	q    *groupcommit.Queue[*request]

	txTimeout time.Duration
	now       func() time.Time // nil: the server's clock
	log       *slog.Logger

	batches atomic.Int64 // committed batch transactions, for tests and benchmarks
	retries atomic.Int64 // batch attempts that failed and were tried again

	// afterLookup, if set, runs in each attempt between the client-id lookup and the insert.
	// Tests use it to provoke the race the unique index and the retry exist for.
	afterLookup func(attempt int)

	hookCache sqlstore.FilterCache // the webhooks the last batch read, decoded (one batch at a time)

	idx *indexer // writes the search index behind the appends
}

func newWriter(pool *pgxpool.Pool, idx *indexer, o Options) *writer {
	w := &writer{
		pool:      pool,
		idx:       idx,
		txTimeout: o.TxTimeout,
		now:       o.Now,
		log:       o.Logger,
	}
	w.q = groupcommit.New(groupcommit.Config{
		Window:    o.BatchWindow,
		MaxBatch:  o.MaxBatch,
		Workers:   o.Writers,
		ErrClosed: ErrClosed,
	}, w.commitAppends)
	return w
}

// noteAppended tells the indexer the rooms of the entries a batch stored.
func (w *writer) noteAppended(out []result) {
	counts := map[string]int{}
	for _, r := range out {
		if r.err == nil && !r.dup {
			counts[r.msg.Room]++
		}
	}
	w.idx.noteAppended(counts)
}

// do queues r and waits for its result, honouring ctx while r is still pending.
func (w *writer) do(ctx context.Context, r *request) *result {
	if err := w.q.Do(ctx, r); err != nil {
		return &result{err: err}
	}
	return &r.res // the writer no longer touches r once it has answered
}

// stop ends every writer goroutine after its current batch. Requests still queued fail
// with ErrClosed.
func (w *writer) stop() {
	w.q.Stop()
}
