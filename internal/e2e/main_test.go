package e2e

import (
	"os"
	"testing"
)

// TestMain stops the Chromium the tests shared (startBrowser) once they have run.
func TestMain(m *testing.M) {
	code := m.Run()
	stopBrowser()
	os.Exit(code)
}
