package main

import (
	"context"
	"flag"
	"io"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// saysZero finds "0 = …" in a flag's help: what 0 means.
var saysZero = regexp.MustCompile(`(^|[^0-9.])0 = `)

// TestServeZero: many serve flags took 0 for their default without a word — --upload-max 0
// still took 25 MiB files, --send-rate 0 ten messages a second, --max-conns 0 twenty thousand
// connections — so an operator writing 0 for "none", "off" or "unlimited" got something else.
// Every numeric flag, walked here as refuseZero walks them (so a new flag is covered with
// nothing to add), refuses 0 at start (exit 2, naming the flag and what it takes) unless
// zeroMeans takes its 0, and then its help says what 0 means, as "0 = …" (and only then).
func TestServeZero(t *testing.T) {
	fs := flag.NewFlagSet("hubbub serve", flag.ContinueOnError)
	newServeFlags(fs)
	data := filepath.Join(t.TempDir(), "x.db")
	numeric := map[string]bool{}
	fs.VisitAll(func(f *flag.Flag) {
		g, ok := f.Value.(flag.Getter)
		if !ok {
			return
		}
		zero, want := "0", ""
		switch g.Get().(type) {
		case int, int64:
			want = "want 1 or more"
		case time.Duration:
			zero, want = "0s", "want more than 0s"
		case float64:
			want = "want more than 0"
		default:
			return
		}
		numeric[f.Name] = true
		err := run(context.Background(), []string{"serve", "--print-config", "--data", data, "--" + f.Name, "0"},
			stdio{out: io.Discard, err: io.Discard})
		if means, ok := zeroMeans[f.Name]; ok {
			if err != nil {
				t.Errorf("--%s 0: %v, want it taken (%s)", f.Name, err, means)
			}
			if !strings.HasPrefix(means, "0 = ") || !strings.Contains(f.Usage, means) {
				t.Errorf("--%s: its help does not say %q: %s", f.Name, means, f.Usage)
			}
			return
		}
		if err == nil || exitCode(err) != 2 || !strings.Contains(err.Error(), "invalid --"+f.Name+" "+zero+": "+want) ||
			!strings.Contains(err.Error(), "leave it out for the default, "+f.DefValue+")") {
			t.Errorf("--%s 0: %v (exit %d), want a usage error naming --%s 0, %q and its default", f.Name, err, exitCode(err), f.Name, want)
		}
		if saysZero.MatchString(f.Usage) {
			t.Errorf("--%s: its 0 is refused, but its help says what 0 means (add it to zeroMeans, or change the help): %s", f.Name, f.Usage)
		}
		if instead := zeroInstead[f.Name]; err != nil && !strings.Contains(err.Error(), instead) {
			t.Errorf("--%s 0: %v, want it to say %q", f.Name, err, instead)
		}
	})
	// The tables name serve's numeric flags: a renamed flag takes its entry with it.
	for name := range zeroMeans {
		if !numeric[name] {
			t.Errorf("zeroMeans names --%s, no numeric flag of serve", name)
		}
	}
	for name := range zeroInstead {
		if _, taken := zeroMeans[name]; !numeric[name] || taken {
			t.Errorf("zeroInstead names --%s, no numeric flag of serve whose 0 is refused", name)
		}
	}
	if len(numeric)-len(zeroMeans) < 90 {
		t.Errorf("%d numeric flags, %d of them taking 0: want the 90 or more whose 0 meant their default refused", len(numeric), len(zeroMeans))
	}

	// From the environment or a config file, the error says where the 0 came from.
	t.Setenv("HUBBUB_SEND_RATE", "0")
	err := run(context.Background(), []string{"serve", "--print-config", "--data", data}, stdio{out: io.Discard, err: io.Discard})
	if want := "invalid --send-rate 0: want more than 0 (a very large rate lifts the limit); 0 is not \"none\" or \"off\" here (leave it out for the default, 10) (from env HUBBUB_SEND_RATE)"; err == nil || exitCode(err) != 2 || !strings.Contains(err.Error(), want) {
		t.Errorf("HUBBUB_SEND_RATE=0: %v (exit %d), want %q", err, exitCode(err), want)
	}
}
