package server

import (
	"bufio"
	"net/http"
	"reflect"
	"strings"
	"testing"
)

// FuzzParseRequestIsNetHTTPs holds every request head the WebSocket listener takes to what
// net/http reads from the same bytes: the same method, target, host and headers. (A head it
// turns down goes to net/http itself.)
func FuzzParseRequestIsNetHTTPs(f *testing.F) {
	for _, seed := range []string{
		"GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13",
		"GET /ws?token=x%20y HTTP/1.1\r\nHost: a:1\r\nCookie: a=b\r\nCookie: c=d\r\nX:  v \t",
		"GET /ws HTTP/1.1\r\nHost: a\r\nX-A: a\r\n b",
		"GET /ws HTTP/1.1\r\nHost: a\r\nConnection: Upgrade, close",
		"GET /ws#f HTTP/1.1\r\nhost: [::1]:80\r\nx-y: \x80",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, head string) {
		r := parseRequest(head)
		if r == nil {
			return
		}
		want, err := http.ReadRequest(bufio.NewReader(strings.NewReader(head + "\r\n\r\n")))
		if err != nil {
			t.Fatalf("taken, but net/http reads %q as: %v", head, err)
		}
		if r.Method != want.Method || r.RequestURI != want.RequestURI || r.URL.String() != want.URL.String() ||
			r.Host != want.Host || !reflect.DeepEqual(r.Header, want.Header) || want.Close || want.ContentLength != 0 {
			t.Fatalf("%q:\nours     %s %s host %q %v\nnet/http %s %s host %q %v close %v length %d", head,
				r.Method, r.URL, r.Host, r.Header, want.Method, want.URL, want.Host, want.Header, want.Close, want.ContentLength)
		}
	})
}
