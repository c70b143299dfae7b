package files

import (
	"context"
	"net/http"

	"hubbub"
)

// Withdrawing an upload: the page's ✕ on a file uploaded but not sent yet (DELETE on the
// file's URL). Its bytes and row go now, so that the quota frees up at once — an upload no
// message took otherwise counted for --upload-grace (a day by default) with no way to take it
// back. The store marks the file gone first (FileStore.WithdrawFile: no message may attach it
// after that), then the blobs go, then the row, as the collector does; a failure after the
// mark leaves the file to the collector, which finds gone files at once.

// serveWithdraw answers DELETE /files/{id}/{name}: the uploader takes back a file no message
// carries. 204 when done; 404 for no such file of the caller's; 403 for a file a message
// carries (deleting the message is the way).
func (s *Service) serveWithdraw(w http.ResponseWriter, r *http.Request) {
	if !s.allowOrigin(w, r) {
		return
	}
	id, u, ok := s.fileRequest(w, r)
	if !ok {
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), collectTimeout)
	defer cancel()
	f, err := s.cfg.Store.WithdrawFile(ctx, id, u.ID)
	switch code := hubbub.ErrorCode(err); {
	case err == nil:
	case code == hubbub.ECodeNotFound, code == hubbub.ECodeForbidden:
		writeError(w, errorStatus(err), err)
		return
	default:
		s.log.Error("withdraw: store failed", "file", id, "err", err)
		writeError(w, http.StatusServiceUnavailable, hubbub.Errorf(hubbub.ECodeUnavailable, "the file cannot be deleted right now; try again"))
		return
	}
	if err := s.deleteBytes(ctx, f); err != nil {
		// Marked gone: no message can take it, and the collector's next round deletes it.
		s.log.Warn("withdraw: the bytes stay for the collector", "file", id, "err", err)
	}
	s.log.Info("upload withdrawn", "file", id, "user", u.ID, "bytes", f.Bytes)
	w.WriteHeader(http.StatusNoContent)
}

// deleteBytes deletes a gone file's blobs and then its row (the order the collector keeps:
// a row whose blobs are gone is deleted again, a blob nobody knows of never stays).
func (s *Service) deleteBytes(ctx context.Context, f hubbub.File) error {
	if err := s.cfg.Blobs.Delete(ctx, f.ID); err != nil {
		return err
	}
	if err := s.cfg.Blobs.Delete(ctx, ThumbKey(f.ID)); err != nil {
		return err
	}
	return s.cfg.Store.DeleteFile(ctx, f.ID)
}
