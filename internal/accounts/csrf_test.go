package accounts

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

func TestCSRF(t *testing.T) {
	tok := newSecret()
	post := func(origin, referer, cookie, field, header string) *http.Request {
		form := url.Values{}
		if field != "" {
			form.Set(CSRFField, field)
		}
		r := httptest.NewRequest("POST", "http://chat.example.com/signin", strings.NewReader(form.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if origin != "" {
			r.Header.Set("Origin", origin)
		}
		if referer != "" {
			r.Header.Set("Referer", referer)
		}
		if cookie != "" {
			r.AddCookie(&http.Cookie{Name: CSRFCookie, Value: cookie})
		}
		if header != "" {
			r.Header.Set(CSRFHeader, header)
		}
		return r
	}
	for _, c := range []struct {
		name string
		r    *http.Request
		ok   bool
	}{
		{"same origin, token in field", post("http://chat.example.com", "", tok, tok, ""), true},
		{"same origin, token in header", post("http://chat.example.com", "", tok, "", tok), true},
		{"host compared without case", post("http://CHAT.example.com", "", tok, tok, ""), true},
		{"no origin, same referer", post("", "http://chat.example.com/signin", tok, tok, ""), true},
		{"origin null, no referer (no-referrer page)", post("null", "", tok, tok, ""), true},
		{"no headers (not a browser)", post("", "", tok, tok, ""), true},
		{"other origin", post("https://evil.example", "", tok, tok, ""), false},
		{"other referer", post("", "https://evil.example/x", tok, tok, ""), false},
		{"other port", post("http://chat.example.com:8080", "", tok, tok, ""), false},
		{"null origin, other referer", post("null", "https://evil.example/", tok, tok, ""), false},
		{"no token", post("http://chat.example.com", "", tok, "", ""), false},
		{"no cookie", post("http://chat.example.com", "", "", tok, ""), false},
		{"wrong token", post("http://chat.example.com", "", tok, newSecret(), ""), false},
		{"junk cookie equal to field", post("http://chat.example.com", "", "x", "x", ""), false},
	} {
		c.r.ParseForm()
		if got := csrfOK(c.r); got != c.ok {
			t.Errorf("%s: csrfOK = %v, want %v", c.name, got, c.ok)
		}
	}
}

func TestCSRFTokenKeepsTheCookie(t *testing.T) {
	w := httptest.NewRecorder()
	r := httptest.NewRequest("GET", "/signin", nil)
	tok := csrfToken(w, r, false)
	if len(w.Result().Cookies()) != 1 || w.Result().Cookies()[0].Value != tok || w.Result().Cookies()[0].HttpOnly {
		t.Fatalf("first token: cookies %v", w.Result().Cookies())
	}
	w2 := httptest.NewRecorder()
	r.AddCookie(&http.Cookie{Name: CSRFCookie, Value: tok})
	if got := csrfToken(w2, r, false); got != tok || len(w2.Result().Cookies()) != 0 {
		t.Fatalf("second token %q (first %q), cookies %v", got, tok, w2.Result().Cookies())
	}
}
