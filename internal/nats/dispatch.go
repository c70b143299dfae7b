package nats

import (
	"runtime"
	"sync"

	natsgo "github.com/nats-io/nats.go"
)

// dispatcher calls the subscriptions' handlers from a few goroutines, one per queue, instead
// of one goroutine per subscription as nats.go's asynchronous subscriptions do. A room's
// subscriptions all feed the queue its name hashes to, so its events stay in order and its
// handler calls one at a time; the events of one read from the server are handled in one
// wake-up of each queue's goroutine, not in a goroutine switch each.
type dispatcher struct {
	b      *Broker
	queues []chan *natsgo.Msg
	quit   chan struct{} // closed by stop
	wg     sync.WaitGroup

	// mu guards subs; Subscribe holds it across nats.go's Subscribe so that a goroutine never
	// meets a message of a subscription it cannot look up yet.
	mu   sync.RWMutex
	subs map[*natsgo.Subscription]*subscription
}

// start makes one queue of size events per processor (GOMAXPROCS) and its goroutine, until
// stop.
func (d *dispatcher) start(b *Broker, size int) {
	d.b = b
	d.quit = make(chan struct{})
	d.subs = make(map[*natsgo.Subscription]*subscription)
	d.queues = make([]chan *natsgo.Msg, max(1, runtime.GOMAXPROCS(0)))
	for i := range d.queues {
		d.queues[i] = make(chan *natsgo.Msg, size)
		d.wg.Add(1)
		go d.run(d.queues[i])
	}
}

// stop ends the goroutines. Called by Close once the connection is closed, so nothing is
// queued any more.
func (d *dispatcher) stop() {
	close(d.quit)
	d.wg.Wait()
}

// subscribe subscribes to subject with s as the handler of its messages.
func (d *dispatcher) subscribe(subject string, s *subscription) (*natsgo.Subscription, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	sub, err := d.b.nc.ChanSubscribe(subject, d.queues[queueOf(s.room, len(d.queues))])
	if err != nil {
		return nil, err
	}
	d.subs[sub] = s
	return sub, nil
}

// forget drops an unsubscribed subscription; messages of it still queued are dropped.
func (d *dispatcher) forget(sub *natsgo.Subscription) {
	d.mu.Lock()
	delete(d.subs, sub)
	d.mu.Unlock()
}

// run hands each message of queue to its subscription's handler, and drops the statements in
// parts its subscriptions hold past Options.PartsTimeout (held, parts.go).
func (d *dispatcher) run(queue chan *natsgo.Msg) {
	defer d.wg.Done()
	h := held{timeout: d.b.partsTimeout}
	defer h.stop()
	for {
		select {
		case m := <-queue:
			d.mu.RLock()
			s := d.subs[m.Sub]
			d.mu.RUnlock()
			if s != nil {
				s.onMsg(m)
				h.note(s)
			}
		case now := <-h.tick():
			h.sweep(now)
		case <-d.quit:
			return
		}
	}
}

// queueOf picks the queue of a room among n: FNV-1a of its name.
func queueOf(room string, n int) int {
	if n == 1 {
		return 0
	}
	h := uint32(2166136261)
	for i := 0; i < len(room); i++ {
		h ^= uint32(room[i])
		h *= 16777619
	}
	return int(h % uint32(n))
}
