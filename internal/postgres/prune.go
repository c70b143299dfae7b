package postgres

import (
	"context"
	"fmt"
	"time"
)

// pruneMessages deletes, in one statement, what the retention policy no longer keeps.
//
// A room's stored messages are always one contiguous range of seqs ending at last_seq:
// appends add at the top and prune only ever cuts a prefix. That makes both limits a range
// delete on the primary key: MaxPerRoom ($1) cuts below last_seq-MaxPerRoom+1, MaxAge cuts
// below the oldest message young enough to keep (found by walking from the oldest, so the
// cost is what gets deleted plus one row). The age limit is $2 microseconds before $3, or
// before the server's clock if $3 is NULL, in whole milliseconds as the stored times are:
// a message exactly MaxAge old is kept. rooms.last_seq is untouched, so seqs are never
// reused. Messages committed after the statement's snapshot are above the last_seq it
// reads, so they are never cut.
const pruneMessages = `WITH cutoff AS (
	SELECT CASE WHEN $2::bigint > 0
		THEN date_trunc('milliseconds', coalesce($3::timestamptz, clock_timestamp()) - $2::bigint * interval '1 microsecond')
	END AS t
), cuts AS (
	SELECT r.name, greatest(
		CASE WHEN $1::bigint > 0 THEN r.last_seq - $1::bigint + 1 ELSE 0 END,
		CASE WHEN c.t IS NULL THEN 0 ELSE coalesce(
			(SELECT m.seq FROM messages m WHERE m.room = r.name AND m.created_at >= c.t ORDER BY m.seq LIMIT 1),
			r.last_seq + 1) END) AS cut
	FROM rooms r, cutoff c
)
DELETE FROM messages m USING cuts WHERE m.room = cuts.name AND m.seq < cuts.cut`

// Prune deletes what Options.Retention no longer keeps and returns how many messages went.
// Appends go on meanwhile: they add above what Prune cuts. Several nodes may prune at once;
// each reports what it deleted itself.
func (s *Store) Prune(ctx context.Context) (int64, error) {
	if err := s.check(ctx); err != nil {
		return 0, fmt.Errorf("postgres: prune: %w", err)
	}
	if s.ret.MaxPerRoom <= 0 && s.ret.MaxAge <= 0 {
		return 0, nil
	}
	var ageMicros int64
	if s.ret.MaxAge > 0 {
		ageMicros = max(1, int64(s.ret.MaxAge/time.Microsecond))
	}
	var now *time.Time
	if s.now != nil {
		t := s.now()
		now = &t
	}
	tag, err := s.pool.Exec(ctx, pruneMessages, int64(max(0, s.ret.MaxPerRoom)), ageMicros, now)
	if err != nil {
		return 0, fmt.Errorf("postgres: prune: %w", err)
	}
	removed := tag.RowsAffected()
	if removed > 0 {
		s.log.Info("postgres: pruned messages", "removed", removed)
	}
	return removed, nil
}
