// Package testwait is the one way tests wait for something another goroutine makes true: a
// member to appear, a queue to fill, a node to hear of another.
package testwait

import (
	"testing"
	"time"
)

// Timeout is how long Until waits before failing: generous, because the suite runs under the
// race detector on busy 2-core machines, and a condition that holds returns at once anyway.
const Timeout = 10 * time.Second

// StartTimeout is how long a test waits for a whole server to start listening: opening a
// store runs its migrations and integrity check, which under the race detector on a machine
// running other suites beside it has taken more than Timeout (a readiness test failed so at a
// load average of 20). A server that starts returns at once anyway.
const StartTimeout = 60 * time.Second

// Until polls cond every few milliseconds until it holds, and fails t (saying what it waited
// for) if it does not within Timeout.
func Until(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(Timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", Timeout, what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// UntilCount polls count until it reaches want, and fails t (saying what it waited for and
// how far it got) if count stays the same for Timeout. Use it where a slow machine does many
// steps slowly: each step must come within Timeout, not all of them together, so the wait
// stays bounded (want steps) without a deadline a starved CPU overruns.
func UntilCount(t testing.TB, what string, count func() int, want int) {
	t.Helper()
	last, since := count(), time.Now()
	for last < want {
		time.Sleep(2 * time.Millisecond)
		if n := count(); n != last {
			last, since = n, time.Now()
		} else if time.Since(since) > Timeout {
			t.Fatalf("timed out waiting for %s: %d of %d, none more for %v", what, last, want, Timeout)
		}
	}
}
