package nats

import (
	"context"
	"fmt"
	"sync"
)

// confirmer lets the publishes that wait at the same time share one round trip to the server.
//
// A waiter joins the round that has not been sent yet; one goroutine sends each round's PING
// once the previous round's PONG is back. A waiter's events were written to the connection
// before it joined, and its round's PING is written after it joined, so the PONG proves that
// the server holds them. Under load a round covers every publish of a store batch, where one
// PING and PONG each cost the node, and the NATS server, a write, a read and a wake-up per
// message.
type confirmer struct {
	b    *Broker
	kick chan struct{} // a round is waiting to be sent (capacity 1)
	quit chan struct{} // closed by stop
	done chan struct{} // closed when loop has returned

	mu      sync.Mutex
	next    *confirmRound // the round being joined, not sent yet
	stopped bool
}

// confirmRound is one round trip and the waiters that share it.
type confirmRound struct {
	done chan struct{} // closed once err is set
	err  error
}

// start runs the loop that sends the rounds, until stop.
func (c *confirmer) start(b *Broker) {
	c.b = b
	c.kick = make(chan struct{}, 1)
	c.quit = make(chan struct{})
	c.done = make(chan struct{})
	go c.loop()
}

// loop sends each waiting round and answers its waiters, one round at a time.
func (c *confirmer) loop() {
	defer close(c.done)
	for {
		select {
		case <-c.kick:
		case <-c.quit:
			return
		}
		c.mu.Lock()
		r := c.next
		c.next = nil
		c.mu.Unlock()
		if r == nil {
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), c.b.timeout)
		if err := c.b.nc.FlushWithContext(ctx); err != nil {
			r.err = c.b.connErr(err)
		}
		cancel()
		close(r.done)
	}
}

// stop ends the loop and fails the round that was waiting, and every later one, with
// ErrClosed. Called by Close once the connection is closed.
func (c *confirmer) stop() {
	close(c.quit)
	<-c.done
	c.mu.Lock()
	defer c.mu.Unlock()
	c.stopped = true
	if r := c.next; r != nil {
		c.next = nil
		r.err = ErrClosed
		close(r.done)
	}
}

// confirm waits for the server to answer a round trip sent after this call began, which
// proves that everything this goroutine wrote before it reached the server. It waits at most
// Options.PublishTimeout, or until ctx is done.
func (b *Broker) confirm(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, b.timeout)
	defer cancel()
	c := &b.confirms
	c.mu.Lock()
	if c.stopped {
		c.mu.Unlock()
		return ErrClosed
	}
	r := c.next
	if r == nil {
		r = &confirmRound{done: make(chan struct{})}
		c.next = r
	}
	c.mu.Unlock()
	select {
	case c.kick <- struct{}{}:
	default: // the loop has been told already
	}
	select {
	case <-r.done:
		return r.err
	case <-ctx.Done():
		return b.connErr(fmt.Errorf("waiting for the server: %w", ctx.Err()))
	}
}
