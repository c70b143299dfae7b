package main

import (
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
)

// envName is the environment variable that sets a flag: HUBBUB_ and the flag's name in upper
// case with '-' as '_' (--send-queue → HUBBUB_SEND_QUEUE).
func envName(flagName string) string {
	return "HUBBUB_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// applyEnv sets every flag not given on the command line from its environment variable, so a
// flag always wins over the environment, which wins over the default.
func applyEnv(fs *flag.FlagSet) error {
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		if err != nil || given[f.Name] {
			return
		}
		if v, ok := os.LookupEnv(envName(f.Name)); ok {
			if e := fs.Set(f.Name, v); e != nil {
				err = usageError(fmt.Sprintf("invalid %s=%q: %v", envName(f.Name), v, e))
			}
		}
	})
	return err
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

// newLogger builds the process logger: text (default) or JSON lines on w, at level.
func newLogger(format, level string, w io.Writer) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, usageError(fmt.Sprintf("invalid --log-level %q (debug, info, warn, error)", level))
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, usageError(fmt.Sprintf("invalid --log-format %q (text or json)", format))
}
