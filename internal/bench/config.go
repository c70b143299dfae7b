package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"time"

	chatclient "hubbub/client"
)

// Scenario names accepted in Config.Scenario.
const (
	// ScenarioIdle opens Conns connections into one room and holds them: server memory per
	// connection and the connect rate.
	ScenarioIdle = "idle"
	// ScenarioFanout puts Listeners and Senders in one room and steps the offered message rate
	// up until a message is lost or p99 latency passes P99Bound.
	ScenarioFanout = "fanout"
	// ScenarioRooms runs Rooms rooms of Members members, each member sending MemberRate
	// messages per second for Duration.
	ScenarioRooms = "rooms"
	// ScenarioChurn connects and disconnects ChurnRate clients per second while a room of
	// Listeners and Senders chats at Rate messages per second.
	ScenarioChurn = "churn"
	// ScenarioIngress puts Senders senders in each of Rooms rooms, each sending its next
	// message as soon as the last one is acknowledged (hubbub.v1 only): durable writes per
	// second.
	ScenarioIngress = "ingress"
	// ScenarioStorm puts Rooms × Members clients in rooms chatting at Rate, restarts the
	// server after StormAfter (Restart), and times every client back and caught up
	// (hubbub.v1, rejoining with since; or Centrifugo, resubscribing with recovery from its
	// offset and epoch, which needs history and recovery on in the channel's namespace).
	ScenarioStorm = "storm"
	// ScenarioRolling is the storm of a rolling restart: Rooms × Members clients spread over
	// the URLs (two nodes or more of one cluster) chat at Rate; after StormAfter, Restart stops
	// the first URL's node (and may start it again), and its clients reconnect to the next URL
	// and catch up with since (hubbub.v1 only).
	ScenarioRolling = "rolling"
)

// Target names accepted in Config.Target.
const (
	// TargetHubbub speaks hubbub.v1 JSON (hello, join, send with an id).
	TargetHubbub = "hubbub"
	// TargetText speaks the original text protocol (first frame the name, then lines); it works
	// against hubbub's /ws without a subprotocol and against the original chat room.
	TargetText = "text"
	// TargetCentrifugo speaks Centrifugo v6's JSON client protocol (connect with an HMAC JWT,
	// subscribe to chat:<room>, publish).
	TargetCentrifugo = "centrifugo"
)

// Limits that bound every run whatever the configuration says.
const (
	// MaxSteps is the most fan-out steps a run may take.
	MaxSteps = 64
	// MaxConns is the most connections one generator process opens.
	MaxConns = 200_000
	// minSize is the smallest payload that holds every field of a bench payload.
	minSize = 64
)

// Config is one run of the load generator. Zero fields take the defaults listed with them.
type Config struct {
	// Scenario is idle, fanout (default), rooms, churn, ingress, storm or rolling.
	Scenario string
	// Target is hubbub (default), text or centrifugo.
	Target string
	// URL is the WebSocket endpoint (default DefaultURL(Target)); several, comma-separated (at
	// most MaxURLs), are the nodes of one cluster: client i dials the (i mod n)-th, so that the
	// members of a room sit on different nodes. Only loopback hosts are accepted.
	URL string
	// Sources spreads client sockets over the source addresses 127.0.0.2 … 127.0.0.(1+Sources);
	// 0 lets the kernel choose (127.0.0.1 for a 127.x target).
	Sources int
	// PID is the server process whose CPU and memory are read from /proc (0 = not measured).
	PID int
	// ExtraPIDs are more server processes whose CPU and memory are added to PID's: the other
	// nodes of a cluster (in the order of the URLs) and then, if wanted, its broker. Each step
	// also reports every process's own CPU.
	ExtraPIDs []int
	// PIDAuto finds PID (and ExtraPIDs, with several URLs): the process that holds the listening
	// socket of each URL's port.
	PIDAuto bool

	target  *url.URL   // the first URL, parsed and checked by validate
	targets []*url.URL // every URL, parsed and checked by validate

	// Conns is the idle scenario's connection count (default 1000).
	Conns int
	// Listeners and Senders make up the room of fanout and churn (default 1000 and 10);
	// Senders is also ingress's senders per room.
	Listeners, Senders int
	// Rooms and Members shape the rooms scenario (default 100 × 10); Rooms also ingress's.
	Rooms, Members int
	// Room is the room's name (default "bench"); the rooms scenario appends -1, -2, …. The text
	// target always uses the server's one room. Centrifugo's channel is chat:<Room>.
	Room string

	// Rate is messages per second offered in total: fanout's first step (default 100) and
	// churn's chat (default 20).
	Rate float64
	// StepFactor multiplies fanout's rate from one step to the next (default 1.5).
	StepFactor float64
	// MaxRate stops fanout's steps once the rate would pass it (default 1,000,000 msgs/s).
	MaxRate float64
	// Steps is the most fanout steps (default 12, at most MaxSteps).
	Steps int
	// StepMessages caps the messages sent per step or run (0 = rate × duration).
	StepMessages int
	// StepDuration is how long each fanout step sends (default 5s).
	StepDuration time.Duration
	// Drain is how long a step waits after its last send for deliveries still in flight
	// before counting the rest as lost (default 3s).
	Drain time.Duration
	// P99Bound fails a fanout step whose p99 latency passes it (default 1s).
	P99Bound time.Duration
	// PaceLate is how late a paced send may be before it is given up and counted as skipped
	// (default 100ms; never less than two of its pacer's intervals). Tests on a busy machine
	// raise it: a scheduler stall of 100 ms is not what they check.
	PaceLate time.Duration
	// MemberRate is messages per second each member sends in the rooms scenario (default 1).
	MemberRate float64
	// ChurnRate is connections opened (and later closed) per second in churn (default 20).
	ChurnRate float64
	// ChurnHold is how long each churning connection stays (default 1s).
	ChurnHold time.Duration

	// StormAfter is how long storm sends before it restarts the server (default 3s).
	StormAfter time.Duration
	// Restart restarts the server in the storm scenario: it stops it (a SIGTERM) and starts it
	// again on the same data, and may return before the new process listens (storm waits for
	// the port). The command line runs --storm-restart CMD with sh -c.
	Restart func(context.Context) error

	// Duration is how long idle holds its connections (default 10s) and how long rooms and
	// churn send (default 10s).
	Duration time.Duration
	// Settle is how long idle waits after connecting before it reads the server's memory
	// (default 2s, at most Duration).
	Settle time.Duration
	// Deadline bounds the whole run (default 10m); past it the run stops and reports what it
	// has.
	Deadline time.Duration

	// Size is the message text length in bytes (default 100, at least 64).
	Size int
	// DialConcurrency is how many connections are being opened at once (default 64).
	DialConcurrency int
	// HandshakeTimeout bounds one dial plus the target's login (default 10s).
	HandshakeTimeout time.Duration
	// ReadyTimeout bounds the wait for every member to receive a probe message before
	// measuring starts (default 60s).
	ReadyTimeout time.Duration
	// WriteTimeout bounds one write of a message (default 5s); a write that times out counts as
	// an error and ends that connection.
	WriteTimeout time.Duration
	// ReadBufferSize is each client's socket read buffer (default 4096; idle uses 1024 to keep
	// 19,000 idle clients small; fanout 32768, so that one read(2) takes in a whole write of
	// the server's batched deliveries instead of several: the reads were 45 % of the
	// generator's CPU at the fan-out maximum).
	ReadBufferSize int

	// TokenSecret is Centrifugo's client HMAC secret (client.token.hmac_secret_key).
	TokenSecret string

	// Progress receives a progress line every ProgressEvery (default 1s); nil is silent.
	Progress io.Writer
	// ProgressEvery is the progress interval.
	ProgressEvery time.Duration
}

// DefaultURL returns the endpoint a target listens on when run as documented.
func DefaultURL(target string) string {
	if target == TargetCentrifugo {
		return "ws://127.0.0.1:3602" + endpointPath(target)
	}
	return "ws://127.0.0.1:3434" + endpointPath(target)
}

// endpointPath is where target serves WebSockets: the path a URL without one gets.
func endpointPath(target string) string {
	if target == TargetCentrifugo {
		return "/connection/websocket"
	}
	return "/ws"
}

// withDefaults returns c with every zero field set to its default.
func (c Config) withDefaults() Config {
	def := func(p *int, v int) {
		if *p == 0 {
			*p = v
		}
	}
	defF := func(p *float64, v float64) {
		if *p == 0 {
			*p = v
		}
	}
	defD := func(p *time.Duration, v time.Duration) {
		if *p == 0 {
			*p = v
		}
	}
	if c.Scenario == "" {
		c.Scenario = ScenarioFanout
	}
	if c.Target == "" {
		c.Target = TargetHubbub
	}
	if c.URL == "" {
		c.URL = DefaultURL(c.Target)
	}
	def(&c.Conns, 1000)
	def(&c.Listeners, 1000)
	def(&c.Senders, 10)
	def(&c.Rooms, 100)
	def(&c.Members, 10)
	if c.Room == "" {
		c.Room = "bench"
	}
	if c.Scenario == ScenarioChurn {
		defF(&c.Rate, 20)
	}
	defF(&c.Rate, 100)
	defF(&c.StepFactor, 1.5)
	defF(&c.MaxRate, 1_000_000)
	def(&c.Steps, 12)
	defD(&c.StepDuration, 5*time.Second)
	defD(&c.Drain, 3*time.Second)
	defD(&c.P99Bound, time.Second)
	defD(&c.PaceLate, paceLateLimit)
	defF(&c.MemberRate, 1)
	defF(&c.ChurnRate, 20)
	defD(&c.ChurnHold, time.Second)
	defD(&c.Duration, 10*time.Second)
	defD(&c.StormAfter, 3*time.Second)
	defD(&c.Settle, 2*time.Second)
	if c.Settle > c.Duration {
		c.Settle = c.Duration
	}
	defD(&c.Deadline, 10*time.Minute)
	def(&c.Size, 100)
	def(&c.DialConcurrency, 64)
	defD(&c.HandshakeTimeout, 10*time.Second)
	defD(&c.ReadyTimeout, 60*time.Second)
	defD(&c.WriteTimeout, 5*time.Second)
	if c.Scenario == ScenarioIdle {
		def(&c.ReadBufferSize, 1024)
	}
	if c.Scenario == ScenarioFanout {
		def(&c.ReadBufferSize, fanoutReadBuffer)
	}
	def(&c.ReadBufferSize, 4096)
	defD(&c.ProgressEvery, time.Second)
	return c
}

// fanoutReadBuffer is the fanout scenario's default read buffer: 1,010 clients × 32 KiB is
// 32 MiB, and a read then takes in the server's largest batched writes whole.
const fanoutReadBuffer = 32 << 10

// maxReadBuffer bounds --read-buffer: thousands of clients hold one each.
const maxReadBuffer = 1 << 20

// validate checks a config that has its defaults.
func (c *Config) validate() error {
	switch c.Scenario {
	case ScenarioIdle, ScenarioFanout, ScenarioRooms, ScenarioChurn, ScenarioIngress, ScenarioStorm, ScenarioRolling:
	default:
		return fmt.Errorf("unknown scenario %q (idle, fanout, rooms, churn, ingress, storm or rolling)", c.Scenario)
	}
	switch c.Target {
	case TargetHubbub, TargetText, TargetCentrifugo:
	default:
		return fmt.Errorf("unknown target %q (hubbub, text or centrifugo)", c.Target)
	}
	us, err := ParseURLs(c.URL, c.Target)
	if err != nil {
		return err
	}
	c.URL, c.target, c.targets = joinURLs(us), us[0], us // what is dialled: the report shows it
	if c.Sources < 0 || c.Sources > 250 {
		return fmt.Errorf("sources %d: want 0 to 250 (127.0.0.2 … 127.0.0.251)", c.Sources)
	}
	if c.Sources > 0 {
		for _, u := range us {
			if ip := net.ParseIP(u.Hostname()); ip != nil && ip.To4() == nil {
				return fmt.Errorf("sources spread over 127.0.0.x and cannot reach the IPv6 target %s; use 127.0.0.1", u.Host)
			}
		}
	}
	if err := checkPIDs(c.PID, c.ExtraPIDs); err != nil {
		return err
	}
	positive := []struct {
		name string
		v    int
	}{
		{"conns", c.Conns}, {"listeners", c.Listeners}, {"senders", c.Senders}, {"rooms", c.Rooms},
		{"members", c.Members}, {"steps", c.Steps}, {"dial concurrency", c.DialConcurrency},
		{"read buffer", c.ReadBufferSize},
	}
	for _, p := range positive {
		if p.v < 0 {
			return fmt.Errorf("%s must not be negative, got %d", p.name, p.v)
		}
	}
	if c.ReadBufferSize > maxReadBuffer {
		return fmt.Errorf("read buffer %d: at most %d bytes", c.ReadBufferSize, maxReadBuffer)
	}
	if c.StepMessages < 0 {
		return fmt.Errorf("step messages must not be negative, got %d", c.StepMessages)
	}
	if c.Steps > MaxSteps {
		return fmt.Errorf("steps %d: at most %d", c.Steps, MaxSteps)
	}
	for _, r := range []struct {
		name string
		v    float64
	}{{"rate", c.Rate}, {"max rate", c.MaxRate}, {"member rate", c.MemberRate}, {"churn rate", c.ChurnRate}} {
		if !(r.v > 0) {
			return fmt.Errorf("%s must be positive, got %v", r.name, r.v)
		}
	}
	if !(c.StepFactor > 1) {
		return fmt.Errorf("step factor must be greater than 1, got %v", c.StepFactor)
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{
		{"step duration", c.StepDuration}, {"drain", c.Drain}, {"p99 bound", c.P99Bound}, {"pace late", c.PaceLate},
		{"churn hold", c.ChurnHold}, {"duration", c.Duration}, {"deadline", c.Deadline},
		{"handshake timeout", c.HandshakeTimeout}, {"ready timeout", c.ReadyTimeout},
		{"write timeout", c.WriteTimeout}, {"progress interval", c.ProgressEvery},
	} {
		if d.v <= 0 {
			return fmt.Errorf("%s must be positive, got %v", d.name, d.v)
		}
	}
	if c.Settle < 0 {
		return fmt.Errorf("settle must not be negative, got %v", c.Settle)
	}
	if c.Size < minSize || c.Size > 1<<20 {
		return fmt.Errorf("size %d: want %d to %d bytes", c.Size, minSize, 1<<20)
	}
	if conns := c.connCount(); conns > MaxConns {
		return fmt.Errorf("%d connections: at most %d per generator", conns, MaxConns)
	}
	if c.Target == TargetText && c.Scenario == ScenarioRooms && c.Rooms > 1 {
		return errors.New("the text protocol has one room; use --rooms 1 or --target hubbub or centrifugo")
	}
	if c.Target == TargetCentrifugo && c.TokenSecret == "" {
		return errors.New("the centrifugo target needs the client token secret (--token-secret or --centrifugo-config)")
	}
	if !validRoom(c.Room) {
		return fmt.Errorf("room %q: use 1–48 of A-Z a-z 0-9 - _ . starting with a letter or digit", c.Room)
	}
	if (c.Scenario == ScenarioFanout || c.Scenario == ScenarioChurn) && (c.Senders < 1 || c.Listeners < 0) {
		return errors.New("fanout and churn need at least one sender")
	}
	if c.Scenario == ScenarioRooms && (c.Rooms < 1 || c.Members < 1) {
		return errors.New("rooms needs at least one room of one member")
	}
	if c.Scenario == ScenarioIngress && c.Target != TargetHubbub {
		return errors.New("ingress waits for each send's ack, which only hubbub.v1 sends; use --target hubbub")
	}
	if c.Scenario == ScenarioIngress && (c.Rooms < 1 || c.Senders < 1) {
		return errors.New("ingress needs at least one room of one sender")
	}
	if c.Scenario == ScenarioStorm || c.Scenario == ScenarioRolling {
		name := c.Scenario
		switch {
		case c.Target == TargetText:
			return fmt.Errorf("%s rejoins with since (hubbub.v1) or recovers from history (Centrifugo) and counts acks, which the text protocol has not; use --target hubbub or centrifugo", name)
		case c.Scenario == ScenarioRolling && c.Target != TargetHubbub:
			return errors.New("rolling restarts one node of a hubbub cluster; use --target hubbub")
		case c.Restart == nil:
			return fmt.Errorf("%s needs a way to restart the server (--storm-restart CMD)", name)
		case c.Rooms < 1 || c.Members < 1:
			return fmt.Errorf("%s needs at least one room of one member", name)
		case c.StormAfter >= c.Duration:
			return fmt.Errorf("%s: the restart (--storm-after %v) must come before the sending ends (--duration %v)", name, c.StormAfter, c.Duration)
		case c.Scenario == ScenarioRolling && len(c.targets) < 2:
			return errors.New("rolling restarts one node of several: give every node's URL (--url A,B)")
		}
	}
	if c.Scenario == ScenarioIdle && c.Conns < 1 {
		return errors.New("idle needs at least one connection")
	}
	return nil
}

// connCount is how many long-lived connections the scenario opens at once.
func (c *Config) connCount() int {
	switch c.Scenario {
	case ScenarioIdle:
		return c.Conns
	case ScenarioRooms, ScenarioStorm, ScenarioRolling:
		return c.Rooms * c.Members
	case ScenarioIngress:
		return c.Rooms * c.Senders
	default:
		return c.Listeners + c.Senders
	}
}

// validRoom accepts room names that need no escaping in any target's frames and that, with a
// rooms suffix, stay within hubbub's 64 bytes.
func validRoom(s string) bool {
	if s == "" || len(s) > 48 {
		return false
	}
	for i := 0; i < len(s); i++ {
		b := s[i]
		alnum := b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9'
		if !alnum && (i == 0 || b != '-' && b != '_' && b != '.') {
			return false
		}
	}
	return true
}

// ErrNotLoopback is returned (wrapped) for a target that is not on this machine's loopback.
var ErrNotLoopback = errors.New("not a loopback address: the load generator only targets 127.0.0.0/8, ::1 or localhost")

// CheckLoopbackURL parses a target URL as every hubbub command does (client.ParseURL: http(s)
// means ws(s); no path means target's endpoint, as in DefaultURL) and refuses any host that
// is not a loopback address (127.0.0.0/8, ::1) or the name localhost.
func CheckLoopbackURL(raw, target string) (*url.URL, error) {
	u, err := chatclient.ParseURL(raw, endpointPath(target))
	if err != nil {
		return nil, fmt.Errorf("target: %w", err)
	}
	if u.Hostname() == "" { // a chat client dials ws://:3434 locally; a load test names its address
		return nil, fmt.Errorf("target %q names no host: use 127.0.0.1 (or another loopback address)", raw)
	}
	if host := u.Hostname(); !isLoopbackHost(host) {
		return nil, fmt.Errorf("refusing target %q: %w", host, ErrNotLoopback)
	}
	return u, nil
}

// isLoopbackHost reports whether host is localhost or a loopback IP literal.
func isLoopbackHost(host string) bool {
	if strings.EqualFold(strings.TrimSuffix(host, "."), "localhost") {
		return true
	}
	if i := strings.IndexByte(host, '%'); i >= 0 { // an IPv6 zone
		host = host[:i]
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
