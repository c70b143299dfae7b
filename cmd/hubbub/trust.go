package main

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
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

// refusalBody returns the start of a refused handshake's body, the server's reason (gorilla
// keeps its first KiB).
func refusalBody(resp *http.Response) string {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
	return strings.TrimSpace(string(b))
}
