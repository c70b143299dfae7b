package main

import (
	"context"
	"flag"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// zeroMeans are the serve flags whose 0 is taken, each with the words of its help that say
// what 0 does. Every other numeric flag's 0 is refused at start.
var zeroMeans = map[string]string{
	"port":                  "0 = any free port",
	"shutdown-timeout":      "0 = cut them at once",
	"upload-max":            "0 = uploads off",
	"accept-pause":          "0 = never wait",
	"connecting-wait":       "0 = 503 at once",
	"log-repeat-burst":      "0 = no limit",
	"memory-release":        "0 = never",
	"poll-idle-readers":     "0 = a new goroutine every time",
	"postgres-search-delay": "0 = until then",
	"sqlite-search-delay":   "0 = until then",
	"sqlite-search-lag":     "0 = in each append's transaction",
	"sqlite-batch-window":   "0 = never wait",
	"presence-window":       "0 = each at once",
	"presence-window-max":   "at or below --presence-window: never longer",
	"presence-batch":        "0 = 256",
	"presence-wait":         "0 = never wait",
	"reaction-window":       "0 = each at once",
	"retention-age":         "0 = never",
	"retention-messages":    "0 = all",
	"store-cache-preload":   "0 = none",
	"tcp-keepalive":         "0 = off",
	"write-interval":        "0 = every message at once",
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

// TestServeRefusesZeroWhereItMeantTheDefault: many serve flags took 0 for their default without
// a word — --upload-max 0 still took 25 MiB files, --send-rate 0 ten messages a second,
// --max-conns 0 twenty thousand connections — so an operator writing 0 for "none", "off" or
// "unlimited" got something else. Each numeric flag's 0 is now either refused at start (exit
// 2, naming the flag and what it takes) or taken with its meaning in its help.
func TestServeRefusesZeroWhereItMeantTheDefault(t *testing.T) {
	fs := flag.NewFlagSet("hubbub serve", flag.ContinueOnError)
	newServeFlags(fs)
	data := filepath.Join(t.TempDir(), "x.db")
	refused := 0
	fs.VisitAll(func(f *flag.Flag) {
		g, ok := f.Value.(flag.Getter)
		if !ok {
			return
		}
		switch g.Get().(type) {
		case int, int64, float64, time.Duration:
		default:
			return
		}
		err := run(context.Background(), []string{"serve", "--print-config", "--data", data, "--" + f.Name, "0"},
			stdio{out: io.Discard, err: io.Discard})
		if means, ok := zeroMeans[f.Name]; ok {
			if err != nil {
				t.Errorf("--%s 0: %v, want it taken (%s)", f.Name, err, means)
			}
			if !strings.Contains(f.Usage, means) {
				t.Errorf("--%s: its help does not say %q: %s", f.Name, means, f.Usage)
			}
			return
		}
		refused++
		if err == nil || exitCode(err) != 2 || !strings.Contains(err.Error(), "--"+f.Name+" 0") {
			t.Errorf("--%s 0: %v (exit %d), want a usage error naming --%s 0", f.Name, err, exitCode(err), f.Name)
		}
	})
	if refused < 90 {
		t.Errorf("%d flags' 0 refused, want the 90 or more whose 0 meant their default", refused)
	}

	// From the environment or a config file, the error says where the 0 came from.
	t.Setenv("HUBBUB_SEND_QUEUE", "0")
	err := run(context.Background(), []string{"serve", "--print-config", "--data", data}, stdio{out: io.Discard, err: io.Discard})
	if want := "invalid --send-queue 0: want 1 or more frames"; err == nil || exitCode(err) != 2 ||
		!strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "(from env HUBBUB_SEND_QUEUE)") {
		t.Errorf("HUBBUB_SEND_QUEUE=0: %v (exit %d), want %q from the env", err, exitCode(err), want)
	}
}
