// Package web holds the browser pages hubbub serves, embedded in the binary so that one file is
// the whole server. The pages are plain HTML, CSS and JavaScript with no build step.
//
//   - index.html, app.js, app.css: the chat UI over the hubbub.v1 protocol, served at /.
//   - classic.html, classic.js: the original text-protocol page, served at /classic.
//
// Scripts live in their own files because the server's Content-Security-Policy forbids inline
// script.
package web

import (
	"embed"
	"io/fs"
)

//go:embed *.html *.js *.css
var files embed.FS

// FS returns the embedded pages. The server takes an fs.FS so tests can pass their own.
func FS() fs.FS { return files }
