package server

import (
	"context"
	"sync"
	"time"
)

// recheckGap is the least time between two passes: each reads every stored user connected
// here (10,000 users are ten reads of 1,000), and the users' count moves with every new guest,
// so on a busy server changes come faster than passes should. An account change is acted on
// within about a second (and the store cache's --store-cache-poll) of being made.
const recheckGap = time.Second

// accountRecheck runs session.Service.RecheckUsers after the store's users changed (the store
// cache's OnUsersChanged), one pass at a time and at most one per recheckGap: the changes that
// come during a pass or the gap after it make one more pass. Shutdown and Abort stop it and
// wait for the pass in flight.
type accountRecheck struct {
	mu      sync.Mutex
	running bool // a pass's goroutine is on
	again   bool // a change came during it
	closed  bool
	stop    chan struct{} // closed by stopRecheck: ends the wait between passes
	passes  sync.WaitGroup
}

// usersChanged starts a pass, or asks the one running for another. It never blocks. A
// bot's change moves the users' count too, whoever made it (hubbub.Generations): the bot
// cache is emptied now, not after the gap, so that a token rotated or deleted with `hubbub
// bot` beside the server is refused within --store-cache-poll; the pass re-reads the bots'
// live connections.
func (s *Server) usersChanged() {
	s.sessions.ForgetBots()
	r := &s.recheck
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case r.closed:
	case r.running:
		r.again = true
	default:
		if r.stop == nil {
			r.stop = make(chan struct{})
		}
		r.running = true
		r.passes.Add(1)
		go s.recheckAccounts(r.stop)
	}
}

// recheckAccounts runs passes, recheckGap apart, until no change came during the last pass
// and the gap after it.
func (s *Server) recheckAccounts(stop <-chan struct{}) {
	r := &s.recheck
	defer r.passes.Done()
	for {
		ctx, cancel := context.WithTimeout(context.Background(), s.hub.Config().StoreTimeout)
		err := s.sessions.RecheckUsers(ctx)
		cancel()
		if err != nil {
			s.log.Warn("checking the accounts of the users connected here failed; trying again in a second", "err", err)
		}
		gap := time.NewTimer(recheckGap)
		select {
		case <-gap.C:
		case <-stop:
			gap.Stop()
		}
		r.mu.Lock()
		r.again = r.again || err != nil // a failed pass is run again, a gap later
		if !r.again || r.closed {
			r.running = false
			r.mu.Unlock()
			return
		}
		r.again = false
		r.mu.Unlock()
	}
}

// stopRecheck ends the passes and waits for the one in flight.
func (s *Server) stopRecheck() {
	s.recheck.mu.Lock()
	if !s.recheck.closed && s.recheck.stop != nil {
		close(s.recheck.stop)
	}
	s.recheck.closed = true
	s.recheck.mu.Unlock()
	s.recheck.passes.Wait()
}
