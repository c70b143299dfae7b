// Package api is the REST API for backends (docs/api.md): JSON over HTTP under /api/, on only
// when a key is set, every request authenticated with "Authorization: Bearer <key>". Requests
// go through the same hub as WebSocket clients, so a published message is stored, numbered and
// delivered like any other, and a kick or ban reaches every node.
package api
