// Package nodecheck tells a node which other nodes serve from its store, and warns when some
// of them do not share its broker. Nodes on one PostgreSQL store each other's messages in one
// log, but only a shared broker (one NATS, under one subject prefix) delivers them live: a node
// started without --nats beside another stores what its clients send and delivers it to them
// alone, and neither node's clients see the other's messages until they join again. Nothing
// fails, so nothing else would say so. Each node records itself in the store
// (hubbub.OutboxStore.AnnounceNode) every interval, for three intervals, and reads the others'
// records back.
package nodecheck

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"time"

	"hubbub"
)

// DefaultInterval is how often a node announces itself and reads the others.
const DefaultInterval = 30 * time.Second

// MinInterval and MaxInterval bound the interval: a write to the store each time, and a node
// learns of another within it.
const (
	MinInterval = time.Second
	MaxInterval = time.Hour
)

// withdrawTimeout is the least time a stopping node gives the store to take its record away;
// past it the record stays until it expires, and the node's shutdown goes on.
const withdrawTimeout = 2 * time.Second

// BrokerInProcess is the Broker of a node on the in-process broker, which reaches no other node.
const BrokerInProcess = "in-process"

// BrokerNATS is the Broker of a node on NATS under the subject prefix prefix: it reaches the
// nodes on the same NATS under the same prefix.
func BrokerNATS(prefix string) string { return "nats:" + prefix }

// Announcer is the store's part that nodecheck uses: hubbub.OutboxStore has it.
type Announcer interface {
	AnnounceNode(ctx context.Context, n hubbub.ServingNode, ttl time.Duration) ([]hubbub.ServingNode, error)
}

// Config configures Run.
type Config struct {
	// Self is this node: ID unique to the process (lease.Holder), Name, Broker.
	Self hubbub.ServingNode
	// Interval is how often the node announces itself (default DefaultInterval); its record
	// lasts three intervals, so a node that died leaves the others' lists within that.
	Interval time.Duration
	// Logger receives the warnings (default slog.Default()).
	Logger *slog.Logger
	// Unheard, if not nil, is told after each announcement how many other nodes serve from
	// the store without sharing this node's broker (metrics).
	Unheard func(n int)
}

// hears says whether nodes on brokers a and b deliver each other's messages live.
func hears(a, b string) bool { return a == b && a != BrokerInProcess }

// Run announces cfg.Self at once and then every Interval until ctx ends, when it withdraws
// the record. It logs a warning when a node that does not share this node's broker appears
// among the others, naming them and what to do, and an info line when none is left.
func Run(ctx context.Context, store Announcer, cfg Config) {
	if cfg.Interval <= 0 {
		cfg.Interval = DefaultInterval
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	ttl := 3 * cfg.Interval
	tick := time.NewTicker(cfg.Interval)
	defer tick.Stop()
	var warned []string // the IDs of the unheard nodes last warned of
	for {
		actx, cancel := context.WithTimeout(ctx, cfg.Interval)
		others, err := store.AnnounceNode(actx, cfg.Self, ttl)
		cancel()
		switch {
		case ctx.Err() != nil:
		case err != nil:
			log.Warn("node check: the store did not take this node's announcement; nodes serving from it without a shared broker go unnoticed meanwhile", "err", err)
		default:
			warned = report(log, cfg.Self, others, warned)
			if cfg.Unheard != nil {
				cfg.Unheard(len(warned))
			}
		}
		select {
		case <-ctx.Done():
			wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), max(cfg.Interval, withdrawTimeout))
			if _, err := store.AnnounceNode(wctx, cfg.Self, 0); err != nil {
				log.Info("node check: this node's record stays until it expires", "err", err, "expires_in", ttl)
			}
			cancel()
			return
		case <-tick.C:
		}
	}
}

// report logs what changed among the unheard nodes of others since before (their IDs) and
// returns their IDs now.
func report(log *slog.Logger, self hubbub.ServingNode, others []hubbub.ServingNode, before []string) []string {
	var unheard []hubbub.ServingNode
	var ids []string
	newcomer := false
	for _, o := range others {
		if hears(self.Broker, o.Broker) {
			continue
		}
		unheard = append(unheard, o)
		ids = append(ids, o.ID)
		newcomer = newcomer || !slices.Contains(before, o.ID)
	}
	switch {
	case newcomer:
		log.Warn(Warning(self.Broker), "nodes", describe(unheard), "this_broker", self.Broker, "fix", fix(self.Broker))
	case len(ids) == 0 && len(before) > 0:
		log.Info("node check: every other node serving from this store now shares this node's broker")
	}
	return ids
}

// Warning is the message of the warning a node on broker logs when other nodes serve from its
// store without sharing it.
func Warning(broker string) string {
	if broker == BrokerInProcess {
		return "another node serves from this store, but this node runs without --nats: messages sent on either are stored but not delivered live to the other's clients, who see them only when they join the room again"
	}
	return "another node serves from this store without sharing this node's NATS subject prefix (or without --nats): messages sent on either are stored but not delivered live to the other's clients, who see them only when they join the room again"
}

// fix says what to do about unheard nodes, seen from a node on broker.
func fix(broker string) string {
	if broker == BrokerInProcess {
		return "start this node, and every node serving from this store, with --nats and the same NATS (docs/deploy.md); or give it a store of its own"
	}
	return "start every node serving from this store with --nats on the same NATS and the same --nats-prefix (docs/deploy.md)"
}

// describe names nodes with their brokers: "node2 (in-process), node3 (nats:other)".
func describe(nodes []hubbub.ServingNode) string {
	parts := make([]string, len(nodes))
	for i, n := range nodes {
		parts[i] = n.Name + " (" + n.Broker + ")"
	}
	return strings.Join(parts, ", ")
}
