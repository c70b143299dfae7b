// Package wire is the hubbub.v1 protocol (docs/protocol.md), declared once: every frame type,
// the struct of every frame with its JSON fields, and their encoding and decoding on both
// sides. The server decodes client frames with Decode and encodes its own with the New…
// constructors and Encode; the Go client (package hubbub/client) and the load generator
// (internal/bench) send the request structs and read server frames with DecodeFrame. The
// browser's client (web/chat-protocol.js) declares the same frames in its HUBBUB_FRAMES
// table, which a test compares with this package.
//
// wire imports only the standard library and the root hubbub package, so a client can use it
// without the server's hub, store or metrics. How a room's events become frames (the
// hub.Codecs) is the server's: internal/session/codec.
package wire
