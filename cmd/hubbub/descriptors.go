package main

import (
	"log/slog"

	"hubbub/internal/fdlimit"
)

// descriptorHeadroom is what serve keeps for descriptors other than its clients' sockets:
// the listener, the store's files or PostgreSQL's pool, NATS, uploads being written, webhook
// and S3 connections, connections still sending their first request.
const descriptorHeadroom = 256

// warnDescriptors logs a warning when the connections serve may hold (--max-conns WebSockets,
// --max-http-conns plain HTTP) need more descriptors than the process may open. Past that
// the limits never answer: accepting fails (EMFILE), net/http backs off, and new clients
// wait in the kernel's backlog until they give up, where the limits would have answered 503
// and Retry-After. Go raises the soft limit to the hard one at start, so limit is the most
// this process could get; only the operator can raise it.
func warnDescriptors(log *slog.Logger, maxConns, maxHTTPConns int) {
	limit, ok := fdlimit.Open()
	if !ok {
		return
	}
	need := uint64(maxConns) + uint64(maxHTTPConns) + descriptorHeadroom
	if limit >= need {
		return
	}
	log.Warn("the connection limits need more file descriptors than this process may open: past it new connections wait unanswered instead of getting 503",
		"max_conns", maxConns, "max_http_conns", maxHTTPConns, "need", need, "open_file_limit", limit,
		"fix", "raise the limit (ulimit -n, systemd's LimitNOFILE) or lower --max-conns and --max-http-conns")
}
