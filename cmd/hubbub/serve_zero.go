package main

import (
	"flag"
	"fmt"
	"time"
)

// Many serve flags once took 0 for their default without a word, because the Config each
// fills (server, hub, files, accounts…) gives a zero field its default: --send-queue 0 queued
// 4096 frames, --max-conns 0 held 20000 connections, --send-rate 0 allowed 10 messages a
// second. An operator writing 0 for "none", "off" or "unlimited" got the default instead. So
// every numeric flag (int, duration, float) refuses 0 at start, naming the flag, unless it is
// in zeroMeans: a flag added later is refused too, with nothing to remember.

// zeroMeans are the serve flags whose 0 is taken, each with what it means, in the words of
// its help (TestServeZero checks that the help says so).
var zeroMeans = map[string]string{
	"port":                  "0 = any free port",
	"shutdown-timeout":      "0 = cut them at once",
	"upload-max":            "0 = uploads off",
	"accept-pause":          "0 = never wait",
	"defer-accept":          "0 = accept at once",
	"connecting-wait":       "0 = 503 at once",
	"log-repeat-burst":      "0 = no limit",
	"memory-release":        "0 = never",
	"poll-idle-readers":     "0 = a new goroutine every time",
	"postgres-search-delay": "0 = until then",
	"sqlite-search-delay":   "0 = until then",
	"sqlite-search-lag":     "0 = in each append's transaction",
	"sqlite-batch-window":   "0 = never wait",
	"postgres-batch-window": "0 = never wait",
	"presence-window":       "0 = each at once",
	"presence-window-max":   "0 = never longer than --presence-window",
	"presence-batch":        "0 = 256",
	"presence-wait":         "0 = never wait",
	"reaction-window":       "0 = each at once",
	"retention-age":         "0 = never",
	"retention-messages":    "0 = all",
	"store-cache-preload":   "0 = none",
	"tcp-keepalive":         "0 = off",
	"write-interval":        "0 = every message at once",
	"nats-max-event":        "0 = the server's max_payload",
	// The default, said in the help: other settings, tests or docs rely on these 0s.
	"max-connecting":   "0 = the default, 256",
	"connecting-queue": "0 = the default, 8192",
	"add-burst":        "0 = the default, 100",
	"bot-cache-size":   "0 = the default, 1024",
	"bot-cache-age":    "0 = the default, 1m0s",
	"max-dm-members":   "0 = the default, 8",
	"new-room-rate":    "0 = the default, 0.2",
	"new-room-burst":   "0 = the default, 60",
}

// zeroInstead says, for a flag whose 0 is refused, what gives what its 0 may have been
// meant for, when something does. A flag needs no entry to be refused.
var zeroInstead = map[string]string{
	"send-rate":            "a very large rate lifts the limit",
	"connect-rate":         "a very large rate lifts the limit",
	"new-guest-rate":       "a very large rate lifts the limit",
	"login-rate":           "a very large rate lifts the limit",
	"rename-rate":          "a very large rate lifts the limit",
	"hook-rate":            "a very large rate lifts the limit",
	"search-rate":          "--search-index=false turns search off",
	"max-attachments":      "--upload-max 0 turns uploads off",
	"reaction-batch":       "--reaction-window 0 sends each reaction at once",
	"log-repeat-window":    "--log-repeat-burst 0 turns the limit off",
	"sqlite-check-timeout": "--sqlite-skip-check skips the check",
	"prune-every":          "to keep every message, leave --retention-messages and --retention-age at 0",
}

// refuseZero fails on the first numeric flag of fs set to 0, wherever it came from, unless
// means (a command's zeroMeans, or nil) takes its 0: it says what the flag takes, what to use
// instead if anything, and its default (which leaving it out gives).
func refuseZero(fs *flag.FlagSet, src settingSources, means map[string]string) error {
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		if _, taken := means[f.Name]; err != nil || taken {
			return
		}
		g, ok := f.Value.(flag.Getter)
		if !ok {
			return
		}
		want := ""
		switch g.Get().(type) {
		case int, int64:
			want = "1 or more"
		case time.Duration:
			want = "more than 0s"
		case float64:
			want = "more than 0"
		default:
			return
		}
		if sign, _ := numericSign(g.Get()); sign != 0 {
			return
		}
		if instead := zeroInstead[f.Name]; instead != "" {
			want += " (" + instead + ")"
		}
		err = usageError(fmt.Sprintf("invalid --%s %s: want %s; 0 is not \"none\" or \"off\" here (leave it out for the default, %s)%s",
			f.Name, f.Value, want, f.DefValue, src.from(f.Name)))
	})
	return err
}
