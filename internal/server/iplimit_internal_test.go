package server

import (
	"fmt"
	"net/http"
	"testing"
	"time"
)

// The bucket map stays bounded however many addresses connect, and forgetting an idle
// address's bucket does not let it connect faster than its rate.
func TestIPLimiterMemoryIsBounded(t *testing.T) {
	cfg := Config{MaxConnsPerIP: 1, ConnectRate: 1, ConnectBurst: 1, MaxRateBuckets: 100}.withDefaults()
	l := newIPLimiter(&cfg)
	now := time.Unix(1000, 0)
	for i := range 10000 {
		ip := fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255)
		if ok, _, _ := l.admit(ip, now); !ok {
			t.Fatalf("first connection of %s refused", ip)
		}
		l.release(ip)
		if _, b := l.sizes(); b > 100 {
			t.Fatalf("%d buckets kept, more than 100", b)
		}
	}
	if c, _ := l.sizes(); c != 0 {
		t.Fatalf("%d addresses still counted after every release", c)
	}
	// An address seen a moment ago is still limited...
	ip := "192.0.2.7"
	if ok, _, _ := l.admit(ip, now); !ok {
		t.Fatal("first connection refused")
	}
	l.release(ip)
	if ok, why, retry := l.admit(ip, now.Add(10*time.Millisecond)); ok || why.String() != "connect_rate" || retry <= 0 {
		t.Fatalf("second connection within the rate: ok=%v why=%v retry=%v", ok, why, retry)
	}
	// ...and once idle long enough its bucket is full again, kept or not.
	if ok, _, _ := l.admit(ip, now.Add(2*time.Second)); !ok {
		t.Fatal("connection after the refill refused")
	}
}

func TestClientIP(t *testing.T) {
	r := &http.Request{RemoteAddr: "127.0.0.1:5555", Header: http.Header{}}
	r.Header.Add("X-Forwarded-For", "1.1.1.1, 2.2.2.2")
	r.Header.Add("X-Forwarded-For", "3.3.3.3")
	if got := clientIP(r, false); got != "127.0.0.1" {
		t.Errorf("untrusted: %q", got)
	}
	if got := clientIP(r, true); got != "3.3.3.3" {
		t.Errorf("trusted: %q", got)
	}
	r.Header.Set("X-Forwarded-For", "not-an-ip")
	if got := clientIP(r, true); got != "127.0.0.1" {
		t.Errorf("garbage header: %q", got)
	}
}
