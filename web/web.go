// Package web holds the browser pages hubbub serves, embedded in the binary so that one file is
// the whole server. The pages are plain HTML, CSS and JavaScript with no build step.
//
//   - index.html, app.css and the scripts it loads: the chat UI over the hubbub.v1 protocol,
//     served at /. chat-protocol.js is the protocol client (reconnects, per-room state, pending
//     sends) with no DOM code, and rooms-protocol.js its people part (the room list with unread
//     and mention counts, read positions, DMs, invitations, the directory); markdown.js renders a message's markdown source in a safe
//     subset; render.js builds message rows; messages.js holds what a person does with a
//     message (react, reply, edit, delete, links, the thread panel, mention notifications);
//     files.js the files a person shares (attach, drop, paste, uploads with progress, the
//     chips in the composer) and those messages carry (thumbnails, the lightbox, cards);
//     people.js the sidebar's DMs and invitations, the room browser, invites, the topic,
//     members with presence and the Ctrl/Cmd+K switcher; mentions.js the @name suggestions
//     of the message boxes; counter.js their length counter; search.js (with search.css) the
//     Ctrl/Cmd+F search panel; page.js holds storage, notices and
//     the phone drawers; app.js wires them to the page.
//   - classic.html, classic.js: the original text-protocol page, served at /classic.
//   - package.json, hubbub-client.js, hubbub-client.d.ts: the JavaScript client package
//     (docs/clients.md), an ES module that loads chat-protocol.js and rooms-protocol.js
//     themselves, so the page and the package run one copy of the protocol client; test/
//     holds its `node --test` suite, which internal/e2e runs against a real server. Only
//     the .js files are embedded (and served); the rest stays in the repository.
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
