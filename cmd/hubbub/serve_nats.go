package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"time"

	"hubbub"
	"hubbub/internal/inmem"
	"hubbub/internal/lease"
	"hubbub/internal/metrics"
	"hubbub/internal/nats"
	"hubbub/internal/nodecheck"
)

// natsFlags choose the broker: in-process by default, NATS with --nats.
type natsFlags struct {
	url, creds, nkey, user, password, token string
	ca, cert, key, prefix                   string
	dispatchQueue, maxEvent                 int
}

func (n *natsFlags) bind(fs *flag.FlagSet) {
	fs.StringVar(&n.url, "nats", "", "NATS URL(s), comma-separated, to share rooms with other nodes (default: in-process broker, one node)")
	fs.StringVar(&n.creds, "nats-creds", "", "NATS credentials file (JWT + NKey)")
	fs.StringVar(&n.nkey, "nats-nkey", "", "NATS NKey seed file")
	fs.StringVar(&n.user, "nats-user", "", "NATS user name")
	fs.StringVar(&n.password, "nats-password", "", "NATS password")
	fs.StringVar(&n.token, "nats-token", "", "NATS token")
	fs.StringVar(&n.ca, "nats-ca", "", "CA file to verify the NATS server's TLS certificate")
	fs.StringVar(&n.cert, "nats-cert", "", "client certificate file for NATS TLS")
	fs.StringVar(&n.key, "nats-key", "", "client key file for NATS TLS")
	fs.StringVar(&n.prefix, "nats-prefix", nats.DefaultSubjectPrefix, "NATS subject prefix, so several hubbub clusters can share one NATS")
	fs.IntVar(&n.dispatchQueue, "nats-dispatch-queue", nats.DefaultDispatchQueue, "events from NATS each of the node's dispatch queues (one per CPU) may hold before it drops them as a slow consumer (1 to 16777216)")
	fs.IntVar(&n.maxEvent, "nats-max-event", 0, "the largest event, in bytes, a node publishes in one NATS message; a room's presence larger than it goes in parts (0 = the server's max_payload, less 1/64; else 4096 or more)")
}

func (n *natsFlags) name() string {
	if n.url == "" {
		return "in-process"
	}
	return "nats"
}

// open connects the broker; onReconnect is called after a NATS outage. A node's presence
// statement in parts is dropped if not whole within presenceExpiry (0: the broker's default),
// the silence after which the hub takes its node for dead.
func (n *natsFlags) open(node string, log *slog.Logger, presenceExpiry time.Duration, onReconnect func()) (hubbub.Broker, error) {
	if n.url == "" {
		return inmem.NewBroker(), nil
	}
	b, err := nats.Connect(n.url, nats.Options{
		Node: node, CredentialsFile: n.creds, NKeySeedFile: n.nkey, User: n.user, Password: n.password,
		Token: n.token, CAFile: n.ca, CertFile: n.cert, KeyFile: n.key, SubjectPrefix: n.prefix,
		DispatchQueue: n.dispatchQueue, MaxEvent: n.maxEvent, PartsTimeout: presenceExpiry, Logger: log, OnReconnect: onReconnect,
	})
	if err != nil {
		return nil, fmt.Errorf("connect to NATS: %w", err)
	}
	return b, nil
}

// broker names the broker of n for internal/nodecheck: nodes hear each other through one NATS
// under one subject prefix, and the in-process broker reaches no other node.
func (n *natsFlags) broker() string {
	if n.url == "" {
		return nodecheck.BrokerInProcess
	}
	return nodecheck.BrokerNATS(n.prefix)
}

// startNodeCheck runs internal/nodecheck on store until the returned stop is called, with
// --postgres: several nodes on one database without one NATS store each other's messages but
// deliver them live to nobody on the other, and this is how a node learns of it. (One SQLite
// file takes one server: its lock refuses a second.)
func (f *serveFlags) startNodeCheck(store hubbub.Store, m *metrics.Metrics, log *slog.Logger) (stop func()) {
	if f.postgres == "" {
		return func() {}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		nodecheck.Run(ctx, store, nodecheck.Config{
			Self:     hubbub.ServingNode{ID: lease.Holder(f.node), Name: f.node, Broker: f.nats.broker()},
			Interval: f.nodeCheck, Logger: log, Unheard: m.UnheardNodes,
		})
	}()
	return func() { cancel(); <-done }
}
