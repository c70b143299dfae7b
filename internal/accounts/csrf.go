package accounts

import (
	"crypto/subtle"
	"net/http"
	"net/url"
	"strings"
)

// Cross-site request forgery: another site's page could make a browser post to /signin,
// /signout or /account/password with the browser's cookies. Two checks stop it, each enough
// alone against a browser that follows the rules:
//
//   - the request's Origin (or, without one, its Referer) must name this server's host: a
//     cross-site post carries the other site's origin. A request with neither header (not a
//     browser, or a page whose referrer policy hides both) passes this check, and Origin
//     "null" is treated as no header, since a page served with Referrer-Policy: no-referrer
//     sends it on its own form posts;
//   - double submit: the request carries the value of the hubbub_csrf cookie in the csrf form
//     field or the X-CSRF-Token header. Another site cannot read this server's cookies, so it
//     cannot put the value in its form.

// CSRFCookie holds the CSRF token; it is readable by the page's scripts (not HttpOnly), which
// send it back in the X-CSRF-Token header or the csrf form field.
const CSRFCookie = "hubbub_csrf"

// CSRFField and CSRFHeader carry the token back on a POST.
const (
	CSRFField  = "csrf"
	CSRFHeader = "X-CSRF-Token"
)

// csrfToken returns r's CSRF token, setting a new cookie on w if r has none (Secure when the
// browser reached the server over TLS).
func csrfToken(w http.ResponseWriter, r *http.Request, secure bool) string {
	if c, err := r.Cookie(CSRFCookie); err == nil && wellFormedSecret(c.Value) {
		return c.Value
	}
	tok := newSecret()
	http.SetCookie(w, &http.Cookie{Name: CSRFCookie, Value: tok, Path: "/",
		Secure: secure, SameSite: http.SameSiteLaxMode})
	return tok
}

// csrfOK reports whether a POST passes both checks. It reads the form (ParseForm must have
// been called, or the header must carry the token).
func csrfOK(r *http.Request) bool {
	sent := r.Header.Get(CSRFHeader)
	if sent == "" {
		sent = r.PostFormValue(CSRFField)
	}
	return csrfMatches(r, sent)
}

// csrfMatches reports whether a POST that sent the token sent passes both checks.
func csrfMatches(r *http.Request, sent string) bool {
	if !sameOrigin(r) {
		return false
	}
	c, err := r.Cookie(CSRFCookie)
	if err != nil || !wellFormedSecret(c.Value) {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(sent), []byte(c.Value)) == 1
}

// sameOrigin reports whether r's Origin, or its Referer when it has no Origin, names r's
// Host; a request with neither passes (see above).
func sameOrigin(r *http.Request) bool {
	from := r.Header.Get("Origin")
	if from == "" || from == "null" {
		from = r.Header.Get("Referer")
	}
	if from == "" {
		return true
	}
	u, err := url.Parse(from)
	if err != nil || u.Host == "" {
		return false
	}
	return strings.EqualFold(u.Host, r.Host)
}
