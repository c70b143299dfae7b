package accounts_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package if any goroutine outlives the tests: the servers the tests start
// and their stores must end with them.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
