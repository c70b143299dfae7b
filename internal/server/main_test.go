package server_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package if any goroutine outlives the tests: every connection's read loop
// and write pump must end with its connection.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
