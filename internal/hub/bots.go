package hub

import (
	"context"
	"sync"

	"hubbub"
)

// Bot changes (hubbub.BotChanged) travel on one broker room for the whole cluster,
// hubbub.BotsChannel: an admin's change to a bot (deleted, token rotated, rooms replaced) is
// published there by the node that made it (BotChanged), and every node with a watcher
// (WatchBots: the sessions, which cache bots' tokens and hold bots' connections) learns of it at
// once. Bots are few and change rarely, so one channel for all costs nothing worth counting.

// botWatch is the hub's subscription to hubbub.BotsChannel and the watchers it calls.
type botWatch struct {
	subMu sync.Mutex // guards unsub; taken to subscribe, never by the broker's handler
	unsub func()

	mu   sync.Mutex // guards fns and next; the broker's handler takes it
	fns  map[uint64]func(bot string)
	next uint64
}

// WatchBots calls fn with the user id of each bot an admin changes on any node, and with ""
// after a broker outage (Resync: any bot may have changed meanwhile). fn is called from the
// broker's goroutine or Resync's and must not block. The node subscribes to
// hubbub.BotsChannel with its first watcher and stays subscribed until Close; cancel stops
// the calls to fn.
func (h *Hub) WatchBots(fn func(bot string)) (cancel func(), err error) {
	w := &h.bots
	w.subMu.Lock()
	if w.unsub == nil {
		unsub, err := h.broker.Subscribe(hubbub.BotsChannel, h.onBotEvent)
		if err != nil {
			w.subMu.Unlock()
			h.log.Error("broker subscribe to the bots' channel failed", "err", err)
			return nil, hubbub.Errorf(hubbub.ECodeUnavailable, "bots' changes cannot be followed right now; try again")
		}
		w.unsub = unsub
	}
	w.subMu.Unlock()
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.fns == nil {
		w.fns = make(map[uint64]func(string))
	}
	w.next++
	id := w.next
	w.fns[id] = fn
	return func() {
		w.mu.Lock()
		delete(w.fns, id)
		w.mu.Unlock()
	}, nil
}

// BotChanged tells every node that the bot with user id bot changed (the admin API calls it
// after the store took the change): their watchers re-read it.
func (h *Hub) BotChanged(ctx context.Context, bot string) error {
	err := h.broker.Publish(ctx, hubbub.Event{Room: hubbub.BotsChannel, Node: h.cfg.Node, Body: hubbub.BotChanged{Bot: bot}})
	if err != nil {
		h.log.Warn("broker publish of a bot's change failed", "bot", bot, "err", err)
		return hubbub.Errorf(hubbub.ECodeUnavailable, "the change is stored, but the other nodes could not be told; its live connections learn of it at their next write")
	}
	return nil
}

// onBotEvent hands a BotChanged to every watcher.
func (h *Hub) onBotEvent(ev hubbub.Event) {
	if b, ok := ev.Body.(hubbub.BotChanged); ok {
		h.botsChanged(b.Bot)
	}
}

// botsChanged calls every watcher with bot.
func (h *Hub) botsChanged(bot string) {
	w := &h.bots
	w.mu.Lock()
	fns := make([]func(string), 0, len(w.fns))
	for _, fn := range w.fns {
		fns = append(fns, fn)
	}
	w.mu.Unlock()
	for _, fn := range fns {
		fn(bot)
	}
}

// closeBots ends the subscription to the bots' channel (Close).
func (h *Hub) closeBots() {
	w := &h.bots
	w.subMu.Lock()
	unsub := w.unsub
	w.unsub = nil
	w.subMu.Unlock()
	if unsub != nil {
		unsub()
	}
}

// BotChanged never reaches a room: it travels on the bots' channel (onBotEvent).
func (re *roomEvents) BotChanged(hubbub.Event, hubbub.BotChanged) struct{} { return struct{}{} }

// StoreChanged never reaches a room: it travels on the store's channel, which
// internal/storecache follows.
func (re *roomEvents) StoreChanged(hubbub.Event, hubbub.StoreChanged) struct{} { return struct{}{} }
