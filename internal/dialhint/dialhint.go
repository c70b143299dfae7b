// Package dialhint says what a command-line client (hubbub chat, hubbub add) adds to a dial that
// failed or reached the wrong endpoint: which certificate to trust, which scheme to use, what
// to check when nothing listens, which of hubbub's two WebSocket endpoints was reached. The two
// commands said it alike when both lived in cmd/hubbub; with the terminal chat in a package of
// its own (internal/termchat), the words live here, once, for both.
package dialhint

import (
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"path"
	"strings"
	"syscall"

	"hubbub"
)

// For is what to add to any command's failed dial: a certificate to trust, the TLS scheme a
// ws:// URL missed, or nothing listening at the URL's address; "" when none applies.
func For(err error) string {
	return untrusted(err) + PlainToTLS(err) + refused(err)
}

// untrusted is what to add to a dial error caused by a server certificate the client does not
// trust: how to trust it.
func untrusted(err error) string {
	var unknown x509.UnknownAuthorityError
	if errors.As(err, &unknown) {
		return " (to trust a self-signed or private certificate, pass --ca-file with it in PEM)"
	}
	return ""
}

// refused says what to check when nothing listens at the server's address: most often a
// server started on another --port or --host than the URL names, or not started at all, which
// the dialer's "connection refused" leaves a new user to guess.
func refused(err error) string {
	var op *net.OpError
	if errors.Is(err, syscall.ECONNREFUSED) && errors.As(err, &op) && op.Addr != nil {
		return fmt.Sprintf(" (is hubbub serving on %s? the URL's host and port must be the server's --host and --port)", op.Addr)
	}
	return ""
}

// WrongEndpoint says which of a hubbub server's two WebSocket endpoints target is, when a
// command needing the other one (want: "ws" for chat, "add" for add) was pointed at it, and
// where that one is; "" when target may be the one wanted. Both commands offer hubbub.v1 in
// their handshake, and the endpoint's choice (chose) tells them apart: the chat endpoint
// chooses it, the add service none (a path ending in /add, since any WebSocket server but
// hubbub's chat endpoint chooses none). The other endpoint's URL is target's with its last
// path element changed, so that a prefix a proxy serves the server under is kept.
func WrongEndpoint(target *url.URL, chose, want string) string {
	other := *target
	other.RawPath, other.RawQuery, other.Fragment = "", "", ""
	clean := path.Clean("/" + target.Path)
	switch {
	case want == "add" && chose == hubbub.ProtocolJSON:
		other.Path = path.Join(path.Dir(clean), "add")
		return fmt.Sprintf("%s is the chat endpoint (hubbub chat %s); the add service is %s", target, target, &other)
	case want == "ws" && chose == "" && path.Base(clean) == "add":
		other.Path = path.Join(path.Dir(clean), "ws")
		return fmt.Sprintf("%s is the add service (hubbub add %s); chat is at %s", target, target, &other)
	}
	return ""
}

// plainToTLS is the start of the answer Go's HTTP server (and hubbub's, started with
// --tls-cert) gives a plain HTTP request on its TLS port.
const plainToTLS = "Client sent an HTTP request to an HTTPS server"

// PlainToTLS is what to add to a dial error that a ws:// (or http://) URL got from a server
// that speaks TLS: use the TLS scheme. The 400 alone ("bad handshake") read as a server fault.
// err may carry the refused handshake's body (hubbub add passes it so).
func PlainToTLS(err error) string {
	if err != nil && strings.Contains(err.Error(), plainToTLS) {
		return " (the server speaks TLS: use wss:// or https://)"
	}
	return ""
}
