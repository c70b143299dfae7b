// Package pairrate limits an action per user and per client address at once, each key with a
// token bucket, in bounded memory: the sign-in attempts of accounts, the new rooms of the
// session layer.
package pairrate

import (
	"container/list"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"hubbub/internal/netaddr"
)

// Limiter limits an action per user (or account name) and per client address, each with a
// token bucket: an address cannot spread its attempts over many users, nor a user over many
// addresses. Its memory is bounded: each of its two maps holds at most max keys, the least
// recently used going first (a forgotten key starts again with a full bucket, which is what an
// idle key has anyway).
type Limiter struct {
	mu        sync.Mutex
	users     *lruBuckets
	addresses *lruBuckets
}

// New returns a limiter allowing burst actions at once and r per second after, per user and
// per address, remembering at most maxTracked of each. r, burst and maxTracked must be
// positive.
func New(r float64, burst, maxTracked int) *Limiter {
	return &Limiter{
		users:     newLRUBuckets(rate.Limit(r), burst, maxTracked),
		addresses: newLRUBuckets(rate.Limit(r), burst, maxTracked),
	}
}

// Allow takes one action from user's bucket and from address's; an empty key is not limited.
// An address is bucketed by its netaddr.Key: an IPv6 address's /64, the network one client
// usually holds (else each of its 2^64 addresses would be a fresh bucket). If either bucket
// is empty it takes nothing and returns how long to wait until both have an action again.
func (l *Limiter) Allow(user, address string, now time.Time) (wait time.Duration) {
	address = netaddr.Key(address)
	l.mu.Lock()
	defer l.mu.Unlock()
	var rs []*rate.Reservation
	for _, b := range []struct {
		m   *lruBuckets
		key string
	}{{l.users, user}, {l.addresses, address}} {
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

// sizes reports how many users and addresses are remembered (tests).
func (l *Limiter) sizes() (users, addresses int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.users.order.Len(), l.addresses.order.Len()
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
