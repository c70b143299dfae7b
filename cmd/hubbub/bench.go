package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	goio "io"
	"os"
	"os/exec"
	"runtime/pprof"
	"time"

	"hubbub/internal/bench"
)

func init() { subcommands["bench"] = runBench }

const benchUsage = `usage: hubbub bench [flags]

Load generator for hubbub, the original chat room and Centrifugo, on loopback only.
Scenarios: idle, fanout, rooms, churn, ingress, storm, rolling. Targets: hubbub (hubbub.v1), text (original protocol),
centrifugo (Centrifugo v6 JSON). Examples:

  hubbub bench --scenario fanout --target hubbub --pid auto --sources 4
  hubbub bench --scenario idle --conns 5000 --target text --url ws://127.0.0.1:3601/ws --pid auto
  hubbub bench --scenario rooms --rooms 1000 --members 10 --target centrifugo \
      --centrifugo-config centrifugo-config.json --pid auto
  hubbub bench --scenario ingress --rooms 1000 --senders 10 --duration 10s --pid auto
  hubbub bench --scenario storm --rooms 100 --members 100 --rate 200 --duration 15s \
      --storm-after 3s --storm-restart 'kill -TERM "$(cat srv.pid)"; ./start-server.sh'
  (--target centrifugo: the namespace needs history and force_recovery; clients resubscribe with recovery)
  hubbub bench --scenario rooms --url ws://127.0.0.1:3441/ws,ws://127.0.0.1:3442/ws,ws://127.0.0.1:3443/ws \
      --pid "$P1,$P2,$P3,$NATS_PID"
  hubbub bench --scenario rolling --url ws://127.0.0.1:3441/ws,ws://127.0.0.1:3442/ws --rooms 100 \
      --members 10 --rate 200 --duration 15s --storm-after 3s --storm-restart './restart-node1.sh'

Flags:`

// runBench parses the flags into a bench.Config, runs it, and prints the report as a table
// (or JSON with --json). Progress goes to stderr once per --progress interval.
func runBench(ctx context.Context, args []string, io stdio) error {
	fs := flag.NewFlagSet("hubbub bench", flag.ContinueOnError)
	fs.SetOutput(io.err)
	var c bench.Config
	var asJSON, quiet bool
	var cfConfig, cpuProfile string
	fs.StringVar(&c.Scenario, "scenario", bench.ScenarioFanout, "idle, fanout, rooms, churn, ingress, storm or rolling")
	fs.StringVar(&c.Target, "target", bench.TargetHubbub, "hubbub (hubbub.v1), text (the original protocol) or centrifugo")
	fs.StringVar(&c.URL, "url", "", "WebSocket URL, loopback only (default ws://127.0.0.1:3434/ws; centrifugo ws://127.0.0.1:3602/connection/websocket); several, comma-separated, are a cluster's nodes: clients are spread over them, and each step reports cross-node latency")
	fs.IntVar(&c.Sources, "sources", 0, "spread client sockets over source addresses 127.0.0.2 … 127.0.0.(1+N) (0 = the kernel's choice)")
	pid := fs.String("pid", "", `server process id, whose CPU and memory are read from /proc, or a comma-separated list whose figures are summed (a cluster's nodes, then its broker); "auto" finds the process listening on each URL's port (default: not measured)`)

	fs.IntVar(&c.Conns, "conns", 1000, "idle: connections to open")
	fs.IntVar(&c.Listeners, "listeners", 1000, "fanout, churn: members that only listen")
	fs.IntVar(&c.Senders, "senders", 10, "fanout, churn: members that send (and listen); ingress: senders per room")
	fs.IntVar(&c.Rooms, "rooms", 100, "rooms, ingress, storm, rolling: number of rooms")
	fs.IntVar(&c.Members, "members", 10, "rooms, storm, rolling: members per room, every one sending")
	fs.StringVar(&c.Room, "room", "bench", "room name (rooms: name-1, name-2, …; centrifugo: channel chat:<room>)")

	fs.Float64Var(&c.Rate, "rate", 0, "messages per second in total: fanout's first step (default 100), churn's chat (default 20), storm's and rolling's chat")
	fs.Float64Var(&c.StepFactor, "step-factor", 1.5, "fanout: rate multiplier from one step to the next")
	fs.Float64Var(&c.MaxRate, "max-rate", 1_000_000, "fanout: stop before the rate passes this many msgs/s")
	fs.IntVar(&c.Steps, "steps", 12, fmt.Sprintf("fanout: most steps (at most %d)", bench.MaxSteps))
	fs.IntVar(&c.StepMessages, "step-messages", 0, "most messages per step or run (0 = rate × duration; ingress: no cap)")
	fs.DurationVar(&c.StepDuration, "step-duration", 5*time.Second, "fanout: how long each step sends")
	fs.DurationVar(&c.Drain, "drain", 3*time.Second, "time after a step's last send for deliveries in flight; later ones count as lost")
	fs.DurationVar(&c.P99Bound, "p99-bound", time.Second, "fanout: a step whose p99 latency passes this fails")
	fs.DurationVar(&c.PaceLate, "pace-late", 100*time.Millisecond, "how late a paced send may be before it is skipped (at least two of its pacer's intervals)")
	fs.Float64Var(&c.MemberRate, "member-rate", 1, "rooms: messages per second each member sends")
	fs.Float64Var(&c.ChurnRate, "churn-rate", 20, "churn: connections opened (and later closed) per second")
	fs.DurationVar(&c.ChurnHold, "churn-hold", time.Second, "churn: how long each churning connection stays")
	fs.DurationVar(&c.Duration, "duration", 10*time.Second, "idle: hold time; rooms, churn, ingress, storm: sending time")
	fs.DurationVar(&c.StormAfter, "storm-after", 3*time.Second, "storm, rolling: sending time before the restart")
	stormRestart := fs.String("storm-restart", "", `storm: shell command (sh -c) that stops the server with SIGTERM and starts it again on the same data, returning once it is started (it may return before the new process listens); rolling: one that stops the first URL's node with SIGTERM (and may start it again); bounded by --storm-restart-timeout`)
	stormRestartTimeout := fs.Duration("storm-restart-timeout", time.Minute, "storm: longest the --storm-restart command may run")
	fs.DurationVar(&c.Settle, "settle", 2*time.Second, "idle: time after connecting before memory counts as settled")
	fs.DurationVar(&c.Deadline, "deadline", 10*time.Minute, "hard limit on the whole run")

	fs.IntVar(&c.Size, "size", 100, "message text length in bytes (at least 64)")
	fs.IntVar(&c.DialConcurrency, "dial-concurrency", 64, "connections being opened at once")
	fs.DurationVar(&c.HandshakeTimeout, "handshake-timeout", 10*time.Second, "time allowed for one connect and login")
	fs.DurationVar(&c.ReadyTimeout, "ready-timeout", time.Minute, "time allowed for every member to receive a probe before measuring")
	fs.DurationVar(&c.WriteTimeout, "write-timeout", 5*time.Second, "time allowed for one write")
	fs.IntVar(&c.ReadBufferSize, "read-buffer", 0, "each client's socket read buffer in bytes (0: idle 1024, fanout 32768, others 4096)")
	fs.StringVar(&c.TokenSecret, "token-secret", "", "centrifugo: client HMAC secret for connection JWTs")
	fs.StringVar(&cfConfig, "centrifugo-config", "", "centrifugo: read the HMAC secret (client.token.hmac_secret_key) from this config file")
	fs.DurationVar(&c.ProgressEvery, "progress", time.Second, "interval of the progress line on stderr")
	fs.BoolVar(&quiet, "quiet", false, "no progress line")
	fs.BoolVar(&asJSON, "json", false, "print the report as JSON instead of a table")
	fs.StringVar(&cpuProfile, "cpuprofile", "", "write the generator's own CPU profile to this file")
	fs.Usage = func() {
		fmt.Fprintln(io.err, benchUsage)
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError(fmt.Sprintf("bench takes no arguments, got %q (use --url)", fs.Args()))
	}
	if err := resolvePID(*pid, &c); err != nil {
		return err
	}
	if cfConfig != "" && c.TokenSecret == "" {
		secret, err := bench.ReadCentrifugoSecret(cfConfig)
		if err != nil {
			return usageError(err.Error())
		}
		c.TokenSecret = secret
	}
	if *stormRestart != "" {
		c.Restart = restartCommand(*stormRestart, *stormRestartTimeout, io.err)
	}
	if !quiet {
		c.Progress = io.err
	}
	if cpuProfile != "" {
		f, err := os.Create(cpuProfile)
		if err != nil {
			return fmt.Errorf("bench: %w", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return fmt.Errorf("bench: cpu profile: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	rep, err := bench.Run(ctx, c)
	if rep == nil {
		if errors.Is(err, bench.ErrConfig) {
			return usageError(err.Error())
		}
		return fmt.Errorf("bench: %w", err)
	}
	if asJSON {
		enc := json.NewEncoder(io.out)
		enc.SetIndent("", "  ")
		if e := enc.Encode(rep); e != nil {
			return fmt.Errorf("bench: encode report: %w", e)
		}
	} else if e := rep.WriteTable(io.out); e != nil {
		return fmt.Errorf("bench: %w", e)
	}
	if err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	return nil
}

// resolvePID sets c.PID (and c.ExtraPIDs) from the --pid flag: empty (not measured), a process
// id or a comma-separated list of them (summed: a cluster's nodes, its broker), or "auto" for
// the process listening on each target URL's port.
func resolvePID(v string, c *bench.Config) error {
	switch v {
	case "":
		return nil
	case "auto":
		c.PIDAuto = true // bench.Run finds it once the URL is checked
		return nil
	}
	pid, extra, err := bench.ParsePIDs(v)
	if err != nil {
		return usageError(fmt.Sprintf("invalid --pid %q: a process id, a comma-separated list of them, or auto (%v)", v, err))
	}
	c.PID, c.ExtraPIDs = pid, extra
	return nil
}

// restartCommand returns the storm scenario's restart: it runs cmd with sh -c, its output on
// w, for at most timeout.
func restartCommand(cmd string, timeout time.Duration, w goio.Writer) func(context.Context) error {
	return func(ctx context.Context) error {
		ctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		c := exec.CommandContext(ctx, "sh", "-c", cmd)
		c.Stdout, c.Stderr = w, w
		c.WaitDelay = time.Second // a server it started in the background may hold the pipes
		if err := c.Run(); err != nil {
			return fmt.Errorf("--storm-restart %q: %w", cmd, err)
		}
		return nil
	}
}
