package session

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"hubbub"
)

// A bot's token is checked at hello and again at each of its connection's writes, and at each
// REST request it signs: the bots are read from the store once and then kept in a small cache
// keyed by the token's hash (botCache), which an admin's change empties on every node at once
// (hubbub.BotChanged on the bots' channel, hub.WatchBots). The same event makes this node
// re-read the bot for each of its live connections (botConns): a token that no longer works
// closes them with 1008, a room no longer covered is left, before any further message of it.
//
// A change the broker did not carry — one made with the CLI on the store directly, or
// published while this node was cut off from the broker — reaches the node through the
// store's users' generation, which every change of a bot moves (hubbub.Generations): the
// store cache re-reads it every --store-cache-poll and, when it moved, the server calls
// ForgetBots (the cache is emptied at once) and then RecheckUsers (the live connections are
// re-read, at most once a second, with the users' own account checks). The cache also holds a
// bot for at most Config.BotCacheAge, the bound left when the generations cannot be read.

// Defaults of the bot cache when Config leaves them 0.
const (
	// DefaultBotCacheSize is how many bot tokens a node keeps (hubbub.MaxBots live bots at
	// most, each with one token).
	DefaultBotCacheSize = 1024
	// DefaultBotCacheAge is how long a cached bot is believed without reading it again.
	DefaultBotCacheAge = time.Minute
)

// liveBot is the bot a connection signed in as, as this node last read it: the connection's
// token hash and its current bot, which a change (botConns) or a write's check replaces while
// other goroutines read it.
type liveBot struct {
	hash string
	gen  uint64 // the cache's count of changes before the bot was read (bots.gen)
	cur  atomic.Pointer[hubbub.Bot]
}

// newLiveBot returns the live bot of token hash hash, read as b after the cache had counted
// gen changes.
func newLiveBot(hash string, gen uint64, b hubbub.Bot) *liveBot {
	lb := &liveBot{hash: hash, gen: gen}
	lb.cur.Store(&b)
	return lb
}

// MayUse reports whether the bot, as last read, may enter room.
func (lb *liveBot) MayUse(room string) bool { return lb.cur.Load().MayUse(room) }

// botConn is one live connection of a bot on this node: changed is told its bot as read again
// after a change, nil when its token no longer works. It is called from a goroutine of the
// registry's, never the connection's own, and must be safe for that.
type botConn struct {
	bot     *liveBot
	changed func(b *hubbub.Bot)
}

// bots is a Service's bot cache and its registry of live bot connections; its zero value is
// ready (the subscription to bots' changes is made at the first use).
type bots struct {
	watchMu  sync.Mutex
	watching bool // subscribed to bots' changes: the cache may be used

	mu    sync.Mutex
	gen   uint64 // counts invalidations, so that a read that raced one is not cached
	cache map[string]cachedBot
	conns map[string]map[*botConn]struct{} // by bot user id
}

// cachedBot is a bot as read at a time.
type cachedBot struct {
	bot hubbub.Bot
	at  time.Time
}

// watch subscribes the service to bots' changes if it is not yet; false if it cannot, when
// nothing may be cached.
func (s *Service) watchBots() bool {
	b := &s.bots
	b.watchMu.Lock()
	defer b.watchMu.Unlock()
	if b.watching {
		return true
	}
	// The subscription lasts as long as the hub (its Close ends it): a Service lives as long
	// as its hub.
	if _, err := s.hub.WatchBots(s.botChanged); err != nil {
		return false
	}
	b.watching = true
	return true
}

// botCacheSize and botCacheAge are Config's, or their defaults.
func (s *Service) botCacheSize() int {
	if s.cfg.BotCacheSize > 0 {
		return s.cfg.BotCacheSize
	}
	return DefaultBotCacheSize
}

func (s *Service) botCacheAge() time.Duration {
	if s.cfg.BotCacheAge > 0 {
		return s.cfg.BotCacheAge
	}
	return DefaultBotCacheAge
}

// botGen is how many changes the cache has counted: a bot read after it is at least as new
// as the last of them.
func (s *Service) botGen() uint64 {
	s.bots.mu.Lock()
	defer s.bots.mu.Unlock()
	return s.bots.gen
}

// botByHash returns the live bot holding the token whose hash is hash: from the cache if it
// holds it, younger than the cache's age, else from the store (and then cached). Only a found
// bot is cached: an unknown token is read each time, as before (it signs nothing in).
func (s *Service) botByHash(ctx context.Context, hash string) (hubbub.Bot, bool, error) {
	c := &s.bots
	caching := s.watchBots()
	now := time.Now()
	c.mu.Lock()
	if e, ok := c.cache[hash]; ok && caching && now.Sub(e.at) < s.botCacheAge() {
		c.mu.Unlock()
		return e.bot, true, nil
	}
	gen := c.gen
	c.mu.Unlock()
	b, found, err := s.hub.Store().BotByToken(ctx, hash)
	if err != nil || !found || !caching {
		return b, found, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != gen {
		return b, found, nil // a change came while reading: what was read may be older
	}
	if c.cache == nil {
		c.cache = make(map[string]cachedBot)
	}
	if _, ok := c.cache[hash]; !ok && len(c.cache) >= s.botCacheSize() {
		for k := range c.cache { // full: drop one, any (bots are few; this is a bound)
			delete(c.cache, k)
			break
		}
	}
	c.cache[hash] = cachedBot{bot: b, at: now}
	return b, true, nil
}

// followBot registers a connection of bot lb, told of its bot's changes by changed (botConn);
// the returned func ends it.
func (s *Service) followBot(lb *liveBot, changed func(b *hubbub.Bot)) (stop func()) {
	s.watchBots()
	bc := &botConn{bot: lb, changed: changed}
	id := lb.cur.Load().User.ID
	c := &s.bots
	c.mu.Lock()
	if c.conns == nil {
		c.conns = make(map[string]map[*botConn]struct{})
	}
	if c.conns[id] == nil {
		c.conns[id] = make(map[*botConn]struct{})
	}
	c.conns[id][bc] = struct{}{}
	// A change that came between the hello's read of the bot and now found no connection to
	// tell: read the bot again, as that change would have.
	missed := c.gen != lb.gen
	c.mu.Unlock()
	if missed {
		s.hub.Go(func() { s.recheckBot(bc) })
	}
	return func() {
		c.mu.Lock()
		delete(c.conns[id], bc)
		if len(c.conns[id]) == 0 {
			delete(c.conns, id)
		}
		c.mu.Unlock()
	}
}

// botChanged is the hub's news that bot (every bot if "") changed on some node: the cache is
// emptied, and each live connection of the bot here re-reads it and loses what it may no
// longer use — from a goroutine of its own, since the broker's handler must not block.
func (s *Service) botChanged(bot string) {
	c := &s.bots
	c.mu.Lock()
	c.gen++
	clear(c.cache)
	var conns []*botConn
	for id, set := range c.conns {
		if bot == "" || id == bot {
			for bc := range set {
				conns = append(conns, bc)
			}
		}
	}
	c.mu.Unlock()
	if len(conns) == 0 {
		return
	}
	s.hub.Go(func() { // a closed hub's connections are ending anyway
		for _, bc := range conns {
			s.recheckBot(bc)
		}
	})
}

// ForgetBots empties the bot cache, so that the next use of any token reads the store: the
// server calls it each time its store cache finds the users' generation moved, which every
// change of a bot moves whoever made it (`hubbub bot rotate` beside the servers included).
// The live connections are not re-read here: the users' count moves with every new guest, up
// to a read of the generations after another in a reconnect storm, and a pass over every bot
// connection each time would crowd the store; RecheckUsers, run at most once a second after
// such moves, re-reads them (recheckLiveBots). It never blocks for long.
func (s *Service) ForgetBots() {
	c := &s.bots
	c.mu.Lock()
	c.gen++ // a read under way may have read the bot before the change: it must not be kept
	clear(c.cache)
	c.mu.Unlock()
}

// recheckLiveBots reads the bot of each of this node's live bot connections again (one store
// read per bot, the cache answering its other connections) and tells each connection: a token
// that no longer works closes it with 1008, a room no longer covered is left, as an admin's
// change through the API does at once (botChanged).
func (s *Service) recheckLiveBots() {
	c := &s.bots
	c.mu.Lock()
	var conns []*botConn
	for _, set := range c.conns {
		for bc := range set {
			conns = append(conns, bc)
		}
	}
	c.mu.Unlock()
	for _, bc := range conns {
		s.recheckBot(bc)
	}
}

// recheckBot reads a connection's bot again and tells the connection. A store that cannot be
// read leaves the connection as it is: its next write reads the bot again.
func (s *Service) recheckBot(bc *botConn) {
	ctx, cancel := context.WithTimeout(context.Background(), userLookupTimeout)
	defer cancel()
	b, found, err := s.botByHash(ctx, bc.bot.hash)
	switch {
	case err != nil:
		s.hub.Logger().Warn("reading a changed bot failed; its connection is re-checked at its next write",
			"bot", bc.bot.cur.Load().User.ID, "err", err)
	case !found:
		bc.changed(nil)
	default:
		bc.bot.cur.Store(&b)
		bc.changed(&b)
	}
}

// BotChanged tells every node that the bot with user id id changed (the admin API calls it
// after the store took a deletion, a rotation or new rooms): their caches forget it and its
// live connections lose at once what they may no longer read.
func (s *Service) BotChanged(ctx context.Context, id string) error {
	// This node at once, so that the admin's next request here never meets the old bot; the
	// broker brings the event back here too, which changes nothing more.
	s.botChanged(id)
	return s.hub.BotChanged(ctx, id)
}
