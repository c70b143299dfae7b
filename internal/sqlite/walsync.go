package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"os"

	"hubbub/internal/diskflush"
)

// walSync makes the writer's commits durable itself, so that the fsync does not hold the Go
// processor (internal/diskflush): with synchronous=FULL, SQLite's own fsync of the log at
// every commit is a blocking system call in the writer goroutine, and on one CPU
// (GOMAXPROCS=1) nothing else in the server ran while the disk worked — no frame read, no
// delivery written — a third of the time under issue 19's many-rooms load
// (docs/benchmarks.md, "One CPU").
//
// So the writer's connection runs synchronous=NORMAL, under which SQLite writes a commit to
// the log without syncing it (it still syncs the log before a checkpoint copies it into the
// database, the database after, and the log's header when the log is restarted), and the
// writer syncs the log itself after each commit and before it answers anyone: a commit is on
// disk when Append returns, as with FULL. On more than one CPU the sync is a plain fsync in
// the syncer's thread (diskflush's choice: it hears the end sooner under load). One
// difference remains: SQLite makes a commit visible to the readers' connections before the
// writer's sync, so a read in that window (a fraction of a millisecond) can return an entry
// that a power loss — not a crash of the process, whose writes the kernel keeps — would then
// take away. No live delivery and no ack is sent before the sync.
//
// The log file (path-wal) is the same file for as long as the writer's connection is open:
// SQLite deletes or replaces it only when the last connection to the database closes, and
// this one stays open until Close.
type walSync struct {
	file  *os.File
	flush *diskflush.Flusher

	beforeSync func() // tests: called on the syncer's goroutine before each fsync

	// failed is the first fsync's error, returned by every sync after it: Linux may drop the
	// dirty pages of a failed fsync and clear the error, so a later fsync that succeeds says
	// nothing of the commits before it, nor of those that built on them (the same log). No
	// append is answered as durable again until the store is opened anew.
	failed error
}

// openWALSync opens the log of the database at path and switches conn to
// synchronous=NORMAL. It returns nil, leaving conn at FULL, if the log cannot be opened.
func openWALSync(ctx context.Context, conn *sql.Conn, path string, log *slog.Logger) *walSync {
	file, err := os.OpenFile(path+"-wal", os.O_RDWR, 0)
	if err != nil {
		log.Warn("sqlite: cannot open the write-ahead log; SQLite syncs it (fsync holds the processor)", "err", err)
		return nil
	}
	if _, err := conn.ExecContext(ctx, "PRAGMA synchronous=NORMAL"); err != nil {
		file.Close()
		log.Warn("sqlite: cannot set synchronous=NORMAL; SQLite syncs the log", "err", err)
		return nil
	}
	return &walSync{file: file, flush: diskflush.New()}
}

// sync makes every commit so far durable.
func (s *walSync) sync() error {
	if s.beforeSync != nil {
		s.beforeSync()
	}
	if s.failed != nil {
		return s.failed
	}
	if err := s.flush.Sync(s.file); err != nil {
		s.failed = fmt.Errorf("fsync of the write-ahead log: %w (nothing is durable until the store is opened again)", err)
		return s.failed
	}
	return nil
}

func (s *walSync) close() {
	_ = s.flush.Close()
	_ = s.file.Close()
}
