package main

import (
	"crypto/tls"
	"flag"
	"fmt"
	"time"

	"hubbub/internal/memrelease"
	"hubbub/internal/metrics"
	"hubbub/internal/server"
	"hubbub/internal/session"
)

// opsFlags are the production settings of hubbub serve: TLS, metrics, profiling and the
// per-address limits, the return of idle memory (docs/operations.md).
type opsFlags struct {
	tlsCert, tlsKey string
	metrics, pprof  bool
	memoryRelease   time.Duration // how often memrelease looks; 0 = never
}

func (o *opsFlags) bind(fs *flag.FlagSet, s *server.Config) {
	fs.StringVar(&o.tlsCert, "tls-cert", "", "TLS certificate file (PEM, with its chain): serve https and wss, with HSTS (needs --tls-key)")
	fs.StringVar(&o.tlsKey, "tls-key", "", "TLS private key file (PEM) for --tls-cert")
	fs.BoolVar(&o.metrics, "metrics", true, "serve Prometheus metrics at /metrics")
	fs.BoolVar(&o.pprof, "pprof", false, "serve net/http/pprof under /debug/pprof/ to loopback clients only")
	fs.DurationVar(&o.memoryRelease, "memory-release", memrelease.DefaultInterval, fmt.Sprintf("how often the server checks whether it has gone quiet; once it has, it collects and returns the heap's free memory to the OS, at most once per collection of its own (0 = never: an idle server keeps up to twice its live heap; else %v to %v)", memrelease.MinInterval, memrelease.MaxInterval))
	fs.IntVar(&s.MaxConnsPerIP, "max-conns-per-ip", 100, "WebSocket connections one client address may hold (past it: 429)")
	fs.IntVar(&s.MaxHTTPConnsPerIP, "max-http-conns-per-ip", server.DefaultMaxHTTPConnsPerIP, "plain HTTP connections (the page, /api/, /upload, /metrics…; not WebSockets) one client address may hold, by the socket's peer address; a request on one more closes the address's one idle longest and takes its slot, or, with none idle, gets 503 with Retry-After and its connection is closed (not applied with --trust-proxy, where every connection is the proxy's)")
	fs.Float64Var(&s.ConnectRate, "connect-rate", 5, "WebSocket connections per second one client address may open (token bucket rate; past it: 429)")
	fs.IntVar(&s.ConnectBurst, "connect-burst", 20, "WebSocket connections one client address may open in a burst (token bucket size)")
	fs.Float64Var(&s.NewRoomRate, "new-room-rate", session.DefaultNewRoomRate, fmt.Sprintf("rooms per second one user, and one client address, may bring into being (a join of a new name, a creation, a new DM; token bucket rate; past it: rate_limited; moderators, admins, bots and the API are not limited; 0 = the default, %v: a very large rate lifts the limit)", session.DefaultNewRoomRate))
	fs.IntVar(&s.NewRoomBurst, "new-room-burst", session.DefaultNewRoomBurst, fmt.Sprintf("new rooms one user, and one client address, may make in a burst (token bucket size; 0 = the default, %d)", session.DefaultNewRoomBurst))
	fs.Float64Var(&s.NewGuestRate, "new-guest-rate", session.DefaultNewGuestRate, "new guest names per second one client address may store (a hello with a key and a name nobody holds; token bucket rate; past it: rate_limited)")
	fs.IntVar(&s.NewGuestBurst, "new-guest-burst", session.DefaultNewGuestBurst, "new guest names one client address may store in a burst (token bucket size)")
	fs.BoolVar(&s.TrustProxy, "trust-proxy", false, "take the client address from the last X-Forwarded-For entry (only behind a proxy that sets it)")
}

// apply fills the server configuration: metrics (shared with the hub through the returned
// value, nil when off) and profiling.
func (o *opsFlags) apply(s *server.Config) *metrics.Metrics {
	if o.metrics {
		s.Metrics = metrics.New()
	}
	s.Pprof = o.pprof
	return s.Metrics
}

// check refuses a half-given TLS pair without reading the files, so that --print-config
// refuses it as serve does.
func (o *opsFlags) check() error {
	if (o.tlsCert == "") != (o.tlsKey == "") {
		return usageError("--tls-cert and --tls-key go together: give both or neither")
	}
	if r := o.memoryRelease; r != 0 && (r < memrelease.MinInterval || r > memrelease.MaxInterval) {
		return usageError(fmt.Sprintf("--memory-release must be 0 (never) or %v to %v, got %v", memrelease.MinInterval, memrelease.MaxInterval, r))
	}
	return nil
}

// tlsConfig loads the certificate and key, or returns nil when TLS is off. A half-given pair
// or an unreadable file is a configuration mistake, reported in one line.
func (o *opsFlags) tlsConfig() (*tls.Config, error) {
	if err := o.check(); err != nil {
		return nil, err
	}
	if o.tlsCert == "" {
		return nil, nil
	}
	cert, err := tls.LoadX509KeyPair(o.tlsCert, o.tlsKey)
	if err != nil {
		return nil, usageError(fmt.Sprintf("invalid --tls-cert/--tls-key: %v", err))
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, nil
}
