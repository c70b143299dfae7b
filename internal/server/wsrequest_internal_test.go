package server

import (
	"bufio"
	"net"
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
		// the handshake's names in every case (headerKey), and one that only looks like them
		"GET /ws HTTP/1.1\r\nHost: a\r\nsec-websocket-key: k\r\nSEC-WEBSOCKET-VERSION: 13\r\nSec-WebSocket-Protocol: a\r\n" +
			"sec-WebSocket-extensions: b\r\nSec-WebSocket-Protocol: c\r\nSec-Websocket_Key: d\r\nSec-WebSocket-Keys: e",
		"GET /ws? HTTP/1.1\r\nHost: a",
		"GET /ws?? HTTP/1.1\r\nHost: a",
		"GET /ws?a=1?&b HTTP/1.1\r\nHost: a",
		"GET /ws HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\nE: 5\r\nF: 6\r\nG: 7\r\nH: 8\r\nI: 9\r\nA: 10",
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

// BenchmarkSniffRequest reads and parses the upgrade request of the load generator (six
// headers) and of a browser (Chromium's, with its cookie), as the WebSocket listener does
// for each connection. Run:
//
//	go test -run XXX -bench SniffRequest -count 6 ./internal/server/
func BenchmarkSniffRequest(b *testing.B) {
	for _, bc := range []struct{ name, req string }{
		{"generator", "GET /ws HTTP/1.1\r\nHost: 127.0.0.1:3434\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
			"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: hubbub.v1\r\n\r\n"},
		{"browser", "GET /ws HTTP/1.1\r\nHost: chat.example.com\r\nConnection: Upgrade\r\nPragma: no-cache\r\n" +
			"Cache-Control: no-cache\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36\r\n" +
			"Upgrade: websocket\r\nOrigin: https://chat.example.com\r\nSec-WebSocket-Version: 13\r\n" +
			"Accept-Encoding: gzip, deflate, br, zstd\r\nAccept-Language: en-GB,en;q=0.9\r\nCookie: hubbub_session=0123456789abcdef0123456789abcdef\r\n" +
			"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n" +
			"Sec-WebSocket-Protocol: hubbub.v1\r\n\r\n"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			req := []byte(bc.req)
			b.ReportAllocs()
			for b.Loop() {
				if _, _, _, res := sniffRequest(req); res != sniffOurs {
					b.Fatal("not taken")
				}
			}
		})
	}
}

// remoteString writes a request's RemoteAddr as net's String does, for every kind of address
// a socket may have.
func TestRemoteStringIsNets(t *testing.T) {
	for _, a := range []net.Addr{
		&net.TCPAddr{IP: net.IPv4(192, 0, 2, 1), Port: 54321},     // IPv4 in IPv6's form, as accepted
		&net.TCPAddr{IP: net.IP{127, 0, 0, 1}, Port: 0},           // four bytes
		&net.TCPAddr{IP: net.ParseIP("::ffff:10.0.0.1"), Port: 1}, // v4-mapped
		&net.TCPAddr{IP: net.ParseIP("2001:db8::1"), Port: 443},
		&net.TCPAddr{IP: net.ParseIP("fe80::1"), Port: 80, Zone: "eth0"},
		&net.TCPAddr{IP: net.IPv4(1, 2, 3, 4), Port: 8, Zone: "lo"},
		&net.TCPAddr{},
		&net.UnixAddr{Name: "/run/hubbub.sock", Net: "unix"},
	} {
		if got, want := remoteString(a), a.String(); got != want {
			t.Errorf("%#v: %q, want %q", a, got, want)
		}
	}
}
