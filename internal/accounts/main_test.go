package accounts_test

import (
	"testing"

	"go.uber.org/goleak"

	"hubbub/internal/servertest"
)

// TestMain fails the package if any goroutine outlives the tests: the servers the tests start
// and their stores must end with them. It drops the PostgreSQL schemas of
// servertest.PostgresSchemas once the tests have run.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(servertest.PostgresSchemas.DropAfter(m))
}
