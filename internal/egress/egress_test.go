package egress

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestClassify(t *testing.T) {
	cases := []struct {
		ip, want string
	}{
		{"127.0.0.1", "loopback"},
		{"127.9.9.9", "loopback"},
		{"::1", "loopback"},
		{"::ffff:127.0.0.1", "loopback"},
		{"64:ff9b::7f00:1", "loopback"},
		{"2002:7f00:1::", "loopback"},
		{"::7f00:1", "loopback"},        // IPv4-compatible (deprecated, still routed by some kernels' sit tunnels)
		{"::a9fe:a9fe", "link-local"},   // IPv4-compatible form of the metadata service
		{"64:ff9b:1::a00:1", "private"}, // local-use NAT64 prefix (RFC 8215): a site's own translator
		{"10.1.2.3", "private"},
		{"172.16.0.1", "private"},
		{"172.31.255.255", "private"},
		{"192.168.1.1", "private"},
		{"fd00::1", "private"},
		{"169.254.169.254", "link-local"},
		{"fe80::1", "link-local"},
		{"100.64.0.1", "CGNAT"},
		{"0.0.0.0", "unspecified"},
		{"::", "unspecified"},
		{"224.0.0.1", "multicast"},
		{"ff02::1", "multicast"},
		{"255.255.255.255", "broadcast"},
		{"8.8.8.8", ""},
		{"172.32.0.1", ""},
		{"100.128.0.1", ""},
		{"2001:4860:4860::8888", ""},
		{"64:ff9b::808:808", ""},
	}
	for _, c := range cases {
		if got := Classify(net.ParseIP(c.ip)); got != c.want {
			t.Errorf("Classify(%s) = %q, want %q", c.ip, got, c.want)
		}
	}
}

// receiver is a real HTTP server on the loopback that counts its requests.
func receiver(t *testing.T, h http.HandlerFunc) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	n := new(atomic.Int32)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		h(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, n
}

func newClient(t *testing.T, cfg Config) *Client {
	t.Helper()
	c := New(cfg)
	t.Cleanup(c.Close)
	return c
}

// TestRefusesPrivateAddresses: by default no request reaches a loopback, private or
// link-local address, whether the URL names the address or a name that resolves to it; the
// refusal happens before any connection (the receiver counts none).
func TestRefusesPrivateAddresses(t *testing.T) {
	srv, hits := receiver(t, func(w http.ResponseWriter, r *http.Request) {})
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(srv.URL, "http://"))
	c := newClient(t, Config{Timeout: 5 * time.Second})
	for _, u := range []string{
		srv.URL,                             // 127.0.0.1
		"http://localhost:" + port + "/x",   // a name resolving to the loopback
		"http://[::1]:" + port + "/",        // IPv6 loopback
		"http://10.0.0.1:" + port + "/",     // private
		"http://169.254.169.254/latest/",    // the metadata service
		"http://[::ffff:127.0.0.1]:" + port, // IPv4 in IPv6
		"http://0.0.0.0:" + port,
	} {
		_, err := c.Post(context.Background(), u, nil, []byte("{}"))
		if !errors.Is(err, ErrRefused) {
			t.Errorf("Post %s: err = %v, want ErrRefused", u, err)
			continue
		}
		var re *RefusedError
		if !errors.As(err, &re) || re.Reason == "" || re.Addr == "" {
			t.Errorf("Post %s: err = %#v, want a *RefusedError naming the address", u, err)
		}
	}
	if hits.Load() != 0 {
		t.Errorf("the receiver got %d requests, want none", hits.Load())
	}
}

// TestAllowPrivate: with AllowPrivate the same receiver is reached, but an unspecified
// address is still refused.
func TestAllowPrivate(t *testing.T) {
	var mu sync.Mutex
	var got string
	srv, hits := receiver(t, func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		got = r.Header.Get("Content-Type") + " " + r.Header.Get("User-Agent") + " " + string(b)
		w.WriteHeader(http.StatusAccepted)
		io.WriteString(w, "thanks")
	})
	c := newClient(t, Config{AllowPrivate: true})
	resp, err := c.Post(context.Background(), srv.URL+"/hook", http.Header{"Content-Type": {"application/json"}}, []byte(`{"a":1}`))
	if err != nil {
		t.Fatal(err)
	}
	if resp.Status != http.StatusAccepted || !resp.OK() || string(resp.Body) != "thanks" || resp.Truncated {
		t.Errorf("answer = %d %q truncated=%v", resp.Status, resp.Body, resp.Truncated)
	}
	mu.Lock()
	defer mu.Unlock()
	if want := `application/json hubbub {"a":1}`; got != want {
		t.Errorf("receiver saw %q, want %q", got, want)
	}
	if hits.Load() != 1 {
		t.Errorf("hits = %d", hits.Load())
	}
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(srv.URL, "http://"))
	if _, err := c.Post(context.Background(), "http://0.0.0.0:"+port, nil, nil); !errors.Is(err, ErrRefused) {
		t.Errorf("0.0.0.0 with AllowPrivate: err = %v, want ErrRefused", err)
	}
}

// TestNoRedirect: a 3xx is the answer; the Location (here a refused address; it could be any)
// is not followed.
func TestNoRedirect(t *testing.T) {
	other, target := receiver(t, func(w http.ResponseWriter, r *http.Request) {})
	srv, _ := receiver(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL, http.StatusTemporaryRedirect)
	})
	c := newClient(t, Config{AllowPrivate: true})
	resp, err := c.Post(context.Background(), srv.URL, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Status != http.StatusTemporaryRedirect || resp.OK() {
		t.Errorf("status = %d, want 307", resp.Status)
	}
	if target.Load() != 0 {
		t.Errorf("the redirect was followed")
	}
}

// TestBoundedBody: an answer longer than MaxBody is cut and marked.
func TestBoundedBody(t *testing.T) {
	srv, _ := receiver(t, func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(strings.Repeat("x", 10000)))
	})
	c := newClient(t, Config{AllowPrivate: true, MaxBody: 100})
	resp, err := c.Post(context.Background(), srv.URL, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Body) != 100 || !resp.Truncated {
		t.Errorf("body %d bytes, truncated=%v; want 100, true", len(resp.Body), resp.Truncated)
	}
}

// TestTimeout: a receiver that never answers makes the request fail, not hang.
func TestTimeout(t *testing.T) {
	release := make(chan struct{})
	srv, _ := receiver(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	defer close(release)
	c := newClient(t, Config{AllowPrivate: true, Timeout: 50 * time.Millisecond})
	_, err := c.Post(context.Background(), srv.URL+"/hooks/AbCdEfGh12345678XyZ?token=s3cret", nil, nil)
	if err == nil {
		t.Fatal("a request to a receiver that never answers succeeded")
	}
	// It names the endpoint (Redacted), never the URL's secrets.
	if strings.Contains(err.Error(), "AbCdEfGh12345678XyZ") || strings.Contains(err.Error(), "s3cret") || !strings.Contains(err.Error(), "/hooks/…?token=…") {
		t.Errorf("the error names the URL as %v, want /hooks/…?token=… and no secret", err)
	}
	// The caller's own context bounds it too.
	c2 := newClient(t, Config{AllowPrivate: true})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := c2.Post(ctx, srv.URL, nil, nil); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("with a context deadline: err = %v, want DeadlineExceeded", err)
	}
}

func TestCheckURL(t *testing.T) {
	c := newClient(t, Config{})
	for _, bad := range []string{
		"", "ftp://example.com/", "example.com/hook", "http:///path", "http://example.com/#frag",
		"http://127.0.0.1/", "http://[::1]/", "http://10.0.0.1/", "https://" + strings.Repeat("a", MaxURLLen),
		"http://exa mple.com/",
	} {
		if _, err := c.CheckURL(bad); err == nil {
			t.Errorf("CheckURL(%q) accepted it", bad)
		}
	}
	for _, good := range []string{"https://example.com/hook?token=x", "http://8.8.8.8:8080/", "http://localhost/"} {
		if _, err := c.CheckURL(good); err != nil {
			t.Errorf("CheckURL(%q): %v", good, err)
		}
	}
	if _, err := New(Config{AllowPrivate: true}).CheckURL("http://127.0.0.1:1/"); err != nil {
		t.Errorf("AllowPrivate CheckURL(127.0.0.1): %v", err)
	}
}

// WithSetting names the flag that lets a client reach private addresses in its refusal of
// one, and the error it returns is still the refusal; it leaves alone what no setting lifts
// (an address refused whatever the settings, which says so instead of "when the server is
// told so"), any other error, and a client that allows private addresses already.
func TestWithSetting(t *testing.T) {
	strict := New(Config{})
	defer strict.Close()
	_, err := strict.CheckURL("http://127.0.0.1:9/hook")
	named := strict.WithSetting(err, "--thing-allow-private")
	var refused *RefusedError
	if !errors.Is(named, ErrRefused) || !errors.As(named, &refused) || refused.Reason != "loopback" {
		t.Fatalf("WithSetting(%v) = %v: want the refusal itself underneath", err, named)
	}
	if want := "egress: refusing to connect to 127.0.0.1 (a loopback address; the server allows them with --thing-allow-private)"; named.Error() != want {
		t.Errorf("WithSetting(%v) says %q, want %q", err, named, want)
	}

	_, err = strict.CheckURL("http://224.0.0.1/hook")
	if want := "egress: refusing to connect to 224.0.0.1 (a multicast address, refused whatever the settings)"; err == nil || err.Error() != want {
		t.Errorf("a multicast address: %v, want %q", err, want)
	}
	if got := strict.WithSetting(err, "--thing-allow-private"); got != err {
		t.Errorf("WithSetting of a refusal no setting lifts: %v, want it as it was", got)
	}
	other := errors.New("egress: POST http://example.com: connection refused")
	if got := strict.WithSetting(other, "--thing-allow-private"); got != other {
		t.Errorf("WithSetting of another error: %v", got)
	}
	if strict.WithSetting(nil, "--thing-allow-private") != nil {
		t.Error("WithSetting(nil) is not nil")
	}

	open := New(Config{AllowPrivate: true})
	defer open.Close()
	_, err = open.CheckURL("http://0.0.0.0/hook")
	if got := open.WithSetting(err, "--thing-allow-private"); got != err || strings.Contains(got.Error(), "--thing-allow-private") {
		t.Errorf("an allowing client's refusal: %v, want it as it was", got)
	}
}

// Redacted names the endpoint, path and all, and none of the URL's secrets.
func TestRedacted(t *testing.T) {
	long := strings.Repeat("abcdefgh/", 20)
	for _, tc := range []struct{ in, want string }{
		{"https://ops.example.com", "https://ops.example.com"},
		{"https://ops.example.com/", "https://ops.example.com/"},
		{"https://ops.example.com/hubbub/notifications-and-alerts", "https://ops.example.com/hubbub/notifications-and-alerts"},
		{"https://ann:pa55@ops.example.com:8443/hook?token=s3cret&v=2", "https://ops.example.com:8443/hook?token=…&v=…"},
		{"https://hooks.slack.com/services/T0001/B0001/AbCdEfGhIjKlMnOpQrStUvWx", "https://hooks.slack.com/services/T0001/B0001/…"},
		{"https://chat.example.com/hooks/ih_7c2a9e1b5d3f4a6b/0f9e8d7c6b5a4938", "https://chat.example.com/hooks/…/…"},
		{"https://ops.example.com/hook?s3cretV4lue1234567", "https://ops.example.com/hook?…"},
		// A receiver's own token of 10 to 15 characters, one of lower case letters alone, a
		// parameter in the path: each was shown whole.
		{"https://ops.example.com/hook/k8Xz2Qw9Lm", "https://ops.example.com/hook/…"},
		{"https://ops.example.com/hook/Ab3dEfQxkLmwPqz", "https://ops.example.com/hook/…"},
		{"https://ops.example.com/hooks/xinqmhbjfbxcyomkogshcq", "https://ops.example.com/hooks/…"},
		{"https://ops.example.com/hook;key=abc/post", "https://ops.example.com/…/post"},
		{"https://ops.example.com/" + long, "https://ops.example.com/" + strings.Repeat("abcdefgh/", 13) + "…"},
	} {
		u, err := url.Parse(tc.in)
		if err != nil {
			t.Fatal(err)
		}
		if got := Redacted(u); got != tc.want {
			t.Errorf("Redacted(%s) = %s, want %s", tc.in, got, tc.want)
		}
	}
}
