package files

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"hubbub"
	"hubbub/internal/session"
)

// Downloads: who may read a file is checked on every request, never cached from the upload —
// a file attached to a message is for whoever may read the message's room now
// (session.Service.MayRead), an unattached one for its uploader only, and a file whose message
// is deleted or pruned is gone at once (FileStore.File finds it no more). The answer is made
// harmless whatever the bytes are: the sniffed type, nosniff, a sandboxing CSP, and
// Content-Disposition inline only for the image types a browser shows as pictures.

// downloadCSP is the Content-Security-Policy of every file: a document opened from it runs no
// script, loads nothing and is its own opaque origin, so an HTML or SVG file cannot act for
// the server's users.
const downloadCSP = "sandbox; default-src 'none'"

// serveFile answers GET /files/{id}/{name}: the file (the name is only for the browser).
// DELETE on it takes back an upload no message carries (withdraw.go).
// A page of another allowed origin asks first (a CORS preflight, OPTIONS).
func (s *Service) serveFile(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodDelete:
		s.serveWithdraw(w, r)
		return
	case http.MethodOptions:
		if s.allowOrigin(w, r) { // not a preflight: answers it and returns false otherwise
			w.Header().Set("Allow", "GET, HEAD, DELETE, OPTIONS")
			w.WriteHeader(http.StatusNoContent)
		}
		return
	}
	s.serve(w, r, false)
}

// serveThumb answers GET /files/{id}/thumb: the file's thumbnail.
func (s *Service) serveThumb(w http.ResponseWriter, r *http.Request) {
	s.serve(w, r, true)
}

func (s *Service) serve(w http.ResponseWriter, r *http.Request, thumb bool) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		if thumb {
			methodNotAllowed(w, "GET, HEAD", "a thumbnail is read with GET; to take back an upload, DELETE the file's own URL")
		} else {
			methodNotAllowed(w, "GET, HEAD, DELETE", "files are read with GET (and an upload not sent yet deleted with DELETE)")
		}
		return
	}
	id, u, ok := s.fileRequest(w, r)
	if !ok {
		return
	}
	f, err := s.readable(r.Context(), id, u)
	if err != nil {
		writeError(w, errorStatus(err), err)
		return
	}
	key := id
	if thumb {
		if !f.Thumb {
			writeError(w, http.StatusNotFound, hubbub.Errorf(hubbub.ECodeNotFound, "the file has no thumbnail"))
			return
		}
		key = ThumbKey(id)
	}
	blob, err := s.cfg.Blobs.Open(r.Context(), key)
	if errors.Is(err, hubbub.ErrBlobNotFound) {
		writeError(w, http.StatusNotFound, hubbub.Errorf(hubbub.ECodeNotFound, "no such file"))
		return
	}
	if err != nil {
		s.log.Error("download: open failed", "key", key, "err", err)
		writeError(w, http.StatusServiceUnavailable, hubbub.Errorf(hubbub.ECodeUnavailable, "the file cannot be read right now; try again"))
		return
	}
	defer blob.Close()
	typ, name := f.Type, f.Name
	if thumb {
		if typ, err = blobType(blob); err != nil {
			s.log.Error("download: read failed", "key", key, "err", err)
			writeError(w, http.StatusServiceUnavailable, hubbub.Errorf(hubbub.ECodeUnavailable, "the file cannot be read right now; try again"))
			return
		}
		name = "thumb-" + name
	}
	h := w.Header()
	h.Set("Content-Type", typ)
	h.Set("Content-Disposition", disposition(typ, name))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", downloadCSP)
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	// Cached by the browser only, and asked again each time (a 304 costs little), so that a
	// deleted message's file or a removed member's access ends at once.
	h.Set("Cache-Control", "private, no-cache")
	h.Set("ETag", `"`+key+`"`) // a file's bytes never change under its id
	http.ServeContent(w, r, "", f.Created, blob)
}

// fileRequest reads the file id of a request on a file's URL and who asks; it answers the
// request itself (404 for an id no file can have, 401 for no user) and returns false then.
func (s *Service) fileRequest(w http.ResponseWriter, r *http.Request) (string, session.RequestUser, bool) {
	id := r.PathValue("id")
	if id == "" || len(id) > hubbub.MaxFileIDLen || validKey(id) != nil {
		writeError(w, http.StatusNotFound, hubbub.Errorf(hubbub.ECodeNotFound, "no such file"))
		return "", session.RequestUser{}, false
	}
	u, err := s.user(r)
	if err != nil {
		writeError(w, errorStatus(err), err)
		return "", session.RequestUser{}, false
	}
	return id, u, true
}

// readable returns file id if u may read it now: ECodeNotFound if it is gone (or is another's
// unattached upload), the room's refusal if u may not read the message's room.
func (s *Service) readable(ctx context.Context, id string, u session.RequestUser) (hubbub.File, error) {
	ctx, cancel := context.WithTimeout(ctx, authTimeout)
	defer cancel()
	f, found, err := s.cfg.Store.File(ctx, id)
	if err != nil {
		s.log.Error("download: store failed", "file", id, "err", err)
		return hubbub.File{}, hubbub.Errorf(hubbub.ECodeUnavailable, "the file cannot be read right now; try again")
	}
	if !found || f.Room == "" && f.User != u.ID {
		return hubbub.File{}, hubbub.Errorf(hubbub.ECodeNotFound, "no such file")
	}
	if f.Room != "" {
		if err := s.cfg.Sessions.MayRead(ctx, f.Room, u.ID); err != nil {
			// An outsider holding a link learns nothing of where the file is: a DM's room name
			// is its internal id (a hash of its people's user ids), a private room's name is
			// its members' to know. (A banned member's refusal names the room they know.)
			if code := hubbub.ErrorCode(err); code == hubbub.ECodeForbidden || code == hubbub.ECodeNotFound {
				if hubbub.IsDMRoom(f.Room) {
					return hubbub.File{}, hubbub.Errorf(hubbub.ECodeForbidden, "this file is in a direct conversation you are not part of")
				}
				return hubbub.File{}, hubbub.Errorf(hubbub.ECodeForbidden, "this file is in a private room you are not a member of")
			}
			return hubbub.File{}, err
		}
	}
	return f, nil
}

// blobType sniffs the type of a thumbnail's bytes (JPEG or PNG) and rewinds it.
func blobType(b hubbub.Blob) (string, error) {
	head := make([]byte, 512)
	n, err := io.ReadFull(b, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return "", err
	}
	if _, err := b.Seek(0, io.SeekStart); err != nil {
		return "", err
	}
	return http.DetectContentType(head[:n]), nil
}

// disposition is the Content-Disposition of a file of type typ named name: inline for the
// image types a browser shows, attachment for everything else, with the name twice (RFC 6266):
// an ASCII fallback and the UTF-8 name (filename*).
func disposition(typ, name string) string {
	kind := "attachment"
	if InlineType(typ) {
		kind = "inline"
	}
	ascii := strings.Map(func(r rune) rune {
		if r < 0x20 || r >= 0x7f || r == '"' || r == '\\' || r == '%' {
			return '_'
		}
		return r
	}, name)
	return fmt.Sprintf(`%s; filename="%s"; filename*=UTF-8''%s`, kind, ascii, strings.ReplaceAll(url.PathEscape(name), "'", "%27"))
}
