package postgres

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"hubbub"
	"hubbub/internal/sqlstore"
)

// Files live in the files table (migrations/0007_files.sql). A batch of appends attaches its
// messages' files under their row locks (findFiles), a delete or retention marks them gone in
// its transaction; CreateFile checks the quota under a lock of the uploader's, so that
// concurrent uploads, on any node, cannot pass it together.

var _ hubbub.FileStore = (*Store)(nil)

// The statements of files.
const (
	fileColumns = `id, user_id, name, type, size, width, height, thumb, bytes, created_at, room, seq`
	// lockUploader serializes the uploads of one user (a transaction-scoped advisory lock,
	// keyed by a hash of the user id: two users sharing a hash only wait for each other).
	lockUploader = `SELECT pg_advisory_xact_lock(hashtextextended('hubbub.files:' || $1, 0))`
	selectUsage  = `SELECT coalesce(sum(bytes), 0)::bigint FROM files WHERE user_id = $1`
	insertFile   = `INSERT INTO files (id, user_id, name, type, size, width, height, thumb, bytes, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`
	selectFile        = `SELECT ` + fileColumns + ` FROM files WHERE id = $1 AND NOT gone`
	selectCollectable = `SELECT ` + fileColumns + ` FROM files
		WHERE (gone OR seq = 0) AND (gone OR created_at < $1) ORDER BY created_at, id LIMIT $2`
	deleteFile = `DELETE FROM files WHERE id = $1`
	// withdrawFile marks gone the file $1 of user $2 if no message carries it.
	withdrawFile = `UPDATE files SET gone = true WHERE id = $1 AND user_id = $2 AND seq = 0 AND NOT gone
		RETURNING ` + fileColumns
	// claimUnattached marks gone the files of $1 that no message has attached yet.
	claimUnattached = `UPDATE files SET gone = true WHERE id = ANY($1) AND seq = 0 RETURNING id`
)

// scanFile reads a row of fileColumns.
func scanFile(row pgx.Row, f *hubbub.File) error {
	var seq int64
	if err := row.Scan(&f.ID, &f.User, &f.Name, &f.Type, &f.Size, &f.Width, &f.Height, &f.Thumb, &f.Bytes,
		&f.Created, &f.Room, &seq); err != nil {
		return err
	}
	f.Created, f.Seq = f.Created.UTC(), uint64(seq)
	return nil
}

// CreateFile records an upload; see hubbub.FileStore.
func (s *Store) CreateFile(ctx context.Context, f hubbub.File, quota int64) (hubbub.File, error) {
	if err := s.guard.Begin(ctx, sqlstore.OpCreateFile); err != nil {
		return hubbub.File{}, err
	}
	f, err := sqlstore.CheckNewFile(f)
	if err == nil {
		err = checkText("file id", f.ID, "file name", f.Name, "file type", f.Type, "uploader", f.User)
	}
	if err == nil {
		f.Created = s.clock()
		err = s.createFile(ctx, f, quota)
	}
	if err != nil {
		return hubbub.File{}, s.guard.Wrap(sqlstore.OpCreateFile, err)
	}
	return f, nil
}

func (s *Store) createFile(ctx context.Context, f hubbub.File, quota int64) error {
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.ReadCommitted})
	if err != nil {
		return err
	}
	defer rollback(tx) // after Commit, a no-op
	if _, err := tx.Exec(ctx, lockUploader, f.User); err != nil {
		return err
	}
	if quota > 0 {
		var used int64
		if err := tx.QueryRow(ctx, selectUsage, f.User).Scan(&used); err != nil {
			return err
		}
		if sqlstore.OverQuotaAfter(used, f.Bytes, quota) {
			return sqlstore.OverQuota(used, f.Bytes, quota)
		}
	}
	_, err = tx.Exec(ctx, insertFile, f.ID, f.User, f.Name, f.Type, f.Size, f.Width, f.Height, f.Thumb, f.Bytes, f.Created)
	if uniqueViolation(err, "files_pkey") {
		return sqlstore.FileExists(f.ID)
	}
	if err != nil {
		return err
	}
	return tx.Commit(ctx)
}

// File returns the metadata of file id, unless it is gone; see hubbub.FileStore.
func (s *Store) File(ctx context.Context, id string) (hubbub.File, bool, error) {
	if err := s.guard.Begin(ctx, sqlstore.OpFile); err != nil {
		return hubbub.File{}, false, err
	}
	if !textFits(id) {
		return hubbub.File{}, false, nil // no id holds what text cannot
	}
	var f hubbub.File
	err := scanFile(s.pool.QueryRow(ctx, selectFile, id), &f)
	if errors.Is(err, pgx.ErrNoRows) {
		return hubbub.File{}, false, nil
	}
	if err != nil {
		return hubbub.File{}, false, s.guard.Wrap(sqlstore.OpFile, err)
	}
	return f, true, nil
}

// FileUsage returns how many bytes user's files count against the quota.
func (s *Store) FileUsage(ctx context.Context, user string) (int64, error) {
	return sqlstore.Read(ctx, &s.guard, sqlstore.OpFileUsage, func() (int64, error) {
		if !textFits(user) {
			return 0, nil
		}
		var n int64
		err := s.pool.QueryRow(ctx, selectUsage, user).Scan(&n)
		return n, err
	})
}

// Collectable lists up to limit files whose bytes may go, oldest first; see
// hubbub.FileStore.
func (s *Store) Collectable(ctx context.Context, unattachedBefore time.Time, limit int) ([]hubbub.File, error) {
	return sqlstore.Read(ctx, &s.guard, sqlstore.OpCollectable, func() ([]hubbub.File, error) {
		if limit <= 0 {
			return nil, nil
		}
		rows, _ := s.pool.Query(ctx, selectCollectable, unattachedBefore, limit)
		out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (hubbub.File, error) {
			var f hubbub.File
			err := scanFile(row, &f)
			return f, err
		})
		if err != nil {
			return nil, err
		}
		return s.claimUnattached(ctx, out)
	})
}

// claimUnattached marks gone, in one statement, the never-attached files of found (as the
// contract says: no message may attach them once the collector may delete their bytes), and
// drops from found those a message attached between the read and the update. An append batch
// locks the rows of the files it attaches, so the update either waits for its commit and then
// finds the file attached, or goes first and the batch finds the file gone.
func (s *Store) claimUnattached(ctx context.Context, found []hubbub.File) ([]hubbub.File, error) {
	var loose []string
	for _, f := range found {
		if f.Seq == 0 {
			loose = append(loose, f.ID)
		}
	}
	if len(loose) == 0 {
		return found, nil
	}
	rows, _ := s.pool.Query(ctx, claimUnattached, loose)
	claimed, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, err
	}
	out := found[:0]
	for _, f := range found {
		if f.Seq != 0 || slices.Contains(claimed, f.ID) {
			out = append(out, f)
		}
	}
	return out, nil
}

// DeleteFile forgets file id; a file that is not there is not an error.
func (s *Store) DeleteFile(ctx context.Context, id string) error {
	if err := s.guard.Begin(ctx, sqlstore.OpDeleteFile); err != nil {
		return err
	}
	if !textFits(id) {
		return nil
	}
	_, err := s.pool.Exec(ctx, deleteFile, id)
	return s.guard.Wrap(sqlstore.OpDeleteFile, err)
}

// WithdrawFile marks gone user's upload id that no message carries, in one statement (an
// append batch attaching it holds the row's lock: the update waits and then finds it
// attached); see hubbub.FileStore.
func (s *Store) WithdrawFile(ctx context.Context, id, user string) (hubbub.File, error) {
	if err := s.guard.Begin(ctx, sqlstore.OpWithdrawFile); err != nil {
		return hubbub.File{}, err
	}
	if !textFits(id) || !textFits(user) {
		return hubbub.File{}, sqlstore.WithdrawRefused(id, user, hubbub.File{}, false)
	}
	var f hubbub.File
	err := scanFile(s.pool.QueryRow(ctx, withdrawFile, id, user), &f)
	if errors.Is(err, pgx.ErrNoRows) {
		found := true
		if err = scanFile(s.pool.QueryRow(ctx, selectFile, id), &f); errors.Is(err, pgx.ErrNoRows) {
			found, err = false, nil
		}
		if err == nil {
			err = sqlstore.WithdrawRefused(id, user, f, found)
		}
	}
	if err != nil {
		return hubbub.File{}, s.guard.Wrap(sqlstore.OpWithdrawFile, err)
	}
	return f, nil
}
