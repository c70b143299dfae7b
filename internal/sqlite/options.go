package sqlite

import (
	"log/slog"
	"time"

	"hubbub"
)

// Defaults for the zero fields of Options.
const (
	// DefaultBatchWindow is how long the writer waits for more appends before committing.
	// 8 ms, not the 2 ms it was: at 2,000 appends a second over 1,000 rooms on one CPU
	// (issue 19's rooms row) each commit's fixed cost (the log's page writes of three
	// B-trees, the sync, the batch's statements) was paid for a few messages; batches that
	// wait for as many as the last one grow until the commit's cost is shared, 0.77× the
	// server's CPU per delivery and a lower p99, since the one CPU no longer saturates. A
	// lone appender still never waits, so 100 msgs/s in one room is unchanged
	// (docs/benchmarks.md, "The batch window").
	DefaultBatchWindow = 8 * time.Millisecond
	// MaxBatchWindow bounds BatchWindow: every append may wait this long for company.
	MaxBatchWindow = 100 * time.Millisecond
	// DefaultMaxBatch is the most appends committed in one transaction. With many rooms a
	// commit logs about one page of each table and index per room it touches, so larger
	// batches share pages: under issue 19's ingress load (1,000 rooms × 10 senders) 1,024
	// acknowledged 1.1× the messages per second of 256 at 0.92× the CPU per message, and
	// 4,096 1.08× those of 1,024 at 0.93× the CPU, the search index kept at pace (a room's
	// messages share its pages, its delivery writes and its acks' reads; 8,192 and 16,384
	// measured no better, since that load has 10,000 messages in flight)
	// (docs/benchmarks/ingress.md). A batch is only ever what queued meanwhile, so a light
	// load's batches are as small as before.
	DefaultMaxBatch = 4096
	// MaxMaxBatch bounds MaxBatch.
	MaxMaxBatch = 65536
	// DefaultReadConns is the size of the read-only connection pool.
	DefaultReadConns = 4
	// DefaultBusyTimeout is how long a connection waits for a lock another process holds.
	DefaultBusyTimeout = 5 * time.Second
	// DefaultWALPages is how many pages (4 KiB each) the write-ahead log takes before the
	// writer copies them into the database file: about 32 MiB. SQLite's own default, 1,000,
	// copied nearly every page it logged when appends spread over 1,000 rooms, because no
	// room's page was logged twice in so short a log; at 8,000 the same load cost the server
	// 8 % less CPU (docs/benchmarks.md).
	DefaultWALPages = 8000
	// MaxWALPages bounds WALPages (4 GiB of log).
	MaxWALPages = 1 << 20
	// DefaultCheckTimeout bounds the integrity check at Open (PRAGMA quick_check), which reads
	// the whole file: a few hundred MB a second, so files of several GB are checked in full.
	DefaultCheckTimeout = 30 * time.Second
)

// Options tunes a Store. The zero value is ready to use; each field documents its default.
type Options struct {
	// Retention is the policy Prune applies. The zero value keeps every message.
	Retention hubbub.Retention

	// Logger receives reports of migrations, prunes and failed commits.
	// Default: slog.Default().
	Logger *slog.Logger

	// BatchWindow is the longest the writer waits for more appends before it commits a
	// batch (group commit: one fsync for many appends). It waits only while it expects more
	// company, that is until the batch is as large as the previous one, so a lone appender
	// never waits and concurrent appenders share a commit. Default DefaultBatchWindow (8ms);
	// at most MaxBatchWindow; a negative value never waits and commits whatever is queued.
	BatchWindow time.Duration

	// MaxBatch is the most appends committed in one transaction; it bounds the latency one
	// commit adds to its last caller, and it is the capacity of the writer's queue. Default
	// DefaultMaxBatch (4,096); at most MaxMaxBatch.
	MaxBatch int

	// ReadConns is the number of read-only connections serving Since, Before and LastSeq.
	// They are separate from the writer's connection, so reads never wait behind a commit.
	// Default DefaultReadConns (4).
	ReadConns int

	// BusyTimeout is how long a connection waits for a lock held by another process that
	// opened the same file (SQLite's busy_timeout). Default DefaultBusyTimeout (5s).
	BusyTimeout time.Duration

	// WALPages is how long the write-ahead log grows, in pages, before a commit copies it into
	// the database file (SQLite's wal_autocheckpoint). Default DefaultWALPages; at most
	// MaxWALPages.
	WALPages int

	// SkipCheck opens the file without the integrity check (PRAGMA quick_check) that
	// otherwise refuses a damaged file with ErrDamaged. Default false: check.
	SkipCheck bool

	// CheckTimeout bounds the integrity check; a file not checked by then is used unchecked,
	// with a warning in the log. Default DefaultCheckTimeout (30s).
	CheckTimeout time.Duration

	// SearchLag is how many appended messages the search index may lag behind before the
	// writer indexes them, in a transaction of their own after a batch; a search never misses
	// them (it has the writer index the rooms it reads first). Default DefaultSearchLag;
	// at most MaxSearchLag; negative: each batch indexes its messages in its transaction.
	SearchLag int

	// SearchDelay is the longest a message waits to be indexed when fewer than SearchLag
	// wait. Default DefaultSearchDelay; negative: until SearchLag wait or a search.
	SearchDelay time.Duration

	// SearchSlice is about how many messages the writer indexes in one transaction when it
	// catches the search index up (the rooms whole: a room with more waiting is a slice of
	// its own), before it lets the appends queued meanwhile commit. Default
	// DefaultSearchSlice; at most MaxSearchSlice.
	SearchSlice int

	// SyncAhead is how many committed batches of appends may wait for the write-ahead log's
	// fsync in progress while the writer commits the next ones; the next fsync covers them
	// all, and their appends are answered after it. Default DefaultSyncAhead; at most
	// MaxSyncAhead.
	SyncAhead int

	// NoSearchIndex runs the store without the search index, for an operator who wants the
	// append's whole speed and no search: nothing is indexed and Search fails with
	// hubbub.ECodeDisabled. The index's watermarks stay where they were (an edit or a delete
	// of a message indexed before still updates it), so the first Open without this option
	// (nor SkipSearchCatchUp) indexes every message appended meanwhile, before it returns. Default false: the index
	// is kept.
	NoSearchIndex bool

	// SkipSearchCatchUp leaves to the server the messages the index does not hold when Open
	// runs (those appended while it ran without the index, or by something else): Open
	// indexes none of them. The admin commands (hubbub user, bot, …) open the running
	// server's file this way: a command that adds a user indexed, before it did anything,
	// every message a server run with --search-index=false had appended, holding the file's
	// write lock beside that server for as long as it took. What the store itself appends is
	// still indexed. Default false: Open catches the index up.
	SkipSearchCatchUp bool

	// Lock makes the Store the file's one server: Open takes an exclusive advisory lock
	// (flock) on a sibling file, path + ".lock", and holds it until Close, and fails with an
	// *InUseError while another Store opened with Lock, in this process or another, holds it.
	// Two servers on one file keep its data consistent but each delivers only its own
	// clients' messages live, a split nobody notices. Opens without Lock (the tools that add
	// a user to the running server's file) neither take nor check it. The kernel drops the
	// lock when the process ends in any way, SIGKILL included, so a restart takes it at once.
	// Outside Unix Lock does nothing. Default false.
	Lock bool

	// Now is the clock that stamps messages and ages them for retention. Tests replace it to
	// check MaxAge without sleeping. Default time.Now.
	Now func() time.Time
}

// withDefaults returns o with every zero field replaced by its default.
func (o Options) withDefaults() Options {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.BatchWindow == 0 {
		o.BatchWindow = DefaultBatchWindow
	}
	o.BatchWindow = min(o.BatchWindow, MaxBatchWindow)
	if o.MaxBatch <= 0 {
		o.MaxBatch = DefaultMaxBatch
	}
	o.MaxBatch = min(o.MaxBatch, MaxMaxBatch)
	if o.ReadConns <= 0 {
		o.ReadConns = DefaultReadConns
	}
	if o.WALPages <= 0 {
		o.WALPages = DefaultWALPages
	}
	o.WALPages = min(o.WALPages, MaxWALPages)
	if o.BusyTimeout <= 0 {
		o.BusyTimeout = DefaultBusyTimeout
	}
	if o.CheckTimeout <= 0 {
		o.CheckTimeout = DefaultCheckTimeout
	}
	switch {
	case o.SearchLag == 0:
		o.SearchLag = DefaultSearchLag
	case o.SearchLag < 0:
		o.SearchLag = 0 // no lag: in each batch's transaction
	}
	o.SearchLag = min(o.SearchLag, MaxSearchLag)
	if o.SearchDelay == 0 {
		o.SearchDelay = DefaultSearchDelay
	}
	if o.SearchSlice <= 0 {
		o.SearchSlice = DefaultSearchSlice
	}
	o.SearchSlice = min(o.SearchSlice, MaxSearchSlice)
	if o.SyncAhead <= 0 {
		o.SyncAhead = DefaultSyncAhead
	}
	o.SyncAhead = min(o.SyncAhead, MaxSyncAhead)
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// writerCachePages is the size of the writer connection's page cache, in pages of 4 KiB:
// 8 for each append of a batch of maxBatch (about 4 per message are dirtied when appends
// spread over many rooms: a leaf of the messages table, of two of its indexes, and of the
// rooms table), at least SQLite's default of about 500. With the default cache (2 MB) a
// batch of 1,024 appends over 1,000 rooms overflowed it, and SQLite spilled dirty pages into
// the log before the commit (pagerStress), writing some of them twice. At the default
// MaxBatch that is at most 128 MiB, and only the pages the writer touches are held (a batch
// of 4,096 over 1,000 rooms touches far fewer than 8 a message). The statement
// journals of the appends' savepoints go to memory (temp_store=MEMORY) for the same load:
// in a temporary file they cost a pwrite per page an append first changed, 13 % of the CPU
// of a server pinned to one CPU (docs/benchmarks.md, "Durable ingress").
func writerCachePages(maxBatch int) int {
	return max(500, 8*maxBatch)
}
