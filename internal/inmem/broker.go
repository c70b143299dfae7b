// Package inmem provides the in-process Broker, the default for a single node: publishing an
// event calls the room's subscribers directly, in the publisher's goroutine.
package inmem

import (
	"context"
	"errors"
	"hash/maphash"
	"sync"
	"sync/atomic"

	"hubbub"
)

var _ hubbub.Broker = (*Broker)(nil)

// shards spreads rooms over independent locks so that no lock is shared by every room.
const shards = 64

// Broker is the in-process hubbub.Broker. Its zero value is not usable; call NewBroker.
type Broker struct {
	seed   maphash.Seed
	shards [shards]shard
	closed atomic.Bool
}

type shard struct {
	mu   sync.RWMutex
	subs map[string][]*subscription
}

type subscription struct {
	handler func(hubbub.Event)
	mu      sync.Mutex // makes calls to one handler one at a time, as the contract says
}

// ErrClosed is returned by Publish and Subscribe after Close.
var ErrClosed = errors.New("inmem: broker closed")

// NewBroker returns an empty in-process broker.
func NewBroker() *Broker {
	b := &Broker{seed: maphash.MakeSeed()}
	for i := range b.shards {
		b.shards[i].subs = make(map[string][]*subscription)
	}
	return b
}

func (b *Broker) shard(room string) *shard {
	return &b.shards[maphash.String(b.seed, room)%shards]
}

// Publish calls every handler subscribed to ev.Room before it returns.
func (b *Broker) Publish(ctx context.Context, ev hubbub.Event) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if b.closed.Load() {
		return ErrClosed
	}
	s := b.shard(ev.Room)
	s.mu.RLock()
	subs := s.subs[ev.Room]
	s.mu.RUnlock()
	for _, sub := range subs {
		sub.mu.Lock()
		sub.handler(ev)
		sub.mu.Unlock()
	}
	return nil
}

// Subscribe registers handler for room's events until cancel is called.
func (b *Broker) Subscribe(room string, handler func(hubbub.Event)) (func(), error) {
	if b.closed.Load() {
		return nil, ErrClosed
	}
	sub := &subscription{handler: handler}
	s := b.shard(room)
	s.mu.Lock()
	// Copy on write: Publish iterates a snapshot without holding the shard lock.
	s.subs[room] = append(s.subs[room][:len(s.subs[room]):len(s.subs[room])], sub)
	s.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			s.mu.Lock()
			defer s.mu.Unlock()
			list := s.subs[room]
			for i, x := range list {
				if x == sub {
					next := make([]*subscription, 0, len(list)-1)
					next = append(append(next, list[:i]...), list[i+1:]...)
					if len(next) == 0 {
						delete(s.subs, room)
					} else {
						s.subs[room] = next
					}
					return
				}
			}
		})
	}, nil
}

// Close makes later calls fail; subscriptions simply stop receiving.
func (b *Broker) Close() error {
	b.closed.Store(true)
	return nil
}
