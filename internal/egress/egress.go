// Package egress is the HTTP client for requests hubbub makes to URLs an admin gave it
// (webhooks, slash commands). Such a URL may name, or resolve to, an address inside the
// server's own network — its loopback, the cloud's metadata service, a database on a private
// range — and a request there is a server-side request forgery. So the client checks every
// address it is about to connect to, after name resolution (a name that resolves to 127.0.0.1
// is refused like 127.0.0.1 itself, and a name that changes its answer between two requests is
// checked each time), follows no redirect, reads a bounded answer and bounds every request in
// time. Its errors name a URL as Redacted shows it, never with its secrets.
package egress

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"time"
	"unicode"
)

// Defaults of Config.
const (
	// DefaultTimeout bounds a request, from the dial to the last byte of the answer read.
	DefaultTimeout = 10 * time.Second
	// DefaultMaxBody is the most bytes of an answer read.
	DefaultMaxBody = 64 << 10
	// DefaultMaxIdlePerHost is how many idle connections to one host are kept for reuse.
	DefaultMaxIdlePerHost = 8
)

// MaxURLLen is the longest URL the client takes, in bytes.
const MaxURLLen = 2048

// maxHeaderBytes bounds the headers of an answer.
const maxHeaderBytes = 64 << 10

// Config configures a Client. The zero value is the safe default: private addresses refused.
type Config struct {
	// AllowPrivate lets requests go to loopback, private, link-local and CGNAT addresses
	// (a server whose receivers run beside it, or tests). Unspecified, multicast and
	// broadcast addresses are refused even then: nothing answers a request there.
	AllowPrivate bool
	// Timeout bounds each request (default DefaultTimeout); a request's own context may
	// bound it more.
	Timeout time.Duration
	// MaxBody is the most bytes of an answer read (default DefaultMaxBody); the rest is
	// left unread and Response.Truncated says so.
	MaxBody int64
	// MaxIdlePerHost is how many idle connections to one host are kept (default
	// DefaultMaxIdlePerHost).
	MaxIdlePerHost int
	// UserAgent is sent when a request names none (default "hubbub").
	UserAgent string
}

// ErrRefused is what a request to a refused address fails with (errors.Is); the error
// itself is a *RefusedError naming the address.
var ErrRefused = errors.New("egress: address refused")

// RefusedError says which address a request was refused and why.
type RefusedError struct {
	// Addr is the address refused (an IP, after resolution).
	Addr string
	// Reason is its kind: "loopback", "private", "link-local", ….
	Reason string
}

func (e *RefusedError) Error() string {
	if alwaysRefused(e.Reason) {
		return fmt.Sprintf("egress: refusing to connect to %s (a %s address, refused whatever the settings)", e.Addr, e.Reason)
	}
	return fmt.Sprintf("egress: refusing to connect to %s (a %s address; %s)", e.Addr, e.Reason, toldSo)
}

// toldSo is what a RefusedError says lifts it: the client does not know the setting that sets
// its AllowPrivate (WithSetting names it).
const toldSo = "private addresses are allowed only when the server is told so"

// Is makes errors.Is(err, ErrRefused) true.
func (e *RefusedError) Is(target error) bool { return target == ErrRefused }

// WithSetting returns err, a refusal of c's, naming setting — the flag that sets c's
// AllowPrivate, "--webhook-allow-private" — as what lifts it, in place of "when the server is
// told so", which left an admin to guess which setting that was. The error returned unwraps to
// err (errors.Is ErrRefused, errors.As *RefusedError). Any other error, a refusal no setting
// lifts and any error of a client that allows private addresses already are returned as they
// are.
func (c *Client) WithSetting(err error, setting string) error {
	if err == nil || c.cfg.AllowPrivate || !errors.Is(err, ErrRefused) {
		return err
	}
	msg := err.Error()
	named := strings.Replace(msg, toldSo, "the server allows them with "+setting, 1)
	if named == msg {
		return err
	}
	return &settingError{err: err, msg: named}
}

// settingError is a refusal whose message names the setting that lifts it (WithSetting).
type settingError struct {
	err error
	msg string
}

func (e *settingError) Error() string { return e.msg }
func (e *settingError) Unwrap() error { return e.err }

// Client makes outgoing requests under the rules of its Config. It is safe for concurrent
// use; Close releases its idle connections.
type Client struct {
	cfg       Config
	transport *http.Transport
	http      *http.Client
}

// New returns a Client with cfg's zero fields set to their defaults.
func New(cfg Config) *Client {
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = DefaultMaxBody
	}
	if cfg.MaxIdlePerHost <= 0 {
		cfg.MaxIdlePerHost = DefaultMaxIdlePerHost
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = "hubbub"
	}
	c := &Client{cfg: cfg}
	dialer := &net.Dialer{
		Timeout:   cfg.Timeout,
		KeepAlive: 30 * time.Second,
		// Control runs after resolution, for each address the dialer is about to connect
		// to: the only place where the address checked is the address used.
		Control: c.control,
	}
	c.transport = &http.Transport{
		// No proxy: a proxy from the environment would be connected to instead of the
		// address checked, and would reach whatever the URL names.
		Proxy:                  nil,
		DialContext:            dialer.DialContext,
		ForceAttemptHTTP2:      true,
		MaxIdleConnsPerHost:    cfg.MaxIdlePerHost,
		IdleConnTimeout:        90 * time.Second,
		TLSHandshakeTimeout:    cfg.Timeout,
		ResponseHeaderTimeout:  cfg.Timeout,
		MaxResponseHeaderBytes: maxHeaderBytes,
	}
	c.http = &http.Client{
		Transport: c.transport,
		// A redirect could lead anywhere the URL's owner likes, after the admin's check of
		// the URL: the 3xx is the answer.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout:       cfg.Timeout,
	}
	return c
}

// Close releases the client's idle connections. Requests in flight finish.
func (c *Client) Close() { c.transport.CloseIdleConnections() }

// AllowPrivate reports whether the client lets requests go to private addresses.
func (c *Client) AllowPrivate() bool { return c.cfg.AllowPrivate }

func (c *Client) control(network, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return fmt.Errorf("egress: dialing %q: %w", address, err)
	}
	ip := net.ParseIP(host)
	if ip == nil {
		// The dialer hands Control a resolved address; anything else is refused rather
		// than trusted.
		return &RefusedError{Addr: host, Reason: "unresolved"}
	}
	return c.checkIP(ip)
}

func (c *Client) checkIP(ip net.IP) error {
	if reason := Classify(ip); reason != "" {
		if c.cfg.AllowPrivate && !alwaysRefused(reason) {
			return nil
		}
		return &RefusedError{Addr: ip.String(), Reason: reason}
	}
	return nil
}

// CheckURL tells whether raw is a URL the client would send a request to, as far as can be
// told without resolving its host: http or https, a host, at most MaxURLLen bytes, and, when
// the host is an IP address, one the client allows. Use it when an admin gives a URL, so a
// mistake is refused at once; the dial checks again.
func (c *Client) CheckURL(raw string) (*url.URL, error) {
	if raw == "" {
		return nil, errors.New("the URL is empty")
	}
	if len(raw) > MaxURLLen {
		return nil, fmt.Errorf("the URL is longer than %d bytes", MaxURLLen)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("the URL does not parse: %v", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("the URL's scheme must be http or https, not %q", u.Scheme)
	}
	if u.Hostname() == "" {
		return nil, errors.New("the URL has no host")
	}
	if u.Fragment != "" {
		return nil, errors.New("the URL has a fragment (#…), which is never sent")
	}
	if ip := net.ParseIP(u.Hostname()); ip != nil {
		if err := c.checkIP(ip); err != nil {
			return nil, err
		}
	}
	return u, nil
}

// Response is an answer, read up to the client's MaxBody.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
	// Truncated is true when the answer was longer than MaxBody (Body holds its start).
	Truncated bool
}

// OK reports whether the status is 2xx.
func (r *Response) OK() bool { return r.Status >= 200 && r.Status < 300 }

// Post sends body to rawURL with the given headers (Content-Type among them) and returns the
// answer, whatever its status. An error means no answer: a refused address, a network
// failure, the timeout.
func (c *Client) Post(ctx context.Context, rawURL string, header http.Header, body []byte) (*Response, error) {
	u, err := c.CheckURL(rawURL)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("egress: %w", err)
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	if req.Header.Get("User-Agent") == "" {
		req.Header.Set("User-Agent", c.cfg.UserAgent)
	}
	return c.Do(req)
}

// Do sends req (its URL already checked by the caller with CheckURL, or not: the dial
// checks the address in any case) and reads the answer up to MaxBody.
func (c *Client) Do(req *http.Request) (*Response, error) {
	resp, err := c.http.Do(req)
	if err != nil {
		var refused *RefusedError
		if errors.As(err, &refused) {
			// The url.Error around it says the method and the whole URL, secrets and all:
			// the refusal says enough.
			return nil, refused
		}
		return nil, fmt.Errorf("egress: %s %s: %w", req.Method, Redacted(req.URL), unwrapURLError(err))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, c.cfg.MaxBody+1))
	if err != nil {
		return nil, fmt.Errorf("egress: reading the answer of %s: %w", Redacted(req.URL), unwrapURLError(err))
	}
	r := &Response{Status: resp.StatusCode, Header: resp.Header, Body: body}
	if int64(len(body)) > c.cfg.MaxBody {
		r.Body, r.Truncated = body[:c.cfg.MaxBody], true
	}
	return r, nil
}

// unwrapURLError drops the *url.Error wrapper, whose message repeats the full URL.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// Redacted is u as errors and logs name it: its scheme, host and path, which tell an admin
// which of the endpoints on one host failed (two webhooks on one receiver read alike when
// only the origin was named), and never its secret parts: no user or password, each query
// value and each path segment that looks like a token (secretSegment) as "…", no fragment.
// A path longer than maxShownPath is cut, so that the reason after it is not.
func Redacted(u *url.URL) string {
	var b strings.Builder
	b.WriteString(u.Scheme + "://" + u.Host)
	if path := u.EscapedPath(); path != "" && u.Opaque == "" { // an opaque "https:token" shows none
		shown := 0
		for _, seg := range strings.Split(strings.TrimPrefix(path, "/"), "/") {
			if secretSegment(seg) {
				seg = "…"
			}
			if shown += 1 + len(seg); shown > maxShownPath {
				b.WriteString("/…")
				break
			}
			b.WriteString("/" + seg)
		}
	}
	if u.RawQuery != "" {
		var keys []string
		for _, kv := range strings.Split(u.RawQuery, "&") {
			k, _, _ := strings.Cut(kv, "=")
			if k, err := url.QueryUnescape(k); err == nil && k != "" && len(k) <= 40 && !secretSegment(k) {
				keys = append(keys, url.QueryEscape(k)+"=…")
			} else {
				keys = append(keys, "…")
			}
		}
		b.WriteString("?" + strings.Join(keys, "&"))
	}
	return b.String()
}

// maxShownPath bounds the path Redacted shows, in bytes.
const maxShownPath = 120

// secretSegment reports whether a piece of a URL's path looks like a token rather than a word:
// 8 characters or more with a digit, or with both upper and lower case letters (Slack's,
// Discord's and Teams' webhook URLs, hubbub's own incoming hooks, a receiver's own short
// token such as "k8Xz2Qw9Lm"); 20 or more with no separator ("-", "_", "."), as a token of
// lower case letters alone is; or any length with a character a word never holds (";", "=",
// ":", "@", "+", "~", ",", "%", which carry parameters, credentials and escaped bytes). A
// word such as "notifications-and-alerts" or "hooks" is shown; an id or a word in camel case
// ("IncomingWebhook") may be hidden with the tokens, which costs nothing but its being
// shown, where a token of 10 to 15 characters was shown whole.
func secretSegment(seg string) bool {
	if strings.ContainsAny(seg, ";=:@+~,%") {
		return true
	}
	if len(seg) < 8 {
		return false
	}
	var digit, upper, lower, sep bool
	for _, r := range seg {
		switch {
		case unicode.IsDigit(r):
			digit = true
		case unicode.IsUpper(r):
			upper = true
		case unicode.IsLower(r):
			lower = true
		case r == '-' || r == '_' || r == '.':
			sep = true
		}
	}
	return digit || (upper && lower) || (len(seg) >= 20 && !sep)
}
