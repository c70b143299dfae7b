package auth

import (
	"testing"

	"go.uber.org/goleak"
)

// The JWKS verifier fetches keys on a goroutine of its own: none may outlive its tests.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
