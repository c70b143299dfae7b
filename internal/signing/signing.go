// Package signing signs the requests hubbub sends to URLs an admin gave (webhooks, slash
// commands) and verifies them, as a receiver does: an HMAC-SHA256 with the hook's secret of
// the timestamp, a dot and the body, sent as "sha256=" and its hex in X-Hubbub-Signature,
// with the timestamp (unix seconds) in X-Hubbub-Timestamp. Signing the timestamp with the
// body lets a receiver refuse an old request replayed by someone who saw it.
package signing

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The headers of a signed request.
const (
	HeaderSignature = "X-Hubbub-Signature"
	HeaderTimestamp = "X-Hubbub-Timestamp"
	HeaderEventID   = "X-Hubbub-Event-Id"
	HeaderEvent     = "X-Hubbub-Event"
)

// DefaultMaxAge is how old a request's timestamp may be, or how far in the future, for Verify
// to take it: a request replayed later is refused.
const DefaultMaxAge = 5 * time.Minute

// prefix marks the algorithm, so another can be added without ambiguity.
const prefix = "sha256="

// secretBytes is the entropy of a secret NewSecret makes.
const secretBytes = 32

// NewSecret returns a fresh random secret: "whsec_" and 32 random bytes in hex.
func NewSecret() string {
	b := make([]byte, secretBytes)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (it panics if the system's source does)
	return "whsec_" + hex.EncodeToString(b)
}

// Sign returns the value of X-Hubbub-Signature for body sent at ts: "sha256=" and the hex of
// HMAC-SHA256(secret, ts + "." + body).
func Sign(secret string, ts int64, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(strconv.FormatInt(ts, 10)))
	mac.Write([]byte{'.'})
	mac.Write(body)
	return prefix + hex.EncodeToString(mac.Sum(nil))
}

// SetHeaders sets the timestamp and signature headers of a request carrying body, signed now.
func SetHeaders(h http.Header, secret string, now time.Time, body []byte) {
	ts := now.Unix()
	h.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
	h.Set(HeaderSignature, Sign(secret, ts, body))
}

// Errors of Verify.
var (
	ErrNoSignature  = errors.New("signing: the request carries no signature or timestamp")
	ErrBadSignature = errors.New("signing: the signature does not match")
	ErrStale        = errors.New("signing: the timestamp is too old or too far in the future")
)

// Verify checks a request's signature and timestamp headers against body, as a receiver does;
// a timestamp further than maxAge from now (DefaultMaxAge if 0) is refused.
func Verify(h http.Header, secret string, body []byte, now time.Time, maxAge time.Duration) error {
	if maxAge <= 0 {
		maxAge = DefaultMaxAge
	}
	tsText, sig := h.Get(HeaderTimestamp), h.Get(HeaderSignature)
	if tsText == "" || sig == "" {
		return ErrNoSignature
	}
	ts, err := strconv.ParseInt(tsText, 10, 64)
	if err != nil {
		return fmt.Errorf("signing: the timestamp %q is not unix seconds", tsText)
	}
	if d := now.Sub(time.Unix(ts, 0)); d > maxAge || d < -maxAge {
		return ErrStale
	}
	if !strings.HasPrefix(sig, prefix) || !hmac.Equal([]byte(sig), []byte(Sign(secret, ts, body))) {
		return ErrBadSignature
	}
	return nil
}
