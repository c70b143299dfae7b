package postgres

import (
	"log/slog"
	"time"

	"hubbub"
)

// Defaults for the zero fields of Options.
const (
	// DefaultMaxConns is the size of the connection pool when neither Options nor the URL's
	// pool_max_conns sets it.
	DefaultMaxConns = 8
	// DefaultWriters is how many batch transactions one Store runs at once.
	DefaultWriters = 2
	// DefaultBatchWindow is how long a writer waits for more appends before committing.
	DefaultBatchWindow = 2 * time.Millisecond
	// DefaultMaxBatch is the most appends committed in one transaction.
	DefaultMaxBatch = 256
	// DefaultTxTimeout bounds one batch of appends, retries included.
	DefaultTxTimeout = 10 * time.Second

	// MaxWriters bounds Writers (which Open also caps at the pool's connections less one).
	MaxWriters = 64
	// MaxBatchWindow bounds BatchWindow: every append may wait this long for company.
	MaxBatchWindow = 100 * time.Millisecond
	// MaxMaxBatch bounds MaxBatch.
	MaxMaxBatch = 65536
)

// Options tunes a Store. The zero value is ready to use; each field documents its default.
type Options struct {
	// Retention is the policy Prune applies. The zero value keeps every message.
	Retention hubbub.Retention

	// Logger receives reports of migrations, prunes, retried and failed commits.
	// Default: slog.Default().
	Logger *slog.Logger

	// MaxConns is the most connections the Store opens to the server, writers and readers
	// together. Default: the URL's pool_max_conns if it has one, else DefaultMaxConns (8).
	// Mind the server's max_connections when many nodes share it.
	MaxConns int

	// Writers is how many batch transactions the Store runs at once. Appends to one room
	// are serialised by the server (a row lock on the room) whatever this is; more writers
	// keep other rooms moving while one batch waits for a lock another node holds. It is
	// capped at MaxConns-1 so that reads always find a connection, and at MaxWriters. Default
	// DefaultWriters (2).
	Writers int

	// BatchWindow is the longest a writer waits for more appends before it commits a batch
	// (group commit: one transaction and one WAL flush for many appends). It waits only
	// while it expects more company, that is until the batch is as large as its previous
	// one, so a lone appender never waits. Default DefaultBatchWindow (2ms), at most
	// MaxBatchWindow; a negative value never waits and commits whatever is queued.
	BatchWindow time.Duration

	// MaxBatch is the most appends committed in one transaction. Default DefaultMaxBatch (256);
	// at most MaxMaxBatch.
	MaxBatch int

	// TxTimeout bounds the work on one batch of appends, retries included. An append whose
	// batch times out fails; if the timeout struck during COMMIT, the server may still have
	// stored it (as with any lost connection), which a retry with the same ClientID
	// resolves. It is also the store's sessions' idle_in_transaction_session_timeout (unless
	// the URL sets one), so that the server releases the room locks of a node that vanished
	// mid-transaction. Default DefaultTxTimeout (10s).
	TxTimeout time.Duration

	// SearchLag is how many appended entries of one room the search index may lag behind
	// before the Store's indexer indexes that room, in a transaction of its own, behind the
	// appends; a search never misses them (it indexes the rooms it reads first). Default
	// DefaultSearchLag (1,024); at most MaxSearchLag, which is also how many entries of all
	// rooms may wait before every room is indexed.
	SearchLag int

	// SearchDelay is the longest an appended entry waits to be indexed when fewer than
	// SearchLag of its room wait. Default DefaultSearchDelay (500ms); negative: until SearchLag
	// of its room wait, a search of its room or Close.
	SearchDelay time.Duration

	// NoSearchIndex runs the store without the search index, for an operator who wants the
	// append's whole speed and no search: this node's indexer indexes nothing and Search
	// fails with hubbub.ECodeDisabled. An edit, a delete or a prune still keeps the rows of
	// messages indexed before in step, and the rooms' watermarks stay where they were, so the
	// first Open without this option indexes every message appended meanwhile, by any node,
	// before it returns. Give every node the same setting: a node with the index indexes the
	// rooms it searches, whichever node appended to them. Default false: the index is kept.
	NoSearchIndex bool

	// Now, if set, is the clock that stamps messages and ages them for retention; tests set
	// it to check MaxAge without sleeping. Default: the database server's clock, so that
	// every node stamps with the same clock and times never go back within a room.
	Now func() time.Time
}

// withDefaults returns o with every zero field replaced by its default, except MaxConns,
// which Open settles because it depends on the URL.
func (o Options) withDefaults() Options {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Writers <= 0 {
		o.Writers = DefaultWriters
	}
	o.Writers = min(o.Writers, MaxWriters)
	if o.BatchWindow == 0 {
		o.BatchWindow = DefaultBatchWindow
	}
	o.BatchWindow = min(o.BatchWindow, MaxBatchWindow)
	if o.MaxBatch <= 0 {
		o.MaxBatch = DefaultMaxBatch
	}
	o.MaxBatch = min(o.MaxBatch, MaxMaxBatch)
	if o.TxTimeout <= 0 {
		o.TxTimeout = DefaultTxTimeout
	}
	if o.SearchLag <= 0 {
		o.SearchLag = DefaultSearchLag
	}
	o.SearchLag = min(o.SearchLag, MaxSearchLag)
	if o.SearchDelay == 0 {
		o.SearchDelay = DefaultSearchDelay
	}
	return o
}
