// Package transport owns hubbub's WebSocket sockets and knows no chat protocol: it answers the
// upgrade, reads frames (internal/wsframe or gorilla/websocket), answers pings and closes,
// pings idle clients, writes what a connection's outbox (internal/hub) queues, batching
// writes, and ends the descriptor's life. Each complete text message it reads goes to the
// connection's Session (internal/session speaks the protocols), which answers through the
// connection as a Peer: queue a frame, close with a code.
//
// Two transports serve a socket, each its own type behind Conn: the polled transport
// (polled*.go, Linux) watches idle sockets from one poller (internal/netpoll) and writes from
// a few shared flushers (flusher.go), so an idle connection costs no goroutine; the goroutine
// transport (goroutine.go) gives each socket a read loop and a write pump on
// gorilla/websocket, for TLS, compression and --transport goroutine.
package transport
