package client

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"hubbub"
)

// SessionCookieName is the cookie that carries a signed-in account's session: the sign-in
// page sets it, and SessionOptions.SessionCookie sends it with every handshake.
const SessionCookieName = "hubbub_session"

// csrfCookieName is the sign-in form's double-submit cookie: the form must carry its value.
const csrfCookieName = "hubbub_csrf"

// signInTimeout bounds a sign-in whose ctx has no deadline: the server hashes the password
// (argon2id), which takes a moment, not minutes.
const signInTimeout = 30 * time.Second

// SignIn signs in to the account name of the server at serverURL, as its sign-in page does,
// and returns the session cookie for SessionOptions.SessionCookie. The account is made with
// `hubbub user add`; the session lasts the server's --session-ttl. serverURL is the server's
// address (http://, https://, ws:// or wss://; its path is ignored). hc is the HTTP client to
// use (nil: one with the default transport). A wrong name or password returns an error with
// code unauthorized (hubbub.ErrorCode), too many attempts rate_limited, a disabled account
// forbidden.
func SignIn(ctx context.Context, serverURL, name, password string, hc *http.Client) (string, error) {
	u, err := ParseURL(serverURL, "")
	if err != nil {
		return "", fmt.Errorf("client: sign in: %w", err)
	}
	u.Scheme = strings.Replace(u.Scheme, "ws", "http", 1)
	u.Path, u.RawPath, u.RawQuery, u.Fragment = "/signin", "", "", ""
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, signInTimeout)
		defer cancel()
	}
	// The form's CSRF check is a double submit: any well-formed value works, as long as the
	// cookie and the field carry the same one.
	var b [32]byte
	_, _ = rand.Read(b[:])
	csrf := base64.RawURLEncoding.EncodeToString(b[:])
	form := url.Values{"name": {name}, "password": {password}, "csrf": {csrf}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), strings.NewReader(form.Encode()))
	if err != nil {
		return "", fmt.Errorf("client: sign in: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(&http.Cookie{Name: csrfCookieName, Value: csrf})

	c := http.Client{}
	if hc != nil {
		c = *hc
	}
	// A signed-in post is answered with a redirect to the chat page: the cookie is on it.
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := c.Do(req)
	if err != nil {
		return "", fmt.Errorf("client: sign in at %s: %w", u, err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	for _, ck := range resp.Cookies() {
		if ck.Name == SessionCookieName && ck.Value != "" {
			return ck.Value, nil
		}
	}
	var code, why string
	switch resp.StatusCode {
	case http.StatusUnauthorized:
		code, why = hubbub.ECodeUnauthorized, "wrong name or password"
	case http.StatusTooManyRequests:
		code, why = hubbub.ECodeRateLimited, "too many attempts; wait and try again"
		if after := resp.Header.Get("Retry-After"); after != "" {
			why += " (after " + after + " s)"
		}
	case http.StatusForbidden:
		code, why = hubbub.ECodeForbidden, "the account is disabled, or the server refused the form"
	case http.StatusNotFound:
		code, why = hubbub.ECodeNotFound, "the server has no sign-in page (it runs without accounts)"
	default:
		code, why = hubbub.ECodeUnavailable, "the server answered "+resp.Status+" without a session"
	}
	return "", fmt.Errorf("client: sign in at %s as %q: %w", u, name, hubbub.Errorf(code, "%s", why))
}
