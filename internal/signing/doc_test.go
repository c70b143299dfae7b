package signing

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"math"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// verify is docs/integrations.md's Go receiver, as printed there (TestDocumentedVerifier
// checks the page still holds it): what receivers copy must verify what the server signs.
func verify(r *http.Request, body []byte, secret string) bool {
	ts := r.Header.Get("X-Hubbub-Timestamp")
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || math.Abs(time.Since(time.Unix(sec, 0)).Seconds()) > 300 {
		return false
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts + "."))
	mac.Write(body)
	want := "sha256=" + hex.EncodeToString(mac.Sum(nil))
	return hmac.Equal([]byte(want), []byte(r.Header.Get("X-Hubbub-Signature")))
}

func TestDocumentedVerifier(t *testing.T) {
	page, err := os.ReadFile("../../docs/integrations.md")
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("doc_test.go")
	if err != nil {
		t.Fatal(err)
	}
	start := strings.Index(string(src), "func verify(")
	end := strings.Index(string(src)[start:], "\n}\n") + start + 3
	if !strings.Contains(string(page), string(src)[start:end]) {
		t.Fatal("docs/integrations.md no longer shows the verify function this test checks; copy it from doc_test.go")
	}
	body := []byte(`{"id":"e1","kind":"message"}`)
	r, _ := http.NewRequest("POST", "http://example.com/hook", nil)
	SetHeaders(r.Header, "s3cret", time.Now(), body)
	if !verify(r, body, "s3cret") {
		t.Error("the documented verifier refuses a request the server signed")
	}
	if verify(r, body, "other") || verify(r, []byte(`{"id":"e2"}`), "s3cret") {
		t.Error("the documented verifier takes a wrong secret or body")
	}
	SetHeaders(r.Header, "s3cret", time.Now().Add(-6*time.Minute), body)
	if verify(r, body, "s3cret") {
		t.Error("the documented verifier takes a request signed 6 minutes ago")
	}
}
