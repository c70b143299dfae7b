package pairrate

import (
	"fmt"
	"testing"
	"time"
)

func TestLimiterPerAccountAndPerAddress(t *testing.T) {
	now := time.Unix(1_000_000, 0)
	l := New(0.5, 3, 100) // 3 at once, then one every 2 s
	for i := range 3 {
		if w := l.Allow("ann", fmt.Sprintf("10.0.0.%d", i), now); w != 0 {
			t.Fatalf("attempt %d on ann waits %v", i+1, w)
		}
	}
	// ann's bucket is empty, from any address
	if w := l.Allow("ann", "10.0.0.99", now); w != 2*time.Second {
		t.Fatalf("4th attempt on ann: wait %v, want 2s", w)
	}
	// one address trying many accounts is limited too
	for i := range 3 {
		if w := l.Allow(fmt.Sprintf("user%d", i), "10.9.9.9", now); w != 0 {
			t.Fatalf("attempt %d from 10.9.9.9 waits %v", i+1, w)
		}
	}
	if w := l.Allow("someone-else", "10.9.9.9", now); w <= 0 {
		t.Fatal("4th attempt from one address is not limited")
	}
	// A refused attempt takes nothing: someone-else still has its whole burst elsewhere.
	for i := range 3 {
		if w := l.Allow("someone-else", fmt.Sprintf("10.1.1.%d", i), now); w != 0 {
			t.Fatalf("someone-else's attempt %d waits %v after a refusal elsewhere", i+1, w)
		}
	}
	// The bucket refills at the rate.
	if w := l.Allow("ann", "10.0.0.100", now.Add(2*time.Second)); w != 0 {
		t.Fatalf("ann after 2 s waits %v", w)
	}
	// An empty key is not limited: only the other one counts.
	for i := range 10 {
		if w := l.Allow("", fmt.Sprintf("10.3.3.%d", i), now); w != 0 {
			t.Fatalf("attempt %d with no account waits %v", i, w)
		}
	}
	if w := l.Allow("", "10.9.9.9", now); w <= 0 {
		t.Fatal("an empty account lets a limited address through")
	}
}

func TestLimiterIsBounded(t *testing.T) {
	now := time.Unix(1_000_000, 0)
	l := New(0.1, 1, 10)
	for i := range 1000 {
		l.Allow(fmt.Sprintf("user%d", i), fmt.Sprintf("10.0.%d.%d", i/256, i%256), now)
	}
	if a, b := l.sizes(); a != 10 || b != 10 {
		t.Fatalf("limiter remembers %d accounts and %d addresses, want 10 each", a, b)
	}
	// The most recently used are kept: user999 is still limited, user0 was forgotten.
	if w := l.Allow("user999", "", now); w == 0 {
		t.Error("the most recent account was forgotten")
	}
	if w := l.Allow("user0", "", now); w != 0 {
		t.Error("the oldest account is still remembered in a full map")
	}
}

// An IPv6 client usually holds a whole /64: its addresses share one bucket, or a guesser
// would have 2^64 fresh buckets (and would push the accounts' buckets out of the bounded map
// by trying other names from new addresses).
func TestLimiterGroupsAnIPv6Network(t *testing.T) {
	now := time.Unix(1_000_000, 0)
	l := New(0.5, 3, 100)
	for i := range 3 {
		if w := l.Allow(fmt.Sprint("user", i), fmt.Sprintf("2001:db8:1:2::%x", i+1), now); w != 0 {
			t.Fatalf("attempt %d from the /64 waits %v", i+1, w)
		}
	}
	if w := l.Allow("user9", "2001:db8:1:2:ffff::1", now); w <= 0 {
		t.Fatal("a 4th attempt from another address of the same /64 is not limited")
	}
	if w := l.Allow("user9", "2001:db8:1:3::1", now); w != 0 {
		t.Fatalf("another /64 waits %v", w)
	}
	for i := range 3 {
		if w := l.Allow(fmt.Sprint("v4-", i), fmt.Sprintf("10.0.0.%d", i), now); w != 0 {
			t.Fatalf("IPv4 address %d waits %v: IPv4 addresses are each their own", i, w)
		}
	}
}
