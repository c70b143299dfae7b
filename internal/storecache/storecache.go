// Package storecache keeps, per node, the answers of the store reads that every reconnect
// makes — whether a stored user holds a keyless hello's name, the slash-command list of the
// welcome, whether a room is public — valid for the store's generations (hubbub.Generations).
//
// The store moves a generation in the transaction of every change of its kind, whoever writes
// (this node, another node, `hubbub user add` on the same file), so the cache never needs the
// writer's help to be correct, only to be quick:
//
//   - every Poll the node re-reads the generations and drops the caches whose count moved;
//   - the cache answers only while the last read that confirmed it began less than 2×Poll
//     ago (a store that stops answering turns the cache off, and every lookup reads the
//     store again); so an answer is never older than 2×Poll after the change that
//     invalidated it committed — the staleness bound, docs/operations.md;
//   - a change made through this node (the Store that Store returns) drops what it touched at
//     once, and the node then tells the others (hubbub.StoreChanged on hubbub.StoreChannel),
//     which re-read their generations at once instead of at their next poll.
//
// A lookup that read the store while a change was being made must not put the answer it read
// into the cache after the change dropped it: every drop moves the kind's epoch, and an
// answer is kept only if the epoch it began under is still current.
package storecache

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"hubbub"
)

// Defaults of Config.
const (
	// DefaultPoll re-reads the generations four times a second: a change from elsewhere
	// (the CLI, a node whose event was lost) is seen within 2×250 ms.
	DefaultPoll = 250 * time.Millisecond
	// DefaultMaxEntries bounds the names and the rooms kept, each.
	DefaultMaxEntries = 100_000
	// DefaultMaxAge is how long an answer is kept even while its generation does not move.
	DefaultMaxAge = 5 * time.Minute
	// MaxPoll is the longest Poll allowed: beyond it the staleness bound means little.
	MaxPoll = time.Minute
	// DefaultPreload is how many stored users a node reads the names of at start, at most.
	// 10,000 users' keys are a few hundred KiB and one read of a few milliseconds.
	DefaultPreload = 10_000
	// preloadPage is how many users one read of the preload takes.
	preloadPage = 1000
)

// Config tunes a Cache. Zero values take the defaults.
type Config struct {
	// Poll is how often the node re-reads the store's generations (--store-cache-poll).
	Poll time.Duration
	// MaxEntries bounds the names and the rooms the cache keeps, each
	// (--store-cache-size); past it an arbitrary one makes room for each new one.
	MaxEntries int
	// MaxAge is how long one answer is kept at most (--store-cache-age).
	MaxAge time.Duration
	// Preload is how many stored users, at most, New reads every name of
	// (--store-cache-preload): while the store holds no more, the cache knows every held
	// name, so a keyless hello is answered with no store read — the first hellos after a
	// restart included, which are a storm's 10,000 different names. With more users than
	// this, nothing is preloaded and each name is read once. Zero takes DefaultPreload; a
	// negative value preloads nothing.
	Preload int
	// Node names this node in the events it publishes.
	Node string
	// Logger receives the cache's warnings (default slog.Default()).
	Logger *slog.Logger
}

// Check reports a negative or out-of-range setting, for the flags to refuse.
func (c Config) Check() error {
	switch {
	case c.Poll < 0 || c.Poll > MaxPoll:
		return errors.New("the store cache's poll interval must be between 0 (the default) and 1m")
	case c.MaxEntries < 0:
		return errors.New("the store cache's size must not be negative")
	case c.MaxAge < 0:
		return errors.New("the store cache's age must not be negative")
	case c.Preload > MaxPreload:
		return fmt.Errorf("the store cache's preload must be at most %d users", MaxPreload)
	}
	return nil
}

func (c Config) withDefaults() Config {
	if c.Poll <= 0 {
		c.Poll = DefaultPoll
	}
	if c.MaxEntries <= 0 {
		c.MaxEntries = DefaultMaxEntries
	}
	if c.MaxAge <= 0 {
		c.MaxAge = DefaultMaxAge
	}
	if c.Preload == 0 {
		c.Preload = DefaultPreload
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}

// kind is one of the generations.
type kind int

const (
	kindUsers kind = iota
	kindCommands
	kindRooms
	kinds
)

// readTimeout bounds one read of the generations.
const readTimeout = 5 * time.Second

// Cache is one node's cache of users' names, the command list and public rooms. Its methods
// are safe for concurrent use.
type Cache struct {
	cfg    Config
	store  hubbub.Store
	broker hubbub.Broker

	refreshMu sync.Mutex // one read of the generations at a time, applied in order

	mu        sync.Mutex
	gens      hubbub.Generations
	known     bool      // gens was read at least once
	confirmed time.Time // when the last read that matched (or set) gens began
	epoch     [kinds]uint64
	names     bounded[bool] // name key → a stored user holds it
	rooms     bounded[bool] // room → public (only public rooms are kept)
	commands  []hubbub.Command
	cmdsAt    time.Time // zero: no list kept
	local     bool      // a change was made through this node since the last read
	failing   bool      // the last read failed (logged once per outage)
	// held is every stored user's name key, read at start (preload) under the users'
	// generation the cache still has: any move of it drops the set (dropLocked), so held is
	// nil when not known (never loaded, or dropped by a change).
	held map[string]struct{}
	// refreshed is closed when the read of the generations under way (or the next) ends,
	// and replaced: lookups that found the cache stale wait on it (awaitFresh).
	refreshed chan struct{}

	// usersChanged is called after a read of the generations found the users' count moved
	// (OnUsersChanged); nil for none.
	usersChanged atomic.Pointer[func()]

	poke   chan struct{}
	stop   chan struct{}
	done   chan struct{}
	unsub  func()
	closed sync.Once
}

// OnUsersChanged has fn called, from the cache's own goroutine, each time a read of the
// generations finds that a user was created or changed (name, kind, role, disabled), signed
// out (User.SignOuts), or a bot changed (its token, rooms, deletion) since the last read — by
// this node, another, or a command beside the server — so that the server can forget the bots
// it cached and check the connections of users whose account changed. fn must not block.
func (c *Cache) OnUsersChanged(fn func()) { c.usersChanged.Store(&fn) }

// New starts a cache of store's reads, following broker's hubbub.StoreChannel. Close stops
// it. broker may be nil (no other node to tell).
func New(store hubbub.Store, broker hubbub.Broker, cfg Config) *Cache {
	cfg = cfg.withDefaults()
	c := &Cache{cfg: cfg, store: store, broker: broker,
		names: newBounded[bool](cfg.MaxEntries), rooms: newBounded[bool](cfg.MaxEntries),
		refreshed: make(chan struct{}),
		poke:      make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	if broker != nil {
		unsub, err := broker.Subscribe(hubbub.StoreChannel, c.onEvent)
		if err != nil {
			// The poll still bounds how stale an answer gets; only the quick path is lost.
			cfg.Logger.Warn("store cache: subscribe to the store's channel failed; other nodes' changes are seen at the next poll", "err", err)
		} else {
			c.unsub = unsub
		}
	}
	c.refresh()
	if cfg.Preload > 0 {
		c.preload()
	}
	go c.run()
	return c
}

// MaxPreload bounds Config.Preload: a node's memory of every name stays a few tens of MiB.
const MaxPreload = 1_000_000

// preload reads every stored user's name key, if there are at most cfg.Preload users, and
// keeps the set for the users' generation it was read under. The pages are separate reads,
// so the set is kept only if the generation read before the first page is the one read
// after the last (no user was created, renamed or disabled meanwhile, by anyone) and no
// change went through this node meanwhile (the users' epoch); a change after that moves the
// generation and drops the set, as it drops every answer about names.
func (c *Cache) preload() {
	c.mu.Lock()
	epoch, known := c.epoch[kindUsers], c.known
	c.mu.Unlock()
	if !known {
		return // no generations: the cache answers nothing
	}
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), readTimeout)
	defer cancel()
	before, err := c.store.Generations(ctx)
	if err != nil {
		return
	}
	held := make(map[string]struct{})
	for after, users := "", 0; ; {
		page, err := c.store.Users(ctx, after, preloadPage)
		if err != nil {
			c.cfg.Logger.Warn("store cache: reading the users' names at start failed; each name is read once", "err", err)
			return
		}
		if users += len(page); users > c.cfg.Preload {
			c.cfg.Logger.Info("store cache: more stored users than --store-cache-preload; each name is read once", "preload", c.cfg.Preload)
			return
		}
		for _, u := range page {
			if key, err := hubbub.NameKey(u.Name); err == nil {
				held[key] = struct{}{}
			}
		}
		if len(page) < preloadPage {
			break
		}
		after = page[len(page)-1].ID
	}
	now, err := c.store.Generations(ctx)
	if err != nil || now.Users != before.Users {
		return // a user changed meanwhile: each name is read once, as without the preload
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.epoch[kindUsers] == epoch && c.known && c.gens.Users == before.Users {
		c.held = held
		c.cfg.Logger.Debug("store cache: every stored user's name read", "users", len(held), "took", time.Since(start))
	}
}

// Close stops the poll and the subscription. The cache answers no more from memory after it.
func (c *Cache) Close() {
	c.closed.Do(func() {
		if c.unsub != nil {
			c.unsub()
		}
		close(c.stop)
		<-c.done
		c.mu.Lock()
		c.known = false
		c.mu.Unlock()
	})
}

// Poll is the interval the cache re-reads the generations at; 2×Poll is its staleness bound.
func (c *Cache) Poll() time.Duration { return c.cfg.Poll }

// run re-reads the generations every Poll, and at once when poked.
func (c *Cache) run() {
	defer close(c.done)
	t := time.NewTicker(c.cfg.Poll)
	defer t.Stop()
	for {
		select {
		case <-c.stop:
			return
		case <-t.C:
		case <-c.poke:
		}
		c.refresh()
	}
}

// onEvent is the broker's handler: another node changed something; read the generations now.
func (c *Cache) onEvent(ev hubbub.Event) {
	if _, ok := ev.Body.(hubbub.StoreChanged); ok && ev.Node != c.cfg.Node {
		c.pokeRefresh()
	}
}

// pokeRefresh asks the poll loop for a read now; pokes made while one is pending merge.
func (c *Cache) pokeRefresh() {
	select {
	case c.poke <- struct{}{}:
	default:
	}
}

// refresh reads the generations and applies them; after a local change that moved them it
// tells the other nodes.
func (c *Cache) refresh() {
	c.refreshMu.Lock()
	defer c.refreshMu.Unlock()
	c.mu.Lock()
	local := c.local // a change made before this read: the read sees it
	c.local = false
	c.mu.Unlock()
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), readTimeout)
	g, err := c.store.Generations(ctx)
	cancel()
	c.mu.Lock()
	close(c.refreshed) // whatever the outcome: the lookups waiting on it look again
	c.refreshed = make(chan struct{})
	if err != nil {
		if !c.failing {
			c.cfg.Logger.Warn("store cache: reading the generations failed; every lookup reads the store until it answers again", "err", err)
		}
		c.failing = true
		c.local = c.local || local
		c.mu.Unlock()
		return
	}
	c.failing = false
	usersBefore, wasKnown := c.gens.Users, c.known
	moved := c.apply(g)
	usersMoved := wasKnown && g.Users != usersBefore
	c.confirmed = start
	// A change made during the read may or may not be in it: tell the others now, and leave
	// c.local set so the next read tells them again if it sees more.
	publish := moved && (local || c.local)
	c.mu.Unlock()
	if fn := c.usersChanged.Load(); usersMoved && fn != nil {
		(*fn)()
	}
	if publish && c.broker != nil {
		ev := hubbub.Event{Room: hubbub.StoreChannel, Node: c.cfg.Node, Body: hubbub.StoreChanged{}}
		ctx, cancel := context.WithTimeout(context.Background(), readTimeout)
		if err := c.broker.Publish(ctx, ev); err != nil {
			c.cfg.Logger.Warn("store cache: telling the other nodes of a change failed; they see it at their next poll", "err", err)
		}
		cancel()
	}
}

// apply takes g as the store's generations, dropping the caches whose count moved, and
// reports whether any did. c.mu is held.
func (c *Cache) apply(g hubbub.Generations) bool {
	if !c.known {
		c.gens, c.known = g, true
		return false
	}
	moved := false
	if g.Users != c.gens.Users {
		c.dropLocked(kindUsers)
		moved = true
	}
	if g.Commands != c.gens.Commands {
		c.dropLocked(kindCommands)
		moved = true
	}
	if g.Rooms != c.gens.Rooms {
		c.dropLocked(kindRooms)
		moved = true
	}
	c.gens = g
	return moved
}

// dropLocked forgets every answer of kind k and moves its epoch. c.mu is held.
func (c *Cache) dropLocked(k kind) {
	c.epoch[k]++
	switch k {
	case kindUsers:
		c.names.clear()
		c.held = nil
	case kindCommands:
		c.commands, c.cmdsAt = nil, time.Time{}
	case kindRooms:
		c.rooms.clear()
	}
}

// changed is a change of kind k made through this node: forget k's answers now, and read
// the generations soon to tell the other nodes.
func (c *Cache) changed(k kind) {
	c.mu.Lock()
	c.dropLocked(k)
	c.local = true
	c.mu.Unlock()
	c.pokeRefresh()
}

// signedOut is a sign-out through this node: nothing cached changes, but the users' count
// moved, which this node's next read notices and reports (OnUsersChanged), and the other
// nodes are told now.
func (c *Cache) signedOut() {
	c.mu.Lock()
	c.local = true
	c.mu.Unlock()
	c.pokeRefresh()
}

// nameChanged is a change through this node that may make name held (a guest claimed, a
// token's user created or renamed): only that name's answer goes.
func (c *Cache) nameChanged(name string) {
	key, err := hubbub.NameKey(name)
	c.mu.Lock()
	c.epoch[kindUsers]++ // a lookup of the name under way must not keep what it read
	if err == nil {
		c.names.remove(key)
	}
	c.held = nil // the name may be held now; the preloaded set no longer knows every name
	c.local = true
	c.mu.Unlock()
	c.pokeRefresh()
}

// nameRefused is a write through this node that the store refused because another user
// holds name (a guest's key or a token's user for a name that is someone else's): the store
// is ahead of this cache — the user was created on another node whose event has not come yet,
// or beside the servers — so the name's answer and the preloaded set go (the next keyless
// hello of the name reads the store, and is refused like this one), and the generations are
// read now, which drops whatever else moved. Without it a node refused "ann" with a key and
// then welcomed a keyless "ann" from its preloaded set, one hello after the other.
func (c *Cache) nameRefused(name string) {
	key, err := hubbub.NameKey(name)
	c.mu.Lock()
	c.epoch[kindUsers]++ // a lookup of the name under way read it before the store's answer
	if err == nil {
		c.names.remove(key)
	}
	c.held = nil
	c.mu.Unlock()
	c.pokeRefresh()
}

// awaitFresh waits, when the cache has gone stale, for a read of the generations that makes
// it fresh again (asked for now), at most 2×Poll in all: a stale cache answers nothing, so
// without the wait every lookup reads the store — in a reconnect storm thousands at once,
// which queue for the store's few read connections ahead of the very read of the generations
// that would make the cache fresh again, until they time out. It returns at once when the
// cache is fresh, never was (no generations yet), or its store is failing (then every lookup
// reads it, as before); after the wait the caller looks again, and reads the store if the
// cache is still stale.
func (c *Cache) awaitFresh(ctx context.Context) {
	var budget <-chan time.Time
	for {
		c.mu.Lock()
		if c.fresh(time.Now()) || !c.known || c.failing {
			c.mu.Unlock()
			return
		}
		ch := c.refreshed
		c.mu.Unlock()
		if budget == nil {
			t := time.NewTimer(2 * c.cfg.Poll)
			defer t.Stop()
			budget = t.C
		}
		// A read that began before the cache went stale may end and leave it stale: the
		// poke has the next one begin at once, and the loop waits for that one too.
		c.pokeRefresh()
		select {
		case <-ch:
		case <-budget:
			return
		case <-ctx.Done():
			return
		case <-c.stop:
			return
		}
	}
}

// fresh reports whether the cache may answer now. c.mu is held.
func (c *Cache) fresh(now time.Time) bool {
	return c.known && now.Sub(c.confirmed) < 2*c.cfg.Poll
}

// NameHeld reports whether a stored user holds name (by its key: case and look-alikes
// folded), as store.UserByName would: from memory while the users' generation holds, else
// from load (the store read), whose answer it keeps.
func (c *Cache) NameHeld(ctx context.Context, name string, load func(context.Context) (bool, error)) (bool, error) {
	key, err := hubbub.NameKey(name)
	if err != nil {
		return load(ctx)
	}
	c.awaitFresh(ctx)
	c.mu.Lock()
	if c.held != nil && c.fresh(time.Now()) {
		_, held := c.held[key]
		c.mu.Unlock()
		return held, nil
	}
	c.mu.Unlock()
	return lookupFresh(c, kindUsers, &c.names, key, ctx, load)
}

// RoomPublic reports whether room is public (anyone may enter), as load (the store read of
// its metadata) says: from memory while the rooms' generation holds. Only public answers are
// kept: a private room or DM is always read again.
func (c *Cache) RoomPublic(ctx context.Context, room string, load func(context.Context) (bool, error)) (bool, error) {
	c.awaitFresh(ctx)
	return lookupFresh(c, kindRooms, &c.rooms, room, ctx, load)
}

// lookupFresh answers key from m while the cache is fresh, else calls load and keeps a true
// answer of rooms, or any answer of names, if k's epoch did not move meanwhile. The caller
// has waited for a stale cache (awaitFresh) already.
func lookupFresh(c *Cache, k kind, m *bounded[bool], key string, ctx context.Context, load func(context.Context) (bool, error)) (bool, error) {
	now := time.Now()
	c.mu.Lock()
	if c.fresh(now) {
		if v, ok := m.get(key, now, c.cfg.MaxAge); ok {
			c.mu.Unlock()
			return v, nil
		}
	}
	epoch, known := c.epoch[k], c.known
	c.mu.Unlock()
	v, err := load(ctx)
	if err != nil || !known || k == kindRooms && !v {
		return v, err
	}
	c.mu.Lock()
	if c.epoch[k] == epoch && c.known {
		m.put(key, v, now)
	}
	c.mu.Unlock()
	return v, nil
}

// Commands returns the registered slash commands as load (the store read) does, from memory
// while the commands' generation holds. The caller must not change the slice.
func (c *Cache) Commands(ctx context.Context, load func(context.Context) ([]hubbub.Command, error)) ([]hubbub.Command, error) {
	c.awaitFresh(ctx)
	now := time.Now()
	c.mu.Lock()
	if c.fresh(now) && !c.cmdsAt.IsZero() && now.Sub(c.cmdsAt) < c.cfg.MaxAge {
		cmds := c.commands
		c.mu.Unlock()
		return cmds, nil
	}
	epoch, known := c.epoch[kindCommands], c.known
	c.mu.Unlock()
	cmds, err := load(ctx)
	if err != nil || !known {
		return cmds, err
	}
	c.mu.Lock()
	if c.epoch[kindCommands] == epoch && c.known {
		c.commands, c.cmdsAt = cmds, now
	}
	c.mu.Unlock()
	return cmds, nil
}
