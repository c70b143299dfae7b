package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestServeRefusesNotifySettings: notifier settings out of their bounds stop the server at
// start with a usage error naming the flag (and the variable it came from).
func TestServeRefusesNotifySettings(t *testing.T) {
	for _, c := range []struct {
		args []string
		env  string
		want string
	}{
		{[]string{"--notify-batch", "10ms"}, "", "--notify-batch 10ms: at least 1s"},
		{[]string{"--notify-max-users", "1000000"}, "", "--notify-max-users 1000000: at most 100000"},
		{[]string{"--notify-text-max", "20000"}, "", "--notify-text-max"},
		{nil, "10ms", "--notify-lease-ttl 10ms: at least 1s (from env HUBBUB_NOTIFY_LEASE_TTL)"},
		{[]string{"--notify-batch", "2s", "--notify-online-wait", "5s"}, "", "--notify-online-wait 5s must be shorter than --notify-batch 2s"},
		{[]string{"--notify-online-wait", "-1s"}, "", "notify-online-wait"},
	} {
		if c.env != "" {
			t.Setenv("HUBBUB_NOTIFY_LEASE_TTL", c.env)
		} else {
			os.Unsetenv("HUBBUB_NOTIFY_LEASE_TTL")
		}
		args := append([]string{"serve", "--print-config", "--data", filepath.Join(t.TempDir(), "x.db")}, c.args...)
		err := run(context.Background(), args, stdio{out: io.Discard, err: io.Discard})
		if err == nil || exitCode(err) != 2 || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q (env %q): %v, want a usage error with %q", c.args, c.env, err, c.want)
		}
	}
}
