package addservice_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package if any goroutine outlives the tests: the add service's tests run whole
// servers, whose connections must end with them.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
