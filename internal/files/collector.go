package files

import (
	"context"
	"time"
)

// The collector deletes the bytes of files no message carries any more: those of deleted and
// pruned messages (at once) and uploads no message took within UploadGrace. It asks the Store
// which (FileStore.Collectable), deletes their blobs, and only then their rows — so a crash
// between the two leaves a row whose blobs are gone, which the next round deletes again (a
// missing blob is not an error), never a blob nobody knows of.

// An upload that reaches its grace while a message attaches it cannot lose its bytes under the
// message: Collectable marks the never-attached files it returns gone in the transaction that
// finds them, so either the message attached the file first (and Collectable does not return
// it) or the message is refused as if the file were not there.

// collectTimeout bounds one round of the collector.
const collectTimeout = time.Minute

// Collect runs the collector every CollectEvery until ctx is done, and returns then.
func (s *Service) Collect(ctx context.Context) {
	t := time.NewTicker(s.cfg.CollectEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		for {
			n, err := s.CollectOnce(ctx, time.Now())
			if err != nil {
				if ctx.Err() == nil {
					s.log.Warn("collector: a round failed; the next one tries again", "err", err)
				}
				break
			}
			if n < s.cfg.CollectBatch {
				break // a full batch means there may be more: another round at once
			}
		}
	}
}

// CollectOnce deletes up to CollectBatch collectable files as of now: their blobs, then their
// rows. It returns how many it deleted.
func (s *Service) CollectOnce(ctx context.Context, now time.Time) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, collectTimeout)
	defer cancel()
	files, err := s.cfg.Store.Collectable(ctx, now.Add(-s.cfg.UploadGrace), s.cfg.CollectBatch)
	if err != nil {
		return 0, err
	}
	done := 0
	for _, f := range files {
		if err := s.deleteBytes(ctx, f); err != nil {
			return done, err
		}
		done++
		s.cfg.Metrics.FilesCollected(1)
	}
	if done > 0 {
		s.log.Info("collector: files deleted", "count", done)
	}
	return done, nil
}
