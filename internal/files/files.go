// Package files is the HTTP side of uploaded files (issue 17): POST /upload streams a file to
// a temporary file under a size limit and the uploader's quota, finds its type from its content
// (never the client's claim), strips the metadata of images and makes their thumbnails, and
// stores the bytes in a hubbub.Blobs and the metadata in the Store's hubbub.FileStore;
// GET /files/{id}/{name} and /files/{id}/thumb serve them to whoever may read the room of the
// message that carries them; the collector deletes the bytes of files that no message carries
// any more. LocalBlobs is the default Blobs, a folder beside the data.
//
// Files by job: upload.go (POST /upload), images.go (type sniffing, decoding under a pixel
// limit, thumbnails), strip.go (lossless metadata stripping of JPEG, PNG, WebP), download.go
// (GET /files/…), auth.go (who a request acts for; POST /files/session), collector.go,
// localblobs.go.
package files

import (
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"hubbub"
	"hubbub/internal/metrics"
	"hubbub/internal/session"
)

// thumbSuffix follows a file's id in the key of its thumbnail's blob.
const thumbSuffix = ".thumb"

// ThumbKey is the Blobs key of file id's thumbnail.
func ThumbKey(id string) string { return id + thumbSuffix }

// The defaults of Config.
const (
	DefaultUploadMax      = 25 << 20 // 25 MiB
	DefaultUploadQuota    = 1 << 30  // 1 GiB
	DefaultImageMaxPixels = 40_000_000
	DefaultImageWorkers   = 2
	DefaultUploadsPerUser = 4
	DefaultUploadTimeout  = 10 * time.Minute
	DefaultCollectEvery   = time.Minute
	DefaultUploadGrace    = 24 * time.Hour
	DefaultCollectBatch   = 100
	DefaultSessionTTL     = 24 * time.Hour
)

// Config tunes the files endpoints and the collector. Blobs, Store and Sessions are required;
// the other fields' zero values mean the defaults their comments give.
type Config struct {
	// Blobs keeps the bytes; Store the metadata (the server's Store).
	Blobs hubbub.Blobs
	Store hubbub.FileStore
	// Users stores the cookies of POST /files/session (the server's Store); nil turns that
	// endpoint off.
	Users hubbub.UserStore
	// Sessions says who a request acts for and who may read a room, as for the WebSockets.
	Sessions *session.Service

	// UploadMax is the largest file, in bytes (default 25 MiB); a larger upload gets 413.
	UploadMax int64
	// UploadsOff refuses every upload with 403 hubbub.ECodeDisabled (hubbub serve
	// --upload-max 0). Files stored already are still served, sent and collected.
	UploadsOff bool
	// UploadQuota is how many bytes one user's files (and their thumbnails) may hold at once,
	// until the messages carrying them are deleted (default 1 GiB); past it uploads get 413.
	UploadQuota int64
	// ImageMaxPixels is the largest image, width × height, that is decoded (default 40
	// million); a larger one is refused with 422 before any pixel is decoded.
	ImageMaxPixels int64
	// ImageWorkers is how many images may be decoded at once (default 2); each may hold
	// 4 bytes per pixel.
	ImageWorkers int
	// UploadsPerUser is how many uploads one user may send at once (default 4); another gets
	// 429. Each holds a temporary file of up to UploadMax and the quota counts a file only once
	// it is stored, so this bounds the disk one user's parallel uploads take.
	UploadsPerUser int
	// UploadTimeout bounds the reading of one upload's body (default 10 minutes).
	UploadTimeout time.Duration
	// CollectEvery is how often the collector looks for files to delete (default 1 minute).
	CollectEvery time.Duration
	// UploadGrace is how long an upload no message carries is kept (default 24 hours).
	UploadGrace time.Duration
	// CollectBatch is how many files one round of the collector deletes at most (default 100).
	CollectBatch int
	// SessionTTL is how long a cookie of POST /files/session lasts (default 24 hours; never
	// past the expiry of the token it came from).
	SessionTTL time.Duration
	// BaseURL is where browsers fetch /files/ from: "" for the server itself (URLs are then
	// paths), or another origin serving this server's /files/ (the server's FilesURL,
	// hubbub serve --files-url); the links of uploads are built as messages' are
	// (wire.FileURL).
	BaseURL string
	// TempDir holds uploads while they are checked (default os.TempDir()).
	TempDir string
	// CheckOrigin says whether a browser request's Origin may act on this server (the server's
	// origin policy); nil allows only requests without an Origin or from the same host.
	CheckOrigin func(r *http.Request) bool
	// Secure says whether the browser reached the server over TLS, to mark cookies Secure.
	Secure func(r *http.Request) bool
	// Metrics counts uploads, their bytes, refusals and collected files; nil counts nothing.
	Metrics *metrics.Metrics
	// Logger receives the logs (default slog.Default()).
	Logger *slog.Logger
}

func (c Config) withDefaults() Config {
	i64 := func(v *int64, d int64) {
		if *v <= 0 {
			*v = d
		}
	}
	dur := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	i64(&c.UploadMax, DefaultUploadMax)
	i64(&c.UploadQuota, DefaultUploadQuota)
	i64(&c.ImageMaxPixels, DefaultImageMaxPixels)
	if c.ImageWorkers <= 0 {
		c.ImageWorkers = DefaultImageWorkers
	}
	if c.UploadsPerUser <= 0 {
		c.UploadsPerUser = DefaultUploadsPerUser
	}
	if c.CollectBatch <= 0 {
		c.CollectBatch = DefaultCollectBatch
	}
	dur(&c.UploadTimeout, DefaultUploadTimeout)
	dur(&c.CollectEvery, DefaultCollectEvery)
	dur(&c.UploadGrace, DefaultUploadGrace)
	dur(&c.SessionTTL, DefaultSessionTTL)
	if c.TempDir == "" {
		c.TempDir = os.TempDir()
	}
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	if c.CheckOrigin == nil {
		c.CheckOrigin = sameOrigin
	}
	if c.Secure == nil {
		c.Secure = func(r *http.Request) bool { return r.TLS != nil }
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}

// ValidBaseURL checks a --files-url: "" or an absolute http(s) URL with no query.
func ValidBaseURL(base string) error {
	if base == "" {
		return nil
	}
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return errors.New("files: --files-url must be an origin like https://files.example.com")
	}
	return nil
}

// sameOrigin allows requests without an Origin (not from a browser page) or from the host
// they are sent to.
func sameOrigin(r *http.Request) bool {
	o := r.Header.Get("Origin")
	if o == "" {
		return true
	}
	u, err := url.Parse(o)
	return err == nil && strings.EqualFold(u.Host, r.Host)
}

// Service serves the files endpoints; Mount puts them on a mux, Collect runs the collector.
type Service struct {
	cfg      Config
	log      *slog.Logger
	decoders decoders

	mu        sync.Mutex
	uploading map[string]int // user id → uploads under way
}

// New returns the files service.
func New(cfg Config) (*Service, error) {
	if cfg.Blobs == nil || cfg.Store == nil || cfg.Sessions == nil {
		return nil, errors.New("files: Blobs, Store and Sessions are required")
	}
	if err := ValidBaseURL(cfg.BaseURL); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	return &Service{cfg: cfg, log: cfg.Logger.With("component", "files"), decoders: make(decoders, cfg.ImageWorkers),
		uploading: map[string]int{}}, nil
}

// Mount registers POST /upload, GET and DELETE /files/{id}/{name}, GET /files/{id}/thumb
// and POST /files/session on mux.
func (s *Service) Mount(mux *http.ServeMux) {
	mux.HandleFunc("/upload", s.serveUpload)
	mux.HandleFunc("/files/session", s.serveSession)
	mux.HandleFunc("/files/{id}/thumb", s.serveThumb)
	mux.HandleFunc("/files/{id}/{name}", s.serveFile)
	mux.HandleFunc("/files/", serveNoFile)
}

// serveNoFile answers a /files/ path of another shape than /files/{id}/{name}: JSON, as
// every other refusal here, where the mux would answer a plain-text 404.
func serveNoFile(w http.ResponseWriter, r *http.Request) {
	writeError(w, http.StatusNotFound, hubbub.Errorf(hubbub.ECodeNotFound, "no such file: a file's URL is /files/{id}/{name}"))
}
