package main

import (
	"context"
	"flag"
	"io"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// rangedElsewhere are the serve flags whose help states a range that a check other than
// serveRanges enforces, with that check: their messages say more than a range.
var rangedElsewhere = map[string]string{
	"accept-pause":        "server.Config.Validate",
	"connecting-wait":     "server.Config.Validate",
	"defer-accept":        "server.Config.Validate",
	"max-attachments":     "server.Config.Validate",
	"read-limit":          "server.Config.Validate",
	"argon2-threads":      "hashFlags.params",
	"memory-release":      "opsFlags.check",
	"store-cache-preload": "storecache.Config.Check",
	"store-cache-poll":    "storecache.Config.Check",
	"write-interval":      "runServe, with why it is short",
}

var (
	// helpRange is a range a flag's help states, "(1 to 64)" or "(… else 10s to 1h0m0s)".
	helpRange = regexp.MustCompile(`([0-9][0-9a-zµ.]*) to ([0-9][0-9a-zµ.]*)[;)]`)
	// helpAtMost is an upper bound a flag's help states, "(0 = none; at most 65536)".
	helpAtMost = regexp.MustCompile(`at most ([0-9][0-9a-zµ.]*)[;)]`)
)

// Every range serveRanges checks is the one its flag's help states; every int or duration
// flag whose help states a range is in serveRanges or checked elsewhere (rangedElsewhere);
// and serve refuses a value just past each stated bound as a usage error.
// So the help, the table and the checks cannot drift apart, and a new flag with a range in its
// help is not left unchecked.
func TestServeRangesMatchTheHelp(t *testing.T) {
	fs := flag.NewFlagSet("hubbub serve", flag.ContinueOnError)
	newServeFlags(fs)
	inTable := map[string]flagRange{}
	for _, r := range serveRanges {
		f := fs.Lookup(r.flag)
		if f == nil {
			t.Errorf("serveRanges names --%s, which serve does not have", r.flag)
			continue
		}
		inTable[r.flag] = r
		_, low, high, err := r.bounds(f)
		if err != nil {
			t.Error(err)
			continue
		}
		says := strings.Contains(f.Usage, low+" to "+high) ||
			low == "0" && strings.Contains(f.Usage, "(0 = ") && strings.Contains(f.Usage, "at most "+high)
		if !says {
			t.Errorf("--%s is checked for %s to %s, which its help does not say: %q", r.flag, low, high, f.Usage)
		}
	}

	fs.VisitAll(func(f *flag.Flag) {
		g, ok := f.Value.(flag.Getter)
		if !ok {
			return
		}
		var high string
		switch g.Get().(type) {
		case int, int64, time.Duration:
		default:
			return
		}
		if m := helpRange.FindStringSubmatch(f.Usage); m != nil {
			high = m[2]
		} else if m := helpAtMost.FindStringSubmatch(f.Usage); m != nil {
			high = m[1]
		} else {
			return
		}
		if _, ok := inTable[f.Name]; !ok && rangedElsewhere[f.Name] == "" {
			t.Errorf("the help of --%s states a range (to %s) that serveRanges does not check: add it there, or to rangedElsewhere with the check that does: %q", f.Name, high, f.Usage)
			return
		}
		past, ok := pastBound(g.Get(), high)
		if !ok {
			t.Errorf("--%s: the bound %q of its help does not read as its value", f.Name, high)
			return
		}
		want := "" // a check elsewhere words its own message
		if _, ok := inTable[f.Name]; ok {
			want = "invalid --" + f.Name + " " + past + ": want "
		}
		err := run(context.Background(), []string{"serve", "--print-config", "--" + f.Name, past}, stdio{out: io.Discard, err: io.Discard})
		if err == nil || exitCode(err) != 2 || !strings.Contains(err.Error(), want) {
			t.Errorf("--%s %s, past the %s its help states: %v (exit %d), want a usage error %q", f.Name, past, high, err, exitCode(err), want)
		}
	})
}

// pastBound returns the value just above high, as a flag of v's kind takes it.
func pastBound(v any, high string) (string, bool) {
	if _, ok := v.(time.Duration); ok {
		d, err := time.ParseDuration(high)
		return (d + 1).String(), err == nil
	}
	n, err := strconv.ParseInt(high, 10, 64)
	return strconv.FormatInt(n+1, 10), err == nil
}
