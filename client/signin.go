package client

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
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
	csrf := newCSRF()
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

// ErrNotSignedIn is Session.Rename's refusal on a session that no account's session cookie
// signs in (a guest, a token's user, anonymous).
var ErrNotSignedIn = hubbub.Errorf(hubbub.ECodeUnauthorized, "only an account signed in with a password (SignIn) changes its own name")

// Rename changes the name of the account the session acts for (SessionOptions.SessionCookie)
// to name, as its account page does (POST /api/me/name of the server it is connected to). The
// rules are the server's: a name another user holds, in any case, is refused with code
// name_taken, one no one may hold bad_name, too many renames rate_limited. Once renamed, every
// connection of the user on every node, this one too, is told (a Renamed event): the session
// goes by the new name from then on. A guest changes its name by connecting with another
// (with its Key), a token's user by its application's next token: for them Rename returns
// ErrNotSignedIn.
func (s *Session) Rename(ctx context.Context, name string) error {
	if err := hubbub.ValidateName(name); err != nil {
		return fmt.Errorf("client: rename: %w", err)
	}
	cookie := s.sessionCookie()
	if cookie == "" || s.opts.Token != "" {
		return fmt.Errorf("client: rename: %w", ErrNotSignedIn)
	}
	c, err := s.ready()
	if err != nil {
		return fmt.Errorf("client: rename: %w", err)
	}
	target, err := HTTPURL(c.URL(), "/api/me/name")
	if err != nil {
		return fmt.Errorf("client: rename: %w", err)
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.opts.RequestTimeout)
		defer cancel()
	}
	body, _ := json.Marshal(struct {
		Name string `json:"name"`
	}{name})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target.String(), bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("client: rename: %w", err)
	}
	for k, v := range s.opts.Dial.Header {
		req.Header[k] = v
	}
	// The CSRF check is a double submit: any well-formed value, sent as the cookie and in
	// the header. A program sends no Origin, which passes the check of where it came from.
	csrf := newCSRF()
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-CSRF-Token", csrf)
	req.AddCookie(&http.Cookie{Name: csrfCookieName, Value: csrf})
	req.AddCookie(&http.Cookie{Name: SessionCookieName, Value: cookie})
	resp, err := s.http.Do(req)
	if err != nil {
		return fmt.Errorf("client: rename: %w", err)
	}
	defer resp.Body.Close()
	reply, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode == http.StatusOK {
		return nil
	}
	code, msg := errorBody(reply)
	switch {
	case code == "" || resp.StatusCode == http.StatusNotFound && code == hubbub.ECodeNotFound ||
		resp.Header.Get("WWW-Authenticate") != "":
		// A server older than the endpoint answers its API's 404 (or, with an API key, 401
		// asking for the key), or a page.
		return fmt.Errorf("client: rename: %w", hubbub.Errorf(hubbub.ECodeUnavailable,
			"%s: the server may be older than accounts renaming themselves", refusedText("the rename", resp.StatusCode, code, msg)))
	case code == hubbub.ECodeRateLimited:
		after, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
		return fmt.Errorf("client: rename to %q: %w", name, hubbub.RateLimited(time.Duration(max(after, 0))*time.Second, "%s", msg))
	}
	return fmt.Errorf("client: rename to %q: %w", name, hubbub.Errorf(code, "%s", msg))
}

// newCSRF returns a well-formed value for the double-submit CSRF check: 32 random bytes.
func newCSRF() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}
