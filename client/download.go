package client

import (
	"context"
	"fmt"
	"io"
	"net/http"
)

// DownloadError is the server's refusal of a download: its HTTP status (404 for a file that
// is gone, or that the user may not read; 401 for credentials it does not take, …) and the
// code and message of its error body (docs/api.md, Files).
type DownloadError struct {
	Status  int
	Code    string
	Message string
}

// Error implements error.
func (e *DownloadError) Error() string { return refusedText("download", e.Status, e.Code, e.Message) }

// Download writes the bytes of the file at fileURL — an attachment's URL as a message carries
// it, a path on the server (FileURL resolves it) or the absolute address the server gave — to
// w, fetched as the session's user (its token, or its guest name and key, as Upload sends
// them; the Dial options' headers and TLS configuration apply too), and returns how many bytes
// it wrote. A refusal is a *DownloadError; a failure part-way leaves in w what came before it.
// ctx bounds the download, and so does SessionOptions.DownloadTimeout.
func (s *Session) Download(ctx context.Context, fileURL string, w io.Writer) (int64, error) {
	c, err := s.ready()
	if err != nil {
		return 0, fmt.Errorf("client: download %s: %w", fileURL, err)
	}
	target := FileURL(c.URL(), fileURL)
	if target == "" {
		return 0, fmt.Errorf("client: download %q: not a file's address", fileURL)
	}
	ctx, cancel := context.WithTimeout(ctx, s.opts.DownloadTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return 0, fmt.Errorf("client: download %s: %w", target, err)
	}
	for k, v := range s.opts.Dial.Header {
		req.Header[k] = v
	}
	s.credentials(req)
	resp, err := s.http.Do(req)
	if err != nil {
		return 0, fmt.Errorf("client: download %s: %w", target, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, maxUploadReply))
		code, msg := errorBody(body)
		return 0, fmt.Errorf("client: download %s: %w", target, &DownloadError{Status: resp.StatusCode, Code: code, Message: msg})
	}
	n, err := io.Copy(w, resp.Body)
	if err != nil {
		return n, fmt.Errorf("client: download %s: %w", target, err)
	}
	return n, nil
}
