package signing

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestSignKnownAnswer pins the format receivers implement from docs/integrations.md: the hex
// HMAC-SHA256 of "timestamp.body", computed here independently of Sign.
func TestSignKnownAnswer(t *testing.T) {
	body := []byte(`{"id":"e1"}`)
	mac := hmac.New(sha256.New, []byte("s3cret"))
	mac.Write([]byte("1700000000." + string(body)))
	want := "sha256=" + hex.EncodeToString(mac.Sum(nil))
	if got := Sign("s3cret", 1700000000, body); got != want {
		t.Errorf("Sign = %s, want %s", got, want)
	}
}

func TestVerify(t *testing.T) {
	now := time.Unix(1700000000, 0)
	body := []byte(`{"id":"e1","kind":"message"}`)
	h := http.Header{}
	SetHeaders(h, "s3cret", now, body)
	if err := Verify(h, "s3cret", body, now.Add(time.Minute), 0); err != nil {
		t.Fatalf("a fresh signed request: %v", err)
	}
	cases := []struct {
		name   string
		secret string
		body   []byte
		at     time.Time
		header func(http.Header)
		want   error
	}{
		{"wrong secret", "other", body, now, nil, ErrBadSignature},
		{"body changed", "s3cret", []byte(`{"id":"e2","kind":"message"}`), now, nil, ErrBadSignature},
		{"replayed 6 minutes later", "s3cret", body, now.Add(6 * time.Minute), nil, ErrStale},
		{"from the future", "s3cret", body, now.Add(-6 * time.Minute), nil, ErrStale},
		{"no signature", "s3cret", body, now, func(h http.Header) { h.Del(HeaderSignature) }, ErrNoSignature},
		{"no timestamp", "s3cret", body, now, func(h http.Header) { h.Del(HeaderTimestamp) }, ErrNoSignature},
		{"timestamp moved", "s3cret", body, now, func(h http.Header) { h.Set(HeaderTimestamp, "1700000001") }, ErrBadSignature},
		{"other algorithm", "s3cret", body, now, func(h http.Header) {
			h.Set(HeaderSignature, strings.Replace(h.Get(HeaderSignature), "sha256=", "sha1=", 1))
		}, ErrBadSignature},
	}
	for _, c := range cases {
		hc := h.Clone()
		if c.header != nil {
			c.header(hc)
		}
		if err := Verify(hc, c.secret, c.body, c.at, 0); !errors.Is(err, c.want) {
			t.Errorf("%s: err = %v, want %v", c.name, err, c.want)
		}
	}
	hc := h.Clone()
	hc.Set(HeaderTimestamp, "yesterday")
	if err := Verify(hc, "s3cret", body, now, 0); err == nil {
		t.Error("a timestamp that is not a number was taken")
	}
}

func TestNewSecret(t *testing.T) {
	a, b := NewSecret(), NewSecret()
	if a == b || !strings.HasPrefix(a, "whsec_") || len(a) != len("whsec_")+64 {
		t.Errorf("secrets %q, %q", a, b)
	}
}
