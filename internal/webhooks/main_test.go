package webhooks

import (
	"testing"

	"go.uber.org/goleak"
)

// The dispatcher runs a loop and a goroutine per request: none may outlive its test.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
