package main

import (
	"context"
	"io"
	"path/filepath"
	"strings"
	"testing"
)

// A --read-limit near MaxInt64 made the frame-length arithmetic overflow and Parse panic in a
// connection's goroutine, ending the process; it is refused at start (issue 14, item 5).
func TestServeRefusesAHugeReadLimit(t *testing.T) {
	for _, limit := range []string{"9223372036854775807", "16777217"} {
		err := run(context.Background(), []string{"serve", "--print-config", "--read-limit", limit, "--data", filepath.Join(t.TempDir(), "x.db")},
			stdio{out: io.Discard, err: io.Discard})
		if err == nil || exitCode(err) != 2 || !strings.Contains(err.Error(), "read limit") {
			t.Errorf("--read-limit %s: %v (exit %d), want a usage error about the read limit", limit, err, exitCode(err))
		}
	}
	if err := run(context.Background(), []string{"serve", "--print-config", "--read-limit", "16777216"},
		stdio{out: io.Discard, err: io.Discard}); err != nil {
		t.Errorf("--read-limit 16777216 (the maximum): %v", err)
	}
}
