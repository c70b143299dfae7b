package wire

// The headers a guest's plain HTTP request (POST /upload, POST /files/session) names itself
// with, as its hello does on a WebSocket: declared here once, for the server (session) and the
// clients alike. A header holds Latin-1 at most, so the name is URL-encoded
// (encodeURIComponent): "%" is sent as "%25".
const (
	GuestNameHeader = "X-Hubbub-Name"
	GuestKeyHeader  = "X-Hubbub-Key"
)
