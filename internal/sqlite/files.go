package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"hubbub"
	"hubbub/internal/sqlstore"
)

// Files live in the files table (migrations/0008_files.sql). CreateFile runs on the writer
// between two batches, its quota check and insert one IMMEDIATE transaction; Append attaches
// a message's files in the message's savepoint, and a delete or retention marks them gone in
// theirs. Reads go to the read-only pool.

var _ hubbub.FileStore = (*Store)(nil)

// fileColumns are what every read of a file selects, in the order scanFile reads them.
const fileColumns = `id, user_id, name, type, size, width, height, thumb, bytes, created_ms, room, seq`

// The statements of files whose plans matter (TestQueryPlans).
const (
	// attachFileSQL attaches a file to a message if it is the sender's, unattached and not
	// gone, and returns what the message carries of it.
	attachFileSQL = `UPDATE files SET room = ?, seq = ? WHERE id = ? AND user_id = ? AND seq = 0 AND gone = 0
		RETURNING name, type, size, width, height, thumb`
	dropFilesSQL   = `UPDATE files SET gone = 1 WHERE room = ? AND seq = ? AND seq > 0 AND gone = 0`
	fileUsageSQL   = `SELECT coalesce(sum(bytes), 0) FROM files WHERE user_id = ?`
	fileSQL        = `SELECT ` + fileColumns + ` FROM files WHERE id = ? AND gone = 0`
	collectableSQL = `SELECT ` + fileColumns + ` FROM files INDEXED BY files_loose
		WHERE (gone = 1 OR seq = 0) AND (gone = 1 OR created_ms < ?) ORDER BY created_ms, id LIMIT ?`
)

// scanFile reads a row of fileColumns.
func scanFile(row scanner, f *hubbub.File) error {
	var created, seq int64
	if err := row.Scan(&f.ID, &f.User, &f.Name, &f.Type, &f.Size, &f.Width, &f.Height, &f.Thumb, &f.Bytes,
		&created, &f.Room, &seq); err != nil {
		return err
	}
	f.Created, f.Seq = sqlstore.MsTime(created), uint64(seq)
	return nil
}

// attach attaches the files of message m, stored already, to it, and stores and returns
// their metadata in the order given; a file that is not m.User's to attach refuses m (the
// savepoint undoes the message).
func (w *writer) attach(ctx context.Context, m hubbub.Entry) ([]hubbub.Attachment, error) {
	out := make([]hubbub.Attachment, len(m.Attachments))
	for i, a := range m.Attachments {
		out[i].ID = a.ID
		err := w.stmts.attachFile.QueryRowContext(ctx, m.Room, int64(m.Seq), a.ID, m.User).Scan(&out[i].Name,
			&out[i].Type, &out[i].Size, &out[i].Width, &out[i].Height, &out[i].Thumb)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, sqlstore.NoFile(a.ID)
		}
		if err != nil {
			return nil, fmt.Errorf("attach %s: %w", a.ID, err)
		}
	}
	encoded, err := sqlstore.EncodeAttachments(out)
	if err != nil {
		return nil, err
	}
	if _, err := w.stmts.setAttachments.ExecContext(ctx, encoded, m.Room, int64(m.Seq)); err != nil {
		return nil, fmt.Errorf("store attachments: %w", err)
	}
	return out, nil
}

// CreateFile records an upload; see hubbub.FileStore. The quota's sum and the insert are one
// IMMEDIATE transaction, so concurrent uploads, of any process, cannot pass it together.
func (s *Store) CreateFile(ctx context.Context, f hubbub.File, quota int64) (hubbub.File, error) {
	f, err := sqlstore.CheckNewFile(f)
	if err != nil {
		return hubbub.File{}, s.guard.Wrap(sqlstore.OpCreateFile, err)
	}
	err = s.write(ctx, sqlstore.OpCreateFile, func(ctx context.Context, tx *writeTx) error {
		var used int64
		if err := tx.stmts.fileUsage.QueryRowContext(ctx, f.User).Scan(&used); err != nil {
			return err
		}
		if sqlstore.OverQuotaAfter(used, f.Bytes, quota) {
			return sqlstore.OverQuota(used, f.Bytes, quota)
		}
		f.Created = tx.now
		_, err := tx.stmts.insertFile.ExecContext(ctx, f.ID, f.User, f.Name, f.Type, f.Size, f.Width, f.Height, f.Thumb,
			f.Bytes, f.Created.UnixMilli())
		if isUnique(err, "files.id") {
			return sqlstore.FileExists(f.ID)
		}
		return err
	})
	if err != nil {
		return hubbub.File{}, err
	}
	return f, nil
}

// File returns the metadata of file id, unless it is gone; see hubbub.FileStore.
func (s *Store) File(ctx context.Context, id string) (hubbub.File, bool, error) {
	if err := s.guard.Begin(ctx, sqlstore.OpFile); err != nil {
		return hubbub.File{}, false, err
	}
	var f hubbub.File
	err := scanFile(s.reads.file.QueryRowContext(ctx, id), &f)
	if errors.Is(err, sql.ErrNoRows) {
		return hubbub.File{}, false, nil
	}
	if err != nil {
		return hubbub.File{}, false, s.guard.Wrap(sqlstore.OpFile, unreadable(err))
	}
	return f, true, nil
}

// FileUsage returns how many bytes user's files count against the quota.
func (s *Store) FileUsage(ctx context.Context, user string) (int64, error) {
	return sqlstore.Read(ctx, &s.guard, sqlstore.OpFileUsage, func() (int64, error) {
		var n int64
		err := s.reads.fileUsage.QueryRowContext(ctx, user).Scan(&n)
		return n, err
	})
}

// Collectable lists up to limit files whose bytes may go, oldest first; see
// hubbub.FileStore.
func (s *Store) Collectable(ctx context.Context, unattachedBefore time.Time, limit int) ([]hubbub.File, error) {
	if err := s.guard.Begin(ctx, sqlstore.OpCollectable); err != nil {
		return nil, err
	}
	if limit <= 0 {
		return nil, nil
	}
	rows, err := s.reads.collectable.QueryContext(ctx, unattachedBefore.UnixMilli(), limit)
	if err != nil {
		return nil, s.guard.Wrap(sqlstore.OpCollectable, err)
	}
	defer rows.Close()
	var out []hubbub.File
	for rows.Next() {
		var f hubbub.File
		if err := scanFile(rows, &f); err != nil {
			return nil, s.guard.Wrap(sqlstore.OpCollectable, unreadable(err))
		}
		out = append(out, f)
	}
	if err := rows.Err(); err != nil {
		return nil, s.guard.Wrap(sqlstore.OpCollectable, err)
	}
	rows.Close()
	return s.claimUnattached(ctx, out)
}

// claimUnattached marks gone, in one write transaction, the never-attached files of found (as
// the contract says: no message may attach them once the collector may delete their bytes),
// and drops from found those a message attached between the read and the write.
func (s *Store) claimUnattached(ctx context.Context, found []hubbub.File) ([]hubbub.File, error) {
	if !slices.ContainsFunc(found, func(f hubbub.File) bool { return f.Seq == 0 }) {
		return found, nil
	}
	var out []hubbub.File
	err := s.write(ctx, sqlstore.OpCollectable, func(ctx context.Context, tx *writeTx) error {
		out = out[:0]
		for _, f := range found {
			if f.Seq == 0 {
				res, err := tx.conn.ExecContext(ctx, `UPDATE files SET gone = 1 WHERE id = ? AND seq = 0`, f.ID)
				if err != nil {
					return err
				}
				if n, err := res.RowsAffected(); err != nil || n == 0 {
					continue // attached meanwhile (or deleted): not the collector's any more
				}
			}
			out = append(out, f)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DeleteFile forgets file id; a file that is not there is not an error.
func (s *Store) DeleteFile(ctx context.Context, id string) error {
	return s.write(ctx, sqlstore.OpDeleteFile, func(ctx context.Context, tx *writeTx) error {
		_, err := tx.conn.ExecContext(ctx, `DELETE FROM files WHERE id = ?`, id)
		return err
	})
}

// WithdrawFile marks gone user's upload id that no message carries, in one write transaction
// (a message attaching it is in another, before or after); see hubbub.FileStore. A read
// refuses first what the write would, so that requests for files that are not the caller's
// to take back cost the writer nothing.
func (s *Store) WithdrawFile(ctx context.Context, id, user string) (hubbub.File, error) {
	f, found, err := s.File(ctx, id)
	if err != nil {
		return hubbub.File{}, err // File's error names its read
	}
	if !found || f.User != user || f.Seq != 0 {
		return hubbub.File{}, s.guard.Wrap(sqlstore.OpWithdrawFile, sqlstore.WithdrawRefused(id, user, f, found))
	}
	err = s.write(ctx, sqlstore.OpWithdrawFile, func(ctx context.Context, tx *writeTx) error {
		err := scanFile(tx.conn.QueryRowContext(ctx, fileSQL, id), &f)
		found := err == nil
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if !found || f.User != user || f.Seq != 0 {
			return sqlstore.WithdrawRefused(id, user, f, found)
		}
		_, err = tx.conn.ExecContext(ctx, `UPDATE files SET gone = 1 WHERE id = ? AND seq = 0`, id)
		return err
	})
	if err != nil {
		return hubbub.File{}, err
	}
	return f, nil
}
