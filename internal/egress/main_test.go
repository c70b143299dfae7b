package egress

import (
	"testing"

	"go.uber.org/goleak"
)

// The client's transport keeps connections with goroutines of their own: every test closes
// its client, and none may outlive it.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
