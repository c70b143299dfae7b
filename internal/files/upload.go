package files

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"hubbub"
	"hubbub/internal/httpbody"
	"hubbub/internal/session"
	"hubbub/internal/wire"
)

// multipartSlack is what a multipart/form-data body may hold beyond its file: the boundaries,
// the part headers and small fields.
const multipartSlack = 64 << 10

// storeTimeout bounds the store and blob calls of one upload once its body is read.
const storeTimeout = 2 * time.Minute

// uploadReply is the answer of POST /upload (201): the file as a message will carry it, and
// where to download it and its thumbnail.
type uploadReply struct {
	hubbub.Attachment
	URL      string `json:"url"`
	ThumbURL string `json:"thumb_url,omitempty"`
}

// serveUpload answers POST /upload: the raw body is the file (its name in ?name=), or a
// multipart/form-data body holds it as its one file part (curl -F file=@photo.jpg). It is
// read into a temporary file under UploadMax, its type found from its content, an image's
// metadata stripped and its thumbnail made, the bytes stored in Blobs and the file in the
// Store (where the quota is checked), unattached until a message carries it.
func (s *Service) serveUpload(w http.ResponseWriter, r *http.Request) {
	// Until the body is read, any answer is a refusal that closes the connection: without
	// it the server drains up to 256 KiB of a body nobody reads before answering, so an
	// uploader whose body comes slowly (or stalls) would wait for a 429 it never gets.
	w.Header().Set("Connection", "close")
	if !s.allowOrigin(w, r) {
		return
	}
	if r.Method != http.MethodPost {
		methodNotAllowed(w, "POST", "POST /upload stores a file")
		return
	}
	if s.cfg.UploadsOff {
		s.cfg.Metrics.UploadRefused("disabled")
		writeError(w, http.StatusForbidden, hubbub.Errorf(hubbub.ECodeDisabled,
			"file uploads are off on this server: its operator runs it with --upload-max 0"))
		return
	}
	u, err := s.user(r)
	if err != nil {
		s.cfg.Metrics.UploadRefused("unauthorized")
		writeError(w, errorStatus(err), err)
		return
	}
	if r.ContentLength > s.cfg.UploadMax+multipartSlack {
		s.tooLarge(w)
		return
	}
	if !s.startUpload(u.ID) {
		s.cfg.Metrics.UploadRefused("at_once")
		writeError(w, http.StatusTooManyRequests, hubbub.Errorf(hubbub.ECodeRateLimited,
			"you are sending %d files at once, the most allowed: wait for one to finish", s.cfg.UploadsPerUser))
		return
	}
	defer s.endUpload(u.ID)
	if r.ContentLength > 0 && !s.underQuota(r.Context(), w, u, r.ContentLength) {
		return
	}
	w.Header().Del("Connection") // the body is read from here on: the connection may be kept
	_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(s.cfg.UploadTimeout))
	body := httpbody.Limit(w, r, s.cfg.UploadMax+multipartSlack)
	src, name, err := uploadSource(r, body)
	if err != nil {
		if !httpbody.TimedOut(w, err) {
			writeError(w, http.StatusBadRequest, err)
		}
		return
	}
	tmp, err := os.CreateTemp(s.cfg.TempDir, "hubbub-upload-*")
	if err != nil {
		s.failed(w, "create a temporary file", err)
		return
	}
	defer removeTemp(tmp)
	n, err := io.Copy(tmp, io.LimitReader(src, s.cfg.UploadMax+1))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig) || n > s.cfg.UploadMax:
		s.tooLarge(w)
		return
	case err != nil:
		s.log.Info("upload: reading the body failed", "user", u.ID, "err", err)
		if !httpbody.TimedOut(w, err) {
			writeError(w, http.StatusBadRequest, hubbub.Errorf(hubbub.ECodeBadField, "the upload ended early: %v", err))
		}
		return
	}
	f, err := s.process(r.Context(), tmp)
	if f.tmp != nil {
		defer removeTemp(f.tmp)
	}
	switch {
	case errors.Is(err, errTooManyPixels):
		s.cfg.Metrics.UploadRefused("pixels")
		writeError(w, http.StatusUnprocessableEntity, hubbub.Errorf(codeTooLarge, "%v", err))
		return
	case errors.Is(err, errNotImage):
		s.cfg.Metrics.UploadRefused("bad_image")
		writeError(w, http.StatusUnprocessableEntity, hubbub.Errorf(codeBadImage, "the image is damaged: %v", err))
		return
	case err != nil:
		s.failed(w, "process an upload", err)
		return
	}
	f.att.Name = name
	if !s.underQuota(r.Context(), w, u, f.att.Size+int64(len(f.thumb))) {
		return
	}
	stored, err := s.store(r.Context(), u, f)
	if err != nil {
		if hubbub.ErrorCode(err) == hubbub.ECodeLimit {
			s.overQuota(w, f.att.Size+int64(len(f.thumb)))
			return
		}
		s.failed(w, "store an upload", err)
		return
	}
	s.cfg.Metrics.Uploaded(stored.Bytes)
	s.log.Info("upload", "user", u.ID, "file", stored.ID, "type", stored.Type, "size", stored.Size, "thumb", stored.Thumb)
	writeJSON(w, http.StatusCreated, uploadReply{Attachment: stored.Attachment,
		URL: wire.FileURL(s.cfg.BaseURL, stored.ID, stored.Name), ThumbURL: thumbURL(s.cfg.BaseURL, stored)})
}

// startUpload counts an upload of user, unless the user has UploadsPerUser under way.
func (s *Service) startUpload(user string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.uploading[user] >= s.cfg.UploadsPerUser {
		return false
	}
	s.uploading[user]++
	return true
}

// endUpload uncounts an upload of user that startUpload counted.
func (s *Service) endUpload(user string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.uploading[user]--; s.uploading[user] <= 0 {
		delete(s.uploading, user)
	}
}

// thumbURL is where f's thumbnail is served, "" when it has none.
func thumbURL(base string, f hubbub.File) string {
	if !f.Thumb {
		return ""
	}
	return wire.ThumbURL(base, f.ID)
}

// uploadSource returns the file's bytes and cleaned name: the raw body and ?name=, or the
// first file part of a multipart/form-data body (?name= still wins over its file name). A
// body that did not arrive in time fails with its read's error (httpbody.ErrTimeout).
func uploadSource(r *http.Request, body io.Reader) (io.Reader, string, error) {
	name := r.URL.Query().Get("name")
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "multipart/form-data" {
		return body, CleanName(name), nil
	}
	unreadable := func(err error) error {
		if errors.Is(err, httpbody.ErrTimeout) {
			return err
		}
		return hubbub.Errorf(hubbub.ECodeBadField, "the multipart body cannot be read: %v", err)
	}
	r.Body = io.NopCloser(body)
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, "", unreadable(err)
	}
	for {
		p, err := mr.NextPart()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil, "", hubbub.Errorf(hubbub.ECodeMissing, "the multipart body has no file part (a part with a filename)")
			}
			return nil, "", unreadable(err)
		}
		if p.FileName() != "" {
			if name == "" {
				name = p.FileName()
			}
			return p, CleanName(name), nil
		}
		if _, err := io.Copy(io.Discard, p); err != nil { // another field: skipped, within the body's limit
			return nil, "", unreadable(err)
		}
	}
}

// processed is an upload once checked: its attachment's fields (not its name), the stripped
// copy of an image (tmp, nil when the upload is stored as it came) and the thumbnail.
type processed struct {
	att   hubbub.Attachment
	src   *os.File // what to store: the upload or tmp
	tmp   *os.File
	thumb []byte
}

// process finds what the upload in f is, and for an image strips its metadata into a second
// temporary file and makes its thumbnail. An image that DecodeConfig read but that does not
// decode is stored as application/octet-stream (so it is downloaded, never shown).
func (s *Service) process(ctx context.Context, f *os.File) (processed, error) {
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return processed{}, err
	}
	sn, err := sniff(f, s.cfg.ImageMaxPixels)
	if err != nil {
		return processed{}, err
	}
	p := processed{att: hubbub.Attachment{Type: sn.typ, Width: sn.width, Height: sn.height}, src: f}
	if sn.format == "" {
		return p.sized()
	}
	if p.tmp, err = os.CreateTemp(s.cfg.TempDir, "hubbub-stripped-*"); err != nil {
		return p, err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return p, err
	}
	if sn.orientation, err = strip(p.tmp, f, sn.format); err != nil {
		return p, err
	}
	p.src = p.tmp
	if sn.orientation >= 5 { // turned a quarter: shown as tall as it is stored wide
		p.att.Width, p.att.Height = sn.height, sn.width
	}
	if err := s.decoders.acquire(ctx); err != nil {
		return p, err
	}
	thumb, err := thumbnail(p.src.Name(), sn)
	s.decoders.release()
	switch {
	case err != nil:
		s.log.Info("upload: an image that does not decode is stored as a plain file", "err", err)
		p.att.Type, p.att.Width, p.att.Height = "application/octet-stream", 0, 0
	case thumb != nil:
		p.thumb, p.att.Thumb = thumb, true
	}
	return p.sized()
}

// sized sets the attachment's Size from the file to store, and rewinds it.
func (p processed) sized() (processed, error) {
	size, err := p.src.Seek(0, io.SeekEnd)
	if err != nil {
		return p, err
	}
	p.att.Size = size
	_, err = p.src.Seek(0, io.SeekStart)
	return p, err
}

// store puts the file's bytes and thumbnail in Blobs, then the file in the Store, whose
// CreateFile checks the quota in its transaction; if the Store refuses, the blobs go again.
func (s *Service) store(ctx context.Context, u session.RequestUser, p processed) (hubbub.File, error) {
	ctx, cancel := context.WithTimeout(ctx, storeTimeout)
	defer cancel()
	id := "f_" + hubbub.NewMessageID(time.Now())
	p.att.ID = id
	if err := s.cfg.Blobs.Put(ctx, id, p.src, p.att.Size, p.att.Type); err != nil {
		return hubbub.File{}, fmt.Errorf("put the file: %w", err)
	}
	undo := func() {
		// The request's context may be done: the blobs still go.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), storeTimeout)
		defer cancel()
		for _, key := range []string{id, ThumbKey(id)} {
			if err := s.cfg.Blobs.Delete(ctx, key); err != nil {
				s.log.Warn("upload: a refused file's blob is left behind", "key", key, "err", err)
			}
		}
	}
	if p.thumb != nil {
		if err := s.cfg.Blobs.Put(ctx, ThumbKey(id), bytes.NewReader(p.thumb), int64(len(p.thumb)), http.DetectContentType(p.thumb)); err != nil {
			undo()
			return hubbub.File{}, fmt.Errorf("put the thumbnail: %w", err)
		}
	}
	f, err := s.cfg.Store.CreateFile(ctx, hubbub.File{Attachment: p.att, User: u.ID, Bytes: p.att.Size + int64(len(p.thumb))}, s.cfg.UploadQuota)
	if err != nil {
		undo()
		return hubbub.File{}, err
	}
	return f, nil
}

// underQuota checks, before the work, that n more bytes fit in u's quota, and answers 413 if
// they do not. CreateFile checks again, in its transaction, which is what counts.
func (s *Service) underQuota(ctx context.Context, w http.ResponseWriter, u session.RequestUser, n int64) bool {
	ctx, cancel := context.WithTimeout(ctx, authTimeout)
	defer cancel()
	used, err := s.cfg.Store.FileUsage(ctx, u.ID)
	if err != nil {
		s.failed(w, "read the quota", err)
		return false
	}
	if used+n > s.cfg.UploadQuota {
		s.overQuota(w, n)
		return false
	}
	return true
}

// overQuota answers 413 for an upload of n bytes (the file and its thumbnail) that its
// uploader's quota cannot take.
func (s *Service) overQuota(w http.ResponseWriter, n int64) {
	s.cfg.Metrics.UploadRefused("quota")
	if n > s.cfg.UploadQuota {
		// Deleting files would not make room: say so, rather than send them looking.
		writeError(w, http.StatusRequestEntityTooLarge, hubbub.Errorf(hubbub.ECodeLimit,
			"the upload (%s) is larger than your whole quota of %s", bytesText(n), bytesText(s.cfg.UploadQuota)))
		return
	}
	// Uploads no message carries count too, until the collector takes them (UploadGrace) or
	// their uploader deletes them (the composer's ✕ does: withdraw.go).
	writeError(w, http.StatusRequestEntityTooLarge, hubbub.Errorf(hubbub.ECodeLimit,
		"your files would take more than your quota of %s: delete messages with files to make room (files uploaded but not sent count for %s after their upload, unless you remove them from the message you are writing)",
		bytesText(s.cfg.UploadQuota), graceText(s.cfg.UploadGrace)))
}

func (s *Service) tooLarge(w http.ResponseWriter) {
	s.cfg.Metrics.UploadRefused("too_large")
	writeError(w, http.StatusRequestEntityTooLarge, hubbub.Errorf(codeTooLarge, "the file is larger than the server's limit of %s", bytesText(s.cfg.UploadMax)))
}

// failed logs err and answers 503: the disk, the bucket or the store failed. A request the
// client gave up (the page's ✕ while the server finishes an image) failed nothing of the
// server's: it is logged as that, not as an error an operator must look at.
func (s *Service) failed(w http.ResponseWriter, op string, err error) {
	if errors.Is(err, context.Canceled) {
		s.log.Info("upload: the client went away", "during", op)
		writeError(w, http.StatusServiceUnavailable, hubbub.Errorf(hubbub.ECodeUnavailable, "the upload was cancelled"))
		return
	}
	s.log.Error("upload: "+op+" failed", "err", err)
	s.cfg.Metrics.UploadRefused("failed")
	writeError(w, http.StatusServiceUnavailable, hubbub.Errorf(hubbub.ECodeUnavailable, "the file cannot be stored right now; try again"))
}

// removeTemp closes and removes a temporary file.
func removeTemp(f *os.File) {
	f.Close()
	os.Remove(f.Name())
}

// bytesText writes n bytes for people: "25 MiB", "1 GiB", "512 bytes".
func bytesText(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", n>>30)
	case n >= 1<<20:
		return fmt.Sprintf("%.4g MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.4g KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

// CleanName makes an uploaded file's name safe to keep and show: its base name (after the
// last '/' or '\'), valid UTF-8, without control and format characters (a right-to-left
// override would show "exe.png" for "gnp.exe"), without leading dots and surrounding spaces,
// cut to hubbub.MaxFileNameLen bytes keeping its extension; "file" when nothing is left. A
// file named "thumb" is kept as "thumb_", so that its URL is not its thumbnail's.
func CleanName(name string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.ToValidUTF8(name, "\uFFFD")
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return -1
		}
		return r
	}, name)
	name = strings.TrimLeft(strings.TrimSpace(name), ".")
	name = strings.TrimSpace(name)
	if len(name) > hubbub.MaxFileNameLen {
		ext := ""
		if i := strings.LastIndexByte(name, '.'); i > 0 && len(name)-i <= 16 {
			ext = name[i:]
		}
		name = cutUTF8(name[:len(name)-len(ext)], hubbub.MaxFileNameLen-len(ext)) + ext
	}
	switch name {
	case "":
		return "file"
	case "thumb":
		return "thumb_"
	}
	return name
}

// cutUTF8 cuts s to at most n bytes, at a character's boundary.
func cutUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// graceText writes d for a person: "24 hours", "90 minutes", "45 seconds".
func graceText(d time.Duration) string {
	switch {
	case d >= time.Hour && d%time.Hour == 0:
		return plural(int(d/time.Hour), "hour")
	case d >= time.Minute && d%time.Minute == 0:
		return plural(int(d/time.Minute), "minute")
	}
	return d.Round(time.Second).String()
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return strconv.Itoa(n) + " " + unit + "s"
}
