package main

import (
	"strconv"
	"strings"
	"testing"

	"hubbub/internal/fdlimit"
)

// serve warns at start when --max-conns and --max-http-conns need more descriptors than the
// process may open (past that, new connections wait unanswered where the limits promise a
// 503), naming the figures and the fix, and says nothing when they fit.
func TestServeWarnsWhenTheLimitsNeedMoreDescriptors(t *testing.T) {
	limit, ok := fdlimit.Open()
	if !ok {
		t.Skip("this system has no descriptor limit serve can read")
	}
	if limit > 1<<30 {
		t.Skipf("the descriptor limit (%d) is beyond any --max-conns worth trying", limit)
	}
	const warning = "the connection limits need more file descriptors than this process may open"

	_, stop, logs := startServeLogged(t, "--max-conns", strconv.FormatUint(limit, 10), "--max-http-conns", "100")
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	out := logs()
	for _, want := range []string{warning, "open_file_limit=" + strconv.FormatUint(limit, 10), "need=" + strconv.FormatUint(limit+100+descriptorHeadroom, 10), "LimitNOFILE"} {
		if !strings.Contains(out, want) {
			t.Errorf("--max-conns %d with a limit of %d: no %q in the log:\n%s", limit, limit, want, out)
		}
	}

	if limit < 200+descriptorHeadroom {
		return
	}
	_, stop, logs = startServeLogged(t, "--max-conns", "100", "--max-http-conns", "100")
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if out := logs(); strings.Contains(out, warning) {
		t.Errorf("limits that fit %d descriptors warned:\n%s", limit, out)
	}
}
