package accounts

import (
	"container/list"
	"net/netip"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// The defaults of the login rate limit: ten attempts at once, then one every ten seconds, per
// account and per client address. A person who mistypes a few times never notices; a guesser
// gets 8,640 tries a day per account however many addresses they use, and per address however
// many accounts they try.
const (
	DefaultLoginRate  = 0.1
	DefaultLoginBurst = 10
	// DefaultLoginTracked is how many accounts, and how many addresses, the limiter remembers.
	DefaultLoginTracked = 100000
)

// LoginLimiter limits sign-in attempts per account and per client address, each with a token
// bucket. Its memory is bounded: each of its two maps holds at most max keys, the least
// recently used going first (a forgotten key starts again with a full bucket, which is what an
// idle key has anyway).
type LoginLimiter struct {
	mu        sync.Mutex
	accounts  *lruBuckets
	addresses *lruBuckets
}

// NewLoginLimiter returns a limiter allowing burst attempts at once and r per second after,
// per account and per address, remembering at most maxTracked of each (defaults for zeros).
func NewLoginLimiter(r float64, burst, maxTracked int) *LoginLimiter {
	if r <= 0 {
		r = DefaultLoginRate
	}
	if burst <= 0 {
		burst = DefaultLoginBurst
	}
	if maxTracked <= 0 {
		maxTracked = DefaultLoginTracked
	}
	return &LoginLimiter{
		accounts:  newLRUBuckets(rate.Limit(r), burst, maxTracked),
		addresses: newLRUBuckets(rate.Limit(r), burst, maxTracked),
	}
}

// Allow takes one attempt from account's bucket and from address's; an empty key is not
// limited. If either bucket is empty it takes nothing and returns how long to wait until
// both have an attempt again.
func (l *LoginLimiter) Allow(account, address string, now time.Time) (wait time.Duration) {
	address = addressKey(address)
	l.mu.Lock()
	defer l.mu.Unlock()
	var rs []*rate.Reservation
	for _, b := range []struct {
		m   *lruBuckets
		key string
	}{{l.accounts, account}, {l.addresses, address}} {
		if b.key == "" {
			continue
		}
		r := b.m.get(b.key).ReserveN(now, 1)
		rs = append(rs, r)
		wait = max(wait, r.DelayFrom(now))
	}
	if wait > 0 {
		for _, r := range rs {
			r.CancelAt(now)
		}
	}
	return wait
}

// addressKey is the bucket of a client address: an IPv6 address's /64, the network one
// client usually holds (else each of its 2^64 addresses would be a fresh bucket); an IPv4
// address, or anything that is not an address, as it is.
func addressKey(address string) string {
	ip, err := netip.ParseAddr(address)
	if err != nil || !ip.Is6() || ip.Is4In6() {
		return address
	}
	return netip.PrefixFrom(ip.WithZone(""), 64).Masked().String()
}

// sizes reports how many accounts and addresses are remembered (tests).
func (l *LoginLimiter) sizes() (accounts, addresses int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.accounts.order.Len(), l.addresses.order.Len()
}

// lruBuckets is a map of token buckets bounded to max keys, least recently used out first.
type lruBuckets struct {
	r     rate.Limit
	burst int
	max   int
	order *list.List // of *lruEntry, most recently used first
	byKey map[string]*list.Element
}

type lruEntry struct {
	key string
	lim *rate.Limiter
}

func newLRUBuckets(r rate.Limit, burst, max int) *lruBuckets {
	return &lruBuckets{r: r, burst: burst, max: max, order: list.New(), byKey: make(map[string]*list.Element)}
}

func (m *lruBuckets) get(key string) *rate.Limiter {
	if e, ok := m.byKey[key]; ok {
		m.order.MoveToFront(e)
		return e.Value.(*lruEntry).lim
	}
	if m.order.Len() >= m.max {
		oldest := m.order.Back()
		m.order.Remove(oldest)
		delete(m.byKey, oldest.Value.(*lruEntry).key)
	}
	ent := &lruEntry{key: key, lim: rate.NewLimiter(m.r, m.burst)}
	m.byKey[key] = m.order.PushFront(ent)
	return ent.lim
}
