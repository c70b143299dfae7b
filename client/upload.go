package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"hubbub"
	"hubbub/internal/wire"
)

// maxUploadReply bounds the server's answer to an upload, which is a small JSON object.
const maxUploadReply = 64 << 10

// UploadError is the server's refusal of an upload: its HTTP status (413 for a file too large
// or a full quota, 415 or 422 for a file it will not take, 401 for missing credentials, …) and
// the code and message of its error body.
type UploadError struct {
	Status  int
	Code    string
	Message string
}

// Error implements error.
func (e *UploadError) Error() string { return refusedText("upload", e.Status, e.Code, e.Message) }

// refusedText says the server's refusal of an upload or a download: "upload refused (422,
// too_large): …", the status's text when the body had no message.
func refusedText(what string, status int, code, msg string) string {
	if msg == "" {
		msg = http.StatusText(status)
	}
	if code != "" {
		return fmt.Sprintf("%s refused (%d, %s): %s", what, status, code, msg)
	}
	return fmt.Sprintf("%s refused (%d): %s", what, status, msg)
}

// HTTPURL returns the http:// or https:// address of path on the server whose WebSocket is
// at rawURL (any URL Dial takes): ws://host/ws and "/upload" give http://host/upload; a server
// under a prefix, wss://host/chat/ws, gives https://host/chat/upload.
func HTTPURL(rawURL, path string) (*url.URL, error) {
	u, err := ParseURL(rawURL, "/ws")
	if err != nil {
		return nil, err
	}
	if u.Scheme == "wss" {
		u.Scheme = "https"
	} else {
		u.Scheme = "http"
	}
	u.Path = strings.TrimSuffix(strings.TrimSuffix(u.Path, "/ws"), "/") + path
	u.RawPath, u.RawQuery, u.Fragment = "", "", ""
	return u, nil
}

// FileURL returns the absolute address of a file a message carries: an attachment's URL is a
// path on the server (unless the server serves its files from another origin), resolved here
// against the server whose WebSocket is at serverURL. It returns "" for a URL that is not
// http(s) once resolved.
func FileURL(serverURL, fileURL string) string {
	base, err := HTTPURL(serverURL, "/")
	if err != nil {
		return ""
	}
	ref, err := url.Parse(fileURL)
	if err != nil {
		return ""
	}
	u := base.ResolveReference(ref)
	if u.Scheme != "http" && u.Scheme != "https" {
		return ""
	}
	return u.String()
}

// UploadsOff reports whether the server said, in the welcome of the session's current (or
// last) connection, that it takes no uploads (uploads_off: it runs with --upload-max 0, or
// keeps no files): every Upload is refused with a 403 *UploadError, code "disabled". A client
// says so before it reads a file, or offers no upload at all; files uploaded before still
// download, and messages still carry them. It is false before the first welcome (Connect
// waits for it) and from servers older than the field, whose refusal comes with the upload;
// a reconnect to a server started again with uploads on makes it false again.
func (s *Session) UploadsOff() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.uploadsOff
}

// Upload sends size bytes read from r to the server's POST /upload as a file named name, as
// the session's user (its token, or its guest name and key; the Dial options' headers and TLS
// configuration apply too), and returns the file as the server describes it. The file belongs
// to no message until one carries it: pass its ID in Outgoing.Attachments to Post. size may be -1 when unknown;
// a known size lets the server refuse a file too large before it is sent. ctx bounds the
// upload, and so does SessionOptions.UploadTimeout.
func (s *Session) Upload(ctx context.Context, name string, r io.Reader, size int64) (*Attachment, error) {
	c, err := s.ready()
	if err != nil {
		return nil, fmt.Errorf("client: upload %s: %w", name, err)
	}
	target, err := HTTPURL(c.URL(), "/upload")
	if err != nil {
		return nil, fmt.Errorf("client: upload %s: %w", name, err)
	}
	target.RawQuery = url.Values{"name": {name}}.Encode()
	ctx, cancel := context.WithTimeout(ctx, s.opts.UploadTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target.String(), r)
	if err != nil {
		return nil, fmt.Errorf("client: upload %s: %w", name, err)
	}
	req.ContentLength = size
	if size == 0 {
		req.Body = http.NoBody
	}
	for k, v := range s.opts.Dial.Header {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/octet-stream") // the server finds the type itself
	if size > 0 {
		// The server refuses a file over its limit (413) from its size, without reading it:
		// the body waits for the go-ahead, or it would stream into a connection the server
		// has answered and closed, and the upload would fail as "broken pipe" instead.
		req.Header.Set("Expect", "100-continue")
	}
	s.credentials(req)

	resp, err := s.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("client: upload %s: %w", name, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxUploadReply))
	if err != nil {
		return nil, fmt.Errorf("client: upload %s: reading the answer: %w", name, err)
	}
	if resp.StatusCode != http.StatusCreated && resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("client: upload %s: %w", name, uploadError(resp.StatusCode, body))
	}
	var a wire.Attachment
	if err := json.Unmarshal(body, &a); err != nil || a.ID == "" {
		return nil, fmt.Errorf("client: upload %s: the server's answer is not a file: %.200q", name, body)
	}
	return &a, nil
}

// credentials sets the headers that say who an HTTP request acts for, as the hello does: the
// token, else an account's session cookie, else the guest's name (as the server last
// confirmed it) and key.
func (s *Session) credentials(req *http.Request) {
	h := req.Header
	if s.opts.Token != "" {
		h.Set("Authorization", "Bearer "+s.opts.Token)
		return
	}
	if cookie := s.sessionCookie(); cookie != "" {
		req.AddCookie(&http.Cookie{Name: SessionCookieName, Value: cookie})
		return
	}
	name := s.opts.Name
	s.mu.Lock()
	if s.user != nil && s.user.Name != "" {
		name = s.user.Name
	}
	s.mu.Unlock()
	if name != "" {
		h.Set(wire.GuestNameHeader, url.PathEscape(name)) // Latin-1 only: URL-encoded
	}
	if s.opts.Key != "" {
		h.Set(wire.GuestKeyHeader, s.opts.Key)
	}
}

// uploadError reads the server's refusal of an upload (errorBody).
func uploadError(status int, body []byte) error {
	code, msg := errorBody(body)
	return &UploadError{Status: status, Code: code, Message: msg}
}

// errorBody reads the server's error body, {"code": …, "message": …} (docs/api.md, Files), or
// takes the start of a body that is not one as its message, cleaned for a terminal.
func errorBody(body []byte) (code, message string) {
	var reply struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	}
	if json.Unmarshal(body, &reply) == nil {
		code, message = hubbub.CleanText(reply.Code), hubbub.CleanText(reply.Message)
	}
	if message == "" {
		message = strings.TrimSpace(hubbub.CleanText(string(body[:min(len(body), 200)])))
	}
	return code, message
}

// uploadContinueTimeout is how long an upload waits for the server's 100 Continue (or its
// refusal) before it sends the body anyway.
const uploadContinueTimeout = 5 * time.Second

// newHTTPClient is the client of a session's HTTP requests (uploads, downloads): the proxy and TLS
// configuration of its WebSockets, no redirects (a redirected POST would lose its body, and
// its credentials must not follow to another host), and no idle connections kept (uploads
// are rare, and a kept connection would outlive the session's Close).
func newHTTPClient(opts Options) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.Proxy = http.ProxyFromEnvironment
	t.DisableKeepAlives = true
	// An upload asks Expect: 100-continue so that a refusal (413 past --upload-max, 401, a
	// quota) comes before the body is sent. hubbub answers at once, but a server busy with a
	// reconnect storm, or a test under -race on a loaded machine, may take more than the
	// transport's 1 s, after which the body goes anyway and the refusal is lost in a broken
	// pipe; behind a proxy that does not pass the expectation on, every upload (keep-alives
	// are off) waits this long first.
	t.ExpectContinueTimeout = uploadContinueTimeout
	if opts.TLSConfig != nil {
		t.TLSClientConfig = opts.TLSConfig.Clone()
	}
	return &http.Client{
		Transport: t,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return errors.New("the server redirected the request") // an upload or a download
		},
	}
}
