package auth

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Defaults of JWKSConfig.
const (
	DefaultJWKSRefresh    = time.Hour
	DefaultJWKSMinRefresh = time.Minute
	DefaultJWKSTimeout    = 10 * time.Second
	DefaultJWKSMaxKeys    = 100
	DefaultJWKSMaxBytes   = 1 << 20
)

// jwksRetryFirst is the wait before fetching again after a failed fetch; it doubles after
// each failure up to the larger of MinRefresh and itself (never past Refresh), so an identity
// provider that is down is asked about once a minute, and one that was down briefly is not
// waited on for an hour.
const jwksRetryFirst = time.Second

// jwksAlgs names the algorithms a JWKS verifies, for messages.
const jwksAlgs = algRS256 + ", " + algES256 + " or " + algEdDSA

// JWKSConfig configures a JWKS verifier. Zero durations and counts mean their defaults.
type JWKSConfig struct {
	// URL is where the identity provider publishes its key set (http or https; https
	// unless the network between them is trusted, since whoever can change the answer can
	// sign tokens).
	URL string
	// Refresh is how often the set is fetched again (default DefaultJWKSRefresh).
	Refresh time.Duration
	// MinRefresh is the shortest time between two fetches caused by tokens naming a key the
	// set does not hold (a rotated key), so forged key ids cannot make the server hammer the
	// provider (default DefaultJWKSMinRefresh).
	MinRefresh time.Duration
	// Timeout bounds each fetch, from the request to the last byte (default
	// DefaultJWKSTimeout). A Verify waiting for a fetch waits at most this long.
	Timeout time.Duration
	// MaxKeys is the most keys the set may hold (default DefaultJWKSMaxKeys).
	MaxKeys int
	// MaxBytes is the largest answer read (default DefaultJWKSMaxBytes).
	MaxBytes int64
	// Options sets the issuer and audience checked; a JWKS token must carry an iss in any
	// case, since it names the user's namespace (Claims.Issuer).
	Options
	// Transport, if not nil, replaces the HTTP transport (tests: an httptest TLS server's).
	Transport http.RoundTripper
	// Logger receives fetch failures and key set changes (default: discarded).
	Logger *slog.Logger
	// Fetched, if not nil, is called after each fetch with its error (nil when it worked) and
	// the number of keys in use after it (a failed fetch keeps the last good keys), from the
	// fetching goroutine: metrics.
	Fetched func(err error, keys int)
}

// JWKS verifies RS256, ES256 and EdDSA tokens with the keys an identity provider publishes
// at a URL. A goroutine, started by NewJWKS and ended by Close or the context given to
// NewJWKS, fetches the set at start, every Refresh, again soon after a failure, and when a
// token names a key the set does not hold (at most once per MinRefresh). A failed fetch keeps
// the keys of the last good one. Verify is safe for concurrent use.
type JWKS struct {
	cfg    JWKSConfig
	parser *jwt.Parser
	client *http.Client
	log    *slog.Logger
	kick   chan struct{} // a Verify asks the loop to fetch now; buffered 1
	cancel context.CancelFunc
	done   chan struct{} // closed when the loop has ended

	mu       sync.Mutex
	keys     *keySet // nil until the first good fetch
	body     []byte  // the last good answer, to log changes only
	lastErr  error   // the last fetch's failure, nil after a good one
	fetching bool    // a fetch is running or has been asked for
	// round is closed (and replaced) when a fetch ends: Verify waits on it for the fetch
	// running or asked for when it looked.
	round    chan struct{}
	kidFetch time.Time // when a token's unknown key last caused a fetch
}

var _ Verifier = (*JWKS)(nil)

// Validate reports what NewJWKS would refuse in c, without fetching anything.
func (c JWKSConfig) Validate() error {
	u, err := url.Parse(c.URL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("auth: the JWKS URL %q is not an http or https URL", c.URL)
	}
	if c.Refresh < 0 || c.MinRefresh < 0 || c.Timeout < 0 || c.MaxKeys < 0 || c.MaxBytes < 0 {
		return errors.New("auth: the JWKS refresh, timeout, key and size limits must not be negative")
	}
	return nil
}

// NewJWKS checks cfg and starts fetching the key set. It does not wait for the first fetch:
// the server starts while the identity provider is down, and tokens are refused with
// ErrUnavailable until the keys arrive (a Verify waits for a fetch in flight). The fetching
// ends when ctx ends or Close is called.
func NewJWKS(ctx context.Context, cfg JWKSConfig) (*JWKS, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	u, _ := url.Parse(cfg.URL)
	for _, d := range []struct {
		v   *time.Duration
		def time.Duration
	}{{&cfg.Refresh, DefaultJWKSRefresh}, {&cfg.MinRefresh, DefaultJWKSMinRefresh}, {&cfg.Timeout, DefaultJWKSTimeout}} {
		if *d.v == 0 {
			*d.v = d.def
		}
	}
	if cfg.MaxKeys == 0 {
		cfg.MaxKeys = DefaultJWKSMaxKeys
	}
	if cfg.MaxBytes == 0 {
		cfg.MaxBytes = DefaultJWKSMaxBytes
	}
	tr := cfg.Transport
	if tr == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxResponseHeaderBytes = 64 << 10
		t.ResponseHeaderTimeout = cfg.Timeout
		tr = t
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(ctx)
	j := &JWKS{
		cfg:    cfg,
		parser: cfg.Options.parser(algRS256, algES256, algEdDSA),
		client: &http.Client{Transport: tr, Timeout: cfg.Timeout},
		log:    log.With("jwks_url", u.Redacted()),
		kick:   make(chan struct{}, 1),
		cancel: cancel,
		done:   make(chan struct{}),
		round:  make(chan struct{}),
	}
	if u.Scheme == "http" {
		j.log.Warn("jwks: the key set is fetched over plain http; whoever can change the answer on the way can sign tokens")
	}
	if cfg.Audience == "" {
		j.log.Warn("jwks: no audience is checked (--token-audience): tokens the identity provider issued to any of its applications are accepted")
	}
	j.fetching = true // the loop's first fetch, so early tokens wait for it
	go j.run(ctx)
	return j, nil
}

// Close stops the fetching and waits for it to end. Keys already fetched still verify.
func (j *JWKS) Close() {
	j.cancel()
	<-j.done
	j.client.CloseIdleConnections()
}

// run is the fetch loop.
func (j *JWKS) run(ctx context.Context) {
	defer close(j.done)
	retry := jwksRetryFirst
	for {
		wait := j.cfg.Refresh
		if err := j.fetch(ctx, min(retry, j.cfg.Refresh)); err == nil {
			retry = jwksRetryFirst
		} else {
			wait = min(retry, j.cfg.Refresh)
			retry = min(retry*2, max(j.cfg.MinRefresh, jwksRetryFirst))
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		case <-j.kick:
			t.Stop()
		}
		j.mu.Lock()
		j.fetching = true // a kick set it already; a timer's fetch is waited on the same way
		j.mu.Unlock()
	}
}

// fetch gets, parses and installs the key set, logs what happened, and then ends the round
// Verify waits on (so a Verify that saw the fetch fail finds it in the log). retryIn is when
// the loop tries again after a failure, for the log.
func (j *JWKS) fetch(ctx context.Context, retryIn time.Duration) error {
	set, body, skipped, err := j.get(ctx)
	j.mu.Lock()
	first := j.keys == nil
	switch {
	case err != nil && ctx.Err() == nil:
		j.log.Error("jwks: cannot fetch the token keys; tokens signed with keys not fetched yet are refused",
			"err", err, "retry_in", retryIn)
	case err == nil && !bytes.Equal(body, j.body):
		msg := "jwks: the token keys changed"
		if first {
			msg = "jwks: token keys fetched"
		}
		j.log.Info(msg, "keys", set.kids())
		for _, s := range skipped {
			j.log.Warn("jwks: a key of the set is skipped", "why", s)
		}
	}
	if err == nil {
		j.keys, j.body = &set, body
	}
	j.lastErr = err
	j.fetching = false
	close(j.round)
	j.round = make(chan struct{})
	n := 0
	if j.keys != nil {
		n = len(j.keys.keys)
	}
	j.mu.Unlock()
	if j.cfg.Fetched != nil && ctx.Err() == nil {
		j.cfg.Fetched(err, n)
	}
	return err
}

// get fetches and parses the key set once.
func (j *JWKS) get(ctx context.Context) (keySet, []byte, []string, error) {
	ctx, cancel := context.WithTimeout(ctx, j.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, j.cfg.URL, nil)
	if err != nil {
		return keySet{}, nil, nil, err
	}
	req.Header.Set("Accept", "application/jwk-set+json, application/json")
	resp, err := j.client.Do(req)
	if err != nil {
		return keySet{}, nil, nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10)) // so the connection can be reused
		return keySet{}, nil, nil, fmt.Errorf("the JWKS URL answered %s", resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, j.cfg.MaxBytes+1))
	if err != nil {
		return keySet{}, nil, nil, fmt.Errorf("reading the key set: %w", err)
	}
	if int64(len(body)) > j.cfg.MaxBytes {
		return keySet{}, nil, nil, fmt.Errorf("the key set is larger than %d bytes (--jwks-max-bytes)", j.cfg.MaxBytes)
	}
	set, skipped, err := parseKeySet(body, j.cfg.MaxKeys)
	return set, body, skipped, err
}

// Verify checks token's signature with the key its header names, its algorithm, times,
// issuer and audience, and returns its claims. A token naming a key the set does not hold
// makes it fetch the set again (at most once per MinRefresh) and wait for that fetch.
func (j *JWKS) Verify(token string) (Claims, error) {
	hdr, err := readHeader(token)
	if err != nil {
		return Claims{}, err
	}
	if hdr.Alg != algRS256 && hdr.Alg != algES256 && hdr.Alg != algEdDSA {
		return Claims{}, notSigned(jwksAlgs)
	}
	key, err := j.key(hdr.Alg, hdr.Kid)
	if err != nil {
		return Claims{}, err
	}
	var jc jwtClaims
	_, err = j.parser.ParseWithClaims(token, &jc, func(t *jwt.Token) (any, error) {
		if t.Method.Alg() != key.alg { // the parser's method is the header's alg, checked above
			return nil, jwt.ErrTokenUnverifiable
		}
		return key.key, nil
	})
	if err != nil {
		return Claims{}, describe(err, jwksAlgs, &jc)
	}
	if jc.Issuer == "" {
		return Claims{}, fmt.Errorf("%w: the token has no issuer (iss)", ErrInvalid)
	}
	return jc.claims(jc.Issuer)
}

// key finds the key for alg and kid, fetching the set again when it does not hold it and the
// rate allows, or waiting for a fetch already under way.
func (j *JWKS) key(alg, kid string) (*publicKey, error) {
	asked := false
	for {
		j.mu.Lock()
		var (
			k       *publicKey
			unknown = true
			err     error
		)
		if j.keys != nil {
			k, unknown, err = j.keys.find(alg, kid)
		}
		if !unknown {
			j.mu.Unlock()
			return k, err
		}
		if !j.fetching && !asked && (j.kidFetch.IsZero() || time.Since(j.kidFetch) >= j.cfg.MinRefresh) {
			j.kidFetch, j.fetching, asked = time.Now(), true, true
			select {
			case j.kick <- struct{}{}:
			default:
			}
		}
		if !j.fetching {
			keys, lastErr := j.keys, j.lastErr
			j.mu.Unlock()
			if keys == nil {
				j.log.Debug("jwks: token refused, no keys yet", "err", lastErr)
				return nil, fmt.Errorf("%w: the server could not fetch the keys that verify tokens yet; try again later", ErrUnavailable)
			}
			return nil, err
		}
		round := j.round
		j.mu.Unlock()
		if !j.wait(round) {
			return nil, fmt.Errorf("%w: the server is still fetching the keys that verify tokens; try again later", ErrUnavailable)
		}
	}
}

// wait waits for the end of a fetch, at most Timeout and a second, and reports whether it
// ended.
func (j *JWKS) wait(round chan struct{}) bool {
	t := time.NewTimer(j.cfg.Timeout + time.Second)
	defer t.Stop()
	select {
	case <-round:
		return true
	case <-j.done:
		return false
	case <-t.C:
		return false
	}
}

// Either verifies HS256 tokens with HMAC and RS256, ES256 and EdDSA tokens with JWKS, chosen
// by the token's alg. Each verifier accepts only its own algorithms, so an HS256 token signed
// with a public key of the set as its secret meets the real secret and fails.
type Either struct {
	HMAC *HMAC
	JWKS *JWKS
}

var _ Verifier = Either{}

// Verify hands token to the verifier of its algorithm.
func (e Either) Verify(token string) (Claims, error) {
	hdr, err := readHeader(token)
	if err != nil {
		return Claims{}, err
	}
	switch {
	case hdr.Alg == algHS256:
		return e.HMAC.Verify(token)
	case slices.Contains([]string{algRS256, algES256, algEdDSA}, hdr.Alg):
		return e.JWKS.Verify(token)
	}
	return Claims{}, notSigned(algHS256 + ", " + jwksAlgs)
}
