package main

import (
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"slices"
	"strings"
	"time"

	"hubbub/internal/lograte"
)

// envName is the environment variable that sets a flag: HUBBUB_ and the flag's name in upper
// case with '-' as '_' (--send-queue → HUBBUB_SEND_QUEUE).
func envName(flagName string) string {
	return "HUBBUB_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// applyEnv sets every flag not given on the command line from its environment variable, so a
// flag always wins over the environment, which wins over the default. It reports where each
// value came from.
func applyEnv(fs *flag.FlagSet) (settingSources, error) {
	src := settingSources{}
	fs.VisitAll(func(f *flag.Flag) { src[f.Name] = "default" })
	fs.Visit(func(f *flag.Flag) { src[f.Name] = "flag" })
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		if err != nil || src[f.Name] != "default" {
			return
		}
		if v, ok := os.LookupEnv(envName(f.Name)); ok {
			if e := fs.Set(f.Name, v); e != nil {
				err = usageError(fmt.Sprintf("invalid %s=%q: %v", envName(f.Name), maskValue(f.Name, v), e))
				return
			}
			src[f.Name] = "env " + envName(f.Name)
		}
	})
	if err != nil {
		return nil, err
	}
	return src, nil
}

// refuseNegative fails on a negative value (or, for a float, NaN or an infinity) in any
// numeric flag of fs except those named in signed. Counts, sizes, rates and durations below zero mean nothing here, and taking the
// default for them, as for zero, would hide a typo. The error says where the value came from.
func refuseNegative(fs *flag.FlagSet, src settingSources, signed ...string) error {
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		if err != nil || slices.Contains(signed, f.Name) {
			return
		}
		g, ok := f.Value.(flag.Getter)
		if !ok {
			return
		}
		fault := ""
		if x, ok := g.Get().(float64); ok && (math.IsNaN(x) || math.IsInf(x, 0)) {
			fault = "must be a finite number"
		} else if sign, ok := numericSign(g.Get()); ok && sign < 0 {
			fault = "must not be negative"
		}
		if fault != "" {
			err = usageError(fmt.Sprintf("%s: --%s %s %s%s",
				strings.TrimPrefix(fs.Name(), "hubbub "), f.Name, f.Value, fault, src.from(f.Name)))
		}
	})
	return err
}

// refuseBadNumbers is refuseNegative then refuseZero with no allow-list: the check of an
// admin command, none of whose numeric flags (the store's, argon2's costs) takes 0.
func refuseBadNumbers(fs *flag.FlagSet, src settingSources) error {
	if err := refuseNegative(fs, src); err != nil {
		return err
	}
	return refuseZero(fs, src, nil)
}

// numericSign returns the sign (-1, 0 or 1) of a numeric flag's value — an int, int64,
// float64 or time.Duration — and false for any other value (refuseNegative, refuseZero).
func numericSign(v any) (int, bool) {
	var x float64
	switch v := v.(type) {
	case int:
		x = float64(v)
	case int64:
		x = float64(v)
	case float64:
		x = v
	case time.Duration:
		x = float64(v)
	default:
		return 0, false
	}
	switch {
	case x < 0:
		return -1, true
	case x > 0:
		return 1, true
	}
	return 0, true
}

// from says where a flag's value came from, for an error message: nothing for the command
// line, " (from env HUBBUB_X)" or " (from file PATH:LINE)" otherwise.
func (s settingSources) from(name string) string {
	switch src := s[name]; src {
	case "", "flag", "default":
		return ""
	default:
		return " (from " + src + ")"
	}
}

// outsideCommandLine lists the settings that came from the environment or a config file, for
// an error that may be about one of them: "; set outside the command line: a=1 (env X), …".
func (s settingSources) outsideCommandLine(fs *flag.FlagSet) string {
	var parts []string
	fs.VisitAll(func(f *flag.Flag) {
		if from := s.from(f.Name); from != "" {
			parts = append(parts, f.Name+"="+maskValue(f.Name, f.Value.String())+from)
		}
	})
	if len(parts) == 0 {
		return ""
	}
	return "; set outside the command line: " + strings.Join(parts, ", ")
}

// listFlag is a comma-separated list flag (--allowed-origins a.com,b.com); repeating the
// flag adds to the list.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(v string) error {
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			*l = append(*l, s)
		}
	}
	return nil
}

// defaultList is a listFlag with a default that the first Set replaces rather than adds to
// (later Sets add, as listFlag's do): --subprotocols x accepts x alone, and the value
// --print-config prints reads back as itself.
type defaultList struct {
	listFlag
	set bool
}

func (d *defaultList) Set(v string) error {
	if !d.set {
		d.listFlag, d.set = nil, true
	}
	return d.listFlag.Set(v)
}

// newLogger builds the process logger: text (default) or JSON lines on w, at level. Of the
// warnings and errors with the same message, at most repeatBurst pass per repeatWindow
// (lograte; repeatBurst 0 passes all), so a failing disk or database cannot flood the log.
func newLogger(format, level string, w io.Writer, repeatBurst int, repeatWindow time.Duration) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, usageError(fmt.Sprintf("invalid --log-level %q (debug, info, warn, error)", level))
	}
	opts := &slog.HandlerOptions{Level: lv}
	var h slog.Handler
	switch format {
	case "text":
		h = slog.NewTextHandler(w, opts)
	case "json":
		h = slog.NewJSONHandler(w, opts)
	default:
		return nil, usageError(fmt.Sprintf("invalid --log-format %q (text or json)", format))
	}
	if repeatBurst > 0 {
		h = lograte.New(h, lograte.Options{Burst: repeatBurst, Window: repeatWindow})
	}
	return slog.New(h), nil
}
