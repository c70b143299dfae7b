package main

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path"
	"strings"

	"hubbub"
)

// trustFile returns the TLS settings of a client that trusts the certificates in the PEM file
// at path as well as the system's roots (--ca-file of chat and add), or nil for path "": a
// server with a self-signed or private-CA certificate is then reachable over wss:// without
// turning verification off.
func trustFile(path string) (*tls.Config, error) {
	if path == "" {
		return nil, nil
	}
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("--ca-file: %w", err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil { // no system roots here: trust the file alone
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("--ca-file %s holds no PEM certificate", path)
	}
	return &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}, nil
}

// untrustedHint is what to add to a dial error caused by a server certificate the client does
// not trust: how to trust it.
func untrustedHint(err error) string {
	var unknown x509.UnknownAuthorityError
	if errors.As(err, &unknown) {
		return " (to trust a self-signed or private certificate, pass --ca-file with it in PEM)"
	}
	return ""
}

// dialHints is what to add to any command's failed dial: a certificate to trust, the TLS scheme
// a ws:// URL missed, or nothing listening at the URL's address — chat and add say the same.
func dialHints(err error) string {
	return untrustedHint(err) + plainToTLSHint(err) + refusedHint(err)
}

// wrongEndpoint says which of a hubbub server's two WebSocket endpoints target is, when a
// command needing the other one (want: "ws" for chat, "add" for add) was pointed at it, and
// where that one is; "" when target may be the one wanted. Both commands offer hubbub.v1 in
// their handshake, and the endpoint's choice (chose) tells them apart: the chat endpoint
// chooses it, the add service none (a path ending in /add, since any WebSocket server but
// hubbub's chat endpoint chooses none). The other endpoint's URL is target's with its last
// path element changed, so that a prefix a proxy serves the server under is kept.
func wrongEndpoint(target *url.URL, chose, want string) string {
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

// plainToTLSHint is what to add to a dial error that a ws:// (or http://) URL got from a server
// that speaks TLS: use the TLS scheme. The 400 alone ("bad handshake") read as a server fault.
func plainToTLSHint(err error) string {
	if err != nil && strings.Contains(err.Error(), plainToTLS) {
		return " (the server speaks TLS: use wss:// or https://)"
	}
	return ""
}

// refusalBody returns the start of a refused handshake's body, the server's reason (gorilla
// keeps its first KiB).
func refusalBody(resp *http.Response) string {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
	return strings.TrimSpace(string(b))
}
