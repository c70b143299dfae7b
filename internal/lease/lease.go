// Package lease runs a piece of work on one node of a cluster at a time: the node that holds
// a named lease in the store (hubbub.OutboxStore.TakeLease). The webhooks dispatcher runs
// under the lease "dispatch"; another loop that must run once per cluster (the notifier) runs
// under a lease of its own name with the same Hold.
package lease

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"time"
)

// DefaultTTL is how long a lease lasts without renewal: a node that dies is replaced within
// this time.
const DefaultTTL = 15 * time.Second

// releaseTTL is the lease's length when a holder gives it up: as good as expired at once, so
// the next node takes it without waiting for the TTL (the contract has no release).
const releaseTTL = time.Millisecond

// Taker is the store's lease: hubbub.OutboxStore has it.
type Taker interface {
	TakeLease(ctx context.Context, name, holder string, ttl time.Duration) (bool, error)
}

// Config configures Hold.
type Config struct {
	// Name is the lease's name ("dispatch", "notify", …).
	Name string
	// Holder names this process; it must differ between processes (Holder makes one).
	Holder string
	// TTL is how long the lease lasts without renewal (default DefaultTTL). It is renewed
	// every TTL/3; the work stops when a renewal is refused, or when no renewal has
	// succeeded for 2/3 of TTL (the store is unreachable and another node may take it once
	// it expires).
	TTL time.Duration
	// Logger receives the lease's changes (default slog.Default()).
	Logger *slog.Logger
	// Changed, if not nil, is called with true when the lease is taken and false when it is
	// lost or given up (metrics, tests).
	Changed func(held bool)
}

// Holder returns a holder name unique to this process: the node's name and random hex, so
// that two processes started with the same node name (or one restarted) never share a lease.
func Holder(node string) string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return node + "-" + hex.EncodeToString(b)
}

// Hold runs work while this process holds the lease, until ctx ends. work gets a context that
// is cancelled when the lease is lost (or ctx ends) and must return soon after; if it returns
// while the lease is still held, it is called again after TTL/3. Hold gives the lease up when
// ctx ends, so another node takes it at once.
func Hold(ctx context.Context, store Taker, cfg Config, work func(ctx context.Context)) {
	if cfg.TTL <= 0 {
		cfg.TTL = DefaultTTL
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	log = log.With("lease", cfg.Name, "holder", cfg.Holder)
	every := cfg.TTL / 3
	tick := time.NewTicker(every)
	defer tick.Stop()

	var (
		held     bool
		lastOK   time.Time          // when the last renewal succeeded
		stopWork context.CancelFunc // cancels the running work
		workDone chan struct{}      // closed when the running work returns
	)
	stop := func(why string) {
		if stopWork != nil {
			stopWork()
			<-workDone
			stopWork, workDone = nil, nil
		}
		if held {
			held = false
			log.Info("lease: lost", "why", why)
			if cfg.Changed != nil {
				cfg.Changed(false)
			}
		}
	}
	start := func() {
		var wctx context.Context
		wctx, stopWork = context.WithCancel(ctx)
		workDone = make(chan struct{})
		go func(done chan struct{}) {
			defer close(done)
			work(wctx)
		}(workDone)
	}
	for {
		tctx, cancel := context.WithTimeout(ctx, every)
		ok, err := store.TakeLease(tctx, cfg.Name, cfg.Holder, cfg.TTL)
		cancel()
		now := time.Now()
		switch {
		case ctx.Err() != nil:
		case err != nil:
			log.Warn("lease: renewal failed", "err", err)
			if held && now.Sub(lastOK) > 2*cfg.TTL/3 {
				stop("no renewal for 2/3 of its TTL")
			}
		case ok:
			lastOK = now
			if !held {
				held = true
				log.Info("lease: taken", "ttl", cfg.TTL)
				if cfg.Changed != nil {
					cfg.Changed(true)
				}
			}
			if workDone == nil {
				start()
			} else {
				select {
				case <-workDone: // the work returned on its own: run it again
					stopWork()
					stopWork, workDone = nil, nil
					start()
				default:
				}
			}
		default:
			stop("another holder has it")
		}
		select {
		case <-ctx.Done():
			wasHeld := held
			stop("shutting down")
			if wasHeld {
				rctx, cancel := context.WithTimeout(context.Background(), every)
				if _, err := store.TakeLease(rctx, cfg.Name, cfg.Holder, releaseTTL); err != nil {
					log.Warn("lease: release failed; another node takes it when it expires", "err", err)
				}
				cancel()
			}
			return
		case <-tick.C:
		}
	}
}
