// Package session speaks hubbub's two client protocols and knows no socket: the original text
// protocol (text.go) and hubbub.v1's JSON frames (json.go, docs/protocol.md). A session
// decodes each message its transport (internal/transport) hands it, checks who the client is
// (tokens, auth.go) and what it may do (rate limits, limits.go; moderation, moderation.go;
// edits, reactions, deletes and revisions of messages in the room log, entries.go), and acts on the rooms through the hub (internal/hub), which stores and broadcasts; what the
// client is sent goes back through the connection's outbox, its Peer.
package session
