package server

import (
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"strings"
)

// pagePolicy is the pages' Content-Security-Policy: it forbids inline script and any source
// but this server, so that even a bug that let message text into the page as HTML could not
// run it. filesOrigin ("" for none) is the origin of --files-url, which serves the pictures
// the page shows and the files cookie it asks for: images and fetches may go there too, and
// nothing else may.
func pagePolicy(filesOrigin string) string {
	files := ""
	if filesOrigin != "" {
		files = " " + filesOrigin
	}
	return "default-src 'self'; script-src 'self'; style-src 'self'; " +
		"connect-src 'self' ws: wss:" + files + "; img-src 'self' data:" + files + "; object-src 'none'; base-uri 'none'; " +
		"frame-ancestors 'none'; form-action 'self'"
}

// originOf returns the scheme://host[:port] of an absolute URL, or "" for "" or a URL
// without a host (config.go has checked --files-url already).
func originOf(base string) string {
	u, err := url.Parse(base)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

// readOnly answers 405 to a request that is neither GET nor HEAD, saying which are allowed,
// and reports whether r is one of them: the pages and the health checks only read.
func readOnly(w http.ResponseWriter, r *http.Request) bool {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return true
	}
	w.Header().Set("Allow", "GET, HEAD")
	http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	return false
}

// servePage serves the embedded browser pages: / is the chat UI, /classic the original page,
// and the files they load. Anything else is 404, and only GET and HEAD are allowed.
func (s *Server) servePage(w http.ResponseWriter, r *http.Request) {
	if !readOnly(w, r) {
		return
	}
	name := strings.TrimPrefix(path.Clean(r.URL.Path), "/")
	switch name {
	case "":
		name = "index.html"
	case "classic":
		name = "classic.html"
	}
	if s.cfg.Pages == nil || strings.Contains(name, "/") || name == "index.html" && r.URL.Path != "/" {
		http.NotFound(w, r)
		return
	}
	data, err := fs.ReadFile(s.cfg.Pages, name)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Security-Policy", s.pagePolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-cache")
	switch path.Ext(name) {
	case ".html":
		h.Set("Content-Type", "text/html; charset=utf-8")
	case ".js":
		h.Set("Content-Type", "text/javascript; charset=utf-8")
	case ".css":
		h.Set("Content-Type", "text/css; charset=utf-8")
	case ".png":
		h.Set("Content-Type", "image/png")
	case ".svg":
		h.Set("Content-Type", "image/svg+xml")
	}
	w.Write(data)
}
