package main

import (
	"flag"
	"fmt"
	"log/slog"
	"math"
	"strconv"
	"strings"

	"hubbub/internal/fdlimit"
	"hubbub/internal/server"
)

// descriptorHeadroom is what serve keeps for descriptors other than its clients' sockets:
// the listener, the store's files or PostgreSQL's pool, NATS, uploads being written, webhook
// and S3 connections, connections still sending their first request.
const descriptorHeadroom = 256

// socketLimit is one of serve's limits that holds a descriptor per unit.
type socketLimit struct {
	flag  string // its flag, without dashes
	value int
	set   bool // given by the operator (flag, environment or config file): never lowered
}

// socketLimits are serve's limits that hold a socket each: the WebSockets held
// (--max-conns, first: it takes what fitting leaves), the upgrades waiting for an admission
// slot (--connecting-queue) and the plain HTTP connections (--max-http-conns). Together
// with descriptorHeadroom they bound the descriptors serve may need.
type socketLimits [3]socketLimit

// need is how many descriptors l may take, the headroom included (at most MaxUint64: the
// flags take any int).
func (l socketLimits) need() uint64 {
	n := uint64(descriptorHeadroom)
	for _, s := range l {
		v := uint64(max(s.value, 0))
		if n > math.MaxUint64-v {
			return math.MaxUint64
		}
		n += v
	}
	return n
}

// newSocketLimits reads serve's socket limits from its configuration and where each came
// from. --connecting-queue 0 asks for the default, so it counts as its default, not as set.
func newSocketLimits(c *server.Config, src settingSources) socketLimits {
	set := func(name string) bool { s, ok := src[name]; return ok && s != "default" }
	queue := c.ConnectingQueue
	if queue == 0 {
		queue = server.DefaultConnectingQueue
	}
	return socketLimits{
		{"max-conns", c.MaxConns, set("max-conns")},
		{"connecting-queue", queue, set("connecting-queue") && c.ConnectingQueue != 0},
		{"max-http-conns", c.MaxHTTPConns, set("max-http-conns")},
	}
}

// apply writes l back to the configuration serve builds its server with.
func (l socketLimits) apply(c *server.Config) {
	c.MaxConns, c.ConnectingQueue, c.MaxHTTPConns = l[0].value, l[1].value, l[2].value
}

// fit returns the limits serve runs with when the process may open open descriptors, and
// whether it lowered any. While --max-conns is left at its default, the limits left at
// theirs are lowered by one factor (keeping their proportions; --max-conns takes what the
// others leave) so that everything fits with the headroom. A limit the operator set is never
// lowered: with --max-conns set, or when the limits set take all there is, l is returned as
// it is, and the caller warns if it does not fit.
func (l socketLimits) fit(open uint64) (socketLimits, bool) {
	if l[0].set || l.need() <= open || open <= descriptorHeadroom {
		return l, false
	}
	budget := open - descriptorHeadroom // what the sockets may take
	var defaults uint64                 // what the limits left at their defaults would take
	for _, s := range l {
		if s.set {
			if uint64(s.value) >= budget {
				return l, false
			}
			budget -= uint64(s.value)
		} else {
			defaults += uint64(s.value)
		}
	}
	// budget < defaults here, both at most the defaults' sum (a few tens of thousands): the
	// products below cannot overflow.
	fitted, rest := l, budget
	for i := 1; i < len(fitted); i++ {
		if s := &fitted[i]; !s.set {
			s.value = int(max(uint64(s.value)*budget/defaults, 1))
			rest -= min(uint64(s.value), rest)
		}
	}
	if rest < 1 {
		return l, false // too few descriptors to leave a WebSocket
	}
	fitted[0].value = int(rest)
	return fitted, true
}

// fitToDescriptors is the one fitting of c's socket limits to the descriptors this process
// may open, which checkDescriptors serves and showFitted prints: the limit read, the limits as
// set and as fitted, and whether fitting lowered any. ok is false where the limit cannot be
// read (off Unix).
func fitToDescriptors(c *server.Config, src settingSources) (open uint64, limits, fitted socketLimits, lowered, ok bool) {
	if open, ok = fdlimit.Open(); !ok {
		return 0, limits, fitted, false, false
	}
	limits = newSocketLimits(c, src)
	fitted, lowered = limits.fit(open)
	return open, limits, fitted, lowered, true
}

// checkDescriptors fits serve's socket limits to the descriptors the process may open
// (socketLimits.fit) and says so. Past those descriptors the limits never answer: accepting
// fails (EMFILE), net/http backs off, and new clients wait in the kernel's backlog until they
// give up, where the limits would have answered 503 and Retry-After. Go raises the soft
// limit to the hard one at start, so the limit read is the most this process could get; only
// the operator can raise it. Limits lowered from their defaults are logged at info, with how
// to serve the defaults; limits the operator set that do not fit, at warn. Where the limit
// cannot be read (off Unix) the limits are left as they are.
func checkDescriptors(log *slog.Logger, c *server.Config, src settingSources) {
	open, limits, fitted, lowered, ok := fitToDescriptors(c, src)
	if !ok {
		return
	}
	if lowered {
		fitted.apply(c)
		log.Info("connection limits lowered to fit the file descriptors this process may open",
			"max_conns", fitted[0].value, "connecting_queue", fitted[1].value, "max_http_conns", fitted[2].value,
			"open_file_limit", open, "reserved", descriptorHeadroom, "lowered", fitted.lowered(limits),
			"raise", fmt.Sprintf("to serve the defaults, let the process open %d (ulimit -n %d, systemd's LimitNOFILE=%d), or set the flags", limits.need(), limits.need(), limits.need()))
		return
	}
	if need := limits.need(); need > open {
		log.Warn("the connection limits need more file descriptors than this process may open: past it new connections wait unanswered instead of getting 503",
			"max_conns", limits[0].value, "connecting_queue", limits[1].value, "max_http_conns", limits[2].value,
			"need", need, "open_file_limit", open, "set", limits.setFlags(),
			"fix", fmt.Sprintf("raise the limit (ulimit -n, systemd's LimitNOFILE) or lower --max-conns, --connecting-queue and --max-http-conns to fit %d with the %d kept for files and listeners", open, descriptorHeadroom))
	}
}

// lowered names the flags whose values differ in l from before, for the log.
func (l socketLimits) lowered(before socketLimits) string {
	var names []string
	for i, s := range l {
		if s.value != before[i].value {
			names = append(names, "--"+s.flag)
		}
	}
	return strings.Join(names, ",")
}

// setFlags names the flags of l the operator set, for the log.
func (l socketLimits) setFlags() string {
	var names []string
	for _, s := range l {
		if s.set {
			names = append(names, "--"+s.flag)
		}
	}
	return strings.Join(names, ",")
}

// showFitted sets the socket limits of fs that serve would lower to fit the descriptors the
// process may open (as checkDescriptors does at start) to the values it would serve, and says
// so in their sources, so that --print-config shows what the server would use: before, it
// showed --max-conns 20000 where the server held 10. Nothing changes where the limit cannot be
// read or nothing would be lowered.
func showFitted(fs *flag.FlagSet, c *server.Config, src settingSources) {
	open, limits, fitted, lowered, ok := fitToDescriptors(c, src)
	if !ok || !lowered {
		return
	}
	for i, l := range fitted {
		if l.value == limits[i].value {
			continue
		}
		if err := fs.Set(l.flag, strconv.Itoa(l.value)); err != nil {
			continue // an int flag takes an int: not reached
		}
		src[l.flag] = fmt.Sprintf("default %d, lowered at start to fit the %d file descriptors this process may open (ulimit -n %d serves the defaults)",
			limits[i].value, open, limits.need())
	}
}
