package bench

import (
	"fmt"
	"io"
	"runtime"
	"strings"
	"text/tabwriter"
	"time"
)

// Report is the result of one run, printed as a table by WriteTable or encoded as JSON.
type Report struct {
	// Scenario, Target and URL say what ran against what.
	Scenario string `json:"scenario"`
	Target   string `json:"target"`
	URL      string `json:"url"`
	// Run is the run's id, found in every payload it sent.
	Run string `json:"run"`
	// Started and Seconds time the whole run.
	Started time.Time `json:"started"`
	Seconds float64   `json:"seconds"`
	// Params are the settings that shaped the load.
	Params Params `json:"params"`
	// Machine describes the generator's machine.
	Machine Machine `json:"machine"`
	// Connect counts the connections opened before measuring.
	Connect *Connect `json:"connect,omitempty"`
	// Idle is the idle scenario's result.
	Idle *Idle `json:"idle,omitempty"`
	// Steps are the measured steps (fanout: one per rate; rooms and churn: one).
	Steps []Step `json:"steps,omitempty"`
	// Best is fanout's highest passing step: the maximum sustained rate.
	Best *Step `json:"best,omitempty"`
	// Latency is the distribution over every measured step.
	Latency Latency `json:"latency"`
	// Churn is the churn scenario's connect/disconnect result.
	Churn *Churn `json:"churn,omitempty"`
	// Ingress is the ingress scenario's result.
	Ingress *Ingress `json:"ingress,omitempty"`
	// Storm is the storm scenario's result.
	Storm *Storm `json:"storm,omitempty"`
	// Server is the server's CPU and memory over the run (absent without a PID).
	Server *ProcReport `json:"server,omitempty"`
	// Generator is this process's CPU and memory over the run.
	Generator ProcReport `json:"generator"`
	// Counters are the run's anomalies.
	Counters Counters `json:"counters"`
	// Errors are the first few distinct errors seen, with counts.
	Errors []string `json:"errors,omitempty"`
	// Notes explain how the run ended.
	Notes []string `json:"notes,omitempty"`
	// Error is why the run failed, if it did; the rest is what was measured before.
	Error string `json:"error,omitempty"`

	srv0, gen0 ProcSample
}

// Params are the load settings of a run, as Config names them (durations as strings); only
// those of the run's scenario are set.
type Params struct {
	Conns        int     `json:"conns,omitempty"`
	Listeners    int     `json:"listeners,omitempty"`
	Senders      int     `json:"senders,omitempty"`
	Rooms        int     `json:"rooms,omitempty"`
	Members      int     `json:"members,omitempty"`
	Room         string  `json:"room"`
	Rate         float64 `json:"rate,omitempty"`
	StepFactor   float64 `json:"step_factor,omitempty"`
	Steps        int     `json:"steps,omitempty"`
	StepMessages int     `json:"step_messages,omitempty"`
	StepDuration string  `json:"step_duration,omitempty"`
	Drain        string  `json:"drain,omitempty"`
	P99Bound     string  `json:"p99_bound,omitempty"`
	MemberRate   float64 `json:"member_rate,omitempty"`
	ChurnRate    float64 `json:"churn_rate,omitempty"`
	ChurnHold    string  `json:"churn_hold,omitempty"`
	Duration     string  `json:"duration,omitempty"`
	StormAfter   string  `json:"storm_after,omitempty"`
	Size         int     `json:"size"`
	Sources      int     `json:"sources"`
	PID          int     `json:"pid,omitempty"`
	// PIDs are every server process read (PID first), when there are several.
	PIDs []int `json:"pids,omitempty"`
	// Nodes is how many URLs the clients were spread over.
	Nodes int `json:"nodes"`
}

// Machine describes where the generator ran.
type Machine struct {
	// CPUs is runtime.NumCPU().
	CPUs int `json:"cpus"`
	// GoVersion is the generator's Go version.
	GoVersion string `json:"go"`
	// OS is GOOS/GOARCH.
	OS string `json:"os"`
}

// Connect counts the connections a run opened before measuring.
type Connect struct {
	// OK and Failed count the connections (dial and login).
	OK     int `json:"ok"`
	Failed int `json:"failed"`
	// Seconds is the time to open them all; PerSec is OK per second of it.
	Seconds float64 `json:"seconds"`
	PerSec  float64 `json:"per_sec"`
}

// Idle is the idle scenario's result. Memory is in KiB; server figures need a PID.
type Idle struct {
	// Held is how many connections were still open at the end of the hold.
	Held        int     `json:"held"`
	HoldSeconds float64 `json:"hold_seconds"`
	// ServerRSS* are the server's VmRSS before connecting, at the end of the hold, and the
	// highest seen in between.
	ServerRSSBeforeKiB int64 `json:"server_rss_before_kib,omitempty"`
	ServerRSSAfterKiB  int64 `json:"server_rss_after_kib,omitempty"`
	ServerRSSPeakKiB   int64 `json:"server_rss_peak_kib,omitempty"`
	// ServerPerConnKiB is (after − before) / connections opened.
	ServerPerConnKiB *float64 `json:"server_rss_per_conn_kib,omitempty"`
	// ServerCPU is the server's CPU seconds from before connecting to the end of the hold.
	ServerCPU *float64 `json:"server_cpu_s,omitempty"`
	// ServerCPUPctAtEnd is the server's CPU use over the hold's last second, in % of a core:
	// above 10 the server had not settled and the memory figure is not final.
	ServerCPUPctAtEnd *float64 `json:"server_cpu_pct_at_end,omitempty"`
	// GeneratorRSSKiB and GeneratorPerConnKiB are the same for this process.
	GeneratorRSSKiB     int64   `json:"generator_rss_kib"`
	GeneratorPerConnKiB float64 `json:"generator_rss_per_conn_kib"`
}

// Step is one measured period at one offered rate.
type Step struct {
	// N is the step number, from 1.
	N int `json:"step"`
	// OfferedRate is the messages per second asked of the pacers; SentRate what they wrote,
	// over Seconds from the step's start to its last send.
	OfferedRate float64 `json:"offered_msgs_per_s"`
	SentRate    float64 `json:"sent_msgs_per_s"`
	Seconds     float64 `json:"seconds"`
	// Sent is messages written; Receivers the members each one should reach; Expected their
	// product.
	Sent      int64 `json:"sent"`
	Receivers int   `json:"receivers_per_msg"`
	Expected  int64 `json:"expected"`
	// Delivered counts deliveries that arrived before the step's drain ended; Lost is
	// Expected − Delivered; Late is how many of the lost arrived later in the run; Extra counts
	// deliveries beyond Expected (duplicates).
	Delivered int64 `json:"delivered"`
	Lost      int64 `json:"lost"`
	Late      int64 `json:"late"`
	Extra     int64 `json:"extra"`
	// DeliveryRatio is Delivered / Expected; DeliveriesPerSec is Delivered / Seconds.
	DeliveryRatio    float64 `json:"delivery_ratio"`
	DeliveriesPerSec float64 `json:"deliveries_per_s"`
	// Latency is send-to-receive time over the step's deliveries.
	Latency Latency `json:"latency"`
	// ServerCPU is the server's CPU seconds during the step (sending and drain); ServerCPUPerM
	// per million deliveries; ServerRSSKiB its VmRSS at the end. Absent without a PID.
	ServerCPU     *float64 `json:"server_cpu_s,omitempty"`
	ServerCPUPerM *float64 `json:"server_cpu_s_per_m,omitempty"`
	ServerRSSKiB  int64    `json:"server_rss_kib,omitempty"`
	// ServerCPUEach is each server process's CPU seconds during the step, in the order of
	// PID and ExtraPIDs, when there are several (ServerCPU is their sum).
	ServerCPUEach []float64 `json:"server_cpu_s_each,omitempty"`
	// SameNode and CrossNode split Latency by whether the sender and the receiver were on one
	// node or on two of the URLs (the delivery crossed the cluster's broker); absent with one
	// URL.
	SameNode  *Latency `json:"same_node_latency,omitempty"`
	CrossNode *Latency `json:"cross_node_latency,omitempty"`
	// ServerWriteCallsPerDelivery is the server's write-like system calls during the step per
	// delivery (/proc/PID/io syscw; a store's file writes count too): about 1 or more when each
	// delivery is written on its own, far below 1 when the server coalesces messages into
	// shared writes. Absent without a PID or the right to read its io file.
	ServerWriteCallsPerDelivery *float64 `json:"server_write_calls_per_delivery,omitempty"`
	// GeneratorCPU and GeneratorCPUPerM are the same for this process.
	GeneratorCPU     float64  `json:"generator_cpu_s"`
	GeneratorCPUPerM *float64 `json:"generator_cpu_s_per_m,omitempty"`
	// OK is true if nothing was lost and p99 stayed within the bound; Reason says why not.
	OK     bool   `json:"ok"`
	Reason string `json:"reason,omitempty"`
}

// Churn is the churn scenario's connect/disconnect result.
type Churn struct {
	// Rate is connects per second; HoldSeconds how long each churner stayed.
	Rate        float64 `json:"rate"`
	HoldSeconds float64 `json:"hold_seconds"`
	// Attempted, Connected and Failed count churn connects (dial and login); Skipped those not
	// started because too many were in flight; DroppedEarly those the server closed first.
	Attempted    int64 `json:"attempted"`
	Connected    int64 `json:"connected"`
	Failed       int64 `json:"failed"`
	Skipped      int64 `json:"skipped"`
	DroppedEarly int64 `json:"dropped_early"`
	// Connect is the time to dial and log in.
	Connect Latency `json:"connect_latency"`
	// Deliveries counts messages the churners received (not part of any expectation).
	Deliveries int64 `json:"deliveries"`
}

// ProcReport is a process's CPU and memory over a run.
type ProcReport struct {
	// CPUSeconds is user + system time during the run.
	CPUSeconds float64 `json:"cpu_s"`
	// RSSBeforeKiB and RSSAfterKiB are VmRSS at the start and the end of the run.
	RSSBeforeKiB int64 `json:"rss_before_kib"`
	RSSAfterKiB  int64 `json:"rss_after_kib"`
	// Threads is the thread count at the end.
	Threads int `json:"threads"`
}

// Counters are a run's anomalies; all should be zero except Foreign.
type Counters struct {
	// Errors counts error frames or lines from the server; WriteErrors failed writes.
	Errors      int64 `json:"errors"`
	WriteErrors int64 `json:"write_errors"`
	// Disconnects counts connections that ended while the run still wanted them.
	Disconnects int64 `json:"disconnects"`
	// Reordered counts messages that arrived at or below a sequence number already seen from
	// their sender.
	Reordered int64 `json:"reordered"`
	// Skipped counts sends the pacers gave up because they were more than 100 ms late.
	Skipped int64 `json:"skipped_sends"`
	// Foreign counts payloads of other runs (replayed history), which are ignored.
	Foreign int64 `json:"other_runs_payloads"`
}

func (r *runner) newReport() *Report {
	c := &r.cfg
	rep := &Report{
		Scenario: c.Scenario, Target: c.Target, URL: r.url, Run: r.codec.run, Started: r.start,
		Machine: Machine{CPUs: runtime.NumCPU(), GoVersion: runtime.Version(), OS: runtime.GOOS + "/" + runtime.GOARCH},
		Params:  Params{Room: c.Room, Size: c.Size, Sources: c.Sources, PID: c.PID, StepMessages: c.StepMessages, Nodes: len(r.urls)},
	}
	rep.URL = c.URL // every node's
	if len(c.ExtraPIDs) > 0 {
		rep.Params.PIDs = c.serverPIDs()
	}
	p := &rep.Params
	switch c.Scenario {
	case ScenarioIdle:
		p.Conns, p.Duration = c.Conns, c.Duration.String()
	case ScenarioFanout:
		p.Listeners, p.Senders, p.Rate, p.StepFactor, p.Steps = c.Listeners, c.Senders, c.Rate, c.StepFactor, c.Steps
		p.StepDuration, p.Drain, p.P99Bound = c.StepDuration.String(), c.Drain.String(), c.P99Bound.String()
	case ScenarioRooms:
		p.Rooms, p.Members, p.MemberRate = c.Rooms, c.Members, c.MemberRate
		p.Duration, p.Drain = c.Duration.String(), c.Drain.String()
	case ScenarioChurn:
		p.Listeners, p.Senders, p.Rate, p.ChurnRate = c.Listeners, c.Senders, c.Rate, c.ChurnRate
		p.ChurnHold, p.Duration, p.Drain = c.ChurnHold.String(), c.Duration.String(), c.Drain.String()
	case ScenarioIngress:
		p.Rooms, p.Senders, p.Duration, p.Drain = c.Rooms, c.Senders, c.Duration.String(), c.Drain.String()
	case ScenarioStorm, ScenarioRolling:
		p.Rooms, p.Members, p.Rate, p.Duration, p.Drain = c.Rooms, c.Members, c.Rate, c.Duration.String(), c.Drain.String()
		p.StormAfter = c.StormAfter.String()
	}
	rep.srv0, rep.gen0 = r.sample()
	return rep
}

func (rep *Report) note(s string) { rep.Notes = append(rep.Notes, s) }

func (rep *Report) setConnect(ok, failed int, d time.Duration) {
	rep.Connect = &Connect{OK: ok, Failed: failed, Seconds: d.Seconds()}
	if d > 0 {
		rep.Connect.PerSec = float64(ok) / d.Seconds()
	}
}

// finish fills in what is known only at the end of a run.
func (r *runner) finish(rep *Report) {
	srv1, gen1 := r.sample()
	rep.Seconds = time.Since(r.start).Seconds()
	rep.Latency = latencyOf(r.overall)
	rep.Generator = ProcReport{CPUSeconds: (gen1.CPU - rep.gen0.CPU).Seconds(), RSSBeforeKiB: rep.gen0.RSS >> 10,
		RSSAfterKiB: gen1.RSS >> 10, Threads: gen1.Threads}
	if r.cfg.PID != 0 {
		rep.Server = &ProcReport{CPUSeconds: (srv1.CPU - rep.srv0.CPU).Seconds(), RSSBeforeKiB: rep.srv0.RSS >> 10,
			RSSAfterKiB: srv1.RSS >> 10, Threads: srv1.Threads}
	}
	s := r.stats
	rep.Counters = Counters{Errors: s.errs.Load(), WriteErrors: s.writeErrs.Load(), Disconnects: s.disconnects.Load(),
		Reordered: s.reordered.Load(), Skipped: s.skipped.Load(), Foreign: s.foreign.Load()}
	rep.Errors = s.errorSamples()
	for i := range rep.Steps {
		st := &rep.Steps[i]
		st.Late = max(s.recv[st.N].Load()-st.Delivered, 0) // arrived after the step's drain
	}
	if rep.Scenario == ScenarioFanout {
		for i := range rep.Steps {
			st := &rep.Steps[i]
			if st.OK && (rep.Best == nil || st.DeliveriesPerSec > rep.Best.DeliveriesPerSec) {
				b := *st
				rep.Best = &b
			}
		}
	}
}

// WriteTable prints the report for people.
func (rep *Report) WriteTable(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "hubbub bench: %s against %s at %s (run %s, %s, %.1f s)\n", rep.Scenario, rep.Target, rep.URL,
		rep.Run, rep.Started.UTC().Format("2006-01-02 15:04 MST"), rep.Seconds)
	p := rep.Params
	switch rep.Scenario {
	case ScenarioIdle:
		fmt.Fprintf(&b, "load: %d idle connections in room %s held %s", p.Conns, p.Room, p.Duration)
	case ScenarioFanout:
		fmt.Fprintf(&b, "load: 1 room, %d members (%d listeners + %d senders), %d-byte messages, from %.0f msgs/s ×%.2g per step of %s, p99 bound %s",
			p.Listeners+p.Senders, p.Listeners, p.Senders, p.Size, p.Rate, p.StepFactor, p.StepDuration, p.P99Bound)
	case ScenarioRooms:
		fmt.Fprintf(&b, "load: %d rooms × %d members, each sending %.3g msgs/s for %s, %d-byte messages", p.Rooms, p.Members, p.MemberRate, p.Duration, p.Size)
	case ScenarioChurn:
		fmt.Fprintf(&b, "load: 1 room, %d listeners + %d senders chatting at %.0f msgs/s for %s; %.3g connects/s each held %s",
			p.Listeners, p.Senders, p.Rate, p.Duration, p.ChurnRate, p.ChurnHold)
	}
	if rep.Scenario == ScenarioStorm {
		fmt.Fprintf(&b, "load: %d rooms × %d members chatting at %.0f msgs/s for %s, the server restarted after %s", p.Rooms, p.Members, p.Rate, p.Duration, p.StormAfter)
	}
	if rep.Scenario == ScenarioRolling {
		fmt.Fprintf(&b, "load: %d rooms × %d members over %d nodes chatting at %.0f msgs/s for %s, the first node restarted after %s", p.Rooms, p.Members, p.Nodes, p.Rate, p.Duration, p.StormAfter)
	}
	if rep.Scenario == ScenarioIngress {
		fmt.Fprintf(&b, "load: %d rooms × %d senders, each sending as soon as its last message is acked, for %s, %d-byte messages", p.Rooms, p.Senders, p.Duration, p.Size)
	}
	fmt.Fprintf(&b, "; sources %d; machine %d CPUs, %s\n", p.Sources, rep.Machine.CPUs, rep.Machine.GoVersion)
	if c := rep.Connect; c != nil {
		fmt.Fprintf(&b, "connect: %d in %.2f s (%.0f/s), %d failed\n", c.OK, c.Seconds, c.PerSec, c.Failed)
	}
	if id := rep.Idle; id != nil {
		fmt.Fprintf(&b, "held: %d connections for %.0f s\n", id.Held, id.HoldSeconds)
		if id.ServerPerConnKiB != nil {
			fmt.Fprintf(&b, "server RSS: %s before, %s after (peak %s): %.1f KiB per connection; CPU %.2f s\n",
				kib(id.ServerRSSBeforeKiB), kib(id.ServerRSSAfterKiB), kib(id.ServerRSSPeakKiB), *id.ServerPerConnKiB, *id.ServerCPU)
		}
		fmt.Fprintf(&b, "generator RSS: %s: %.1f KiB per connection\n", kib(id.GeneratorRSSKiB), id.GeneratorPerConnKiB)
	}
	if len(rep.Steps) > 0 {
		b.WriteString("\n")
		tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "step\toffered/s\tsent/s\tdeliveries/s\tdelivered\tlost (late)\tp50 ms\tp99 ms\tmax ms\tsrv cpu s/M\tgen cpu s/M\tsrv writes/dlv\tresult\t")
		for _, st := range rep.Steps {
			res := "ok"
			if !st.OK {
				res = st.Reason
			}
			fmt.Fprintf(tw, "%d\t%.0f\t%.0f\t%s\t%d/%d\t%d (%d)\t%.2f\t%.2f\t%.2f\t%s\t%s\t%s\t%s\t\n", st.N, st.OfferedRate, st.SentRate,
				human(st.DeliveriesPerSec), st.Delivered, st.Expected, st.Lost, st.Late, st.Latency.P50, st.Latency.P99, st.Latency.Max,
				optF(st.ServerCPUPerM), optF(st.GeneratorCPUPerM), optF(st.ServerWriteCallsPerDelivery), res)
		}
		if err := tw.Flush(); err != nil {
			return fmt.Errorf("table: %w", err)
		}
		b.WriteString("\n")
		for _, st := range rep.Steps {
			if st.CrossNode != nil && st.SameNode != nil {
				fmt.Fprintf(&b, "step %d over %d nodes: cross-node %d deliveries, p50 %.2f ms, p99 %.2f ms; same-node %d, p50 %.2f ms, p99 %.2f ms\n",
					st.N, p.Nodes, st.CrossNode.Count, st.CrossNode.P50, st.CrossNode.P99, st.SameNode.Count, st.SameNode.P50, st.SameNode.P99)
			}
			if len(st.ServerCPUEach) > 0 {
				fmt.Fprintf(&b, "step %d: server CPU s per process %v: %.2f\n", st.N, p.PIDs, st.ServerCPUEach)
			}
		}
	}
	if bst := rep.Best; bst != nil {
		fmt.Fprintf(&b, "max sustained: %s deliveries/s (step %d, %.0f msgs/s × %d members): p50 %.1f ms, p99 %.1f ms, max %.1f ms; server CPU %s s, generator CPU %s s per million deliveries\n",
			human(bst.DeliveriesPerSec), bst.N, bst.SentRate, bst.Receivers, bst.Latency.P50, bst.Latency.P99, bst.Latency.Max,
			optF(bst.ServerCPUPerM), optF(bst.GeneratorCPUPerM))
	} else if rep.Scenario == ScenarioFanout && len(rep.Steps) > 0 {
		b.WriteString("max sustained: no step passed\n")
	}
	if rep.Scenario == ScenarioRooms || rep.Scenario == ScenarioChurn {
		for _, st := range rep.Steps {
			fmt.Fprintf(&b, "delivered: %.4f%% of %d (%d lost)\n", 100*st.DeliveryRatio, st.Expected, st.Lost)
		}
	}
	if ch := rep.Churn; ch != nil {
		fmt.Fprintf(&b, "churn: %d attempted, %d connected, %d failed, %d skipped, %d dropped early; connect p50 %.1f ms, p99 %.1f ms; %d deliveries to churners (not counted)\n",
			ch.Attempted, ch.Connected, ch.Failed, ch.Skipped, ch.DroppedEarly, ch.Connect.P50, ch.Connect.P99, ch.Deliveries)
	}
	if in := rep.Ingress; in != nil {
		fmt.Fprintf(&b, "ingress: %d acked in %.1f s (%s acked msgs/s), %d sent, %d refused, %d unanswered, %d acks of duplicates; ack p50 %.2f ms, p99 %.2f ms; deliveries lost %d, duplicated %d, of unanswered sends %d\n",
			in.Acked, in.Seconds, human(in.AckedPerSec), in.Sent, in.Refused, in.TimedOut, in.AckDuplicates, in.Ack.P50, in.Ack.P99, in.Lost, in.Duplicated, in.UnackedDelivered)
	}
	if s := rep.Storm; s != nil {
		if s.Rolling {
			fmt.Fprintf(&b, "rolling restart: the restart command took %.2f s; from the signal: all back %s s, all caught up %s s; %d dropped, %d moved to another node, %d back, %d caught up\n",
				s.RestartSeconds, optF(s.BackSeconds), optF(s.CaughtUpSeconds), s.Dropped, s.Moved, s.Back, s.CaughtUp)
		} else {
			fmt.Fprintf(&b, "storm: restart to listening %.2f s; from listening: all back %s s (the clients' backoff alone %s s), all caught up %s s; %d dropped, %d back, %d caught up\n",
				s.RestartSeconds, optF(s.BackSeconds), optF(s.BackoffFloorSeconds), optF(s.CaughtUpSeconds), s.Dropped, s.Back, s.CaughtUp)
		}
		fmt.Fprintf(&b, "storm: %d reconnect attempts, %d refused as retryable (%d shed with Retry-After), %d failed; messages %d sent, %d acked, %d unsent while down; lost %d, duplicated %d, delivered unacked %d\n",
			s.Attempts, s.Retryable, s.Shed, s.Failed, s.Sent, s.Acked, s.Unsent, s.Lost, s.Duplicated, s.UnackedDelivered)
		if s.Recovered+s.NotRecovered > 0 {
			fmt.Fprintf(&b, "storm: resubscribes with recovery: %d recovered, %d not recovered (what those missed is counted lost)\n", s.Recovered, s.NotRecovered)
		}
		fmt.Fprintf(&b, "storm: joins per 100 ms from listening: %v\n", s.JoinsPer100ms)
	}
	if s := rep.Server; s != nil {
		fmt.Fprintf(&b, "server: CPU %.2f s, RSS %s → %s, %d threads\n", s.CPUSeconds, kib(s.RSSBeforeKiB), kib(s.RSSAfterKiB), s.Threads)
	}
	g := rep.Generator
	fmt.Fprintf(&b, "generator: CPU %.2f s, RSS %s → %s\n", g.CPUSeconds, kib(g.RSSBeforeKiB), kib(g.RSSAfterKiB))
	c := rep.Counters
	fmt.Fprintf(&b, "counters: errors %d, write errors %d, disconnects %d, reordered %d, skipped sends %d, other runs' payloads %d\n",
		c.Errors, c.WriteErrors, c.Disconnects, c.Reordered, c.Skipped, c.Foreign)
	for _, e := range rep.Errors {
		fmt.Fprintf(&b, "error: %s\n", e)
	}
	for _, n := range rep.Notes {
		fmt.Fprintf(&b, "note: %s\n", n)
	}
	if rep.Error != "" {
		fmt.Fprintf(&b, "FAILED: %s\n", rep.Error)
	}
	_, err := io.WriteString(w, b.String())
	if err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	return nil
}

func kib(k int64) string { return fmt.Sprintf("%.1f MiB", float64(k)/1024) }

func optF(p *float64) string {
	if p == nil {
		return "-"
	}
	return fmt.Sprintf("%.2f", *p)
}

// human prints a rate with a k or M suffix.
func human(v float64) string {
	switch {
	case v >= 1e6:
		return fmt.Sprintf("%.2fM", v/1e6)
	case v >= 1e4:
		return fmt.Sprintf("%.1fk", v/1e3)
	default:
		return fmt.Sprintf("%.0f", v)
	}
}
