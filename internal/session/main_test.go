package session_test

import (
	"testing"

	"go.uber.org/goleak"

	"hubbub/internal/servertest"
)

// TestMain fails the package if any goroutine outlives the tests, and drops the PostgreSQL
// schemas of servertest.PostgresSchemas once they have run. It is in the external test package
// because servertest imports session.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(servertest.PostgresSchemas.DropAfter(m))
}
