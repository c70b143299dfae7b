package main

import (
	"context"
	"log/slog"
	"time"

	"hubbub"
)

// prune applies the retention policy every interval until ctx is done; with no policy it
// returns at once.
func prune(ctx context.Context, store hubbub.Store, r hubbub.Retention, every time.Duration, log *slog.Logger) {
	if r == (hubbub.Retention{}) || every <= 0 {
		return
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			n, err := store.Prune(ctx)
			if err != nil {
				log.Warn("retention prune failed", "err", err)
			} else if n > 0 {
				log.Info("retention pruned messages", "removed", n)
			}
		}
	}
}
