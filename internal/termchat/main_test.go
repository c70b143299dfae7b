package termchat

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package if a goroutine outlives the tests: a Run's printer and line
// reader, and its session's goroutines, must end when it returns (chattest.LeakCheck checks
// each test that runs a chat; this catches the rest).
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
